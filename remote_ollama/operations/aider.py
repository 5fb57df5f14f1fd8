"""uv or pipx, and Aider installed isolated through them at exactly the pinned version.

pyinfra 3.10's ``uv.tools`` is not idempotent for every pin and cannot pass a find-links
wheelhouse; these operations read the installed version from the filesystem
(``AiderInstall``) and run the installer only when it differs, up or down.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.client import AiderInstall, CommandPath
from remote_ollama.probe import fact

PACKAGE = "aider-chat"


def index_options(
    index_url: str | None, find_links: str | None, trusted: bool = False
) -> list[str]:
    """Installer options for a private index and/or a wheelhouse (offline when only that).

    ``trusted`` adds pip's ``--trusted-host`` for plain-http URLs (uv does not need it).
    """
    options: list[str] = []
    if index_url:
        options += ["--index-url", index_url]
    if find_links:
        options += ([] if index_url else ["--no-index"]) + ["--find-links", find_links]
    if trusted:
        hosts = {
            urlsplit(u).hostname for u in (index_url, find_links) if u and u.startswith("http:")
        }
        for name in sorted(h for h in hosts if h):
            options += ["--trusted-host", name]
    return options


def _join(parts: list[str]) -> str:
    return " ".join(shlex.quote(p) for p in parts)


@operation()
def tool_venv(
    program: str,
    venv: str,
    link: str,
    index_url: str | None = None,
    find_links: str | None = None,
):
    """Install a Python CLI (uv, pipx) into its own venv and link it, unless it is on the PATH.

    For Linux, where no package manager offers a current uv for the user alone.

    + program: the PyPI package and command, ``uv`` or ``pipx``
    + venv: the venv's directory, e.g. ``~/.local/share/remote-ollama/uv`` (absolute)
    + link: the command's link, e.g. ``/home/me/.local/bin/uv``
    + index_url: a private package index, or None for PyPI
    + find_links: a wheelhouse URL (with no index_url: offline)

    Example:

    .. code:: python

        tool_venv(program="uv", venv="/home/me/.local/share/remote-ollama/uv",
                  link="/home/me/.local/bin/uv")
    """
    if fact(CommandPath, program=program):
        host.noop(f"{program} is installed")
        return
    pip = [f"{venv}/bin/pip", "install", "-q", "--disable-pip-version-check"]
    pip += [*index_options(index_url, find_links, trusted=True), program]
    yield (
        f"python3 -m venv {shlex.quote(venv)} && {_join(pip)} && "
        f"mkdir -p {shlex.quote(link.rsplit('/', 1)[0])} && "
        f"ln -sfn {shlex.quote(f'{venv}/bin/{program}')} {shlex.quote(link)}"
    )


def install_command(
    installer: str,
    tool: str,
    version: str,
    python: str,
    index_url: str | None,
    find_links: str | None,
    force: bool,
) -> list[str]:
    """The uv or pipx command line that installs ``aider-chat==version``."""
    command = [tool, "tool", "install"] if installer == "uv" else [tool, "install"]
    command += ["--force"] if force else []
    command += ["--python", python]
    if installer == "uv":
        command += index_options(index_url, find_links)
    else:
        pip_args = index_options(index_url, find_links, trusted=True)
        command += [f"--pip-args={_join(pip_args)}"] if pip_args else []
    return [*command, f"{PACKAGE}=={version}"]


@operation()
def aider_installed(
    installer: str,
    tool: str,
    version: str,
    python: str,
    python_minor: str,
    index_url: str | None = None,
    find_links: str | None = None,
):
    """Install ``aider-chat==version`` with uv or pipx; reinstall when the version (up or
    down) or the Python differs.

    + installer: ``uv`` or ``pipx``
    + tool: absolute path of the installer's command
    + version: the exact aider-chat version
    + python: interpreter path (or version for uv to find or fetch)
    + python_minor: e.g. ``3.12``; an install on another Python is redone
    + index_url: a private package index, or None for PyPI
    + find_links: a wheelhouse URL (with no index_url: offline)

    Example:

    .. code:: python

        aider_installed(installer="uv", tool="/opt/homebrew/bin/uv", version="0.86.2",
                        python="/opt/homebrew/bin/python3.12", python_minor="3.12")
    """
    current = fact(AiderInstall, installer=installer)
    if current and current["version"] == version and current["python"] == python_minor:
        host.noop(f"aider-chat {version} is installed with {installer}")
        return
    yield _join(
        install_command(installer, tool, version, python, index_url, find_links, bool(current))
    )


@operation()
def aider_absent(installer: str, tool: str | None):
    """Uninstall Aider from uv's or pipx's tool environments when it is there.

    + installer: ``uv`` or ``pipx``
    + tool: absolute path of the installer's command (None: not installed)

    Example:

    .. code:: python

        aider_absent(installer="pipx", tool="/home/me/.local/bin/pipx")
    """
    if not fact(AiderInstall, installer=installer):
        host.noop(f"aider-chat is not installed with {installer}")
        return
    if not tool:
        host.noop(f"aider-chat was installed with {installer}, which is gone: remove it by hand")
        return
    subcommand = ["tool", "uninstall"] if installer == "uv" else ["uninstall"]
    yield _join([tool, *subcommand, PACKAGE])
