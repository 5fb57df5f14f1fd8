"""How long `remote-ollama` takes to start: wall time of short commands, median of N runs.

    .venv/bin/python bench/cli_startup.py [--runs 20] [--command=--help ...]

Each run is a fresh process (`python -m remote_ollama.cli ARGS`, output discarded), so
the figure includes the interpreter's own start (printed as the baseline `python -c
pass`). The result goes to docs/analytics.md by hand; it is a benchmark, not a test,
because the machine's load decides the absolute figure.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time

DEFAULT_COMMANDS = ("--help", "analytics --help", "analytics report --help", "check --help", "acl --help")


def time_command(argv: list[str], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--command", action="append", help="arguments after remote-ollama")
    args = parser.parse_args()
    rows = [("python -c pass (baseline)", time_command([sys.executable, "-c", "pass"], args.runs))]
    for command in args.command or DEFAULT_COMMANDS:
        argv = [sys.executable, "-m", "remote_ollama.cli", *shlex.split(command)]
        rows.append((f"remote-ollama {command}", time_command(argv, args.runs)))
    print(f"| command | median (s) | min (s) | max (s) |  ({args.runs} runs each)")
    print("| --- | ---: | ---: | ---: |")
    for label, timings in rows:
        print(f"| `{label}` | {statistics.median(timings):.3f} | {min(timings):.3f} | {max(timings):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
