"""Claude Code's native binary, pinned: one folder per version, no Node needed.

The npm package ``@anthropic-ai/claude-code-<os>-<arch>`` holds ``package/claude``; its
tarball is fetched straight from the registry (pyinfra's npm fact cannot see scoped
names, and the binary does not need npm at all) and checked against the sha512 the
registry publishes for it (``dist.integrity``) before anything is unpacked.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
import shlex
import urllib.parse

from pyinfra import host
from pyinfra.api import OperationError

from remote_ollama.contract import HttpProblem, http_request
from remote_ollama.facts.client import SymlinkTarget
from remote_ollama.operations.download import bounded_download
from remote_ollama.probe import fact
from remote_ollama.step import operation


def package_name(system: str, arch: str) -> str:
    """``claude-code-darwin-arm64`` and friends: system darwin|linux, arch arm64|x64."""
    return f"claude-code-{system}-{arch}"


def tarball_url(registry: str, system: str, arch: str, version: str) -> str:
    pkg = package_name(system, arch)
    return f"{registry.rstrip('/')}/@anthropic-ai/{pkg}/-/{pkg}-{version}.tgz"


def metadata_url(registry: str, system: str, arch: str) -> str:
    """The package's registry document (its versions, each with ``dist.integrity``)."""
    return f"{registry.rstrip('/')}/@anthropic-ai/{package_name(system, arch)}"


def read_document(url: str, limit: int) -> bytes:
    """A registry document, bounded: at most ``limit`` bytes, and over HTTP 60 s in all
    with no redirect followed. ``file://`` URLs (a mirror on disk) are read directly."""
    if url.startswith("file://"):
        with open(urllib.parse.unquote(urllib.parse.urlsplit(url).path), "rb") as file:
            text = file.read(limit + 1)
    else:
        with http_request(url, timeout=60, headers={"Accept": "application/json"}) as answer:
            if answer.status != 200:
                raise ValueError(f"HTTP {answer.status}")
            return answer.body(limit)
    if len(text) > limit:
        raise ValueError(f"larger than {limit // 1024} KiB")
    return text


@functools.cache  # once per run: pyinfra runs an operation's body to plan and to execute
def registry_sha512(url: str, version: str) -> str:
    """The hex sha512 the registry document at ``url`` gives for ``version``'s tarball.

    Read by the controller when a host needs the download: a registry that cannot be read,
    or gives no sha512, stops that host's deploy before anything is fetched there."""
    try:
        document = json.loads(read_document(url, 32 * 1024 * 1024))
        integrity = document["versions"][version]["dist"]["integrity"]
    except (OSError, HttpProblem, ValueError, KeyError, TypeError) as error:
        raise OperationError(
            f"Claude Code {version}: could not read its sha512 from {url} ({error}); "
            "nothing was downloaded. Check claude_code_registry and claude_code_version."
        ) from error
    for entry in str(integrity).split():  # "sha512-<base64>", maybe among others
        algorithm, _, digest = entry.partition("-")
        if algorithm == "sha512":
            with contextlib.suppress(ValueError):
                raw = base64.b64decode(digest, validate=True)
                if len(raw) == 64:
                    return raw.hex()
    raise OperationError(f"Claude Code {version}: {url} gives no sha512 integrity "
                         "(base64 of 64 bytes); nothing was downloaded.")  # fmt: skip


def install_command(url: str, sha512: str, target: str) -> str:
    """Download to ``<target>.partial``, check the sha512, unpack ``claude``, then move
    the folder into place: a failed or mismatched download leaves ``target`` untouched."""
    tmp = f"{target}.partial"
    tgz = shlex.quote(f"{tmp}/package.tgz")
    tmp, target_q = shlex.quote(tmp), shlex.quote(target)
    # Deletion rule: only what the deploy creates, by exact name: "<version>.partial" (this
    # command's scratch folder) and, once the new one is checked, "<version>" in our root.
    clear = f"rm -rf {tmp}"
    what = f"Claude Code {target.rsplit('/', 1)[-1]}"
    download = bounded_download(url, f"{target}.partial/package.tgz", what, cleanup=clear)
    digest = f"$( (sha512sum {tgz} 2>/dev/null || shasum -a 512 {tgz}) | cut -d' ' -f1)"
    return (
        f"{clear} && mkdir -p {tmp} && {download} && "
        f'if [ "{digest}" != {shlex.quote(sha512)} ]; then {clear}; '
        f"echo 'Claude Code: the download does not match the registry sha512' >&2; exit 1; fi "
        f"&& tar -xzf {tgz} -C {tmp} --strip-components=1 package/claude && rm -f {tgz} "
        f"&& [ -x {tmp}/claude ] && rm -rf {target_q} && mv {tmp} {target_q}"
    )


def relink(link: str, target: str) -> str:
    """A new link beside the old, renamed over it: the command is never missing (rename(2)
    is atomic; ``ln -sfn`` alone unlinks first). Works whether or not ``link`` exists."""
    tmp = shlex.quote(f"{link}.new")
    return (f"mkdir -p {shlex.quote(link.rsplit('/', 1)[0])} && "
            f"ln -sfn {shlex.quote(target)} {tmp} && mv -f {tmp} {shlex.quote(link)}")


def ours(link: dict | None, owned_prefix: str, takeover: str | None = None) -> bool:
    """Whether ``command_link`` may (re)point the link: absent, pointing into
    ``owned_prefix``, or (``takeover``, a regex searched in the target) a known installer's."""
    kind, target = (link or {}).get("kind", "absent"), (link or {}).get("target", "")
    return kind == "absent" or (kind == "link" and (
        target.startswith(owned_prefix) or bool(takeover and re.search(takeover, target))))


@operation()
def command_link(link: str, target: str, owned_prefix: str, takeover: str | None = None,
                 hint: str | None = "use claude-ollama"):
    """Point ``link`` at ``target`` atomically (``relink``) when the path is free, already
    ours, or a known installer's link; never replace someone else's command (the user's
    cloud ``claude`` stays).

    + link: e.g. ``/Users/me/.local/bin/claude``
    + target: our binary
    + owned_prefix: links whose target starts with this are ours
    + takeover: a regex; a link whose target it matches is an installer's, ours to take
      over (Aider's: the link uv or pipx made), None for none
    + hint: what to do instead, said when the command is someone else's (None: nothing)

    Example:

    .. code:: python

        command_link(link="/home/me/.local/bin/claude",
                     target="/home/me/.local/share/remote-ollama/claude-code/2.1.332/claude",
                     owned_prefix="/home/me/.local/share/remote-ollama/claude-code/")
    """
    current = fact(SymlinkTarget, path=link)
    if current["kind"] == "link" and current["target"] == target:
        host.noop(f"{link} points at {target}")
    elif ours(current, owned_prefix, takeover):
        yield relink(link, target)
    else:
        host.noop(f"{link} is someone else's command; left as it is"
                  + (f" ({hint})" if hint else ""))


@operation()
def command_link_absent(link: str, owned_prefix: str):
    """Remove ``link`` only when it points into ``owned_prefix``.

    + link: e.g. ``/Users/me/.local/bin/claude``
    + owned_prefix: links whose target starts with this are ours

    Example:

    .. code:: python

        command_link_absent(link="/home/me/.local/bin/claude",
                            owned_prefix="/home/me/.local/share/remote-ollama/claude-code/")
    """
    current = fact(SymlinkTarget, path=link)
    if current["kind"] == "link" and current["target"].startswith(owned_prefix):
        yield f"rm -f {shlex.quote(link)}"
    else:
        host.noop(f"{link} is not ours (or absent)")
