"""Command lines that run something inside a host: its netns, its hostname, its root."""

from __future__ import annotations

import shlex
from pathlib import Path

from .hostroot import uts_file
from .layout import OUTSIDER_NETNS, USER, Host


def as_root(host: Host, root: Path, argv: list[str]) -> list[str]:
    """argv run as root inside the host (nsenter into its netns and UTS ns, then chroot)."""
    return ["nsenter", f"--net=/run/netns/{host.netns}", f"--uts={uts_file(host.name)}",
            "--", "chroot", str(root), *argv]  # fmt: skip


def as_user(host: Host, root: Path, command: str | list[str] | None, user: str = USER):
    """The command in a fresh login shell of `user` (as over SSH); interactive if None."""
    if command is None:
        return as_root(host, root, ["su", "--login", user])
    script = command if isinstance(command, str) else shlex.join(command)
    return as_root(host, root, ["su", "--login", user, "--command", script])


def in_outsider(argv: list[str]) -> list[str]:
    """argv run in the outsider's netns with the controller's own binaries (curl, nc)."""
    return ["ip", "netns", "exec", OUTSIDER_NETNS, *argv]
