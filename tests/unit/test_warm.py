"""`remote-ollama warm` against the stand-in: pulls what is missing, loads each model,
and one failure does not stop the others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
