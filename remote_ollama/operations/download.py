"""A download on a host, bounded in time and size, that says why it failed.

curl gets an overall ``--max-time`` and ``--max-filesize``. curl refuses a file whose
declared length is over the limit (exit 63), and since curl 8.4.0 also stops a transfer
that reaches it (curl's docs/cmdline-opts/max-filesize.md); an older curl receiving a body
of unknown length keeps going until the deadline, so the size is checked again once the
file is written. Any failure prints one line naming what was downloaded, from where and
why, and exits 1; the caller removes its partial folder.
"""

from __future__ import annotations

import shlex

MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB: both archives are a few hundred MB at most
MAX_SECONDS = 1800  # 30 minutes: a slow link, not a stream that never ends


def bounded_download(url: str, dest: str, what: str, cleanup: str = "",
                     max_bytes: int = MAX_BYTES, seconds: int = MAX_SECONDS) -> str:
    """Shell that downloads ``url`` to ``dest`` (quoted here) or prints why not and exits 1
    after running ``cleanup`` (a shell command, e.g. removing the partial folder). It is one
    brace group, so it can be chained with ``&&``."""
    url_q, dest_q = shlex.quote(url), shlex.quote(dest)
    megabytes = max_bytes // (1024 * 1024) or 1
    stop = f"{{ {cleanup + '; ' if cleanup else ''}exit 1; }}"
    say = (f"echo {shlex.quote(f'{what}: the download of {url}')}\" $why; nothing was "
           'installed." >&2')
    return (
        f"{{ curl -q -fsSL --max-time {int(seconds)} --max-filesize {int(max_bytes)} {url_q} "
        f"-o {dest_q}; rc=$?; "
        f'case $rc in 0) why=;; 28) why="took longer than {int(seconds)} s";; '
        f'63) why="is larger than {megabytes} MiB";; '
        f'22) why="got an HTTP error (curl exit 22)";; *) why="failed (curl exit $rc)";; esac; '
        f'if [ -z "$why" ] && [ "$(wc -c < {dest_q})" -gt {int(max_bytes)} ]; then '
        f'why="is larger than {megabytes} MiB"; fi; '
        f'if [ -n "$why" ]; then {say}; {stop}; fi; }}'
    )
