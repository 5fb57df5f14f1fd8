"""The cached Debian root every host overlays: debootstrap once per package list."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from pathlib import Path

from .layout import USER, USER_UID
from .shell import clean_env, run, say

SUITE = "bookworm"
VARIANT = "minbase"
PACKAGES = [
    "openssh-server", "sudo", "python3", "python3-venv", "curl", "ca-certificates",
    "procps", "iproute2", "iputils-ping", "git", "bash", "zsh", "less", "tar", "gzip",
    "xz-utils", "netcat-openbsd",
]  # fmt: skip
# Bump when customize() changes, so cached roots are rebuilt.
RECIPE = "3"
COMPLETE_MARKER = ".testbed-rootfs-complete"
FALLBACK_MIRROR = "http://deb.debian.org/debian"

SSHD_DROPIN = """\
# Written by the remote-ollama testbed: key-only logins for the normal user.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
"""


def rootfs_key() -> str:
    spec = "\n".join([SUITE, VARIANT, RECIPE, *sorted(PACKAGES)])
    return hashlib.sha256(spec.encode()).hexdigest()[:12]


def debian_mirror() -> str:
    """The main Debian mirror from this machine's apt sources (deb822 or one-line)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file() or path.suffix not in {".list", ".sources"}:
            continue
        text = path.read_text(errors="replace")
        for uri in re.findall(r"^\s*URIs:\s*(\S+)", text, re.M) + re.findall(
            r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M
        ):
            if "security" not in uri and uri.rstrip("/").endswith("/debian"):
                return uri.rstrip("/")
    return FALLBACK_MIRROR


def ensure_rootfs(state: Path) -> Path:
    """Return the cached root for the current package list, building it if missing."""
    final = state / f"rootfs-{rootfs_key()}"
    if (final / COMPLETE_MARKER).exists():
        return final
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # teardown has already unmounted anything inside it
    mirror = debian_mirror()
    say(f"building the Debian root with debootstrap from {mirror} (about a minute)")
    started = time.monotonic()
    partial.parent.mkdir(parents=True, exist_ok=True)
    run(
        ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}",
         SUITE, str(partial), mirror],
        env=clean_env(DEBIAN_FRONTEND="noninteractive"),
    )  # fmt: skip
    customize(partial)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    (final / COMPLETE_MARKER).write_text(rootfs_key() + "\n")
    say(f"Debian root ready in {time.monotonic() - started:.0f}s: {final}")
    return final


def customize(root: Path) -> None:
    """What every host shares: the normal user, sudo, sshd policy, no DNS, no host keys."""
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()  # each host generates its own
    (root / "etc/ssh/sshd_config.d/testbed.conf").write_text(SSHD_DROPIN)
    run(["chroot", str(root), "useradd", "--create-home", "--uid", str(USER_UID),
         "--groups", "sudo", "--shell", "/bin/bash", USER], env=clean_env())  # fmt: skip
    # '*' instead of the locked '!': key logins work whatever sshd's UsePAM says.
    run(["chroot", str(root), "usermod", "--password", "*", USER], env=clean_env())
    sudoers = root / "etc/sudoers.d" / f"{USER}-nopasswd"
    sudoers.write_text(f"{USER} ALL=(ALL) NOPASSWD:ALL\n")
    sudoers.chmod(0o440)
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    (root / "etc/resolv.conf").write_text("# testbed: no DNS; hosts resolve via /etc/hosts\n")
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
