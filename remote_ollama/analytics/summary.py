"""Render a run's report: per-iteration tables, totals, averages, findings, problems.

The same function renders ``summary.md`` (Markdown) and the terminal report (text).
"""

from __future__ import annotations

from collections import Counter

from remote_ollama.analytics.findings import findings
from remote_ollama.analytics.metrics import (
    TOKENS_MESSAGES,
    TOKENS_MODEL_USAGE,
    TOKENS_NONE,
    TOKENS_RESULTS,
    TOOL_COLUMNS,
    tool_column,
)
from remote_ollama.analytics.run_metrics import IterationReport, RunReport
from remote_ollama.analytics.tables import (
    DASH,
    fmt_count,
    fmt_pct,
    fmt_ratio,
    fmt_seconds,
    format_table,
    plural,
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
# How each token source is named under the token table (see metrics.count_tokens).
TOKEN_SOURCE_TEXT = {
    TOKENS_MODEL_USAGE: "Claude Code's modelUsage, the session's total incl. subagents",
    TOKENS_RESULTS: "the result events plus the subagents' requests (no modelUsage)",
    TOKENS_MESSAGES: "the requests seen in the stream (no result event)",
    TOKENS_NONE: "no counts in the stream",
}
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
        f"- {label}: {_one_line(report.meta[key])}"
        for key, label in META_FIELDS
        if report.meta.get(key) not in (None, "")
    ]
    requested = report.meta.get("iterations_requested")
    measured = f"{report.measured_count} measured of {len(report.iterations)} recorded"
    if isinstance(requested, int) and not isinstance(requested, bool):
        measured += f", {requested} requested"
    lines.append(f"- Iterations: {measured}")
    return "\n".join(lines)


def _one_line(value: object, limit: int = 200) -> str:
    """A run.json value on one line, shortened: the file may have been edited by hand."""
    if not isinstance(value, (str, int, float)):
        return f"(not a text or number in run.json: a JSON {type(value).__name__})"
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        label = str(it.number) + ("" if it.metrics.tokens_complete else "*")
        rows.append([
            label, fmt_count(t.input), fmt_count(t.cache_creation), fmt_count(t.cache_read),
            fmt_count(t.output), fmt_pct(t.cache_hit_rate), fmt_count(it.metrics.peak_context),
        ])
    t = report.total_tokens
    mark = "" if report.tokens_complete else "*"
    rows.append([
        "Total" + mark, fmt_count(t.input), fmt_count(t.cache_creation), fmt_count(t.cache_read),
        fmt_count(t.output), fmt_pct(t.cache_hit_rate), fmt_count(report.peak_context),
    ])
    rows.append([
        "Average" + mark, *(fmt_count(report.average(v)) for v in
                            (t.input, t.cache_creation, t.cache_read, t.output)), DASH, DASH,
    ])
    table = format_table(TOKEN_HEADERS, rows, markdown)
    notes = [
        f"Tokens: {_token_sources(report)}.",
        "Cache hit rate = cache read / (cache creation + cache read); the Total row is"
        " weighted by tokens. Peak context = largest single request (input + cache).",
    ]
    if not report.tokens_complete:
        notes.append(
            "* incomplete: the stream does not tell the whole count, so the figure is a"
            " lower bound (the reason is under Problems)."
        )
    return table + "\n\n" + " ".join(notes)


def _token_sources(report: RunReport) -> str:
    sources = Counter(it.metrics.tokens_source for it in report.measured)
    described = [
        f"{TOKEN_SOURCE_TEXT.get(source, source)} ({_iterations(count)})"
        for source, count in sorted(sources.items())
    ]
    return "; ".join(described) or "none measured"


def _iterations(count: int) -> str:
    return plural(count, "iteration")


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
