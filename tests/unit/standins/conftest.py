"""Fixtures for running the Mac stand-ins directly on this machine (not in the testbed).

Every test gets its own STANDIN_ROOT: a fake host root made by install-server.sh, so the
stand-ins never touch the real /etc, /opt or /var. Tests that need a non-root caller run
the stand-in through setpriv as uid 1000 (skipped when not root or setpriv is missing).
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

STANDINS = Path(__file__).resolve().parents[2] / "testbed" / "standins"
USER_UID = 1000
SETPRIV = shutil.which("setpriv")


class Host:
    """A fake Mac root with helpers to run its stand-ins as root or as the user."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home" / "dev"

    def path(self, rel: str) -> Path:
        return self.root / rel.lstrip("/")

    def env(self, **extra):
        env = {
            "STANDIN_ROOT": str(self.root),
            "PATH": f"{self.root}/usr/local/bin:{self.root}/opt/homebrew/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
        }
        env.update(extra)
        return env

    def run(self, *args, user=False, check=False, **extra_env):
        cmd = [str(a) for a in args]
        env = self.env(**extra_env)
        if user:
            if not SETPRIV or os.geteuid() != 0:
                pytest.skip("needs root and setpriv to act as uid 1000")
            env.update(HOME=str(self.home), USER="dev")
            cmd = [SETPRIV, f"--reuid={USER_UID}", f"--regid={USER_UID}", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def config(self, name: str, data: dict):
        path = self.path(f"/etc/standin/{name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


def kill_supervisors(root: Path):
    """Stop every supervisor (and its job) started under this root; wait until gone."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"__supervise" in cmdline and any(str(root).encode() in a for a in cmdline):
            pids.append(int(proc.name))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while time.time() < deadline and any(running(pid) for pid in pids):
        time.sleep(0.1)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def host():
    if os.geteuid() != 0:
        pytest.skip("install-server.sh chowns files; run as root")
    root = Path(tempfile.mkdtemp(prefix="standin-"))
    root.chmod(0o755)  # uid 1000 must reach the stand-ins
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(f"dev:x:{USER_UID}:{USER_UID}::/home/dev:/bin/bash\n")
    (root / "home" / "dev").mkdir(parents=True)
    os.chown(root / "home" / "dev", USER_UID, USER_UID)
    subprocess.run(
        ["sh", str(STANDINS / "install-server.sh"), str(root), "ai-server", "100.64.0.10"],
        check=True,
        env={"PATH": "/usr/bin:/bin", "STANDIN_PEERS": "ai-client-1=100.64.0.11"},
    )
    yield Host(root)
    kill_supervisors(root)
    shutil.rmtree(root, ignore_errors=True)
