"""`remote-ollama warm` against the stand-in: pulls what is missing, loads each model,
and one failure does not stop the others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remote_ollama import warm
from remote_ollama.cli import main as cli_main

MODEL = "qwen2.5-coder:7b"


def loaded(standin) -> dict:
    return {m["name"]: m for m in standin.json("GET", "/api/ps")[1]["models"]}


def test_warms_a_present_model_without_pulling(served):
    pulls_before = len(served.requests("/api/pull"))  # the fixture's own pull
    results = warm.warm_models([MODEL], served.url, say=lambda _t: None)
    assert results[0] | {"seconds": 0} == {
        "model": MODEL,
        "ok": True,
        "pulled": False,
        "error": None,
        "seconds": 0,
    }
    assert len(served.requests("/api/pull")) == pulls_before
    generate = served.requests("/api/generate")[-1]["body"]
    assert generate == {"model": MODEL, "keep_alive": -1}  # no prompt; -1 as a number
    assert loaded(served)[MODEL]["expires_at"].startswith("2318")  # forever


def test_pulls_missing_models_then_loads_them(standin):
    results = warm.warm_models([MODEL, "llama3.2"], standin.url, say=lambda _t: None)
    assert [(r["model"], r["ok"], r["pulled"]) for r in results] == [
        (MODEL, True, True),
        ("llama3.2", True, True),
    ]
    assert [m["name"] for m in standin.json("GET", "/api/tags")[1]["models"]] == [
        "llama3.2:latest",
        MODEL,
    ]
    assert set(loaded(standin)) == {MODEL, "llama3.2:latest"}


def test_a_failed_pull_does_not_stop_the_others(standin, capsys):
    standin.faults(fail_pull={"broken:1b": "max retries exceeded"})
    code = cli_main(["warm", "--server", standin.url, MODEL, "broken:1b", "llama3.2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "[2/3] broken:1b: FAILED: pull failed: max retries exceeded" in out
    assert "[3/3] llama3.2: warm" in out
    assert out.splitlines()[-1] == "2 warmed, 1 failed: broken:1b"
    assert set(loaded(standin)) == {MODEL, "llama3.2:latest"}


def test_keep_alive_duration(served):
    warm.warm_models([MODEL], served.url, keep_alive="30m", say=lambda _t: None)
    assert served.requests("/api/generate")[-1]["body"]["keep_alive"] == "30m"
    assert not loaded(served)[MODEL]["expires_at"].startswith("2318")


def test_a_load_failure_is_reported(served, capsys):
    served.faults(http_500=["/api/generate"])
    assert cli_main(["warm", "--server", served.url, MODEL]) == 1
    assert "FAILED: HTTP 500 from /api/generate" in capsys.readouterr().out


def test_unreachable_server(capsys):
    assert (
        cli_main(["warm", "--server", "http://127.0.0.1:9", "--timeout", "3", "a:1b", "b:1b"]) == 1
    )
    out = capsys.readouterr().out
    assert "[1/2] a:1b: FAILED: no usable answer from http://127.0.0.1:9/api/show" in out
    assert out.splitlines()[-1] == "0 warmed, 2 failed: a:1b, b:1b"


def test_json_output(served, capsys):
    assert cli_main(["warm", "--server", served.url, "--json", MODEL]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ok"] is True


def test_bad_keep_alive_is_rejected_before_any_request(served, capsys):
    assert cli_main(["warm", "--server", served.url, "--keep-alive=forever", MODEL]) == 2
    assert "keep-alive 'forever'" in capsys.readouterr().err
    assert served.requests("/api/show") == []


@pytest.mark.parametrize(
    ("text", "value"), [("-1", -1), ("300", 300), ("0", 0), ("5m", "5m"), ("1h30m", "1h30m")]
)
def test_keep_alive_values(text, value):
    assert warm.keep_alive_value(text) == value


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:11434"),
        ({"OLLAMA_HOST": "100.64.0.1"}, "http://100.64.0.1:11434"),
        ({"OLLAMA_HOST": "0.0.0.0:11500"}, "http://127.0.0.1:11500"),
        ({"OLLAMA_HOST": ":11500"}, "http://127.0.0.1:11500"),
        (
            {"OLLAMA_HOST": "100.64.0.1", "OLLAMA_API_BASE": "http://ai-server:11434"},
            "http://ai-server:11434",
        ),
    ],
)
def test_default_server(monkeypatch, env, url):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert warm.default_server() == url


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        cli_main(["warm", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_warm_runs_as_a_standalone_file(standin, tmp_path):
    """Shipped as two files side by side: warm.py uses contract.py's HTTP client (-S: no
    site-packages, so not the installed package)."""
    alone = tmp_path / "warm.py"
    shutil.copy(Path(warm.__file__), alone)
    shutil.copy(Path(warm.__file__).with_name("contract.py"), tmp_path / "contract.py")
    run = subprocess.run(
        [sys.executable, "-S", "-E", str(alone), "--server", standin.url, MODEL],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"[1/1] {MODEL}: missing, pulling" in run.stdout
    assert MODEL in loaded(standin)


def test_standalone_warm_into_a_closed_pipe_ends_quietly(tmp_path):
    """`python3 warm.py ... | head -1` with the reader gone: the shipped pair's shared
    script ending (contract.exit_as_script) gives no traceback and SIGPIPE's exit code."""
    from tests.unit.test_check import CLOSED_PIPE

    shutil.copy(Path(warm.__file__), tmp_path / "warm.py")
    shutil.copy(Path(warm.__file__).with_name("contract.py"), tmp_path / "contract.py")
    command = [sys.executable, "-S", "-E", str(tmp_path / "warm.py"),
               "--server", "http://127.0.0.1:9", MODEL]  # fmt: skip
    run = subprocess.run([sys.executable, "-c", CLOSED_PIPE, *command],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    code, _, stderr = run.stdout.partition("\n")
    assert (code, stderr) == ("141", "")


# --- progress (issue 14, item 10) --------------------------------------------------------

GB = 10**9
DIGEST = "sha256:" + "a" * 64


def pull_lines(seconds: int, rate: int):
    """(time, line) for a pull of one 20 GB layer reported every second, as Ollama's stream
    does (status "pulling <digest[7:19]>", with digest, total and completed)."""
    yield 0.0, {"status": "pulling manifest"}
    for second in range(1, seconds + 1):
        yield float(second), {"status": f"pulling {DIGEST[7:19]}", "digest": DIGEST,
                              "total": 20 * GB, "completed": second * rate}  # fmt: skip
    yield float(seconds), {"status": "verifying sha256 digest"}


def feed(monkeypatch, tty: bool, seconds: int, rate: int):
    clock = [0.0]
    monkeypatch.setattr(warm.time, "monotonic", lambda: clock[0])
    said: list[tuple[str, str]] = []
    progress = warm.Progress(lambda text, end="\n": said.append((text, end)), tty)
    for at, line in pull_lines(seconds, rate):
        clock[0] = at
        progress.update(line)
    progress.finish()
    return said


def test_progress_off_a_terminal_is_a_line_every_30_seconds(monkeypatch):
    said = feed(monkeypatch, tty=False, seconds=95, rate=100 * 10**6)
    progress = [text for text, _ in said if "%" in text]
    assert progress == [
        "    3.0 GB of 20.0 GB (15%), 100.0 MB/s",
        "    6.0 GB of 20.0 GB (30%), 100.0 MB/s",
        "    9.0 GB of 20.0 GB (45%), 100.0 MB/s",
    ]
    assert said[0] == ("    pulling manifest", "\n")
    assert said[-1] == ("    verifying sha256 digest", "\n")  # each status once, no layer noise


def test_progress_on_a_terminal_is_one_line_rewritten_twice_a_second_at_most(monkeypatch):
    said = feed(monkeypatch, tty=True, seconds=5, rate=50 * 10**6)
    updates = [text for text, end in said if end == ""]
    assert len(updates) == 5  # once a second here, as the lines come; never faster than 2/s
    assert all(text.startswith("\r\x1b[K    ") for text in updates)
    assert updates[0] == "\r\x1b[K    50.0 MB of 20.0 GB (0%)"  # no rate from one point
    assert updates[-1] == "\r\x1b[K    250.0 MB of 20.0 GB (1%), 50.0 MB/s"
    # the line is ended before the next status is printed, and at the end
    status_at = said.index(("    verifying sha256 digest", "\n"))
    assert said[status_at - 1] == ("", "\n")


def test_a_resumed_pull_counts_only_new_bytes_in_its_rate(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(warm.time, "monotonic", lambda: clock[0])
    said = []
    progress = warm.Progress(lambda text, end="\n": said.append(text), tty=False)
    digest = "sha256:" + "c" * 64
    for at, done in ((0.0, 10 * GB), (30.0, 10 * GB + 300 * 10**6)):
        clock[0] = at
        progress.update({"status": "pulling cccc", "digest": digest, "total": 20 * GB,
                         "completed": done})  # fmt: skip
    assert said == ["    10.3 GB of 20.0 GB (51%), 10.0 MB/s"]


def test_layers_add_up():
    said = []
    progress = warm.Progress(lambda text, end="\n": said.append(text), tty=False, every=0)
    for digest, total, done in (("sha256:1", 4 * GB, GB), ("sha256:2", GB, GB // 2)):
        progress.update({"status": "pulling", "digest": digest, "total": total,
                         "completed": done})  # fmt: skip
    assert progress.totals() == (GB + GB // 2, 5 * GB)
    assert said[-1].startswith("    1.5 GB of 5.0 GB (30%)")


@pytest.mark.parametrize(
    "line",
    [
        {"status": "pulling x", "digest": "d", "total": "big", "completed": 1},
        {"status": "pulling x", "digest": "d", "total": 0, "completed": 1},
        {"status": "pulling x", "digest": 5, "total": 10, "completed": 1},
        {"status": "pulling x", "digest": "d", "total": True, "completed": 1},
        {"status": ["x"], "digest": "d", "total": 10, "completed": -4},
        {"status": "pulling x", "digest": "d", "total": 10, "completed": 10**30},
    ],
)
def test_progress_takes_lines_of_any_shape(line):
    said = []
    progress = warm.Progress(lambda text, end="\n": said.append(text), tty=False, every=0)
    progress.update(line)
    progress.update(line)
    assert all(isinstance(text, str) for text in said)


def test_the_cli_shows_the_progress_line_on_a_terminal_only(standin, capsys, monkeypatch):
    """Not a terminal (pytest's capture): status lines, no carriage returns."""
    assert cli_main(["warm", "--server", standin.url, MODEL]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out
    assert "    pulling manifest" in out
    assert f"[1/1] {MODEL}: missing, pulling" in out


def test_no_load_only_pulls(standin, capsys):
    assert cli_main(["warm", "--server", standin.url, "--no-load", MODEL]) == 0
    assert standin.requests("/api/generate") == []
    assert capsys.readouterr().out.splitlines()[-1] == "1 ready, 0 failed"


def test_a_run_deadline_ends_the_whole_command(capsys):
    """Three models on a server that trickles: each request would take --timeout (5 s);
    --deadline 2 ends the run, the models left failing with the reason."""
    from tests.hostile.server import HostileServer

    with HostileServer("slow trickle") as server:
        started = time.monotonic()
        code = cli_main(["warm", "--server", server.url, "--timeout", "5", "--deadline", "2",
                         "a:1b", "b:1b", "c:1b"])  # fmt: skip
        took = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 1 and took < 4.5
    assert "[1/3] a:1b: FAILED: presence check: no complete answer within 2s" in out
    assert "[3/3] c:1b: FAILED: not started: the run's deadline (2s) has passed" in out
    assert out.splitlines()[-1] == "0 warmed, 3 failed: a:1b, b:1b, c:1b"


def test_timeouts_and_deadline_must_be_positive_seconds(capsys):
    """warm reads its durations with contract.seconds, as `check` does."""
    for bad in (["--timeout", "0"], ["--pull-timeout", "-1"], ["--deadline", "nan"]):
        with pytest.raises(SystemExit):
            cli_main(["warm", MODEL, *bad])
        assert "is not a number of seconds above 0" in capsys.readouterr().err
