"""The client deploy on this machine, for real: `pyinfra -y @local deploys/client.py`.

HOME points at a temporary folder, so the machine's own home stays untouched: the
probe, uv, pip and the profile all follow $HOME. Real uv and real aider-chat 0.86.2 are
installed from PyPI (or from $PIP_FIND_LINKS-free caches kept in .cache/ between runs).
The converge must leave `aider --version` working in a new login shell, and a second run
must change nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYINFRA = REPO / ".venv" / "bin" / "pyinfra"
DATA = ["--data", "ollama_server_host=127.0.0.1", "--data", "aider_python=3.11"]

pytestmark = pytest.mark.e2e


@pytest.fixture
def home(tmp_path):
    if not shutil.which("python3.11"):
        pytest.skip("needs python3.11 on this machine (aider-chat 0.86 needs 3.10-3.12)")
    return tmp_path


def environment(home: Path) -> dict[str, str]:
    """This shell's environment with HOME moved and nothing pointing back at the real home."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "UV_", "PIPX_", "VIRTUAL_ENV", "PYTHON"))}  # fmt: skip
    cache = REPO / ".cache" / "e2e-local-client"  # gitignored; keeps reruns fast
    env.update(HOME=str(home), UV_CACHE_DIR=str(cache / "uv"), PIP_CACHE_DIR=str(cache / "pip"))
    return env


def converge(home: Path, *extra: str) -> dict:
    result = subprocess.run(
        [str(PYINFRA), "-y", "--json", "@local", "deploys/client.py", *DATA, *extra],
        cwd=REPO, env=environment(home), capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def changed(report: dict) -> list[str]:
    """Operations that ran commands on any host (with -y, `plan` never shows changes)."""
    return [op["name"] for op in report["results"]["operations"] if op["success"]]


def login_shell(home: Path, command: str) -> subprocess.CompletedProcess:
    """A new bash login shell with a minimal environment, as after opening a terminal."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb", "USER": "root"}
    return subprocess.run(["bash", "-lc", command], env=env, capture_output=True, text=True,
                          cwd=home, timeout=120)  # fmt: skip


def test_local_client_converges_for_real_then_changes_nothing(home):
    first = converge(home)
    assert "remote-ollama client | Install Aider 0.86.2" in changed(first)

    aider = login_shell(home, "aider --version")
    assert aider.returncode == 0, aider.stderr[-2000:]
    assert aider.stdout.strip().splitlines()[-1] == "aider 0.86.2"
    env = login_shell(home, 'echo "$OLLAMA_API_BASE $OPENAI_API_BASE $AIDER_MODEL"')
    assert env.stdout.strip() == (
        "http://127.0.0.1:11434 http://127.0.0.1:11434/v1 ollama_chat/qwen2.5-coder:7b")
    assert oct((home / ".ai-client" / "env").stat().st_mode & 0o777) == "0o600"
    assert "num_ctx: 65536" in (home / ".aider.model.settings.yml").read_text()

    assert changed(converge(home)) == []


def test_local_client_takes_over_uv_s_own_aider_keeping_the_command(home):
    """A machine where `uv tool install aider-chat` put Aider in uv's own place (this
    project before issue 15): the converge moves it into our folder; `aider` still runs."""
    converge(home)
    env = environment(home)
    uv = str(home / ".local/bin/uv")
    python = ["--python", shutil.which("python3.11")]
    link = home / ".local/bin/aider"
    link.unlink()
    subprocess.run([uv, "tool", "install", *python, "aider-chat==0.86.2"], env=env,
                   check=True, capture_output=True, timeout=600)
    assert os.readlink(link) == str(home / ".local/share/uv/tools/aider-chat/bin/aider")
    shutil.rmtree(home / ".local/share/remote-ollama/aider")
    report = converge(home)
    assert "remote-ollama client | Remove Aider installed with uv" in changed(report)
    assert os.readlink(link) == str(
        home / ".local/share/remote-ollama/aider/0.86.2-py3.11/bin/aider")  # put back
    assert not (home / ".local/share/uv/tools/aider-chat").exists()
    assert login_shell(home, "aider --version").stdout.strip().splitlines()[-1] == \
        "aider 0.86.2"
    assert changed(converge(home)) == []


def test_local_client_uninstall_leaves_a_clean_home_and_uv(home):
    converge(home)
    removed = changed(converge(home, "--data", "client_state=absent"))
    assert "remote-ollama client | Remove our ~/.local/bin/aider link" in removed
    assert "remote-ollama client | Remove Aider (ours)" in removed
    assert login_shell(home, "command -v aider").returncode != 0
    kept = (".local/share/remote-ollama/uv/", ".local/share/uv/", ".cache/")  # uv and its data
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if not str(p.relative_to(home)).startswith(kept))  # fmt: skip
    # Aider was installed into our own folder (UV_TOOL_DIR): uv made no ~/.local/share/uv
    # ~/.local/state/remote-ollama (the last converge's record) went; ~/.local/state is
    # XDG's, made by the record step's `mkdir -p` and kept as ~/.local/share is
    assert left == [".local", ".local/bin", ".local/bin/uv", ".local/share",
                    ".local/share/remote-ollama", ".local/share/remote-ollama/uv",
                    ".local/state"]
    assert not (home / ".local/share/uv/tools/aider-chat").exists()
    assert changed(converge(home, "--data", "client_state=absent")) == []
