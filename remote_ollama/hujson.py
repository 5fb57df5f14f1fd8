"""A tiny HuJSON reader: JSON plus // and /* */ comments and trailing commas.

Tailscale's policy file is HuJSON. ``plain_json`` blanks out comments and trailing commas with
spaces (newlines are kept), so the result is plain JSON *with the same character offsets*
as the input. That lets ``loads`` parse it with the standard library and lets
``members``/``elements`` report spans that can be used to edit the original text in
place, keeping every comment outside the edited spans.

Example:
    >>> loads('{"a": [1, 2,], // two\\n "b": "x//y"}')
    {'a': [1, 2], 'b': 'x//y'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


class HuJSONError(ValueError):
    """The text is not valid HuJSON; the message names the line and column."""


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


def _blank(chunk: str) -> str:
    return "".join(ch if ch == "\n" else " " for ch in chunk)


def _comment_spans(text: str):
    """Yield (start, end) of every comment, skipping over strings."""
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            i = _string_end(text, i)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            yield i, end
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise HuJSONError(f"unterminated /* comment at {_where(text, i)}")
            yield i, end + 2
            i = end + 2
        else:
            i += 1


def _string_end(text: str, start: int) -> int:
    """Index just past the JSON string that opens at ``start``."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text[i] == "\n":
            break
        else:
            i += 1
    raise HuJSONError(f"unterminated string at {_where(text, start)}")


def comments(text: str) -> list[str]:
    """The comments in ``text``, in order, without their // or /* */ markers.

    Example:
        >>> comments('{"a": "//no", "b": 1 // one\\n}')
        [' one']
    """
    found = []
    for start, end in _comment_spans(text):
        chunk = text[start:end]
        found.append(chunk[2:-2] if chunk.startswith("/*") else chunk[2:])
    return found


def plain_json(text: str, trailing_commas: bool = True) -> str:
    """Return ``text`` with comments and trailing commas replaced by spaces.

    Strings are copied untouched, so ``"http://x"`` keeps its ``//``. With
    ``trailing_commas=False`` only comments are blanked.

    Example:
        >>> plain_json('[1, /* c */ 2,]')
        '[1,         2 ]'
    """
    chars = list(text)
    for start, end in _comment_spans(text):
        chars[start:end] = _blank(text[start:end])
    if not trailing_commas:
        return "".join(chars)
    # A comma whose next significant character closes an array or object is trailing.
    last_comma = None
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch == '"':
            i = _string_end(text, i)
            last_comma = None
            continue
        if ch in "]}" and last_comma is not None:
            chars[last_comma] = " "
        if ch not in _WHITESPACE:
            last_comma = i if ch == "," else None
        i += 1
    return "".join(chars)


def loads(text: str) -> Any:
    """Parse HuJSON text into Python data (comments and trailing commas ignored)."""
    plain = plain_json(text)
    try:
        return json.loads(plain)
    except json.JSONDecodeError as exc:
        raise HuJSONError(f"{exc.msg} at {_where(text, exc.pos)}") from None


# --- spans, for editing the original text in place ----------------------------------


@dataclass(frozen=True)
class Span:
    """A value's [start, end) offsets in the text, and the parsed value."""

    start: int
    end: int
    value: Any


@dataclass(frozen=True)
class Member:
    """An object member: its key, where the key starts, and its value's span."""

    key: str
    key_start: int
    value: Span


def skip_space(plain: str, pos: int) -> int:
    while pos < len(plain) and plain[pos] in _WHITESPACE:
        pos += 1
    return pos


def value_at(plain: str, pos: int) -> Span:
    """Parse the value starting at ``pos`` (after whitespace) in stripped text."""
    pos = skip_space(plain, pos)
    try:
        value, end = _DECODER.raw_decode(plain, pos)
    except json.JSONDecodeError as exc:
        raise HuJSONError(f"{exc.msg} at {_where(plain, exc.pos)}") from None
    return Span(pos, end, value)


def members(plain: str, obj: Span) -> list[Member]:
    """The members of the object ``obj`` in stripped text, in order."""
    found: list[Member] = []
    pos = skip_space(plain, obj.start + 1)
    while plain[pos] != "}":
        key = value_at(plain, pos)
        pos = skip_space(plain, key.end) + 1  # past ':'
        value = value_at(plain, pos)
        found.append(Member(key.value, key.start, value))
        pos = skip_space(plain, value.end)
        if plain[pos] == ",":
            pos = skip_space(plain, pos + 1)
    return found


def elements(plain: str, arr: Span) -> list[Span]:
    """The elements of the array ``arr`` in stripped text, in order."""
    found: list[Span] = []
    pos = skip_space(plain, arr.start + 1)
    while plain[pos] != "]":
        item = value_at(plain, pos)
        found.append(item)
        pos = skip_space(plain, item.end)
        if plain[pos] == ",":
            pos = skip_space(plain, pos + 1)
    return found
