"""A whole run's numbers: each iteration measured, then totals, averages and problems.

Averages divide by the number of *measured* iterations (those whose file exists),
including ones cut short, which are flagged rather than left out. Ratios for the run
(cache hit rate, shallow:deep) are computed from the totals, i.e. weighted by volume,
not averaged over iterations.
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from remote_ollama.analytics.metrics import (
    IterationMetrics,
    TokenUsage,
    measure_iteration,
)
from remote_ollama.analytics.rundir import LoadedIteration, LoadedRun, iteration_file
from remote_ollama.analytics.stream import BadLine, parse_stream
from remote_ollama.analytics.tables import plural

# How many bad line numbers a problem lists before "...".
MAX_LISTED = 10


@dataclass
class IterationReport:
    """One iteration: its metrics (None if its file is missing) and what went wrong."""

    number: int
    metrics: IterationMetrics | None
    bad_lines: list[BadLine] = field(default_factory=list)
    wall_time_s: float | None = None
    wall_time_source: str = "measured"
    exit_code: int | None = None
    interrupted: bool = False
    stderr_file: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.metrics is not None


@dataclass
class RunReport:
    """Everything the summary, the report and the comparison print."""

    name: str
    meta: dict
    iterations: list[IterationReport]
    problems: list[str]
    path: Path | None = None

    @property
    def measured(self) -> list[IterationReport]:
        return [it for it in self.iterations if it.measured]

    @property
    def measured_count(self) -> int:
        return len(self.measured)

    def total_tools(self, subagent: bool = False) -> Counter:
        """Tool calls summed over iterations, top-level or inside subagents."""
        total: Counter = Counter()
        for it in self.measured:
            total += it.metrics.subagent_tools if subagent else it.metrics.top_level_tools
        return total

    @property
    def total_tokens(self) -> TokenUsage:
        return sum((it.metrics.tokens for it in self.measured), TokenUsage())

    @property
    def total_spawns(self) -> int:
        return sum(it.metrics.subagent_spawns for it in self.measured)

    @property
    def total_shallow(self) -> int:
        return sum(it.metrics.shallow for it in self.measured)

    @property
    def total_deep(self) -> int:
        return sum(it.metrics.deep for it in self.measured)

    @property
    def total_wall_time_s(self) -> float | None:
        times = [it.wall_time_s for it in self.measured if it.wall_time_s is not None]
        return sum(times) if times else None

    @property
    def peak_context(self) -> int:
        return max((it.metrics.peak_context for it in self.measured), default=0)

    @property
    def bad_line_count(self) -> int:
        return sum(len(it.bad_lines) for it in self.iterations)

    @property
    def missing_result_count(self) -> int:
        return sum(1 for it in self.measured if not it.metrics.has_result)

    @property
    def incomplete_tokens_count(self) -> int:
        """Measured iterations whose token figures are only a lower bound."""
        return sum(1 for it in self.measured if not it.metrics.tokens_complete)

    @property
    def tokens_complete(self) -> bool:
        return self.incomplete_tokens_count == 0

    @property
    def missing_file_count(self) -> int:
        return sum(1 for it in self.iterations if not it.measured)

    def average(self, total: float | None) -> float | None:
        """``total`` per measured iteration (None when nothing was measured)."""
        if total is None or not self.measured_count:
            return None
        return total / self.measured_count

    @property
    def all_problems(self) -> list[str]:
        """Run-level problems, then each iteration's, prefixed with its number."""
        found = list(self.problems)
        for it in self.iterations:
            found.extend(f"iteration {it.number}: {problem}" for problem in it.problems)
        return found


def build_report(run: LoadedRun) -> RunReport:
    """Measure every iteration of a loaded run."""
    iterations = [_report_iteration(loaded) for loaded in run.iterations]
    return RunReport(
        name=run.path.name,
        meta=run.meta,
        iterations=iterations,
        problems=list(run.problems),
        path=run.path,
    )


def _report_iteration(loaded: LoadedIteration) -> IterationReport:
    report = IterationReport(
        number=loaded.number,
        metrics=None,
        wall_time_s=loaded.wall_time_s,
        exit_code=loaded.exit_code,
        interrupted=loaded.interrupted,
        stderr_file=loaded.stderr_file,
    )
    if loaded.text is None:
        report.problems.append(f"{iteration_file(loaded.number)} missing, not measured")
        return report
    parsed = parse_stream(loaded.text)
    metrics = measure_iteration(parsed.events)
    report.metrics = metrics
    report.bad_lines = parsed.bad_lines
    if report.wall_time_s is None and metrics.duration_ms is not None:
        report.wall_time_s = metrics.duration_ms / 1000
        report.wall_time_source = "result duration_ms"
    elif report.wall_time_s is None:
        report.wall_time_source = "unknown"
    report.problems.extend(_iteration_problems(report, metrics))
    return report


def _iteration_problems(report: IterationReport, metrics: IterationMetrics) -> list[str]:
    problems = []
    if report.interrupted:
        problems.append("stopped by Ctrl-C")
    if report.bad_lines:
        numbers = [str(bad.number) for bad in report.bad_lines]
        shown = ", ".join(numbers[:MAX_LISTED]) + (", ..." if len(numbers) > MAX_LISTED else "")
        reasons = sorted({bad.reason for bad in report.bad_lines})
        problems.append(
            f"{plural(len(numbers), 'malformed line')} skipped"
            f" ({'line' if len(numbers) == 1 else 'lines'} {shown}: {'; '.join(reasons[:3])})"
        )
    if not metrics.tokens_complete:
        problems.append(f"tokens incomplete, the figures are a lower bound: {metrics.tokens_gap}")
    if metrics.result_is_error:
        problems.append(f"result is an error ({metrics.result_subtype or 'no subtype'})")
    if report.exit_code not in (None, 0) and not report.interrupted:
        # Not claude's first stderr line: that is often a harmless warning.
        exited = f"claude exited with {describe_exit(report.exit_code)}"
        if report.stderr_file:
            exited += f" (its stderr is in {report.stderr_file})"
        problems.append(exited)
    return problems


def describe_exit(code: int) -> str:
    """``code 1``, or the signal for a negative code (Popen) or 128+N (a shell's way)."""
    number = -code if code < 0 else code - 128 if 128 < code < 160 else None
    if number is None:
        return f"code {code}"
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"code {code} ({name})"
