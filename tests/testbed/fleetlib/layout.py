"""Names, addresses and paths of the testbed, in one place.

Every kernel object the testbed creates starts with ``ro-`` (netns, bridges, veths),
so teardown can find leftovers by prefix even when the state directory is lost.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEFAULT_STATE_DIR = REPO / ".cache" / "testbed"

PREFIX = "ro-"
TAILNET_BRIDGE = "ro-br0"
LAN_BRIDGE = "ro-lan0"
CONTROLLER_IP = "100.64.0.254"
TAILNET_PREFIXLEN = 24
MIRROR_PORT = 8080
MIRROR_URL = f"http://{CONTROLLER_IP}:{MIRROR_PORT}"
OUTSIDER_IP = "100.64.1.99"
SERVER_LAN_IP = "100.64.1.1"
# 64 clients: addresses 100.64.0.11-74 stay inside the /24 below the controller's .254,
# veth names (ro-t-c64) inside the kernel's 15 characters; docs/testbed.md has what a
# host costs.
MAX_CLIENTS = 64

USER = "dev"
USER_UID = 1000

# Global (not per state dir) runtime paths: kernel objects are global too.
RUN_DIR = Path("/run/ro-testbed")
UTS_DIR = RUN_DIR / "uts"
LOCK_FILE = Path("/run/ro-testbed.lock")

# Mount points of hosts and of unfinished debootstraps, whatever the state dir.
HOST_MOUNT_RE = re.compile(r"/hosts/(ai-server|ai-client-\d+)/root(/|$)")
PARTIAL_ROOTFS_RE = re.compile(r"/rootfs-[0-9a-f]+\.partial(/|$)")
MIRROR_MARKER = "ro-testbed-mirror"


def state_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The state dir: the explicit one, else $TESTBED_DIR, else <repo>/.cache/testbed."""
    chosen = explicit or os.environ.get("TESTBED_DIR") or DEFAULT_STATE_DIR
    return Path(chosen).resolve()


@dataclass(frozen=True)
class Host:
    """One SSH host of the fleet."""

    name: str
    ip: str
    short: str  # used in veth names (15-char limit)
    shell: str
    lan_ip: str | None = None

    @property
    def netns(self) -> str:
        return PREFIX + self.name

    @property
    def role(self) -> str:
        return "server" if self.name == "ai-server" else "client"


SERVER = Host("ai-server", "100.64.0.1", "srv", "/bin/bash", lan_ip=SERVER_LAN_IP)
OUTSIDER_NETNS = PREFIX + "outsider"


def client(n: int) -> Host:
    """Client N (1-based) at 100.64.0.(10+N); client 1 logs in with zsh, others bash."""
    shell = "/usr/bin/zsh" if n == 1 else "/bin/bash"
    return Host(f"ai-client-{n}", f"100.64.0.{10 + n}", f"c{n}", shell)


def fleet_hosts(clients: int) -> list[Host]:
    if not 0 <= clients <= MAX_CLIENTS:
        raise ValueError(f"--clients must be between 0 and {MAX_CLIENTS}, got {clients}")
    return [SERVER] + [client(n) for n in range(1, clients + 1)]


def host_by_name(name: str) -> Host:
    if name == SERVER.name:
        return SERVER
    match = re.fullmatch(r"ai-client-(\d+)", name)
    if match and 1 <= int(match.group(1)) <= MAX_CLIENTS:
        return client(int(match.group(1)))
    raise ValueError(f"unknown host {name!r}: expected ai-server or ai-client-N "
                     f"(N <= {MAX_CLIENTS})")  # fmt: skip
