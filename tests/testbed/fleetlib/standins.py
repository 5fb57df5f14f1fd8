"""Calling the stand-in engineers' install scripts (tests/testbed/standins/).

Interface (also in docs/testbed.md), run on the controller as root:
  install-server.sh ROOT HOSTNAME IP    into the server host only
  install-client.sh ROOT HOSTNAME IP    into each client host
with the environment TESTBED_ROOT, TESTBED_HOST, TESTBED_IP (tailnet address),
TESTBED_LAN_IP (server only), TESTBED_USER (dev), TESTBED_UID (1000) and
TESTBED_MIRROR_URL (http://100.64.0.254:8080), plus the stand-ins' own STANDIN_USER (dev)
and STANDIN_PEERS ("name=ip,..." of the other fleet hosts). ROOT is the host's mounted root, so the
script copies files into it (e.g. ROOT/usr/local/bin). It runs again whenever the
stand-ins change, and must be idempotent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .layout import MIRROR_URL, USER, USER_UID, Host
from .shell import clean_env, run, say

STANDINS = Path(__file__).resolve().parents[1] / "standins"


def standins_digest() -> str:
    digest = hashlib.sha256()
    if STANDINS.is_dir():
        for path in sorted(p for p in STANDINS.rglob("*") if p.is_file()):
            if "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(STANDINS)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def install_standins(host: Host, root: Path, host_dir: Path, fleet: list[Host]) -> None:
    """Run the role's install script unless this version of the stand-ins is installed."""
    script = STANDINS / f"install-{host.role}.sh"
    if not script.is_file():
        say(f"notice: {script.relative_to(STANDINS.parents[2])} is absent; "
            f"{host.name} gets no stand-ins")  # fmt: skip
        return
    marker = host_dir / "standins.installed"
    peers = ",".join(f"{h.name}={h.ip}" for h in fleet if h != host)
    digest = f"{standins_digest()} {peers}"
    if marker.exists() and marker.read_text().strip() == digest:
        return
    env = clean_env(
        TESTBED_ROOT=str(root), TESTBED_HOST=host.name, TESTBED_IP=host.ip,
        TESTBED_USER=USER, TESTBED_UID=str(USER_UID), TESTBED_MIRROR_URL=MIRROR_URL,
        TESTBED_LAN_IP=host.lan_ip or "", STANDIN_USER=USER, STANDIN_PEERS=peers,
    )  # fmt: skip
    run(["bash", str(script), str(root), host.name, host.ip], env=env, cwd=STANDINS)
    marker.write_text(digest + "\n")
