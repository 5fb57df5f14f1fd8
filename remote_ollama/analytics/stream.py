"""Parse Claude Code's ``--output-format stream-json`` text into events.

Pure functions only: the caller reads the file. Every non-blank line must be one JSON
object; anything else (a truncated last line, stray stderr text, a JSON array) is kept
as a :class:`BadLine` so reports can count it instead of dropping it silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

# How much of a bad line to keep for the report.
EXCERPT_CHARS = 60
# Longer integers are refused: no count in a transcript or run.json comes near, and a
# bigger one could not be averaged as a float. Python would refuse beyond 4300 digits
# anyway (int_max_str_digits), with a ValueError that is not a JSONDecodeError.
MAX_INT_DIGITS = 15


def loads_bounded(text: str) -> object:
    """``json.loads`` for untrusted files; ValueError, with a reason, for what it refuses.

    Refused: integers of more than MAX_INT_DIGITS digits, NaN and Infinity (not JSON),
    floats that overflow to infinity, and nesting deeper than the parser's recursion limit.
    """
    try:
        return json.loads(
            text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class BadLine:
    """A line that is not a JSON object; ``number`` counts from 1."""

    number: int
    reason: str
    excerpt: str


@dataclass
class ParsedStream:
    """The JSON-object events of a transcript, in order, and the lines that were not."""

    events: list[dict] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)


def parse_stream(text: str) -> ParsedStream:
    """Split ``text`` into events; blank lines are ignored, bad lines recorded."""
    parsed = ParsedStream()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            value = loads_bounded(stripped)
        except ValueError as exc:
            parsed.bad_lines.append(BadLine(number, str(exc), _excerpt(stripped)))
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__
            parsed.bad_lines.append(BadLine(number, f"JSON {kind}, not an object", _excerpt(stripped)))
            continue
        parsed.events.append(value)
    return parsed


def _excerpt(line: str) -> str:
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 3] + "..."
