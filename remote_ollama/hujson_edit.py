"""Edit HuJSON text in place: append to, remove from, or replace values in it.

Each function takes the original text and returns new text, changing only the bytes it
must, so comments and formatting elsewhere survive. Spans come from ``hujson`` (computed on
stripped text, whose offsets match the original). Edits never add a trailing comma, and
appending after removing the same item gives back the same text, which is what makes a
merge idempotent.

Example:
    >>> text = '{\\n  "a": [\\n    1 // one\\n  ]\\n}'
    >>> root = hujson.value_at(hujson.plain_json(text), 0)
    >>> arr = hujson.members(hujson.plain_json(text), root)[0].value
    >>> print(append_item(text, arr, "2"))
    {
      "a": [
        1, // one
        2
      ]
    }
"""

from __future__ import annotations

from remote_ollama import hujson
from remote_ollama.hujson import Span


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_of_line(text: str, pos: int) -> str:
    start = _line_start(text, pos)
    line = text[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _starts_line(text: str, pos: int) -> bool:
    return text[_line_start(text, pos) : pos].strip(" \t") == ""


def _first_item_start(plain: str, container: Span) -> int | None:
    if isinstance(container.value, dict):
        items = hujson.members(plain, container)
        return items[0].key_start if items else None
    items = hujson.elements(plain, container)
    return items[0].start if items else None


def _last_item_end(plain: str, container: Span) -> int | None:
    if isinstance(container.value, dict):
        items = hujson.members(plain, container)
        return items[-1].value.end if items else None
    items = hujson.elements(plain, container)
    return items[-1].end if items else None


def _reindent(line: str, unit: str) -> str:
    """Turn the item's two-space indentation steps into the file's own unit (e.g. a tab)."""
    stripped = line.lstrip(" ")
    return unit * ((len(line) - len(stripped)) // 2) + stripped


def append_item(text: str, container: Span, item: str) -> str:
    """Append ``item`` (an element, or ``"key": value`` for an object) at the container's end.

    ``item`` may span several lines, indented by two spaces per level: they are
    re-indented with the file's own indentation unit.
    """
    plain = hujson.plain_json(text)
    closing_indent = _indent_of_line(text, container.start)
    first = _first_item_start(plain, container)
    if first is not None and _starts_line(text, first):
        indent = _indent_of_line(text, first)
    else:
        indent = closing_indent + ("\t" if "\t" in closing_indent else "  ")
    close = container.end - 1  # the ] or }

    last_end = _last_item_end(plain, container)
    if last_end is None:
        anchor, comma = container.start + 1, ""
    else:
        # Reuse a comma that follows the last item (trailing commas are legal HuJSON).
        no_comments = hujson.plain_json(text, trailing_commas=False)
        after = hujson.skip_space(no_comments, last_end)
        if no_comments[after] == ",":
            anchor, comma = after + 1, ""
        else:
            anchor, comma = last_end, ","
    gap = text[anchor:close].rstrip()
    unit = indent[len(closing_indent) :] if indent.startswith(closing_indent) else ""
    body = "\n".join(_reindent(line, unit or "  ") for line in item.split("\n"))
    body = body.replace("\n", "\n" + indent)
    return (
        text[:anchor] + comma + gap + "\n" + indent + body + "\n" + closing_indent + text[close:]
    )


def remove_item(text: str, item: Span) -> str:
    """Remove one array element (and its comma); a line left empty goes too."""
    no_comments = hujson.plain_json(text, trailing_commas=False)
    end = item.end
    after = hujson.skip_space(no_comments, end)
    if after < len(text) and no_comments[after] == ",":
        end = after + 1
    rest = end
    while rest < len(text) and text[rest] in " \t":
        rest += 1
    if _starts_line(text, item.start) and (rest == len(text) or text[rest] == "\n"):
        return text[: _line_start(text, item.start)] + text[rest + 1 :]
    return text[: item.start] + text[rest:]


def replace_value(text: str, span: Span, new: str) -> str:
    """Replace the value at ``span`` by ``new`` (continuation lines get its indentation)."""
    indent = _indent_of_line(text, span.start)
    return text[: span.start] + new.replace("\n", "\n" + indent) + text[span.end :]
