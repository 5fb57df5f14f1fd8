"""Per-host files: hostname, /etc/hosts, login shell, host keys and the controller's key."""

from __future__ import annotations

import os
from pathlib import Path

from .layout import USER, USER_UID, Host
from .shell import clean_env, run


def hosts_file(fleet: list[Host]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ""]
    lines += [f"{h.ip}\t{h.name}" for h in fleet]
    return "\n".join(lines) + "\n"


def write_identity(root: Path, host: Host, fleet: list[Host]) -> None:
    (root / "etc/hostname").write_text(host.name + "\n")
    (root / "etc/hosts").write_text(hosts_file(fleet))


def set_login_shell(root: Path, host: Host) -> None:
    passwd = (root / "etc/passwd").read_text().splitlines()
    for line in passwd:
        fields = line.split(":")
        if fields[0] == USER and fields[6] != host.shell:
            run(["chroot", str(root), "usermod", "--shell", host.shell, USER], env=clean_env())


def ensure_host_keys(root: Path) -> None:
    """Generate the host's own sshd keys once (they live in its overlay upper layer)."""
    run(["chroot", str(root), "ssh-keygen", "-A"], env=clean_env())


def host_public_keys(root: Path) -> list[str]:
    keys = sorted((root / "etc/ssh").glob("ssh_host_*_key.pub"))
    return [" ".join(k.read_text().split()[:2]) for k in keys]


def authorize(root: Path, public_key: str) -> None:
    """The controller's key is the only entry of the normal user's authorized_keys."""
    ssh_dir = root / "home" / USER / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(public_key.strip() + "\n")
    keys.chmod(0o600)
    for path in (ssh_dir, keys):
        os.chown(path, USER_UID, USER_UID)


def ensure_controller_key(state: Path) -> Path:
    key = state / "keys" / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "testbed-controller",
             "-f", str(key)])  # fmt: skip
    return key
