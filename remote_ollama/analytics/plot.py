"""``analytics compare --png``: the main metrics of two runs as grouped bar charts.

matplotlib is an optional extra (``pip install 'remote-ollama[plot]'``), imported only here
and only when a chart is asked for.
"""

from __future__ import annotations

from pathlib import Path

from remote_ollama.analytics.compare import PERCENT, SECONDS, compare_rows
from remote_ollama.analytics.run_metrics import RunReport
from remote_ollama.analytics.tables import fmt_count, fmt_pct, fmt_seconds

# Chart panels: title, y-axis label (the unit: one quantity per axis) and the
# compare_rows labels each one shows.
PANELS = (
    ("Tool calls per iteration", "calls",
     ("Read", "Bash", "Edit", "Write", "Grep", "Glob", "Task", "TodoWrite", "other")),
    ("Tokens per iteration", "tokens",
     ("input tokens / iteration", "cache creation tokens / iteration",
      "cache read tokens / iteration", "output tokens / iteration")),
    ("Cache hit rate", "%", ("cache hit rate",)),
    ("Wall time per iteration", "seconds", ("wall time / iteration (s)",)),
)
# (rows, columns) of panels and the figure's size in inches
GRID = (2, 2)
FIGURE_SIZE = (13, 8.5)


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def write_png(a: RunReport, b: RunReport, path: Path) -> None:
    """Draw the comparison to ``path`` (PNG); raises PlotUnavailable without matplotlib."""
    pyplot = _import_pyplot()
    figure = draw(pyplot, a, b)
    figure.savefig(path, format="png")
    pyplot.close(figure)


def draw(pyplot, a: RunReport, b: RunReport):
    """The comparison as a matplotlib figure: one panel, and one y axis, per quantity."""
    rows = {row.label: row for row in compare_rows(a, b)}
    figure, axes = pyplot.subplots(*GRID, figsize=FIGURE_SIZE)
    for axis, (title, unit, labels) in zip(axes.flat, PANELS, strict=True):
        keys = [_row_key(label, rows) for label in labels]
        width = 0.4
        positions = range(len(keys))
        for offset, name, side in ((-width / 2, f"A: {a.name}", "a"), (width / 2, f"B: {b.name}", "b")):
            values = [getattr(rows[key], side) for key in keys]
            kinds = [rows[key].kind for key in keys]
            bars = axis.bar([p + offset for p in positions],
                            [_plotted(kind, value) for kind, value in zip(kinds, values, strict=True)],
                            width, label=name)
            axis.bar_label(bars, labels=[_bar_text(kind, value) for kind, value in
                                         zip(kinds, values, strict=True)], fontsize=7, padding=2)
        if len(keys) == 1:
            axis.set_xlim(-1.5, 1.5)  # two slim bars, not two halves of the panel
        axis.set_xticks(list(positions))
        axis.set_xticklabels([_short(label) for label in labels], fontsize=8,
                             rotation=20 if len(labels) > 4 else 0)
        axis.set_title(title)
        axis.set_ylabel(unit)
        if unit == "%":
            axis.set_ylim(0, 110)
        axis.margins(y=0.15)
        axis.legend(fontsize=8)
    figure.suptitle(f"A: {_describe(a)}    B: {_describe(b)}", fontsize=10)
    figure.tight_layout()
    return figure


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


def _plotted(kind: str, value: float | None) -> float:
    if value is None:
        return 0.0
    return value * 100 if kind == PERCENT else value


def _bar_text(kind: str, value: float | None) -> str:
    """The number over a bar, as the table prints it; "n/a" where there is none."""
    if value is None:
        return "n/a"
    if kind == PERCENT:
        return fmt_pct(value)
    if kind == SECONDS:
        return fmt_seconds(value)
    return fmt_count(round(value, 1))


def _describe(report: RunReport) -> str:
    details = [str(report.meta[key]) for key in ("backend", "model") if report.meta.get(key)]
    return report.name + (f" ({', '.join(details)})" if details else "")


def _short(label: str) -> str:
    return label.replace(" / iteration", "").replace(" tokens", "").replace(
        "cache hit rate", "cache hit %"
    )
