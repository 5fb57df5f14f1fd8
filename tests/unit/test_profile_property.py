"""Property: any profile survives converge plus uninstall byte for byte outside our blocks.

Generated files mix what breaks naive editors: CR and CRLF, no final newline, ``\\x1e``
(the probe's fold character), form feed, U+2028 and U+0085 (``splitlines`` splits on
them), bytes that are not UTF-8, NUL, and lines that contain our markers without being
marker lines. The first property runs the real thing on real files: ``ManagedFile``'s
command in ``sh``, the operation's decisions, its commands in ``sh`` (the upload played by
writing the bytes it carries). The second, in memory and with many more examples, adds
exact marker lines: either the run stops with a clear error before any change, or one
block is left, a second run changes nothing, and uninstall leaves no marker line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyinfra.api import OperationError

from remote_ollama import client
from remote_ollama.facts.files import decode, encode
from remote_ollama.operations import profile
from tests.hostile.profile_cases import SEED_BLOCK, blocks, converge_on_disk

S, E = client.ENV_START, client.ENV_END
CS, CE = client.CLAUDE_START, client.CLAUDE_END

NASTY = [b"\n", b"\r", b"\r\n", b"\x1e", b"\x0c", b"\x0b", b"\x00", "\u2028".encode(),
         "\u0085".encode(), b"\xff", b"\xe9", b"\xc3", b" ", b"\t", b"#", b"x", b"fi",
         b"export A=1", "ü".encode(), f"echo '{S}'".encode(), f"{S}\x0c".encode(),
         f"{S}\u2028".encode(), f"x{E}".encode(), b"# >>> ai-client", b"@@remote-ollama-eof@@"]
MARKERS = [S, E, CS, CE, "# >>> ai-client >>>", "# <<< ai-client <<<", "# >>> claude-ollama >>>",
           "# <<< claude-ollama <<<"]


def no_marker_line(data: bytes) -> bool:
    return not {line.strip(b" \t\r") for line in data.split(b"\n")} & {m.encode() for m in MARKERS}


user_bytes = st.lists(st.one_of(st.sampled_from(NASTY), st.binary(max_size=4)),
                      max_size=25).map(b"".join).filter(no_marker_line)  # fmt: skip
MARKERS.append(f"  {S}\r")
with_markers = st.lists(st.one_of(st.sampled_from(NASTY),
                                  st.sampled_from([f"\n{m}\n".encode() for m in MARKERS])),
                        max_size=25).map(b"".join)  # fmt: skip


def read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(original=st.one_of(st.none(), user_bytes), seeded=st.booleans(), claude=st.booleans())
def test_real_files_survive_converge_and_uninstall_byte_for_byte(tmp_path, original, seeded,
                                                                 claude):
    path = tmp_path / "profile"
    if path.exists():
        path.unlink()
    if original is not None:
        path.write_bytes(original + (SEED_BLOCK if seeded else b""))
        os.chmod(path, 0o640)
    converge_on_disk(path, blocks(True, claude))
    text = read(path)
    assert text.count(S.encode()) - (original or b"").count(S.encode()) == 1
    assert b"# >>> ai-client >>>\n" not in text
    assert converge_on_disk(path, blocks(True, claude)) == []  # a second run: no command
    if original is not None:
        assert oct(path.stat().st_mode & 0o777) == "0o640"
    converge_on_disk(path, blocks(False, False))
    assert read(path) == original  # None: a file we created is gone again


@settings(max_examples=400, deadline=None)
@given(original=st.one_of(st.none(), with_markers), claude=st.booleans())
def test_any_profile_converges_to_one_block_or_stops_before_changing_it(original, claude):
    content = None if original is None else decode(original)
    try:
        added = content
        for block in blocks(True, claude):
            added = profile.edit_block(added, block)
    except OperationError as error:
        assert "markers" in str(error) or "does not recognise" in str(error) or "nested" in str(
            error)
        return
    lines = [line.strip(" \t\r") for line in added.split("\n")]
    assert lines.count(S) == 1 and lines.count(CS) == int(claude)
    assert "# >>> ai-client >>>" not in lines
    again = added
    for block in blocks(True, claude):
        again = profile.edit_block(again, block)
    assert again == added
    removed = added
    for block in blocks(False, False):
        removed = profile.edit_block(removed, block)
    assert not {S, E, CS, CE} & set(removed.split("\n"))
    encode(removed)  # still the bytes it was made of


@pytest.mark.parametrize("original", [b"", b" \n\t\n", b"\n\n"])
def test_an_existing_empty_or_blank_profile_is_kept_by_uninstall(tmp_path, original):
    path = tmp_path / ".zprofile"
    path.write_bytes(original)
    converge_on_disk(path, blocks(True, True))
    converge_on_disk(path, blocks(False, False))
    assert read(path) == original


@pytest.mark.parametrize("original", [
    f"\n{CS}\n\n{S}\n\n{E}\n\n{CE}\n",  # found by the property above: the env block went too
    f"x\n{S}\n# >>> conda initialize >>>\nconda init\n# <<< conda initialize <<<\n{E}\n",
    f"# >>> ai-client >>>\n{S}\nbody\n{E}\n# <<< ai-client <<<\n",
])
def test_a_block_nested_in_a_block_we_edit_stops_the_run(original):
    with pytest.raises(OperationError, match="nested"):
        for block in blocks(False, False):
            profile.edit_block(original, block, "/h/.zshrc")
