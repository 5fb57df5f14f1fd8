"""The live table printed while a run goes: a header once, then one row per iteration."""

from __future__ import annotations

from remote_ollama.analytics.run_metrics import IterationReport
from remote_ollama.analytics.summary import group_tools
from remote_ollama.analytics.tables import DASH, fmt_pct, fmt_seconds

# (header, width, tool column it shows or None)
TOOL_CELLS = (
    ("Read", 5, "Read"), ("Bash", 5, "Bash"), ("Edit", 5, "Edit"), ("Write", 5, "Write"),
    ("Grep", 5, "Grep"), ("Glob", 5, "Glob"), ("Task", 5, "Task"), ("Todo", 5, "TodoWrite"),
    ("other", 5, "other"),
)
OTHER_CELLS = (
    ("sub", 5), ("input", 9), ("c.create", 9), ("c.read", 10), ("output", 8), ("hit", 7),
    ("shal/deep", 9), ("wall s", 7),
)


def live_header() -> str:
    """Column names; ``sub`` = tool calls inside subagents, ``hit`` = cache hit rate."""
    cells = ["iter".ljust(4)]
    cells += [name.rjust(width) for name, width, _ in TOOL_CELLS]
    cells += [name.rjust(width) for name, width in OTHER_CELLS]
    return " ".join(cells) + "  note"


def live_row(it: IterationReport) -> str:
    """One iteration's row, with a note when something went wrong."""
    cells = [str(it.number).ljust(4)]
    m = it.metrics
    if m is None:
        widths = [w for _, w, _ in TOOL_CELLS] + [w for _, w in OTHER_CELLS]
        return " ".join(cells + [DASH.rjust(w) for w in widths]) + "  file missing"
    grouped = group_tools(m.top_level_tools)
    cells += [str(grouped[column]).rjust(width) for _, width, column in TOOL_CELLS]
    values = (
        str(sum(m.subagent_tools.values())), f"{m.tokens.input:,}",
        f"{m.tokens.cache_creation:,}", f"{m.tokens.cache_read:,}", f"{m.tokens.output:,}",
        fmt_pct(m.tokens.cache_hit_rate), f"{m.shallow}/{m.deep}",
        fmt_seconds(it.wall_time_s),
    )
    cells += [value.rjust(width) for value, (_, width) in zip(values, OTHER_CELLS, strict=True)]
    note = "; ".join(it.problems)
    return " ".join(cells) + (f"  {note}" if note else "")
