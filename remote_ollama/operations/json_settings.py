"""Merge a few keys into a user's JSON settings file (``~/.claude/settings.json``) and take
them out again, leaving every other key as the user wrote it."""

from __future__ import annotations

import json
import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError

from remote_ollama.facts.files import ManagedFile
from remote_ollama.probe import fact
from remote_ollama.step import operation


def merged(doc: dict, values: dict) -> dict:
    """``doc`` with ``values`` merged in, recursively for nested objects."""
    out = dict(doc)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def unmerged(doc: dict, values: dict) -> dict:
    """``doc`` without the keys of ``values`` that still hold those values; empty objects
    left behind by that are dropped too."""
    out = dict(doc)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            inner = unmerged(out[key], value)
            if inner:
                out[key] = inner
            else:
                out.pop(key)
        elif out.get(key) == value:
            out.pop(key)
    return out


def _parse(path: str, current: dict | None) -> dict | None:
    if current is None:
        return None
    if not current["content"].strip():
        return {}
    try:
        doc = json.loads(current["content"])
    except ValueError as exc:
        raise OperationError(
            f"{path} is not valid JSON ({exc}); fix it by hand, then converge again."
        ) from None
    if not isinstance(doc, dict):
        raise OperationError(f"{path} is not a JSON object; fix it by hand, then converge again.")
    return doc


def _text(doc: dict) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _write(path: str, doc: dict, mode: str):
    text = _text(doc)
    yield f"mkdir -p {shlex.quote(path.rsplit('/', 1)[0])}"
    yield FileUploadCommand(StringIO(text), path, remote_temp_filename=host.get_temp_filename(path))
    yield f"chmod {mode} {shlex.quote(path)}"


@operation()
def json_merged(path: str, values: dict, mode: str = "600"):
    """Merge ``values`` into the JSON object in ``path``; other keys stay untouched.

    + path: absolute path of the JSON file (created when missing)
    + values: keys to set; nested objects are merged, not replaced
    + mode: mode of a newly created file (an existing file keeps its own)

    Example:

    .. code:: python

        json_merged(path="/Users/me/.claude/settings.json",
                    values={"env": {"DISABLE_AUTOUPDATER": "1"}})
    """
    current = fact(ManagedFile, path=path)
    doc = _parse(path, current)
    wanted = merged(doc or {}, values)
    if doc == wanted:
        host.noop(f"{path} already has {values}")
        return
    yield from _write(path, wanted, current["mode"] if current else mode)


@operation()
def json_unmerged(path: str, values: dict):
    """Remove the keys of ``values`` that still hold those values. A file that is, byte for
    byte, the one ``json_merged`` creates with ``values`` alone is deleted, and its folder
    if that was all it held (``~/.claude`` when Claude Code never ran); a file left with no
    key that is not that one (the user's, or rewritten since) is kept, as ``{}``.

    + path: absolute path of the JSON file
    + values: the keys (and values) a ``json_merged`` call set

    Example:

    .. code:: python

        json_unmerged(path="/Users/me/.claude/settings.json",
                      values={"env": {"DISABLE_AUTOUPDATER": "1"}})
    """
    current = fact(ManagedFile, path=path)
    doc = _parse(path, current)
    if doc is None or unmerged(doc, values) == doc:
        host.noop(f"{path} holds none of {values}")
        return
    wanted = unmerged(doc, values)
    # Deletion rule: remove only what the deploy created, by exact name. The file goes
    # only when its bytes are exactly what json_merged writes on a missing file; its folder
    # only with rmdir, so only when nothing else is in it.
    if not wanted and current["content"] == _text(merged({}, values)):
        folder = shlex.quote(path.rsplit("/", 1)[0] or "/")
        yield f"rm -f {shlex.quote(path)} && {{ rmdir {folder} 2>/dev/null || true; }}"
    else:
        yield from _write(path, wanted, current["mode"])
