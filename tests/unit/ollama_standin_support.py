"""The Ollama API stand-in, run as a subprocess on 127.0.0.1: helpers and fixtures
(re-exported by conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

STANDINS = Path(__file__).resolve().parents[1] / "testbed" / "standins"
OLLAMA_CLI = STANDINS / "ollama"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Standin:
    """A running stand-in: its URL, model store, request log and fault file."""

    def __init__(self, root: Path, env: dict, port: int, connect: str = "127.0.0.1"):
        self.root, self.env, self.port = root, env, port
        self.url = f"http://[{connect}]:{port}" if ":" in connect else f"http://{connect}:{port}"
        self.models_dir = Path(env["OLLAMA_MODELS"])
        self.log_path = Path(env["STANDIN_REQUEST_LOG"])
        self.proc: subprocess.Popen | None = None

    def start(self) -> Standin:
        # The server logs every request to stderr: a file, so a full pipe never blocks it.
        self.server_log = self.root / f"standin-{self.port}.log"
        with self.server_log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(OLLAMA_CLI), "serve"], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stand-in exited: {self.server_log.read_text()}")
            try:
                urllib.request.urlopen(self.url + "/api/version", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()  # never leave a server behind
        raise RuntimeError(f"stand-in did not answer at {self.url} within 10 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)

    def faults(self, **faults) -> None:
        (self.models_dir / ".standin-faults.json").write_text(json.dumps(faults))

    def call(self, method: str, path: str, body=None):
        """(status, text) of one request."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def json(self, method: str, path: str, body=None):
        status, text = self.call(method, path, body)
        return status, json.loads(text)

    def pull(self, *models: str) -> None:
        for model in models:
            status, _ = self.call("POST", "/api/pull", {"model": model, "stream": False})
            assert status == 200

    def requests(self, path: str | None = None) -> list[dict]:
        records = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [r for r in records if "method" in r and (path is None or r["path"] == path)]


def standin_env(root: Path, port: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "STANDIN_"))}
    env.update(
        OLLAMA_HOST=f"127.0.0.1:{port}",
        OLLAMA_MODELS=str(root / "models"),
        STANDIN_REQUEST_LOG=str(root / "requests.jsonl"),
        HOME=str(root / "home"),
    )
    env.update(extra)
    return env


@pytest.fixture
def make_standin(tmp_path):
    """Factory: make_standin(**env) starts a stand-in with extra environment variables.
    With port=, give OLLAMA_HOST yourself; connect= is the address the tests call."""
    started = []

    def make(port: int | None = None, connect: str = "127.0.0.1", **extra) -> Standin:
        port = port or free_port()
        env = standin_env(tmp_path, port, **extra)
        standin = Standin(tmp_path, env, port, connect).start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


@pytest.fixture
def standin(make_standin) -> Standin:
    return make_standin()


@pytest.fixture
def served(standin) -> Standin:
    """A stand-in with one model pulled."""
    standin.pull("qwen2.5-coder:7b")
    return standin
