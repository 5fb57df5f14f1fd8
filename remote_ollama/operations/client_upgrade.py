"""A Claude Code pin change on a client: install beside the old one, check, then switch.

The new version is unpacked into its own folder (``<root>/<version>/claude``) while the
link and ``claude-ollama`` still run the old one. It is then checked on the host:

- ``claude --version`` must print the pinned version;
- one request to the server through the new ``claude-ollama`` (the alias's own
  environment: the function file this run will write, sourced in a throw-away shell).

Only if both pass do the later steps switch ``~/.local/bin/claude`` (atomically, see
``claude_code.command_link``) and rewrite the alias; other versions are removed after
that (``versions_pruned``). On failure the new folder is removed, the step fails with
"Claude Code X failed its check (...); Y stays in use", and the host's later steps do not
run, so the old version stays in use.

Fleet rollouts (deploys/fleet.py): the step runs at execution, after every server step,
so it first asks the server which Ollama it runs *now*. If the matrix marks the pin
broken with it (say the server's upgrade rolled back), the client is not moved. The step
runs in batches of ``client_rollout_batch`` clients, in inventory order, and once
``client_rollout_max_failures`` clients have failed it, the clients of later batches are
left untouched (operations/rollout.py, which says why not pyinfra's ``_parallel``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from pyinfra import host, state

from remote_ollama.compat import verdict
from remote_ollama.facts.client import DirectoryEntries, ServerReachability
from remote_ollama.facts.files import PathExists
from remote_ollama.operations import claude_code, rollout
from remote_ollama.probe import fact
from remote_ollama.settings import is_version
from remote_ollama.step import operation

HEREDOC = "REMOTE_OLLAMA_CLAUDE_OLLAMA_SH"
PROMPT = "Reply with the single word OK."



def check_script(version: str, target: str, alias: str | None, previous: str) -> str:
    """Shell run after the unpack: ``--version``, then one request through the alias.

    On failure it removes ``target`` and prints one sentence on stderr."""
    q = shlex.quote
    fail = (f'rm -rf {q(target)}; echo "Claude Code {version} failed its check ($why); '
            f'{previous} stays in use" >&2; exit 1')
    script = (
        f"out=$({q(target + '/claude')} --version 2>&1 | head -n 1)\n"
        f'case "$out" in {q(version)}|{q(version)}" "*) ;; '
        f"*) why=\"--version says '$out'\"; {fail};; esac\n"
    )
    if alias is not None:
        if HEREDOC in alias:
            raise ValueError("the claude-ollama script contains the here-document marker")
        script += (
            "t=$(mktemp -d)\n"
            f"cat > \"$t/claude-ollama.sh\" <<'{HEREDOC}'\n{alias.rstrip(chr(10))}\n{HEREDOC}\n"
            f"if ! (cd \"$t\" && bash -c '. ./claude-ollama.sh && claude-ollama -p {q(PROMPT)}'"
            " </dev/null >\"$t/out\" 2>&1); then\n"
            "  why=\"one request through claude-ollama failed: $(tail -n 1 \"$t/out\")\"; "
            f"rm -rf \"$t\"; {fail}\nfi\n"
            "rm -rf \"$t\"\n"
        )
    return script


@dataclass(frozen=True)  # its repr is in the plan, so the same on every run
class MatrixCheck:
    """The gate's check (``rollout.gate``): the matrix against the Ollama version the server
    runs now, asked at execution. A reason when it marks the pair broken, else None."""

    version: str
    base_url: str

    def __call__(self, host) -> str | None:
        ollama = host.get_fact(ServerReachability, base_url=self.base_url).get("version")
        found = verdict(self.version, ollama)
        if found.status != "broken":
            return None
        return (f"the server runs Ollama {ollama} now, and the matrix marks the pair broken "
                f"({found.note})")


@operation()
def claude_code_checked(version: str, url: str, metadata: str, root: str, alias: str | None,
                        previous: str | None, base_url: str | None = None, batch: int = 0,
                        max_failures: int = 0, allow_broken: bool = False):
    """Unpack exactly ``version`` beside the installed one and check it (see module doc).

    + version: Claude Code version, e.g. ``2.1.332``
    + url: the platform package's tarball
    + metadata: the package's registry document, which gives the tarball's sha512
    + root: our install folder; the version goes into ``<root>/<version>``
    + alias: the ``claude-ollama`` function file for the new version (None: no request)
    + previous: the version in use now, named when it stays (None: nothing installed)
    + base_url: the server, asked at execution for its Ollama version (None: not asked)
    + batch: clients installing at the same time, in inventory order (0: all at once)
    + max_failures: stop installing once this many clients failed (0: never stop)
    + allow_broken: install even a pair the matrix marks broken

    Example:

    .. code:: python

        claude_code_checked(version="2.1.332", root="/home/me/.local/share/remote-ollama/claude-code",
            url="https://registry.npmjs.org/@anthropic-ai/claude-code-linux-x64/-/"
                "claude-code-linux-x64-2.1.332.tgz",
            metadata="https://registry.npmjs.org/@anthropic-ai/claude-code-linux-x64",
            alias=claude_ollama_sh, previous="2.1.330", base_url="http://ai-server:11434",
            batch=2, max_failures=1)
    """
    target = f"{root}/{version}"
    installed = fact(PathExists, path=f"{target}/claude")
    previous = previous or "no Claude Code"
    check = MatrixCheck(version, base_url) if base_url and not allow_broken else None
    said = f"Claude Code {version} is installed" if installed else None
    if not (yield from rollout.step(state, host, f"Claude Code {version}", previous, batch,
                                    max_failures, installed=said, check=check)):
        return
    install = claude_code.install_command(url, claude_code.registry_sha512(metadata, version),
                                         target)
    yield (f"{{ {install}; }} || {{ echo 'Claude Code {version}: the download or unpack failed; "
           f"{previous} stays in use' >&2; exit 1; }}\n" + check_script(version, target, alias, previous))


@operation()
def versions_pruned(version: str, root: str):
    """Remove the versions other than ``version`` from ``root`` (after the switch).

    + version: the version in use
    + root: our install folder

    Example:

    .. code:: python

        versions_pruned(version="2.1.332", root="/home/me/.local/share/remote-ollama/claude-code")
    """
    others = [e for e in fact(DirectoryEntries, path=root) or [] if e != version
              and is_version(e.removesuffix(".partial"))]  # only our version folders, by name
    for entry in others:
        yield f"rm -rf {shlex.quote(f'{root}/{entry}')}"
    if not others:
        host.noop(f"only Claude Code {version} is installed")


def installed_version(link: dict | None, root: str) -> str | None:
    """The version ``~/.local/bin/claude`` runs, if it is ours (``<root>/<version>/claude``)."""
    target = (link or {}).get("target", "")
    prefix = root.rstrip("/") + "/"
    if not target.startswith(prefix) or not target.endswith("/claude"):
        return None
    return target[len(prefix):-len("/claude")] or None
