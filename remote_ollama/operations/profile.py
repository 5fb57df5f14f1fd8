"""Marker-delimited blocks in shell profiles: added once, replaced in place, removed cleanly.

The whole file is read by the probe (``ManagedFile``, every byte as it is) and rewritten
only when the edited text differs. Only our blocks change; every other byte of the user's
stays, CRs, form feeds and bytes that are not UTF-8 included, because the text is split
on ``\\n`` alone (never ``splitlines``, which also splits on ``\\r``, ``\\f``, ``\\x1e``,
U+2028 ...). Markers are matched as whole lines (spaces, tabs and a CR around them
allowed), never as regexes (pyinfra 3.10's ``files.block`` trips over regex characters).

What a block owns, so that adding then removing it gives back the very same bytes:

- the marker lines, the body between them, and the newline ending the end marker;
- one newline before the start marker. A new block is appended after it: on a file that
  ends with a newline that makes a blank line; on a file without a final newline it ends
  the user's last line. Either way removing the block takes exactly that newline away.
- A file that *starts* with our block is one we created (a missing file gets the block
  with no newline before it; an existing empty one gets the newline): when the last block
  goes, it is deleted. An existing file, empty or whitespace-only included, is kept.

A profile that is a symlink (dotfile managers) stays one, and one with other hard links
keeps them: the new text is written into the file instead of renamed over it.

Blocks the install scripts left (``Block.former``: the seed's ``# >>> ai-client >>>``)
are taken over: the first block found, ours or a former one, gets our body where it is;
the others go. A former block with lines we do not recognise stops the run, so nothing
the user put there is lost.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from io import BytesIO
from itertools import pairwise

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError

from remote_ollama.facts.files import ManagedFile, encode
from remote_ollama.probe import fact
from remote_ollama.step import operation

NEW_SUFFIX = ".remote-ollama-new"  # the upload, next to the profile, until it is in place


@dataclass(frozen=True)
class FormerBlock:
    """A block another tool wrote that ours replaces: its markers, and the pattern every
    line between them must match (stripped of spaces, tabs and a CR) to be taken over."""

    start: str
    end: str
    line: re.Pattern
    by: str = "the install scripts"


@dataclass(frozen=True)
class Block:
    """Our block: start and end marker lines, the body (None: no block), the blocks it
    replaces."""

    start: str
    end: str
    body: str | None
    former: tuple[FormerBlock, ...] = field(default=())


def _marker(line: str) -> str:
    return line.strip(" \t\r")


def _pairs(lines: list[str], start: str, end: str, path: str) -> list[tuple[int, int]]:
    """(start line, end line) of every ``start`` ... ``end`` block; they must alternate."""
    pairs, opened = [], None
    for i, line in enumerate(lines):
        marker = _marker(line)
        if marker not in (start, end):
            continue
        if (marker == start) != (opened is None):
            break
        if marker == start:
            opened = i
        else:
            pairs.append((opened, i))
            opened = None
    else:
        if opened is None:
            return pairs
    raise OperationError(
        f"{path or 'file'}: unmatched '{start}' / '{end}' markers; fix or delete the block "
        "by hand, then converge again."
    )


# A marker line of any block, ours, the install scripts' or another tool's (conda's
# "# >>> conda initialize >>>"): never inside a block we replace or remove.
MARKER_LINE = re.compile(r"# (?:>>>|<<<) .+ (?:>>>|<<<)")


def _check_not_nested(lines: list[str], first: int, last: int, start: str, path: str):
    for number in range(first + 1, last):
        if MARKER_LINE.fullmatch(_marker(lines[number])):
            raise OperationError(
                f"{path or 'file'}: the '{start}' block has another block nested in it "
                f"(line {number + 1}: {lines[number][:80]!r}); move that block out of it "
                "(or delete one of them) by hand, then converge again."
            )


def _check_former(lines: list[str], first: int, last: int, former: FormerBlock, path: str):
    for number in range(first + 1, last):
        if not former.line.fullmatch(_marker(lines[number])):
            raise OperationError(
                f"{path or 'file'}: the block '{former.start}' that {former.by} left holds a "
                f"line remote-ollama does not recognise (line {number + 1}: "
                f"{lines[number][:80]!r}); move your lines out of that block (or delete the "
                "block), then converge again. The deploy replaces the block with its own."
            )


def _remove(lines: list[str], first: int, last: int) -> list[str]:
    """``lines`` without the block ``first``..``last`` and the newline before it (the one
    after it instead when the block starts the file). If the user's text before the block
    has no final newline and text follows the block, one newline stays between them."""
    before, after = lines[:first], lines[last + 1 :]
    if not before or not after:  # the block started or ended the file
        return before or after
    if before[-1] != "" and after[0] != "":  # "x" + block + "y": keep x and y on two lines
        return [*before, *after]
    return [*before[:-1], before[-1] + after[0], *after[1:]]


def edit_block(content: str | None, block: Block, path: str = "") -> str | None:
    """``content`` (None: no file) with ``block`` set: added once, replaced where it is,
    or removed (``body`` None), with every other byte kept (see the module doc)."""
    lines = content.split("\n") if content is not None else None
    found = []  # (first, last, former or None), in file order
    kinds = [(block.start, block.end, None)] + [(f.start, f.end, f) for f in block.former]
    for start, end, former in kinds:
        if content is None or (start not in content and end not in content):
            continue  # neither marker anywhere in the file: no such block (the quick way)
        for first, last in _pairs(lines, start, end, path):
            _check_not_nested(lines, first, last, start, path)
            if former is not None:
                _check_former(lines, first, last, former, path)
            found.append((first, last, former))
    found.sort(key=lambda f: f[:2])
    for (_, last, _), (first, _, _) in pairwise(found):
        if first < last:
            raise OperationError(
                f"{path or 'file'}: the '{block.start}' block and a block it replaces are "
                "nested; delete one of them by hand, then converge again."
            )
    if not found:
        if block.body is None:
            return content
        new = [block.start, *block.body.rstrip("\n").split("\n"), block.end, ""]
        return "\n".join(new if lines is None else [*lines, *new])
    keep = None
    if block.body is not None:
        ours = [f for f in found if f[2] is None]
        keep = (ours or found)[0]
    for first, last, former in reversed(found):  # bottom up: indexes stay valid
        if (first, last, former) == keep:
            lines[first : last + 1] = [block.start, *block.body.rstrip("\n").split("\n"),
                                       block.end]  # fmt: skip
        else:
            lines = _remove(lines, first, last)
    return "\n".join(lines)


def holds_former(content: str | None, blocks: list[Block]) -> bool:
    """Whether the file has a start marker of a block one of ``blocks`` replaces."""
    starts = {f.start for b in blocks for f in b.former}
    if content is None or not any(start in content for start in starts):
        return False
    return any(_marker(x) in starts for x in content.split("\n"))


def starts_with_ours(content: str | None, blocks: list[Block]) -> bool:
    """Whether the file starts with one of our blocks: we created it (see the module doc)."""
    return content is not None and _marker(content.split("\n", 1)[0]) in {
        b.start for b in blocks}


@operation()
def marker_blocks(path: str, blocks: list[Block], mode: str = "644"):
    """Make ``path`` hold each block's body between its start and end lines exactly once.

    All blocks of one file go through one operation, because each operation edits the
    text the probe read: two operations on the same file would undo each other.

    + path: absolute path of the profile (created when missing and a body is given)
    + blocks: a ``Block`` each; ``body=None`` removes that block
    + mode: mode of a newly created file (an existing file keeps its own)

    Example:

    .. code:: python

        marker_blocks(path="/Users/me/.zshrc", blocks=[
            Block("# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<",
                  ". $HOME/.ai-client/env\\n"),
        ])
    """
    current = fact(ManagedFile, path=path)
    content = current["content"] if current else None
    wanted = content
    for block in blocks:
        wanted = edit_block(wanted, block, path)
    if wanted == content:
        host.noop(f"{path} is up to date" if current else f"{path} does not exist")
        return
    quoted, new = shlex.quote(path), path + NEW_SUFFIX
    links = current["links"] if current else 1
    if wanted == "":  # it held only our blocks
        # Deletion rule: a profile is removed only when the deploy created it (it starts
        # with our block: see the module doc) and it has no other name; else it is emptied.
        if starts_with_ours(content, blocks) and links == 1:  # we created it
            yield f"if [ -L {quoted} ]; then : > {quoted}; else rm -f {quoted}; fi"
        else:  # the user's, empty or whitespace-only before: it stays
            yield f": > {quoted}"
        return
    yield FileUploadCommand(
        BytesIO(encode(wanted)), new, remote_temp_filename=host.get_temp_filename(new)
    )
    yield write_through(new, path, in_place=links > 1)
    yield f"chmod {current['mode'] if current else mode} {quoted}"


def write_through(new: str, path: str, in_place: bool = False) -> str:
    """Put the uploaded ``new`` in place of ``path``: renamed over a regular file (never
    half-written), written into the file when it is a symlink (a dotfile manager's link
    stays) or, with ``in_place``, has other hard links (they keep seeing the same file)."""
    quoted, new = shlex.quote(path), shlex.quote(new)
    copy = f"cat {new} > {quoted} && rm -f {new}"  # removes only our upload, by its name
    if in_place:
        return copy
    return f"if [ -L {quoted} ]; then {copy}; else mv -f {new} {quoted}; fi"


@operation()
def shell_profiles(files: dict[str, list[Block]], mode: str = "644"):
    """``marker_blocks`` for several profile files, as one operation.

    One operation instead of one per file: pyinfra's cost is per operation and host (its
    argument handling when planning, a greenlet per host when executing), and a client
    has five profiles, all usually unchanged.

    + files: ``{path: blocks}``, each as ``marker_blocks`` takes them
    + mode: mode of a newly created file (an existing file keeps its own)

    Example:

    .. code:: python

        shell_profiles(files={
            "/Users/me/.zshrc": [Block("# >>> env >>>", "# <<< env <<<", ". ~/.ai-client/env\\n")],
            "/Users/me/.bashrc": [Block("# >>> env >>>", "# <<< env <<<", None)],
        })
    """
    for path, blocks in files.items():
        yield from marker_blocks._inner(path=path, blocks=blocks, mode=mode)
