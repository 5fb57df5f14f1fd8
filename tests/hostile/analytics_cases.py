"""``analytics report`` on corrupt run directories, as a reliability case set.

A case is a run directory (file name -> bytes; ``DIR`` makes a directory there) and the
words the report must show about the bad part. ``outcome(case)`` writes it to a temporary
directory and runs ``remote-ollama analytics report DIR`` in this process (the CLI's own
``main``): ``safe`` when it prints the report, exit 0, no traceback, and says what was
wrong; ``rejected`` when it stops with a clear message and a non-zero exit; ``unsafe``
when the report leaves the bad part unmentioned. A hang or an allocation in proportion to
a number in the input shows up as ``hang`` or as a ``crash`` (MemoryError).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import typing
from pathlib import Path

from remote_ollama.cli import main

DIR = object()  # a directory where a file should be
RESULT = (b'{"type":"result","subtype":"success","num_turns":1,"duration_ms":1000,'
          b'"usage":{"input_tokens":10,"output_tokens":2}}\n')  # fmt: skip
GOOD = {"iteration-1.json": RESULT}


def _meta(value) -> dict:
    return {"run.json": value if isinstance(value, bytes) else json.dumps(value).encode(),
            **GOOD}  # fmt: skip


def _transcript(data: bytes) -> dict:
    return {"run.json": json.dumps({"mode": "plan"}).encode(), "iteration-1.json": data}


def outcome(case) -> str:
    files, note = case
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        for name, data in files.items():
            if data is DIR:
                (run_dir / name).mkdir()
            else:
                (run_dir / name).write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["analytics", "report", str(run_dir)])
    text = out.getvalue() + err.getvalue()
    if "Traceback (most recent call last)" in text:
        return "crash: a traceback was printed"
    if code != 0:
        return "rejected" if text.strip() else "unsafe: a non-zero exit and no message"
    if note not in text:
        return f"unsafe: the report does not say {note!r}"
    return "safe"


def _cases(*cases) -> typing.Callable[[], list]:
    return lambda: list(cases)


CASES: dict[str, typing.Callable[[], list]] = {
    "run.json that cannot be read (`analytics report`)": _cases(
        ({**GOOD}, "run.json is missing"),
        ({"run.json": DIR, **GOOD}, "run.json is unreadable"),
        (_meta(b""), "run.json is unreadable"),
        (_meta(b'{"mode": "plan"'), "run.json is unreadable"),
        (_meta(b"[" * 100_000 + b"]" * 100_000), "nested too deeply"),
        (_meta(b'{"iterations": [{"number": 1, "wall_time_s": ' + b"9" * 5000 + b"}]}"),
         "5000 digits"),
        (_meta(b'{"iterations": [{"number": 1, "wall_time_s": 1e999}]}'), "out of range"),
        (_meta(b'{"iterations": [{"number": 1, "wall_time_s": NaN}]}'),
         "NaN is not a JSON number"),
        (_meta(b'{"mode": "\xff"}'), "codec can't decode byte 0xff"),
        (_meta(b"\x00" * 64), "run.json is unreadable"),
    ),
    "wrong types and absurd numbers in run.json (`analytics report`)": _cases(
        (_meta([1, 2, 3]), "run.json"),
        (_meta({"iterations": [{"number": 10**12}]}), "1 iteration entry skipped"),
        (_meta({"iterations": [{"number": 1}, {"number": -5}, {"number": "2"},
                               {"number": True}, "x", None, [1]]}),
         "6 iteration entries skipped"),
        (_meta({"iterations": 5}), '"iterations" is not a list, ignored'),
        (_meta({"iterations": {"number": 1}}), '"iterations" is not a list, ignored'),
        (_meta({"mode": {"nested": [[["deep"]]]}}), "not a text or number in run.json"),
        (_meta({"backend": "a\nb\n## fake heading"}), "- Backend: a b ## fake heading"),
        (_meta({"goal": "g" * 10_000}), "g" * 197 + "..."),
    ),
    "odd iteration file names (`analytics report`)": _cases(
        ({**GOOD, "iteration-99999999999.json": RESULT}, "iteration numbers run from 1 to"),
        ({**GOOD, "iteration-" + "9" * 240 + ".json": RESULT}, "... skipped"),
        ({**GOOD, "iteration-0.json": RESULT}, "iteration-0.json skipped"),
        ({**GOOD, "iteration-007.json": RESULT}, "expected iteration-7.json"),
        ({**GOOD, "iteration-2.json": DIR}, "iteration-2.json is unreadable"),
        ({**GOOD, "iteration-2.json\n": RESULT}, "1 measured of 1 recorded"),
    ),
    "corrupt transcripts (`analytics report`)": _cases(
        (_transcript(b'{"type":"result","usage":{"input_tokens":' + b"9" * 400 + b"}}\n"
                     + RESULT), "a number of 400 digits"),
        (_transcript(b"[" * 50_000 + b"\n" + RESULT), "nested too deeply"),
        (_transcript(b"x\n" * 5000 + RESULT), "5,000 malformed lines skipped"),
        (_transcript(b"\xff\xfe\x00garbage\n" + RESULT), "1 malformed line skipped"),
        (_transcript(b'[1, 2]\n"text"\n' + RESULT), "2 malformed lines skipped"),
        (_transcript(RESULT[:40]), "1 malformed line skipped"),
    ),
}
