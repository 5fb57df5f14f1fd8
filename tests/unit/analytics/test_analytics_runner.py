"""run_loop with a fake claude: files written, live rows, Ctrl-C keeps what was measured."""

import contextlib
import io
import json
import os
import signal
import sys
import time

import pytest
from analytics_support import TOOLS_AND_CACHE, make_fake_claude, table

from remote_ollama.analytics import runner
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
    assert meta["stopped"] == "completed 2 iterations"
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
    # the summary measured both copies: twice iteration 1's modelUsage
    summary = (run_dir / "summary.md").read_text()
    assert table(summary, "Tokens")["Total"][:4] == ["19,038", "7,000", "30,800", "1,360"]


def test_failing_claude_is_recorded_and_the_loop_goes_on(tmp_path, monkeypatch):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    claude, _ = make_fake_claude(tmp_path, monkeypatch, empty, exit_code=3)
    run_dir, code = run_loop(plan_for(tmp_path, claude), stream=io.StringIO())
    assert code == 0
    summary = (run_dir / "summary.md").read_text()
    assert "- iteration 2: claude exited with code 3 (its stderr is in iteration-2.stderr)" in summary


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


STUBBORN_CLAUDE = '''#!{python}
"""A claude that started children: one in its process group, one that left it."""
import os, signal, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
escaped = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True,
)  # holds claude's stdout open, out of claude's group
with open(os.environ["PIDS_FILE"], "w") as pids:
    pids.write(f"{{grandchild.pid}} {{escaped.pid}}")
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print('{{"type":"system","subtype":"init"}}', flush=True)
time.sleep(0.3)
os.kill(os.getppid(), signal.SIGINT)  # the user's Ctrl-C reaches only the runner
time.sleep(60)
'''


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")  # a zombie is dead
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("ignore_term", [False, True])
def test_ctrl_c_stops_the_whole_process_group_within_a_bound(
    tmp_path, monkeypatch, ignore_term,
):
    monkeypatch.setattr(runner, "TERMINATE_GRACE_S", 1.0)
    monkeypatch.setattr(runner, "KILL_GRACE_S", 1.0)
    script = tmp_path / "stubborn-claude"
    script.write_text(STUBBORN_CLAUDE.format(python=sys.executable))
    script.chmod(0o755)
    pids_file = tmp_path / "pids"
    env = {**os.environ, "PIDS_FILE": str(pids_file), "IGNORE_TERM": "1" if ignore_term else ""}
    started = time.monotonic()
    outcome = runner.run_iteration(
        [str(script)], env, tmp_path / "iteration-1.json", tmp_path / "iteration-1.stderr",
    )
    elapsed = time.monotonic() - started
    grandchild, escaped = (int(pid) for pid in pids_file.read_text().split())
    try:
        assert outcome.interrupted
        # SIGTERM, then SIGKILL after 1 s, then 1 s more for the pipe the escaped child
        # holds: bounded, not the 60 s the children sleep.
        assert elapsed < 6
        expected = -signal.SIGKILL if ignore_term else -signal.SIGTERM
        assert outcome.exit_code == expected
        deadline = time.monotonic() + 5
        while not _gone(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(grandchild), "claude's child survived the stop"
        assert (tmp_path / "iteration-1.json").read_text() == '{"type":"system","subtype":"init"}\n'
    finally:
        for pid in (grandchild, escaped):  # ours: started by this test's script
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
