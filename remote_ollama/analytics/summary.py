"""Render a run's report: per-iteration tables, totals, averages, findings, problems.

The same function renders ``summary.md`` (Markdown) and the terminal report (text).
"""

from __future__ import annotations

from collections import Counter

from remote_ollama.analytics.findings import findings
from remote_ollama.analytics.metrics import TOOL_COLUMNS, tool_column
from remote_ollama.analytics.run_metrics import IterationReport, RunReport
from remote_ollama.analytics.tables import (
    DASH,
    fmt_count,
    fmt_pct,
    fmt_ratio,
    fmt_seconds,
    format_table,
)

TOOL_HEADERS = ("Iteration", *TOOL_COLUMNS, "other", "total")
TOKEN_HEADERS = (
    "Iteration", "input", "cache creation", "cache read", "output", "cache hit rate",
    "peak context",
)
DEPTH_HEADERS = (
    "Iteration", "shallow (Read+Grep+Glob)", "deep (Edit+Write)", "shallow:deep",
    "wall time (s)", "result",
)
META_FIELDS = (
    ("mode", "Mode"), ("backend", "Backend"), ("model", "Model"), ("goal", "Goal"),
    ("prompt_file", "Prompt file"), ("started_at", "Started"), ("finished_at", "Finished"),
    ("stopped", "Stopped"),
)


def render_summary(report: RunReport, markdown: bool = True) -> str:
    """The whole report as Markdown (``summary.md``) or plain text (terminal)."""
    heading = "#" if markdown else ""
    parts = [
        _title(f"Claude Code loop analytics: {report.name}", heading, level=1),
        _run_info(report),
        _title("Tool calls per iteration (top level)", heading),
        _tool_table(report, subagent=False, markdown=markdown),
        _other_tools_line(report.total_tools(subagent=False)),
        _title("Tool calls inside subagents", heading),
        _tool_table(report, subagent=True, markdown=markdown),
        _other_tools_line(report.total_tools(subagent=True)),
        _title("Tokens", heading),
        _token_table(report, markdown),
        _title("Depth and time", heading),
        _depth_table(report, markdown),
        _title("Findings", heading),
        "\n".join(f"- {line}" for line in findings(report)),
        _title("Problems", heading),
        "\n".join(f"- {problem}" for problem in report.all_problems) or "None found.",
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def tool_cells(tools: Counter) -> list[str]:
    """Counts in TOOL_COLUMNS order, then "other", then the total."""
    grouped = group_tools(tools)
    return [fmt_count(grouped[c]) for c in (*TOOL_COLUMNS, "other")] + [
        fmt_count(sum(tools.values()))
    ]


def group_tools(tools: Counter) -> Counter:
    """Fold tool names into the table's columns."""
    grouped: Counter = Counter()
    for name, count in tools.items():
        grouped[tool_column(name)] += count
    return grouped


def _title(text: str, heading: str, level: int = 2) -> str:
    if heading:
        return "#" * level + " " + text
    return text + "\n" + ("=" if level == 1 else "-") * len(text)


def _run_info(report: RunReport) -> str:
    lines = [
        f"- {label}: {report.meta[key]}"
        for key, label in META_FIELDS
        if report.meta.get(key) not in (None, "")
    ]
    requested = report.meta.get("iterations_requested")
    measured = f"{report.measured_count} measured of {len(report.iterations)} recorded"
    if isinstance(requested, int):
        measured += f", {requested} requested"
    lines.append(f"- Iterations: {measured}")
    return "\n".join(lines)


def _tool_table(report: RunReport, subagent: bool, markdown: bool) -> str:
    rows = []
    for it in report.iterations:
        if it.metrics is None:
            rows.append([str(it.number)] + [DASH] * (len(TOOL_HEADERS) - 1))
            continue
        tools = it.metrics.subagent_tools if subagent else it.metrics.top_level_tools
        rows.append([str(it.number), *tool_cells(tools)])
    total = report.total_tools(subagent=subagent)
    grouped = group_tools(total)
    rows.append(["Total", *tool_cells(total)])
    average_cells = [
        fmt_count(report.average(grouped[c])) for c in (*TOOL_COLUMNS, "other")
    ] + [fmt_count(report.average(sum(total.values())))]
    rows.append(["Average", *average_cells])
    return format_table(TOOL_HEADERS, rows, markdown)


def _other_tools_line(tools: Counter) -> str:
    others = sorted((n, c) for n, c in tools.items() if tool_column(n) == "other")
    if not others:
        return ""
    return "Other tools: " + ", ".join(f"{name} {count}" for name, count in others) + "."


def _token_table(report: RunReport, markdown: bool) -> str:
    rows = []
    for it in report.iterations:
        if it.metrics is None:
            rows.append([str(it.number)] + [DASH] * (len(TOKEN_HEADERS) - 1))
            continue
        t = it.metrics.tokens
        label = str(it.number) + ("*" if it.metrics.tokens_source != "result" else "")
        rows.append([
            label, fmt_count(t.input), fmt_count(t.cache_creation), fmt_count(t.cache_read),
            fmt_count(t.output), fmt_pct(t.cache_hit_rate), fmt_count(it.metrics.peak_context),
        ])
    t = report.total_tokens
    rows.append([
        "Total", fmt_count(t.input), fmt_count(t.cache_creation), fmt_count(t.cache_read),
        fmt_count(t.output), fmt_pct(t.cache_hit_rate), fmt_count(report.peak_context),
    ])
    rows.append([
        "Average", *(fmt_count(report.average(v)) for v in
                     (t.input, t.cache_creation, t.cache_read, t.output)), DASH, DASH,
    ])
    table = format_table(TOKEN_HEADERS, rows, markdown)
    note = (
        "Cache hit rate = cache read / (cache creation + cache read); the Total row is"
        " weighted by tokens. Peak context = largest single request (input + cache)."
    )
    if any(it.metrics and it.metrics.tokens_source != "result" for it in report.iterations):
        note += " * no result event: tokens estimated from assistant messages, or none."
    return table + "\n\n" + note


def _depth_table(report: RunReport, markdown: bool) -> str:
    rows = []
    for it in report.iterations:
        if it.metrics is None:
            rows.append([str(it.number), DASH, DASH, DASH, fmt_seconds(it.wall_time_s), "missing"])
            continue
        m = it.metrics
        rows.append([
            str(it.number), fmt_count(m.shallow), fmt_count(m.deep),
            fmt_ratio(m.shallow, m.deep), fmt_seconds(it.wall_time_s), _result_cell(it),
        ])
    shallow, deep = report.total_shallow, report.total_deep
    rows.append([
        "Total", fmt_count(shallow), fmt_count(deep), fmt_ratio(shallow, deep),
        fmt_seconds(report.total_wall_time_s), "",
    ])
    rows.append([
        "Average", fmt_count(report.average(shallow)), fmt_count(report.average(deep)), DASH,
        fmt_seconds(report.average(report.total_wall_time_s)), "",
    ])
    return format_table(DEPTH_HEADERS, rows, markdown) + (
        "\n\nShallow and deep count calls at the top level and inside subagents."
    )


def _result_cell(it: IterationReport) -> str:
    m = it.metrics
    if it.interrupted:
        return "interrupted"
    if not m.has_result:
        return "no result"
    return m.result_subtype or ("error" if m.result_is_error else "ok")
