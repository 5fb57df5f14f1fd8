"""Every network client against every hostile behaviour: the cases and how each ended.

A case runs one client as its own process (the shipped files, as the deploys run them),
with short deadlines, against a HostileServer, and is classified:

  clean  exit code non-zero, the failure said in the tool's own words, no traceback, the
         other models of a `warm` still done, and done within BOUND seconds
  safe   the hostile answer was harmless where it came (listed per client in ``harmless``),
         so the client went on and succeeded
  crash  a Python traceback
  hang   still running after BOUND seconds (the process is killed)
  unsafe a request or a connection reached the redirect's other port
  wrong  anything else (exit code 0 on a hostile answer, a good model not warmed, ...)

``tally()`` runs them all and counts outcomes per client, for docs/reliability.md:
``{"check": {"tried": 18, "clean": 18, "safe": 0, "crash": 0, "hang": 0, "unsafe": 0,
"wrong": 0}, ...}``. ``python -m tests.hostile.cases`` prints that as a Markdown table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from remote_ollama import self_check
from remote_ollama.operations import models
from tests.hostile.server import BEHAVIOURS, HostileServer

PACKAGE = Path(__file__).resolve().parents[2] / "remote_ollama"
CONTRACT, WARM = str(PACKAGE / "contract.py"), str(PACKAGE / "warm.py")
BOUND = 15.0  # seconds any case may take; the clients are given deadlines of 1-4 s
OUTCOMES = ("clean", "safe", "crash", "hang", "unsafe", "wrong")
PARALLEL = 6  # cases at a time: most of a case is waiting for a deadline
ENV_FILE = """# Managed by remote-ollama; changes are overwritten on the next converge.
export OLLAMA_API_BASE={url}
export OPENAI_API_BASE={url}/v1
export OPENAI_API_KEY=ollama
export LITELLM_LOCAL_MODEL_COST_MAP=True
"""


@dataclass(frozen=True)
class Client:
    """One client, as a command against a server URL; ``marker`` picks the requests the
    server misbehaves on (None: all); ``good`` models must still succeed; ``harmless``
    behaviours may be accepted (outcome "safe") because nothing there is used."""

    name: str
    marker: tuple[str, str] | None
    good: tuple[str, ...] = ()
    harmless: frozenset = frozenset()

    def command(self, url: str, home: Path) -> list[str]:
        py = [sys.executable, "-S", "-E"]  # the shipped files alone, not the installed package
        if self.name.startswith("check"):
            return [*py, CONTRACT, "--server", url, "--no-client", "--timeout", "1",
                    "--deadline", "3"]  # fmt: skip
        if self.name == "self-check":
            (home / ".ai-client").mkdir(parents=True, exist_ok=True)
            (home / ".ai-client" / "env").write_text(ENV_FILE.format(url=url))
            shell = self_check.check_command(CONTRACT, url, client=True, deadline=2)
            return ["sh", "-c", shell.replace("python3 ", f"{sys.executable} -S -E ", 1)]
        if self.name == "converge pull":
            shell = models.pull_command(WARM, url, ["missing-good:1b", "missing-bad:1b"],
                                        pull_timeout=2)  # fmt: skip
            return ["sh", "-c", shell.replace("python3 ", f"{sys.executable} -S -E ", 1)]
        bad = "missing-bad:1b" if self.marker and self.marker[0] == "/api/pull" else "bad:1b"
        return [*py, WARM, "--server", url, "--timeout", "1", "--pull-timeout", "2",
                "good:1b", bad, "missing-good:1b"]  # fmt: skip


CLIENTS = (
    Client("check", None),
    Client("check, later request", ("/api/tags", "")),
    Client("self-check", None),
    # /api/show is asked only whether the model is there: an object of any shape says yes.
    Client(
        "warm, presence check",
        ("/api/show", "bad:1b"),
        ("good:1b", "missing-good:1b"),
        frozenset({"wrong types"}),
    ),
    Client("warm, pull", ("/api/pull", "bad:1b"), ("good:1b", "missing-good:1b")),
    Client("warm, load", ("/api/generate", "bad:1b"), ("good:1b", "missing-good:1b")),
    Client("converge pull", ("/api/pull", "bad:1b"), ("missing-good:1b",)),
)
CASES = [(client, behaviour) for client in CLIENTS for behaviour in BEHAVIOURS]


@dataclass
class Outcome:
    kind: str
    seconds: float
    code: int | None
    output: str

    def __str__(self) -> str:
        return f"{self.kind} after {self.seconds:.1f}s, exit {self.code}:\n{self.output[-3000:]}"


def run_case(client: Client, behaviour: str, home: Path, command=None) -> Outcome:
    """One case; ``command(url)`` can replace the client's own command line."""
    with HostileServer(behaviour, client.marker) as server:
        command = command(server.url) if command else client.command(server.url, home)
        env = {**os.environ, "HOME": str(home), "OLLAMA_API_BASE": "", "OLLAMA_HOST": ""}
        started = time.monotonic()
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=BOUND,
                                 env=env, cwd=home, errors="replace")  # fmt: skip
        except subprocess.TimeoutExpired as err:
            output = (err.stdout or b"").decode(errors="replace") if isinstance(
                err.stdout, bytes) else (err.stdout or "")  # fmt: skip
            return Outcome("hang", time.monotonic() - started, None, output)
        seconds = time.monotonic() - started
        hits = list(server.elsewhere_hits)
    output = run.stdout + run.stderr
    kind = classify(client, behaviour, run.returncode, output, hits)
    return Outcome(kind, seconds, run.returncode, output)


def classify(client: Client, behaviour: str, code: int, output: str, elsewhere: list) -> str:
    if elsewhere:
        return "unsafe"
    if "Traceback (most recent call last)" in output:
        return "crash"
    if "\x1b" in output:  # the server's terminal escapes reached the terminal
        return "wrong"
    if code == 0:
        return "safe" if behaviour in client.harmless else "wrong"
    if client.name.startswith("check") and "FAIL  " not in output:
        return "wrong"
    if client.name == "self-check" and '"ok": false' not in output:
        return "wrong"
    for model in client.good:
        if f"{model}: FAILED" in output:
            return "wrong"
    if client.good and f"{len(client.good)} " not in output.splitlines()[-1]:
        return "wrong"
    return "clean"


def run_cases(cases: list) -> list[Outcome]:
    """Run cases, PARALLEL at a time, each in a fresh home; outcomes in the same order."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(PARALLEL) as pool:
        homes = [Path(tmp) / str(i) for i in range(len(cases))]
        for home in homes:
            home.mkdir()
        return list(
            pool.map(lambda args: run_case(*args[0], args[1]), zip(cases, homes, strict=True))
        )


def tally() -> dict[str, dict[str, int]]:
    """Run every case; count the outcomes per client (for docs/reliability.md)."""
    counts = {c.name: dict.fromkeys(("tried", *OUTCOMES), 0) for c in CLIENTS}
    for (client, _behaviour), outcome in zip(CASES, run_cases(CASES), strict=True):
        counts[client.name]["tried"] += 1
        counts[client.name][outcome.kind] += 1
    return counts


def markdown(counts: dict[str, dict[str, int]]) -> str:
    head = ["client", "tried", *OUTCOMES]
    rows = [[name, *(str(row[k]) for k in head[1:])] for name, row in counts.items()]
    return "\n".join("| " + " | ".join(r) + " |" for r in [head, ["---"] * len(head), *rows])


if __name__ == "__main__":
    print(markdown(tally()))
