"""``analytics compare --png``: the main metrics of two runs as grouped bar charts.

matplotlib is an optional extra (``pip install 'remote-ollama[plot]'``), imported only here
and only when a chart is asked for.
"""

from __future__ import annotations

from pathlib import Path

from remote_ollama.analytics.compare import PERCENT, compare_rows
from remote_ollama.analytics.run_metrics import RunReport

# Chart panels: title and the compare_rows labels each one shows.
PANELS = (
    ("Tool calls per iteration",
     ("Read", "Bash", "Edit", "Write", "Grep", "Glob", "Task", "TodoWrite", "other")),
    ("Tokens per iteration",
     ("input tokens / iteration", "cache creation tokens / iteration",
      "cache read tokens / iteration", "output tokens / iteration")),
    ("Rates and time",
     ("cache hit rate", "wall time / iteration (s)")),
)


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def write_png(a: RunReport, b: RunReport, path: Path) -> None:
    """Draw the comparison to ``path`` (PNG); raises PlotUnavailable without matplotlib."""
    pyplot = _import_pyplot()
    rows = {row.label: row for row in compare_rows(a, b)}
    figure, axes = pyplot.subplots(len(PANELS), 1, figsize=(10, 11))
    for axis, (title, labels) in zip(axes, PANELS, strict=True):
        keys = [_row_key(label, rows) for label in labels]
        values_a = [_plotted(rows[key], rows[key].a) for key in keys]
        values_b = [_plotted(rows[key], rows[key].b) for key in keys]
        positions = range(len(keys))
        width = 0.4
        axis.bar([p - width / 2 for p in positions], values_a, width, label=f"A: {a.name}")
        axis.bar([p + width / 2 for p in positions], values_b, width, label=f"B: {b.name}")
        axis.set_xticks(list(positions))
        axis.set_xticklabels([_short(label) for label in labels], fontsize=8)
        axis.set_title(title)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
    pyplot.close(figure)


def _import_pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotUnavailable(
            "--png needs matplotlib, the optional extra `plot`: "
            "pip install 'remote-ollama[plot]' (or pip install 'matplotlib>=3.7,<4')"
        ) from exc
    matplotlib.use("Agg")  # files only, no display needed
    from matplotlib import pyplot

    return pyplot


def _row_key(label: str, rows: dict) -> str:
    return label if label in rows else f"{label} calls / iteration"


def _plotted(row, value: float | None) -> float:
    if value is None:
        return 0.0
    return value * 100 if row.kind == PERCENT else value


def _short(label: str) -> str:
    return label.replace(" / iteration", "").replace(" tokens", "").replace(
        "cache hit rate", "cache hit %"
    )
