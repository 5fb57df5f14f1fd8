"""Claude Code's native binary, pinned: one folder per version, no Node needed.

The npm package ``@anthropic-ai/claude-code-<os>-<arch>`` holds ``package/claude``; its
tarball is fetched straight from the registry (pyinfra's npm fact cannot see scoped
names, and the binary does not need npm at all).
"""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.client import DirectoryEntries, SymlinkTarget
from remote_ollama.facts.files import PathExists
from remote_ollama.probe import fact


def package_name(system: str, arch: str) -> str:
    """``claude-code-darwin-arm64`` and friends: system darwin|linux, arch arm64|x64."""
    return f"claude-code-{system}-{arch}"


def tarball_url(registry: str, system: str, arch: str, version: str) -> str:
    pkg = package_name(system, arch)
    return f"{registry.rstrip('/')}/@anthropic-ai/{pkg}/-/{pkg}-{version}.tgz"


@operation()
def binary_installed(version: str, url: str, root: str):
    """Unpack exactly ``version`` into ``<root>/<version>/claude``; drop other versions.

    + version: Claude Code version, e.g. ``2.1.332``
    + url: the platform package's tarball
    + root: our install folder, e.g. ``/Users/me/.local/share/remote-ollama/claude-code``

    Example:

    .. code:: python

        binary_installed(version="2.1.332", root="/home/me/.local/share/remote-ollama/claude-code",
            url="https://registry.npmjs.org/@anthropic-ai/claude-code-linux-x64/-/"
                "claude-code-linux-x64-2.1.332.tgz")
    """
    target = f"{root}/{version}"
    if not fact(PathExists, path=f"{target}/claude"):
        tmp = shlex.quote(f"{target}.partial")
        yield (
            f"rm -rf {tmp} && mkdir -p {tmp} && curl -fsSL {shlex.quote(url)} "
            f"| tar -xzf - -C {tmp} --strip-components=1 package/claude "
            f"&& [ -x {tmp}/claude ] && rm -rf {shlex.quote(target)} && mv {tmp} {shlex.quote(target)}"
        )
    others = [e for e in fact(DirectoryEntries, path=root) or [] if e != version]
    for entry in others:
        yield f"rm -rf {shlex.quote(f'{root}/{entry}')}"
    if not others and fact(PathExists, path=f"{target}/claude"):
        host.noop(f"Claude Code {version} is installed")


@operation()
def command_link(link: str, target: str, owned_prefix: str):
    """Point ``link`` at ``target`` when the path is free or already ours; never replace
    someone else's command (the user's cloud ``claude`` stays).

    + link: e.g. ``/Users/me/.local/bin/claude``
    + target: our binary
    + owned_prefix: links whose target starts with this are ours

    Example:

    .. code:: python

        command_link(link="/home/me/.local/bin/claude",
                     target="/home/me/.local/share/remote-ollama/claude-code/2.1.332/claude",
                     owned_prefix="/home/me/.local/share/remote-ollama/claude-code/")
    """
    current = fact(SymlinkTarget, path=link)
    if current["kind"] == "absent":
        yield f"mkdir -p {shlex.quote(link.rsplit('/', 1)[0])}"
        yield f"ln -s {shlex.quote(target)} {shlex.quote(link)}"
    elif current["kind"] == "link" and current["target"] == target:
        host.noop(f"{link} points at {target}")
    elif current["kind"] == "link" and current["target"].startswith(owned_prefix):
        yield f"ln -sfn {shlex.quote(target)} {shlex.quote(link)}"
    else:
        host.noop(f"{link} is someone else's command; left as it is (use claude-ollama)")


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
