"""Marker-delimited blocks in shell profiles: added once, replaced in place, removed cleanly.

The whole file is read by the probe (``ManagedFile``) and rewritten only when the edited
text differs; markers are matched as whole lines, never as regexes (pyinfra 3.10's
``files.block`` trips over regex characters in markers). A profile that is a symlink
(dotfile managers) stays one: the new text is written into its target.
"""

from __future__ import annotations

import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError, operation

from remote_ollama.facts.files import ManagedFile
from remote_ollama.probe import fact

NEW_SUFFIX = ".remote-ollama-new"  # the upload, next to the profile, until it is in place


def edit_block(content: str, start: str, end: str, body: str | None, path: str = "") -> str:
    """``content`` with the block between ``start`` and ``end`` set to ``body``.

    ``body=None`` removes the block and the blank line added before it. A new block is
    appended after a blank line; an existing one is replaced where it is; duplicates go.
    """
    lines = content.splitlines()
    _check_markers(lines, start, end, path)
    first = next((i for i, line in enumerate(lines) if line.strip() == start), None)
    if first is None:
        if body is None:
            return content
        new = [*lines, ""] if lines else []
        new += [start, *body.rstrip("\n").splitlines(), end]
    else:
        last = next(i for i in range(first, len(lines)) if lines[i].strip() == end)
        before, rest = lines[:first], _without_blocks(lines[last + 1 :], start, end)
        if body is None:
            if before and not before[-1].strip():
                before = before[:-1]
            new = before + rest
        else:
            new = [*before, start, *body.rstrip("\n").splitlines(), end, *rest]
    text = "\n".join(new)
    return text + "\n" if text else ""


def _check_markers(lines: list[str], start: str, end: str, path: str) -> None:
    """Markers must alternate start, end, start, end ... or the file was hand-edited."""
    expect = start
    for line in lines:
        if line.strip() in (start, end):
            if line.strip() != expect:
                break
            expect = end if expect == start else start
    else:
        if expect == start:
            return
    raise OperationError(
        f"{path or 'file'}: unmatched '{start}' / '{end}' markers; fix or delete the block "
        "by hand, then converge again."
    )


def _without_blocks(lines: list[str], start: str, end: str) -> list[str]:
    out, inside = [], False
    for line in lines:
        if line.strip() == start:
            inside = True
            if out and not out[-1].strip():
                out.pop()
        elif line.strip() == end and inside:
            inside = False
        elif not inside:
            out.append(line)
    return out


@operation()
def marker_blocks(path: str, blocks: list[tuple[str, str, str | None]], mode: str = "644"):
    """Make ``path`` hold each block's body between its start and end lines exactly once.

    All blocks of one file go through one operation, because each operation edits the
    text the probe read: two operations on the same file would undo each other.

    + path: absolute path of the profile (created when missing and a body is given)
    + blocks: ``(start, end, body)`` per block; ``body=None`` removes that block
    + mode: mode of a newly created file (an existing file keeps its own)

    Example:

    .. code:: python

        marker_blocks(path="/Users/me/.zshrc", blocks=[
            ("# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<",
             ". $HOME/.ai-client/env\\n"),
        ])
    """
    current = fact(ManagedFile, path=path)
    if current is None and all(body is None for _, _, body in blocks):
        host.noop(f"{path} does not exist")
        return
    current = current or {"content": "", "mode": mode}
    wanted = current["content"]
    for start, end, body in blocks:
        wanted = edit_block(wanted, start, end, body, path)
    if wanted == current["content"]:
        host.noop(f"{path} is up to date")
        return
    quoted, new = shlex.quote(path), path + NEW_SUFFIX
    if not wanted.strip():  # the file held only our blocks
        yield f"if [ -L {quoted} ]; then : > {quoted}; else rm -f {quoted}; fi"
        return
    yield FileUploadCommand(StringIO(wanted), new, remote_temp_filename=host.get_temp_filename(new))
    yield write_through(new, path)
    yield f"chmod {current['mode']} {quoted}"


def write_through(new: str, path: str) -> str:
    """Put the uploaded ``new`` in place of ``path``: renamed over a regular file (never
    half-written), written into the target of a symlink (a dotfile manager's link stays)."""
    quoted, new = shlex.quote(path), shlex.quote(new)
    return f"if [ -L {quoted} ]; then cat {new} > {quoted} && rm -f {new}; else mv -f {new} {quoted}; fi"


@operation()
def shell_profiles(files: dict[str, list[tuple[str, str, str | None]]], mode: str = "644"):
    """``marker_blocks`` for several profile files, as one operation.

    One operation instead of one per file: pyinfra's cost is per operation and host (its
    argument handling when planning, a greenlet per host when executing), and a client
    has five profiles, all usually unchanged.

    + files: ``{path: blocks}``, each as ``marker_blocks`` takes them
    + mode: mode of a newly created file (an existing file keeps its own)

    Example:

    .. code:: python

        shell_profiles(files={
            "/Users/me/.zshrc": [("# >>> env >>>", "# <<< env <<<", ". ~/.ai-client/env\\n")],
            "/Users/me/.bashrc": [("# >>> env >>>", "# <<< env <<<", None)],
        })
    """
    for path, blocks in files.items():
        yield from marker_blocks._inner(path=path, blocks=blocks, mode=mode)
