"""run_loop with a fake claude: files written, live rows, Ctrl-C keeps what was measured."""

import io
import json
import signal
import time

from analytics_support import TOOLS_AND_CACHE, make_fake_claude, table

from remote_ollama.analytics.runner import EXIT_INTERRUPTED, LoopPlan, claude_command, run_loop


def plan_for(tmp_path, claude, iterations=2, **extra):
    return LoopPlan(
        mode="build", backend="cloud", prompt="Do the thing.", iterations=iterations,
        out_dir=tmp_path / "analytics", claude_bin=str(claude), **extra,
    )


def test_claude_command():
    assert claude_command("claude", "P", ["--max-turns", "3"]) == [
        "claude", "-p", "P", "--output-format", "stream-json", "--verbose", "--max-turns", "3",
    ]


def test_loop_saves_iterations_meta_and_summary(tmp_path, monkeypatch):
    claude, log = make_fake_claude(tmp_path, monkeypatch, TOOLS_AND_CACHE / "iteration-1.json")
    out = io.StringIO()
    run_dir, code = run_loop(plan_for(tmp_path, claude, env_overrides={"ANTHROPIC_MODEL": "m"}),
                             stream=out)
    assert code == 0
    assert run_dir.parent == tmp_path / "analytics" and run_dir.name.startswith("run-")
    original = (TOOLS_AND_CACHE / "iteration-1.json").read_bytes()
    for number in (1, 2):
        assert (run_dir / f"iteration-{number}.json").read_bytes() == original
        assert (run_dir / f"iteration-{number}.stderr").read_text() == "fake claude stderr\n"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["stopped"] == "completed 2 iteration(s)"
    assert meta["prompt"] == "Do the thing."
    assert [(i["number"], i["exit_code"], i["interrupted"]) for i in meta["iterations"]] == [
        (1, 0, False), (2, 0, False),
    ]
    assert all(i["wall_time_s"] > 0 for i in meta["iterations"])
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[0]["argv"] == ["-p", "Do the thing.", "--output-format", "stream-json", "--verbose"]
    assert calls[0]["env"]["ANTHROPIC_MODEL"] == "m"
    printed = out.getvalue().splitlines()
    assert printed[0] == f"Run directory: {run_dir}"
    assert printed[1].startswith("iter  Read")
    # live rows: iteration number, then Read..other of iteration 1's top level = 1 each
    assert printed[2].split()[:10] == ["1"] * 10
    assert printed[3].split()[:10] == ["2"] + ["1"] * 9
    # the summary measured both copies: 12000 + 12000 cache read tokens
    summary = (run_dir / "summary.md").read_text()
    assert table(summary, "Tokens")["Total"][:4] == ["2,400", "6,000", "24,000", "1,600"]


def test_failing_claude_is_recorded_and_the_loop_goes_on(tmp_path, monkeypatch):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    claude, _ = make_fake_claude(tmp_path, monkeypatch, empty, exit_code=3)
    run_dir, code = run_loop(plan_for(tmp_path, claude), stream=io.StringIO())
    assert code == 0
    summary = (run_dir / "summary.md").read_text()
    assert "- iteration 2: claude exited with code 3 (stderr: fake claude stderr)" in summary


def test_ctrl_c_stops_cleanly_and_keeps_the_partial_iteration(tmp_path, monkeypatch):
    partial = tmp_path / "partial.json"
    lines = (TOOLS_AND_CACHE / "iteration-1.json").read_text().splitlines(keepends=True)[:4]
    partial.write_text("".join(lines))
    # The fake claude prints 4 lines, sends SIGINT to the runner, then sleeps 30 s.
    claude, _ = make_fake_claude(tmp_path, monkeypatch, partial, sleep=30, ctrl_c=True)
    started = time.monotonic()
    run_dir, code = run_loop(plan_for(tmp_path, claude, iterations=3), stream=io.StringIO())
    assert time.monotonic() - started < 15  # did not wait for the 30 s sleep
    assert code == EXIT_INTERRUPTED
    assert (run_dir / "iteration-1.json").read_text() == partial.read_text()
    assert not (run_dir / "iteration-2.json").exists()
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["stopped"] == "interrupted by Ctrl-C during iteration 1"
    assert meta["iterations"][0]["interrupted"] is True
    assert meta["iterations"][0]["exit_code"] == -signal.SIGTERM
    summary = (run_dir / "summary.md").read_text()
    # the 4 recorded lines hold msg_1 with TodoWrite and Read
    assert table(summary, "Tool calls per iteration (top level)")["1"][-1] == "2"
    assert "- iteration 1: stopped by Ctrl-C" in summary
