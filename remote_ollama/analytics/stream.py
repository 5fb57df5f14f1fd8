"""Parse Claude Code's ``--output-format stream-json`` text into events.

Pure functions only: the caller reads the file. Every non-blank line must be one JSON
object; anything else (a truncated last line, stray stderr text, a JSON array) is kept
as a :class:`BadLine` so reports can count it instead of dropping it silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# How much of a bad line to keep for the report.
EXCERPT_CHARS = 60


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
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            parsed.bad_lines.append(BadLine(number, f"not JSON ({exc.msg})", _excerpt(stripped)))
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__
            parsed.bad_lines.append(BadLine(number, f"JSON {kind}, not an object", _excerpt(stripped)))
            continue
        parsed.events.append(value)
    return parsed


def _excerpt(line: str) -> str:
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 3] + "..."
