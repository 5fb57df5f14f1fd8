"""Plain-text and Markdown tables, and the number formats every report shares."""

from __future__ import annotations

from collections.abc import Sequence

DASH = "—"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    """A table of strings; first column left-aligned, the others right-aligned."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("|" + "|".join([":---"] + ["---:"] * (len(headers) - 1)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [_text_row(headers, widths), "  ".join("-" * width for width in widths)]
    lines += [_text_row(row, widths) for row in rows]
    return "\n".join(lines)


def _text_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    first, *rest = cells
    parts = [first.ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(rest, widths[1:], strict=True)]
    return "  ".join(parts).rstrip()


def fmt_count(value: float | None) -> str:
    """Whole numbers as ``1,234``; fractions (averages) with one decimal."""
    if value is None:
        return DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def fmt_pct(rate: float | None) -> str:
    """A 0..1 rate as a percentage with one decimal."""
    return DASH if rate is None else f"{rate * 100:.1f}%"


def fmt_ratio(shallow: float, deep: float) -> str:
    """``shallow:deep`` as ``N.N:1``; a dash when there was no deep operation."""
    return DASH if not deep else f"{shallow / deep:.1f}:1"


def fmt_seconds(seconds: float | None) -> str:
    return DASH if seconds is None else f"{seconds:.1f}"


def fmt_signed(value: float | None, unit: str = "") -> str:
    """A difference with its sign, e.g. ``+1.5`` or ``-20.0 pp``."""
    if value is None:
        return DASH
    if value == 0:
        return "0" + unit
    text = f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.1f}"
    return text + unit


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 iteration``, ``2 iterations``; ``plural_noun`` for the irregular ones."""
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"
