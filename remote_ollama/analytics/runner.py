"""Run ``claude -p`` in a loop, saving each iteration's stream-json as it arrives.

Ctrl-C stops the loop cleanly: the running claude is terminated, what it printed so far
stays in its iteration file, the iteration is marked ``interrupted`` in ``run.json``,
and ``summary.md`` is still written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from remote_ollama.analytics.live import live_header, live_row
from remote_ollama.analytics.run_metrics import build_report
from remote_ollama.analytics.rundir import (
    RUNNING,
    SUMMARY_FILE,
    iteration_file,
    load_run,
    new_run_dir,
    stderr_file,
    write_meta,
)
from remote_ollama.analytics.summary import render_summary
from remote_ollama.analytics.tables import plural

# How long claude gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE_S = 5.0
# How long to wait after SIGKILL for the pipe to close and the exit status.
KILL_GRACE_S = 2.0
EXIT_INTERRUPTED = 130


@dataclass
class LoopPlan:
    """Everything one ``analytics run`` needs; built by the CLI."""

    mode: str
    backend: str
    prompt: str
    iterations: int
    out_dir: Path
    claude_bin: str = "claude"
    extra_args: list[str] = field(default_factory=list)
    env_overrides: dict[str, str] = field(default_factory=dict)
    goal: str | None = None
    prompt_file: str | None = None
    model: str | None = None
    base_url: str | None = None
    max_context: int | None = None
    max_context_source: str | None = None


@dataclass
class IterationOutcome:
    exit_code: int | None
    wall_time_s: float
    interrupted: bool


def claude_command(claude_bin: str, prompt: str, extra_args: list[str]) -> list[str]:
    """The command line of one iteration."""
    return [claude_bin, "-p", prompt, "--output-format", "stream-json", "--verbose", *extra_args]


def run_iteration(
    command: list[str], env: Mapping[str, str], out_path: Path, err_path: Path
) -> IterationOutcome:
    """Run one claude, copying its stdout line by line into ``out_path``."""
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        # Own session and process group: the terminal's Ctrl-C reaches only us, and we stop
        # claude and its children ourselves (see _stop).
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=err, env=dict(env), start_new_session=True
        )
        try:
            for line in process.stdout:
                out.write(line)
                out.flush()
            exit_code = process.wait()
            interrupted = False
        except KeyboardInterrupt:
            exit_code = _stop(process, out)
            interrupted = True
    if err_path.stat().st_size == 0:
        err_path.unlink()
    return IterationOutcome(exit_code, time.monotonic() - started, interrupted)


def _stop(process: subprocess.Popen, out) -> int | None:
    """Stop claude and everything it started, keep what it still prints, return its exit code.

    claude leads its own process group (``start_new_session``), so its children (tools,
    background subagents) get the signal too. Each wait is bounded: SIGTERM, then after
    TERMINATE_GRACE_S SIGKILL, then after KILL_GRACE_S we stop reading. A second Ctrl-C
    skips the grace period.
    """
    _signal_group(process, signal.SIGTERM)
    try:
        rest, _ = process.communicate(timeout=TERMINATE_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        _signal_group(process, signal.SIGKILL)
        try:
            rest, _ = process.communicate(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            # Something outside the group still holds claude's stdout open: give up on it.
            rest = b""
            # Under a gevent-patched subprocess (a host program's) its reader still holds it.
            with contextlib.suppress(RuntimeError):
                process.stdout.close()
    if rest:
        out.write(rest)
    try:
        return process.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        return None


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass  # already gone, with all of its group
    except PermissionError:
        # The group has no process of ours left (the leader exited): signal the child.
        if process.poll() is None:
            process.send_signal(signum)


def run_loop(
    plan: LoopPlan,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
    iteration_runner: Callable[..., IterationOutcome] = run_iteration,
) -> tuple[Path, int]:
    """Run up to ``plan.iterations`` iterations; returns the run directory and exit code."""
    stream = stream or sys.stdout
    env = {**(os.environ if environ is None else environ), **plan.env_overrides}
    run_dir = new_run_dir(plan.out_dir)
    command = claude_command(plan.claude_bin, plan.prompt, plan.extra_args)
    meta = _initial_meta(plan, command)
    write_meta(run_dir, meta)
    print(f"Run directory: {run_dir}", file=stream)
    if plan.max_context is not None:
        print(f"Context window: {plan.max_context:,} tokens (from {plan.max_context_source})",
              file=stream)
    print(live_header(), file=stream, flush=True)
    try:
        stopped = _iterate(plan, command, env, run_dir, meta, stream, iteration_runner)
    except KeyboardInterrupt:  # between iterations, e.g. while a row was printed
        stopped = "interrupted by Ctrl-C between iterations"
    exit_code = EXIT_INTERRUPTED if stopped.startswith("interrupted") else 0
    meta["stopped"] = stopped
    meta["finished_at"] = _now()
    write_meta(run_dir, meta)
    summary = render_summary(build_report(load_run(run_dir)))
    (run_dir / SUMMARY_FILE).write_text(summary, encoding="utf-8")
    print(f"\n{meta['stopped']}. Summary: {run_dir / SUMMARY_FILE}", file=stream)
    return run_dir, exit_code


def _iterate(plan, command, env, run_dir, meta, stream, iteration_runner) -> str:
    """Run the iterations; returns how the loop stopped."""
    for number in range(1, plan.iterations + 1):
        outcome = iteration_runner(
            command, env, run_dir / iteration_file(number), run_dir / stderr_file(number)
        )
        meta["iterations"].append({
            "number": number,
            "file": iteration_file(number),
            "wall_time_s": round(outcome.wall_time_s, 3),
            "exit_code": outcome.exit_code,
            "interrupted": outcome.interrupted,
        })
        write_meta(run_dir, meta)
        report = build_report(load_run(run_dir))
        print(live_row(report.iterations[-1]), file=stream, flush=True)
        if outcome.interrupted:
            return f"interrupted by Ctrl-C during iteration {number}"
    return f"completed {plural(plan.iterations, 'iteration')}"


def _initial_meta(plan: LoopPlan, command: list[str]) -> dict:
    return {
        "mode": plan.mode,
        "backend": plan.backend,
        "model": plan.model,
        "base_url": plan.base_url,
        "max_context": plan.max_context,
        "max_context_source": plan.max_context_source,
        "goal": plan.goal,
        "prompt_file": plan.prompt_file or f"(packaged {plan.mode} prompt)",
        "iterations_requested": plan.iterations,
        # The prompt is saved once here, not repeated in the command.
        "prompt": plan.prompt,
        "command": [*command[:2], "<prompt>", *command[3:]],
        "env_overrides": sorted(plan.env_overrides),
        "started_at": _now(),
        "finished_at": None,
        "stopped": RUNNING,
        "iterations": [],
    }


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
