"""Two runs side by side: every metric per iteration, with B - A and the change in %.

Runs rarely have the same number of iterations, so counts and tokens are compared as
averages per measured iteration; rates are compared as rates (difference in
percentage points).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from remote_ollama.analytics.metrics import TOOL_COLUMNS
from remote_ollama.analytics.run_metrics import RunReport
from remote_ollama.analytics.summary import group_tools
from remote_ollama.analytics.tables import (
    DASH,
    fmt_count,
    fmt_pct,
    fmt_seconds,
    fmt_signed,
    format_table,
)

COUNT, PERCENT, SECONDS = "count", "percent", "seconds"


@dataclass(frozen=True)
class CompareRow:
    """One metric of both runs; ``kind`` decides how values and differences print."""

    label: str
    a: float | None
    b: float | None
    kind: str = COUNT

    @property
    def difference(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def change(self) -> float | None:
        """Relative change (b - a) / a; None when a is 0 or unknown or a rate."""
        if self.kind == PERCENT or not self.a or self.difference is None:
            return None
        return self.difference / self.a


def compare_rows(a: RunReport, b: RunReport) -> list[CompareRow]:
    """The comparison's metrics, in display order."""
    metrics: list[tuple[str, Callable[[RunReport], float | None], str]] = [
        ("iterations measured", lambda r: r.measured_count, COUNT),
    ]
    for column in (*TOOL_COLUMNS, "other"):
        metrics.append((f"{column} calls / iteration", _tool_average(column), COUNT))
    metrics += [
        ("subagent tool calls / iteration",
         lambda r: r.average(sum(r.total_tools(subagent=True).values())), COUNT),
        ("input tokens / iteration", lambda r: r.average(r.total_tokens.input), COUNT),
        ("cache creation tokens / iteration",
         lambda r: r.average(r.total_tokens.cache_creation), COUNT),
        ("cache read tokens / iteration", lambda r: r.average(r.total_tokens.cache_read), COUNT),
        ("output tokens / iteration", lambda r: r.average(r.total_tokens.output), COUNT),
        ("cache hit rate", lambda r: r.total_tokens.cache_hit_rate, PERCENT),
        ("shallow ops / iteration", lambda r: r.average(r.total_shallow), COUNT),
        ("deep ops / iteration", lambda r: r.average(r.total_deep), COUNT),
        ("peak context (tokens)", lambda r: r.peak_context if r.measured_count else None, COUNT),
        ("wall time / iteration (s)", lambda r: r.average(r.total_wall_time_s), SECONDS),
        ("malformed lines", lambda r: r.bad_line_count, COUNT),
        ("iterations without result", lambda r: r.missing_result_count, COUNT),
        ("iterations with incomplete tokens", lambda r: r.incomplete_tokens_count, COUNT),
        ("missing iteration files", lambda r: r.missing_file_count, COUNT),
    ]
    return [CompareRow(label, get(a), get(b), kind) for label, get, kind in metrics]


def render_compare(a: RunReport, b: RunReport, markdown: bool = False) -> str:
    """The comparison table, headed by each run's name, mode and backend."""
    headers = ("metric", f"A: {a.name}", f"B: {b.name}", "B - A", "change")
    rows = [
        [row.label, _value(row.a, row.kind), _value(row.b, row.kind), _difference(row),
         _change(row.change)]
        for row in compare_rows(a, b)
    ]
    lines = [f"A = {_describe(a)}", f"B = {_describe(b)}", "", format_table(headers, rows, markdown)]
    problems = [f"A: {p}" for p in a.all_problems] + [f"B: {p}" for p in b.all_problems]
    if problems:
        lines += ["", "Problems:", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


def _change(change: float | None) -> str:
    if change is None:
        return DASH
    return "0%" if round(change * 100) == 0 else f"{change * 100:+.0f}%"


def _tool_average(column: str) -> Callable[[RunReport], float | None]:
    return lambda r: r.average(group_tools(r.total_tools())[column])


def _value(value: float | None, kind: str) -> str:
    if kind == PERCENT:
        return fmt_pct(value)
    if kind == SECONDS:
        return fmt_seconds(value)
    return fmt_count(value)


def _difference(row: CompareRow) -> str:
    diff = row.difference
    if row.kind == PERCENT:
        return fmt_signed(None if diff is None else round(diff * 100, 1), " pp")
    if row.kind == SECONDS:
        return DASH if diff is None else f"{diff:+.1f}"
    return fmt_signed(diff)


def _describe(report: RunReport) -> str:
    details = [f"{key} {report.meta[key]}" for key in ("mode", "backend", "model")
               if report.meta.get(key)]
    return report.name + (f" ({', '.join(details)})" if details else "")
