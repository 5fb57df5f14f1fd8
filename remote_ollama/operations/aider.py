"""uv or pipx, and Aider installed through them side by side, one folder per version.

pyinfra 3.10's ``uv.tools`` is not idempotent for every pin and cannot pass a find-links
wheelhouse, and it installs over the version in use. Here (issue 15) a pin change installs
the new version beside the old one, with the installer's own knobs for where it puts a
tool (uv: ``UV_TOOL_DIR``/``UV_TOOL_BIN_DIR``; pipx: ``PIPX_HOME``/``PIPX_BIN_DIR``/
``PIPX_MAN_DIR``), into ``<root>/<version>-py<python>``:

- ``aider_checked`` installs there and checks it (``aider --version`` prints
  ``aider <version>``); only then does it mark the folder checked (``.checked``). On
  failure it removes the folder and says "Aider X failed its check (...); Y stays in use";
  the host's later steps do not run, so ``aider`` still runs the old version;
- ``aider_link`` then switches ``~/.local/bin/aider`` atomically (a new link renamed over
  the old one), also taking over the link uv or pipx made for an install of their own
  (a machine the install scripts set up with pipx, or this project before issue 15);
- in a fleet, the step is a rollout (``operations/rollout.py``), as Claude Code's: clients
  go ``client_rollout_batch`` at a time in inventory order, and once
  ``client_rollout_max_failures`` clients have failed a rollout step, the later ones are
  not touched ("Aider X not installed: the rollout stopped ...; Y stays in use.");
- ``aider_absent`` removes that older install (uv's ``tool uninstall`` deletes the link it
  once made even when it points elsewhere now, so the link is put back in the same
  command), and ``versions_pruned`` the other version folders.
"""

from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

from pyinfra import host, state

from remote_ollama.facts.client import AiderInstall, CommandPath, DirectoryEntries
from remote_ollama.facts.files import PathExists
from remote_ollama.operations import claude_code, rollout
from remote_ollama.probe import fact
from remote_ollama.step import operation

PACKAGE = "aider-chat"
ROOT = ".local/share/remote-ollama/aider"  # in the home: one folder per version
LINK = ".local/bin/aider"
CHECKED = ".checked"  # written into a version's folder once its check passed
ENTRY_RE = re.compile(r"(?P<version>[0-9][A-Za-z0-9.+!-]*)-py(?P<python>[0-9]+\.[0-9]+)\Z")
# The link uv (``<tool dir>/aider-chat/bin/aider``) or pipx (``<home>/venvs/aider-chat/bin/
# aider``) makes for Aider: an older install of Aider, ours to take over.
INSTALLER_LINK_RE = re.compile(r"/aider-chat/bin/aider\Z")


def entry(version: str, python_minor: str) -> str:
    """A version's folder name under the root: ``0.86.2-py3.12``."""
    return f"{version}-py{python_minor}"


def binary(root: str, version: str, python_minor: str) -> str:
    """The command the link points at: the installer's own link in the version's folder."""
    return f"{root}/{entry(version, python_minor)}/bin/aider"


def in_use(link: dict | None, root: str) -> dict | None:
    """``{"version", "python"}`` of ours that ``~/.local/bin/aider`` runs, else None."""
    target = (link or {}).get("target", "")
    prefix, suffix = root.rstrip("/") + "/", "/bin/aider"
    if not target.startswith(prefix) or not target.endswith(suffix):
        return None
    match = ENTRY_RE.fullmatch(target[len(prefix):-len(suffix)])
    return {"version": match["version"], "python": match["python"]} if match else None


def owns_link(link: dict | None, root: str) -> bool:
    """Whether ``aider_link`` may (re)point the link: absent, ours, or uv's/pipx's Aider."""
    return claude_code.ours(link, root.rstrip("/") + "/", INSTALLER_LINK_RE.pattern)


def placed(installer: str, target: str) -> list[str]:
    """``env`` and the installer's variables that put the tool and its links in ``target``
    (uv's storage docs: UV_TOOL_DIR, UV_TOOL_BIN_DIR; pipx's: PIPX_HOME, PIPX_BIN_DIR,
    PIPX_MAN_DIR), so nothing outside it is touched."""
    if installer == "uv":
        names = {"UV_TOOL_DIR": target, "UV_TOOL_BIN_DIR": f"{target}/bin"}
    else:
        names = {"PIPX_HOME": target, "PIPX_BIN_DIR": f"{target}/bin",
                 "PIPX_MAN_DIR": f"{target}/man"}
    return ["env", *(f"{k}={v}" for k, v in names.items())]


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
) -> list[str]:
    """The uv or pipx command line that installs ``aider-chat==version``."""
    command = [tool, "tool", "install"] if installer == "uv" else [tool, "install"]
    command += ["--python", python]
    if installer == "uv":
        command += index_options(index_url, find_links)
    else:
        pip_args = index_options(index_url, find_links, trusted=True)
        command += [f"--pip-args={_join(pip_args)}"] if pip_args else []
    return [*command, f"{PACKAGE}=={version}"]


def check_script(version: str, target: str, previous: str) -> str:
    """Shell run after the install: ``aider --version`` must print ``aider <version>``
    (aider/args.py: argparse's ``version=f"%(prog)s {__version__}"``, prog ``aider``).
    On failure it removes ``target`` and prints one sentence on stderr; else it marks
    ``target`` checked."""
    q = shlex.quote
    return (
        f"out=$({q(target + '/bin/aider')} --version 2>&1 | tail -n 1)\n"
        f'if [ "$out" != {q(f"aider {version}")} ]; then rm -rf {q(target)}; '
        f"echo \"Aider {version} failed its check (--version says '$out'); "
        f'{previous} stays in use" >&2; exit 1; fi\n'
        f"touch {q(f'{target}/{CHECKED}')}"
    )


@operation()
def aider_checked(
    installer: str,
    tool: str,
    version: str,
    python: str,
    python_minor: str,
    root: str,
    previous: str | None,
    index_url: str | None = None,
    find_links: str | None = None,
    batch: int = 0,
    max_failures: int = 0,
):
    """Install ``aider-chat==version`` with uv or pipx beside the version in use, into
    ``<root>/<version>-py<python_minor>``, and check it (see the module's doc).

    + installer: ``uv`` or ``pipx``
    + tool: absolute path of the installer's command
    + version: the exact aider-chat version
    + python: interpreter path (or version for uv to find or fetch)
    + python_minor: e.g. ``3.12``; another Python is another folder
    + root: our install folder
    + previous: the version in use now, named when it stays (None: no Aider)
    + index_url: a private package index, or None for PyPI
    + find_links: a wheelhouse URL (with no index_url: offline)
    + batch: clients installing at the same time, in inventory order (0: all at once)
    + max_failures: stop installing once this many clients failed (0: never stop)

    Example:

    .. code:: python

        aider_checked(installer="uv", tool="/opt/homebrew/bin/uv", version="0.86.2",
                      python="/opt/homebrew/bin/python3.12", python_minor="3.12",
                      root="/Users/me/.local/share/remote-ollama/aider", previous="0.86.1",
                      batch=2, max_failures=1)
    """
    target = f"{root}/{entry(version, python_minor)}"
    installed = fact(PathExists, path=f"{target}/{CHECKED}")
    previous = previous or "no Aider"
    said = f"Aider {version} is installed (Python {python_minor})" if installed else None
    if not (yield from rollout.step(state, host, f"Aider {version}", previous, batch,
                                    max_failures, installed=said)):
        return
    q = shlex.quote
    install = _join(placed(installer, target)
                    + install_command(installer, tool, version, python, index_url, find_links))
    yield (
        f"rm -rf {q(target)} && mkdir -p {q(root)}\n"  # a half install an earlier run left
        f"{install} || {{ rm -rf {q(target)}; echo 'Aider {version}: the install failed; "
        f"{previous} stays in use' >&2; exit 1; }}\n" + check_script(version, target, previous)
    )


@operation()
def aider_link(link: str, target: str, root: str):
    """Point ``link`` at ``target`` atomically when it is absent, ours, or the link uv or
    pipx made for Aider; never replace someone else's command (``claude_code.command_link``).

    + link: e.g. ``/home/me/.local/bin/aider``
    + target: our version's command (``binary()``)
    + root: our install folder

    Example:

    .. code:: python

        aider_link(link="/home/me/.local/bin/aider",
                   target="/home/me/.local/share/remote-ollama/aider/0.86.2-py3.12/bin/aider",
                   root="/home/me/.local/share/remote-ollama/aider")
    """
    yield from claude_code.command_link._inner(  # pyinfra's way to run one op inside another
        link=link, target=target, owned_prefix=root.rstrip("/") + "/",
        takeover=INSTALLER_LINK_RE.pattern, hint=None)


@operation()
def versions_pruned(keep: str, root: str):
    """Remove the version folders other than ``keep`` from ``root`` (after the switch).

    + keep: the folder in use, e.g. ``0.86.2-py3.12``
    + root: our install folder

    Example:

    .. code:: python

        versions_pruned(keep="0.86.2-py3.12", root="/home/me/.local/share/remote-ollama/aider")
    """
    others = [e for e in fact(DirectoryEntries, path=root) or []
              if e != keep and ENTRY_RE.fullmatch(e)]  # only our version folders, by name
    for name in others:
        yield f"rm -rf {shlex.quote(f'{root}/{name}')}"
    if not others:
        host.noop(f"only Aider {keep} is installed")


@operation()
def aider_absent(installer: str, tool: str | None, relink: tuple[str, str] | None = None):
    """Uninstall Aider from uv's or pipx's own tool environments when it is there.

    + installer: ``uv`` or ``pipx``
    + tool: absolute path of the installer's command (None: not installed)
    + relink: ``(link, target)``: our link, put back after the uninstall (uv 0.13's
      ``tool uninstall`` deletes the link it made even when it points elsewhere now)

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
    command = _join([tool, *subcommand, PACKAGE])
    yield command + (f" && {claude_code.relink(*relink)}" if relink else "")
