"""`remote-ollama analytics run|report|compare`: measure Claude Code loops.

Handlers turn arguments into calls of the pure modules and return an exit code:
0 done, 1 the chart could not be drawn, 2 bad arguments or a run that does not exist,
130 a run stopped by Ctrl-C (its measurements are kept).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from remote_ollama.analytics.backend import (
    ALIAS_FILE,
    CLIENT_ENV_FILE,
    CONTEXT_VAR,
    DEFAULT_CONTEXT_TOKENS,
    BackendError,
    claude_ollama_env,
    resolve_context_window,
    resolve_ollama_backend,
)
from remote_ollama.analytics.compare import render_compare
from remote_ollama.analytics.prompt_text import MODES, load_prompt
from remote_ollama.analytics.run_metrics import RunReport, build_report
from remote_ollama.analytics.rundir import MAX_ITERATION, SUMMARY_FILE, load_run
from remote_ollama.analytics.summary import render_summary

DEFAULT_OUT = "analytics"

RUN_EPILOG = """\
examples:
  # three planning iterations against the Anthropic cloud (your normal claude login)
  remote-ollama analytics run --mode plan --iterations 3 --goal "add a --json flag to check"

  # the same loop on the local server, as the claude-ollama alias would run it
  # (server and model default to OLLAMA_API_BASE and AIDER_MODEL from ~/.ai-client/env,
  # the context window to the alias's CLAUDE_CODE_MAX_CONTEXT_TOKENS)
  remote-ollama analytics run --mode plan --iterations 3 --backend ollama

  # or with everything given
  remote-ollama analytics run --mode plan --iterations 3 --backend ollama \\
      --server http://ai-server:11434 --model qwen3-coder:30b --max-context 65536

  # build mode needs permission to edit; run it in a disposable checkout
  remote-ollama analytics run --mode build --iterations 5 --permission-mode acceptEdits

Each iteration's raw stream-json goes to <out>/run-<timestamp>/iteration-N.json; a row
per iteration is printed as it finishes; summary.md is written at the end, also after
Ctrl-C (exit code 130)."""

REPORT_EPILOG = """\
examples:
  remote-ollama analytics report analytics/run-20250101-120000
  remote-ollama analytics report run-20250101-120000 --markdown > summary.md
  remote-ollama analytics report analytics/run-20250101-120000 --write"""

COMPARE_EPILOG = """\
examples:
  # cloud against Ollama, each metric per iteration with B - A and the change
  remote-ollama analytics compare analytics/run-cloud analytics/run-ollama
  remote-ollama analytics compare run-20250101-120000 run-20250102-090000 --png compare.png

--png needs matplotlib: pip install 'remote-ollama[plot]'."""


def register(subparsers) -> None:
    """Add `analytics` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "analytics",
        help="measure Claude Code loops (cloud vs local Ollama)",
        description="Run Claude Code in a loop and measure tool calls, tokens, cache hit"
        " rate and time, to decide with data whether the work can move to Ollama.",
        epilog="examples:\n  remote-ollama analytics run --mode plan --iterations 3\n"
        "  remote-ollama analytics report analytics/run-20250101-120000\n"
        "  remote-ollama analytics compare analytics/run-A analytics/run-B --png ab.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=lambda _args: (parser.print_help(), 2)[1])
    commands = parser.add_subparsers(dest="analytics_command", metavar="SUBCOMMAND")
    _register_run(commands)
    _register_report(commands)
    _register_compare(commands)


def _register_run(commands) -> None:
    parser = commands.add_parser(
        "run",
        help="run `claude -p` in a loop and measure each iteration",
        description="Run `claude -p <prompt> --output-format stream-json --verbose` up to N"
        " times with the plan or build prompt, saving and measuring every iteration.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", choices=MODES, required=True, help="which prompt to run")
    parser.add_argument("--iterations", type=_iteration_count, required=True, metavar="N",
                        help=f"run at most N iterations (1 to {MAX_ITERATION})")
    parser.add_argument("--goal", metavar="TEXT", help="put in place of {{GOAL}} in the prompt")
    parser.add_argument("--backend", choices=("cloud", "ollama"), default="cloud",
                        help="cloud = claude as configured; ollama = the claude-ollama env"
                        " (default: cloud)")
    parser.add_argument("--prompt", type=Path, metavar="FILE",
                        help="prompt file instead of the packaged one for --mode")
    parser.add_argument("--server", metavar="URL",
                        help="Ollama server, e.g. http://ai-server:11434 (default:"
                        f" $OLLAMA_API_BASE, else the one in ~/{CLIENT_ENV_FILE})")
    parser.add_argument("--model", help="model for --backend ollama (default: $AIDER_MODEL,"
                        f" else the one in ~/{CLIENT_ENV_FILE}, without its ollama_chat/ prefix)")
    parser.add_argument("--small-model", metavar="MODEL",
                        help="model for Claude Code's background (Haiku) slot; default --model")
    parser.add_argument("--max-context", type=_positive_int, metavar="TOKENS",
                        help=f"server context window, sent as {CONTEXT_VAR} (default: as the"
                        f" alias: ${CONTEXT_VAR}, else the value in ~/{ALIAS_FILE}, else"
                        f" {DEFAULT_CONTEXT_TOKENS})")
    parser.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                        help=f"where run directories go (default: ./{DEFAULT_OUT})")
    parser.add_argument("--claude-bin", default=os.environ.get("CLAUDE_BIN", "claude"),
                        metavar="PATH", help="claude executable (default: $CLAUDE_BIN or claude)")
    parser.add_argument("--permission-mode", metavar="MODE",
                        help="passed to claude, e.g. acceptEdits or bypassPermissions")
    parser.add_argument("--claude-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for claude (repeatable), e.g. --claude-arg=--max-turns=30")
    parser.set_defaults(func=run_command)


def _register_report(commands) -> None:
    parser = commands.add_parser(
        "report",
        help="print a run's summary again from its saved files",
        description="Re-measure a run from its iteration files and run.json and print the"
        " summary (the same content as summary.md).",
        epilog=REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="run directory (or its name under ./analytics)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown, as in summary.md")
    parser.add_argument("--write", action="store_true", help="also rewrite the run's summary.md")
    parser.set_defaults(func=report_command)


def _register_compare(commands) -> None:
    parser = commands.add_parser(
        "compare",
        help="put two runs side by side, with differences",
        description="Compare two runs metric by metric (per iteration), e.g. cloud against"
        " Ollama or plan against build.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", metavar="RUN_A", help="first run (A)")
    parser.add_argument("run_b", metavar="RUN_B", help="second run (B); differences are B - A")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--png", type=Path, metavar="FILE",
                        help="also draw the main metrics as a bar chart (needs matplotlib)")
    parser.set_defaults(func=compare_command)


def run_command(args) -> int:
    """`analytics run`."""
    from remote_ollama.analytics.runner import EXIT_INTERRUPTED, LoopPlan, run_loop

    try:
        prompt = load_prompt(args.mode, args.prompt, args.goal)
    except OSError as exc:
        return _fail(f"cannot read prompt file: {exc}")
    if shutil.which(args.claude_bin) is None:
        return _fail(f"claude not found: {args.claude_bin!r} (install Claude Code or pass --claude-bin)")
    plan = LoopPlan(
        mode=args.mode, backend=args.backend, prompt=prompt, iterations=args.iterations,
        out_dir=args.out, claude_bin=args.claude_bin, goal=args.goal,
        prompt_file=str(args.prompt) if args.prompt else None,
        extra_args=_claude_args(args),
    )
    if args.backend == "ollama":
        home = Path.home()
        try:
            base_url, model = resolve_ollama_backend(args.server, args.model, os.environ, home)
            window = resolve_context_window(args.max_context, os.environ, home)
        except BackendError as exc:
            return _fail(str(exc))
        plan.base_url, plan.model = base_url, model
        plan.max_context, plan.max_context_source = window.tokens, window.source
        plan.env_overrides = claude_ollama_env(base_url, model, args.small_model, window.tokens)
    try:
        _, exit_code = run_loop(plan)
    except KeyboardInterrupt:  # a second Ctrl-C while the summary was being written
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code


def report_command(args) -> int:
    """`analytics report RUN`."""
    report = _load(args.run)
    if report is None:
        return 2
    if args.write:
        (report.path / SUMMARY_FILE).write_text(render_summary(report), encoding="utf-8")
    print(render_summary(report, markdown=args.markdown), end="")
    return 0


def compare_command(args) -> int:
    """`analytics compare RUN_A RUN_B`."""
    a, b = _load(args.run_a), _load(args.run_b)
    if a is None or b is None:
        return 2
    print(render_compare(a, b, markdown=args.markdown), end="")
    if args.png:
        from remote_ollama.analytics.plot import PlotUnavailable, write_png

        try:
            write_png(a, b, args.png)
        except PlotUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"Chart written to {args.png}")
    return 0


def resolve_run_dir(run: str, out_dir: Path = Path(DEFAULT_OUT)) -> Path:
    """RUN as given if it is a directory, else the run of that name under ``out_dir``."""
    path = Path(run)
    if not path.is_dir() and (out_dir / run).is_dir():
        return out_dir / run
    return path


def _load(run: str) -> RunReport | None:
    path = resolve_run_dir(run)
    if not path.is_dir():
        _fail(f"no run directory {run!r} (nor {Path(DEFAULT_OUT) / run})")
        return None
    return build_report(load_run(path))


def _claude_args(args) -> list[str]:
    extra = list(args.claude_arg)
    if args.permission_mode:
        extra = ["--permission-mode", args.permission_mode, *extra]
    return extra


def _positive_int(value: str) -> int:
    if not value.strip().isdigit() or len(value.strip()) > 9:
        raise argparse.ArgumentTypeError(f"not a whole number from 1 to 999999999: {value!r}")
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _iteration_count(value: str) -> int:
    number = _positive_int(value)
    if number > MAX_ITERATION:
        raise argparse.ArgumentTypeError(f"at most {MAX_ITERATION}, got {number}")
    return number


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
