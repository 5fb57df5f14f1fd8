"""`remote-ollama analytics ...` through the real top-level parser."""

import json
import shutil
import sys

import pytest
from analytics_support import FIXTURES, RECORDED, TOOLS_AND_CACHE, make_fake_claude

from remote_ollama.cli import main

GOLDEN = FIXTURES.parents[1] / "golden" / "client"


@pytest.mark.parametrize("command", [[], ["run"], ["report"], ["compare"]])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analytics", *command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n" in out
    assert "  remote-ollama analytics" in out.split("examples:\n", 1)[1]


def test_bare_analytics_prints_help(capsys):
    assert main(["analytics"]) == 2
    assert "SUBCOMMAND" in capsys.readouterr().out


def test_run_ollama_backend_from_client_env(tmp_path, monkeypatch, capsys):
    claude, log = make_fake_claude(tmp_path, monkeypatch, RECORDED / "iteration-1.json")
    monkeypatch.setenv("OLLAMA_API_BASE", "http://127.0.0.1:9/")
    monkeypatch.setenv("AIDER_MODEL", "ollama_chat/qwen3-coder:30b")
    code = main([
        "analytics", "run", "--mode", "plan", "--iterations", "1", "--goal", "count things",
        "--backend", "ollama", "--max-context", "32768", "--claude-bin", str(claude),
        "--out", str(tmp_path / "out"), "--permission-mode", "plan", "--claude-arg=--max-turns=5",
    ])
    assert code == 0
    call = json.loads(log.read_text())
    assert call["argv"][0] == "-p" and "Goal: count things" in call["argv"][1]
    assert call["argv"][2:] == [
        "--output-format", "stream-json", "--verbose", "--permission-mode", "plan", "--max-turns=5",
    ]
    env = call["env"]
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert env["ANTHROPIC_AUTH_TOKEN"] == "ollama" and env["ANTHROPIC_API_KEY"] == ""
    assert env["CLAUDE_CODE_SUBAGENT_MODEL"] == "qwen3-coder:30b"
    assert env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "32768"
    (run_dir,) = (tmp_path / "out").iterdir()
    meta = json.loads((run_dir / "run.json").read_text())
    assert (meta["backend"], meta["model"], meta["base_url"]) == (
        "ollama", "qwen3-coder:30b", "http://127.0.0.1:9",
    )
    assert "Summary:" in capsys.readouterr().out


def test_run_ollama_backend_reads_the_client_files_like_the_alias(tmp_path, monkeypatch, capsys):
    """No flags and a shell that never sourced ~/.ai-client/env: server, model and
    context window come from the files the client deploy wrote, as for claude-ollama."""
    claude, log = make_fake_claude(tmp_path, monkeypatch, RECORDED / "iteration-1.json")
    home = tmp_path / "home"
    (home / ".ai-client").mkdir(parents=True)
    (home / ".ai-client" / "env").write_text((GOLDEN / "env").read_text())
    alias = (GOLDEN / "claude-ollama.sh").read_text().replace("=65536", "=32768")
    (home / ".ai-client" / "claude-ollama.sh").write_text(alias)
    monkeypatch.setenv("HOME", str(home))
    for name in ("OLLAMA_API_BASE", "AIDER_MODEL", "CLAUDE_CODE_MAX_CONTEXT_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    code = main(["analytics", "run", "--mode", "plan", "--iterations", "1", "--backend", "ollama",
                 "--claude-bin", str(claude), "--out", str(tmp_path / "out")])
    assert code == 0
    env = json.loads(log.read_text())["env"]
    assert env["ANTHROPIC_BASE_URL"] == "http://ai-server:11434"
    assert env["ANTHROPIC_MODEL"] == "qwen2.5-coder:7b"
    assert env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "32768"
    (run_dir,) = (tmp_path / "out").iterdir()
    meta = json.loads((run_dir / "run.json").read_text())
    assert (meta["max_context"], meta["max_context_source"]) == (
        32768, "~/.ai-client/claude-ollama.sh",
    )
    assert "Context window: 32,768 tokens (from ~/.ai-client/claude-ollama.sh)" in (
        capsys.readouterr().out
    )


def test_run_ollama_backend_sets_a_context_window_even_without_client_files(
    tmp_path, monkeypatch,
):
    claude, log = make_fake_claude(tmp_path, monkeypatch, RECORDED / "iteration-1.json")
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    monkeypatch.delenv("CLAUDE_CODE_MAX_CONTEXT_TOKENS", raising=False)
    assert main(["analytics", "run", "--mode", "plan", "--iterations", "1", "--backend", "ollama",
                 "--server", "http://127.0.0.1:9", "--model", "m", "--claude-bin", str(claude),
                 "--out", str(tmp_path / "out")]) == 0
    assert json.loads(log.read_text())["env"]["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "65536"


def test_run_refuses_without_claude_or_server(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    base = ["analytics", "run", "--mode", "plan", "--iterations", "1", "--out", str(tmp_path)]
    assert main([*base, "--claude-bin", str(tmp_path / "no-claude")]) == 2
    assert "claude not found" in capsys.readouterr().err
    assert main([*base, "--claude-bin", sys.executable, "--backend", "ollama"]) == 2
    assert "OLLAMA_API_BASE" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing was started


def test_iterations_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["analytics", "run", "--mode", "plan", "--iterations", "0"])
    assert "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["10001", "99999999999", "9" * 5000, "-3", "x"])
def test_absurd_iteration_counts_are_refused_cleanly(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analytics", "run", "--mode", "plan", "--iterations", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--iterations" in err and "Traceback" not in err


def test_report_prints_and_rewrites_summary(tmp_path, capsys):
    run_dir = tmp_path / "run-x"
    shutil.copytree(TOOLS_AND_CACHE, run_dir)
    assert main(["analytics", "report", str(run_dir), "--write", "--markdown"]) == 0
    printed = capsys.readouterr().out
    assert printed == (run_dir / "summary.md").read_text()
    assert "| Total | 10,019 | 4,500 | 24,400 | 980 | 84.4% | 5,500 |" in printed


def test_report_finds_run_by_name_under_analytics(tmp_path, monkeypatch, capsys):
    shutil.copytree(RECORDED, tmp_path / "analytics" / "run-standin-plan")
    monkeypatch.chdir(tmp_path)
    assert main(["analytics", "report", "run-standin-plan"]) == 0
    assert "Claude Code loop analytics: run-standin-plan" in capsys.readouterr().out


def test_report_of_missing_run(tmp_path, capsys):
    assert main(["analytics", "report", str(tmp_path / "nope")]) == 2
    assert "no run directory" in capsys.readouterr().err


def test_compare_with_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "c.png"
    assert main(["analytics", "compare", str(TOOLS_AND_CACHE), str(RECORDED), "--png", str(png)]) == 0
    assert f"Chart written to {png}" in capsys.readouterr().out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_compare_png_without_matplotlib(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = main(["analytics", "compare", str(TOOLS_AND_CACHE), str(RECORDED),
                 "--png", str(tmp_path / "c.png")])
    assert code == 1
    captured = capsys.readouterr()
    assert "input tokens / iteration" in captured.out  # the table still printed
    assert "optional extra `plot`" in captured.err
