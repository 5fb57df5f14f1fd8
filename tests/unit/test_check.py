"""`remote-ollama check` against the stand-in: every fault makes the right check fail,
with what was expected, what came back and what to try."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from remote_ollama import contract
from remote_ollama.cli import main as cli_main

CONTRACT_FILE = Path(contract.__file__)
MODEL = "qwen2.5-coder:7b"
GOOD_ENV = """# Managed by remote-ollama; changes are overwritten on the next converge.
export OLLAMA_API_BASE=http://ai-server:11434
export OPENAI_API_BASE=http://ai-server:11434/v1
export OPENAI_API_KEY=ollama
export AIDER_MODEL=ollama_chat/qwen2.5-coder:7b
export LITELLM_LOCAL_MODEL_COST_MAP=True
"""
BLOCK = """# >>> remote-ollama env >>>
[ -f "$HOME/.ai-client/env" ] && . "$HOME/.ai-client/env"
# <<< remote-ollama env <<<
"""


def run(standin, **kwargs):
    kwargs.setdefault("client", False)
    return contract.run_checks(standin.url, timeout=10, **kwargs)


def by_name(report) -> dict:
    return {c["name"]: c for c in report["checks"]}


def statuses(report, group=None) -> dict:
    return {c["name"]: c["status"] for c in report["checks"] if group in (None, c["group"])}


def failed(report) -> dict:
    return {c["name"]: c for c in report["checks"] if c["status"] == "fail"}


# --- a healthy server --------------------------------------------------------------------


def test_a_healthy_server_passes_every_server_check(served):
    report = run(served)
    assert report["summary"] == {"passed": 12, "failed": 0, "skipped": 0}
    assert report["ok"] is True
    assert (report["model"], report["version"]) == (MODEL, "0.14.2")
    assert [c["group"] for c in report["checks"]] == ["native"] * 2 + ["openai"] * 6 + [
        "anthropic"
    ] * 4


def test_cli_output_progress_summary_and_exit_code(served, capsys):
    assert cli_main(["check", "--server", served.url, "--no-client"]) == 0
    out = capsys.readouterr().out
    assert "[ 1/12] pass  server version is at least 0.14.0" in out
    assert "[12/12] pass" in out
    assert out.splitlines()[-1] == "12 passed, 0 failed, 0 skipped"
    for group in ("native", "openai", "anthropic"):
        assert group in out.splitlines()


def test_json_output(served, capsys):
    cli_main(["check", "--server", served.url, "--no-client", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["passed"] == 12
    assert "exchanges" not in report["checks"][0]


def test_verbose_shows_request_and_response_bodies(served, capsys):
    cli_main(["check", "--server", served.url, "--no-client", "--verbose"])
    out = capsys.readouterr().out
    assert f"> POST {served.url}/v1/messages" in out
    assert '"max_tokens": 64' in out
    assert "< 200 " in out


def test_model_option_picks_the_model(served):
    served.pull("llama3.2")
    assert run(served, model="llama3.2")["model"] == "llama3.2"
    assert (
        served.requests("/v1/messages")[-1]["body"]["model"]
        == "remote-ollama-check-no-such-model:0"
    )
    assert served.requests("/v1/chat/completions")[-1]["body"]["model"] == "llama3.2"


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        cli_main(["check", "--help"])
    assert "examples:" in capsys.readouterr().out


# --- server problems ---------------------------------------------------------------------


def test_unreachable_server_fails_once_and_skips_the_rest(capsys):
    assert (
        cli_main(["check", "--server", "http://127.0.0.1:9", "--no-client", "--timeout", "3"]) == 1
    )
    out = capsys.readouterr().out
    assert "FAIL  server version is at least 0.14.0" in out
    assert "try:      Is Ollama running" in out
    assert out.splitlines()[-1] == "0 passed, 1 failed, 11 skipped"


def test_no_models_fails_and_skips_model_checks(standin):
    report = run(standin)
    problem = failed(report)["at least one model is present"]
    assert problem["got"] == "no models"
    assert "remote-ollama warm" in problem["hint"]
    assert set(statuses(report, "openai").values()) == {"skip"}


def test_a_model_that_is_not_present(served):
    problem = failed(run(served, model="llama3.2"))["at least one model is present"]
    assert "llama3.2" in problem["expected"]
    assert MODEL in problem["got"]


def test_old_version_fails_and_skips_anthropic_saying_why(served):
    served.faults(version="0.13.5")
    report = run(served)
    assert failed(report)["server version is at least 0.14.0"]["got"] == "0.13.5"
    anthropic = [c for c in report["checks"] if c["group"] == "anthropic"]
    assert {c["status"] for c in anthropic} == {"skip"}
    assert "0.13.5" in anthropic[0]["detail"]
    assert "0.14.0" in anthropic[0]["detail"]
    assert statuses(report, "openai") == dict.fromkeys(statuses(report, "openai"), "pass")


def test_skip_anthropic(served, capsys):
    assert cli_main(["check", "--server", served.url, "--no-client", "--skip-anthropic"]) == 0
    out = capsys.readouterr().out
    assert "skip  /v1/messages streaming event order: --skip-anthropic given" in out
    assert out.splitlines()[-1] == "8 passed, 0 failed, 4 skipped"


@pytest.mark.parametrize(
    ("faults", "check", "expected_words"),
    [
        ({"http_500": ["/v1/models"]}, "GET /v1/models lists the model", "HTTP 500"),
        ({"omit_fields": {"/v1/chat/completions": ["usage"]}}, "chat completion", "missing: usage"),
        ({"drop_done_marker": True}, "chat completion, streaming", "last line"),
        (
            {"ignore_include_usage": True},
            "streaming with stream_options.include_usage",
            "usage: none",
        ),
        ({"json_mode_text": True}, "JSON mode (response_format json_object)", "Hello from"),
        (
            {"omit_fields": {"/v1/messages": ["stop_reason"]}},
            "/v1/messages has the required fields",
            "missing stop_reason",
        ),
        (
            {"messages_stream_events": ["message_start", "content_block_delta", "message_stop"]},
            "/v1/messages streaming event order",
            "expected content_block_start",
        ),
        (
            {
                "messages_stream_events": [
                    "message_start",
                    "content_block_start",
                    "content_block_delta",
                    "message_delta",
                    "content_block_stop",
                    "message_stop",
                ]
            },
            "/v1/messages streaming event order",
            "event 8 is message_delta",
        ),
        (
            {"accept_unknown_models": True},
            "/v1/messages unknown model gives not_found_error",
            "HTTP 200",
        ),
    ],
)
def test_each_fault_fails_the_right_check(served, faults, check, expected_words):
    served.faults(**faults)
    report = run(served)
    problems = failed(report)
    assert check in problems
    assert expected_words in problems[check]["got"]
    assert problems[check]["expected"]
    assert report["ok"] is False
    if check != "/v1/messages has the required fields":  # the system check shares that fault
        assert set(problems) == {check}


def test_failure_output_has_expected_got_and_try(served, capsys):
    served.faults(drop_done_marker=True)
    assert cli_main(["check", "--server", served.url, "--no-client"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  chat completion, streaming" in out
    assert "expected: the stream to end with `data: [DONE]`" in out
    assert "try:      OpenAI clients wait for [DONE]" in out
    assert out.splitlines()[-1] == "11 passed, 1 failed, 0 skipped"


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
            ],
            None,
        ),
        (
            [
                "message_start",
                "content_block_start",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
            ],
            None,
        ),
        (["message_start", "message_delta", "message_stop"], "event 2 is message_delta"),
        (
            ["message_start", "content_block_start", "content_block_delta"],
            "ended before message_stop",
        ),
        ([], "ended before message_stop"),
    ],
)
def test_event_order_grammar(names, problem):
    found = contract.event_order_problem(names)
    assert found == problem if problem is None else problem in found


# --- client checks -----------------------------------------------------------------------


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "clienthome"
    (home / ".ai-client").mkdir(parents=True)
    (home / ".ai-client" / "env").write_text(GOOD_ENV)
    (home / ".zshrc").write_text("export PATH=$PATH\n" + BLOCK)
    return home


def client_run(served, home):
    report = contract.run_checks(served.url, home=home, timeout=10)
    return report, {c["name"]: c for c in report["checks"] if c["group"] == "client"}


def test_client_checks_run_when_the_env_file_exists(served, home):
    report, client = client_run(served, home)
    assert report["client"] is True
    assert {c["status"] for c in client.values()} == {"pass"}
    assert report["summary"] == {"passed": 18, "failed": 0, "skipped": 0}


def test_client_checks_are_off_without_the_env_file(served, tmp_path):
    report = contract.run_checks(served.url, home=tmp_path, timeout=10)
    assert report["client"] is False
    assert len(report["checks"]) == 12


def test_client_flag_without_env_file_fails_and_skips(served, tmp_path):
    report = contract.run_checks(served.url, home=tmp_path, client=True, timeout=10)
    client = {c["name"]: c for c in report["checks"] if c["group"] == "client"}
    assert client["~/.ai-client/env has exactly the contract's lines"]["got"] == "no such file"
    assert client["OLLAMA_API_BASE is the server URL without /v1"]["status"] == "skip"
    assert client["profile block is present exactly once"]["status"] == "fail"


@pytest.mark.parametrize(
    ("old", "new", "check", "got_words"),
    [
        (
            "export OLLAMA_API_BASE=http://ai-server:11434\n",
            "export OLLAMA_API_BASE=http://ai-server:11434/v1\n",
            "OLLAMA_API_BASE is the server URL without /v1",
            "/v1",
        ),
        (
            "/v1\nexport OPENAI_API_KEY",
            "\nexport OPENAI_API_KEY",
            "OPENAI_API_BASE is OLLAMA_API_BASE + /v1",
            "OPENAI_API_BASE=http://ai-server:11434",
        ),
        (
            "OPENAI_API_KEY=ollama",
            "OPENAI_API_KEY=sk-123",
            "OPENAI_API_KEY and LITELLM_LOCAL_MODEL_COST_MAP",
            "sk-123",
        ),
        (
            "export LITELLM_LOCAL_MODEL_COST_MAP=True\n",
            "",
            "~/.ai-client/env has exactly the contract's lines",
            "keys are",
        ),
        (
            "export OPENAI_API_KEY=ollama\n",
            "export OPENAI_API_KEY=ollama\nexport EXTRA=1\n",
            "~/.ai-client/env has exactly the contract's lines",
            "keys are",
        ),
        (
            "# Managed",
            "# Edited",
            "~/.ai-client/env has exactly the contract's lines",
            "first line",
        ),
        (
            "ollama_chat/qwen2.5-coder:7b",
            "ollama/qwen2.5-coder:7b",
            "AIDER_MODEL uses ollama_chat/ and a served model",
            "AIDER_MODEL=ollama/",
        ),
        (
            "ollama_chat/qwen2.5-coder:7b",
            "ollama_chat/llama3.2",
            "AIDER_MODEL uses ollama_chat/ and a served model",
            MODEL,
        ),
    ],
)
def test_client_env_drift_fails_the_right_check(served, home, old, new, check, got_words):
    env = home / ".ai-client" / "env"
    assert old in env.read_text()
    env.write_text(env.read_text().replace(old, new))
    _report, client = client_run(served, home)
    assert client[check]["status"] == "fail", client[check]
    assert got_words in client[check]["got"]
    assert client[check]["hint"]


def test_aider_model_is_optional(served, home):
    env = home / ".ai-client" / "env"
    env.write_text(env.read_text().replace("export AIDER_MODEL=ollama_chat/qwen2.5-coder:7b\n", ""))
    _report, client = client_run(served, home)
    assert client["AIDER_MODEL uses ollama_chat/ and a served model"]["status"] == "skip"
    assert client["~/.ai-client/env has exactly the contract's lines"]["status"] == "pass"


@pytest.mark.parametrize(
    ("zshrc", "bashrc", "got_words"),
    [
        ("", None, "no block"),
        (BLOCK + BLOCK, None, "2 start"),
        (BLOCK, BLOCK, "~/.bashrc"),
        ("# >>> remote-ollama env >>>\n", None, "0 end"),
        (
            "# >>> remote-ollama env >>>\necho hi\n# <<< remote-ollama env <<<\n",
            None,
            "not sourcing",
        ),
    ],
)
def test_profile_block_problems(served, home, zshrc, bashrc, got_words):
    (home / ".zshrc").write_text(zshrc)
    if bashrc is not None:
        (home / ".bashrc").write_text(bashrc)
    _report, client = client_run(served, home)
    check = client["profile block is present exactly once"]
    assert check["status"] == "fail"
    assert got_words in check["got"]


def test_profile_block_in_a_profile_with_bytes_that_are_not_utf8(served, home):
    """The user's profile is any bytes (CRLF, \\x1e, Latin-1, no final newline): the check
    still finds the block, with no traceback."""
    (home / ".zshrc").write_bytes(b"# caf\xe9\r\nA=1\x1e\n" + BLOCK.encode() + b"# \xff")
    _report, client = client_run(served, home)
    assert client["profile block is present exactly once"]["status"] == "pass"


def test_profile_block_in_bashrc_only(served, home):
    (home / ".zshrc").unlink()
    (home / ".bashrc").write_text(BLOCK)
    _report, client = client_run(served, home)
    assert client["profile block is present exactly once"]["detail"] == "once, in ~/.bashrc"


# --- server URL --------------------------------------------------------------------------


def test_server_url_defaults(monkeypatch, home, tmp_path):
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    assert contract.resolve_server(None, tmp_path, False) == "http://127.0.0.1:11434"
    assert contract.resolve_server(None, home, True) == "http://ai-server:11434"
    monkeypatch.setenv("OLLAMA_API_BASE", "http://10.1.1.1:11434/")
    assert contract.resolve_server(None, home, True) == "http://10.1.1.1:11434"
    assert contract.resolve_server("ai-server:11434/v1", home, True) == "http://ai-server:11434"


# --- standalone file ---------------------------------------------------------------------


def test_contract_runs_as_a_standalone_file(served, tmp_path):
    """The deploys ship contract.py alone: it must not import the package or third parties."""
    alone = tmp_path / "contract.py"
    shutil.copy(CONTRACT_FILE, alone)
    run = subprocess.run(
        [sys.executable, "-I", str(alone), "--server", served.url, "--no-client"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "12 passed, 0 failed, 0 skipped"


def runs(*command) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    except OSError:
        return False


def test_contract_runs_on_python_3_9(served, tmp_path):
    """macOS's /usr/bin/python3 is 3.9."""
    candidates = ["/usr/bin/python3.9", "/root/.pyenv/versions/3.9.18/bin/python3", "python3.9"]
    python39 = next((c for c in candidates if runs(c, "--version")), None)
    if not python39:
        pytest.skip("no Python 3.9 here")
    run = subprocess.run(
        [python39, "-I", str(CONTRACT_FILE), "--server", served.url, "--no-client"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
