"""`analytics report` on hostile or careless input (issue 13, class 6).

Whatever is in a run directory, the report is printed: bad parts are skipped with a
note, nothing is sized by a number read from the files, and there is no traceback.
"""

import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remote_ollama.analytics.compare import render_compare
from remote_ollama.analytics.run_metrics import build_report
from remote_ollama.analytics.rundir import MAX_ITERATION, load_run
from remote_ollama.analytics.summary import render_summary
from remote_ollama.cli import main

RESULT = ('{"type":"result","subtype":"success","num_turns":1,"duration_ms":1000,'
          '"usage":{"input_tokens":10,"output_tokens":2}}\n')


def make_run(root: Path, meta=None, files=None) -> Path:
    run_dir = root / "run"
    run_dir.mkdir()
    if meta is not None:
        (run_dir / "run.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    for name, text in (files or {}).items():
        (run_dir / name).write_text(text)
    return run_dir


def report(run_dir: Path, capsys) -> str:
    started = time.monotonic()
    assert main(["analytics", "report", str(run_dir)]) == 0
    assert time.monotonic() - started < 10
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def test_absurd_iteration_number_in_a_file_name_is_skipped(tmp_path, capsys):
    longest = "iteration-" + "9" * 240 + ".json"  # 255 bytes, the longest file name
    run_dir = make_run(tmp_path, files={"iteration-1.json": RESULT,
                                        "iteration-99999999999.json": RESULT,
                                        longest: RESULT})
    out = report(run_dir, capsys)
    assert "iteration-99999999999.json skipped: iteration numbers run from 1 to 10000" in out
    assert "iteration-" + "9" * 107 + "... skipped" in out  # the name is shortened
    assert "- Iterations: 1 measured of 1 recorded" in out


def test_odd_iteration_file_names_are_skipped_with_a_note(tmp_path, capsys):
    run_dir = make_run(tmp_path, files={"iteration-1.json": RESULT, "iteration-0.json": RESULT,
                                        "iteration-007.json": RESULT})
    (run_dir / "iteration-2.json").mkdir()  # a directory where a file should be
    out = report(run_dir, capsys)
    assert "iteration-0.json skipped: iteration numbers run from 1 to 10000" in out
    assert "iteration-007.json skipped: expected iteration-7.json" in out
    assert "iteration-2.json is unreadable" in out


@pytest.mark.parametrize("entries, note", [
    ([{"number": 10**12}], "1 iteration entry skipped"),
    ([{"number": 1}, {"number": -5}, {"number": "2"}, {"number": True}, "x", None, [1]],
     "6 iteration entries skipped"),
    (5, '"iterations" is not a list, ignored'),
    ({"number": 1}, '"iterations" is not a list, ignored'),
])
def test_bad_iteration_entries_in_run_json_are_skipped(tmp_path, capsys, entries, note):
    run_dir = make_run(tmp_path, meta={"mode": "plan", "iterations": entries},
                       files={"iteration-1.json": RESULT})
    out = report(run_dir, capsys)
    assert note in out
    assert "- Iterations: 1 measured of 1 recorded" in out


@pytest.mark.parametrize("text, reason", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"iterations": [{"number": 1, "wall_time_s": ' + "9" * 5000 + "}]}", "5000 digits"),
    ('{"iterations": [{"number": 1, "wall_time_s": ' + "9" * 400 + "}]}", "400 digits"),
    ('{"iterations": [{"number": 1, "wall_time_s": 1e999}]}', "out of range"),
    ('{"iterations": [{"number": 1, "wall_time_s": NaN}]}', "NaN is not a JSON number"),
    (b'{"mode": "\xff"}', "codec can't decode byte 0xff"),
])
def test_run_json_that_cannot_be_used_is_one_clear_problem(tmp_path, capsys, text, reason):
    run_dir = make_run(tmp_path, files={"iteration-1.json": RESULT})
    (run_dir / "run.json").write_bytes(text if isinstance(text, bytes) else text.encode())
    out = report(run_dir, capsys)
    assert "run.json is unreadable" in out and reason in out
    assert "- Iterations: 1 measured of 1 recorded" in out


def test_wrong_types_in_run_json_are_shown_safely(tmp_path, capsys):
    meta = {
        "mode": {"nested": [[[["deep"]]]]}, "backend": "a\nb\n## fake heading", "model": 7,
        "goal": "g" * 10_000, "stopped": ["x"], "iterations_requested": True,
        "iterations": [{"number": 1, "wall_time_s": -3, "exit_code": True,
                        "interrupted": "yes"}],
    }
    out = report(make_run(tmp_path, meta=meta, files={"iteration-1.json": RESULT}), capsys)
    assert "- Mode: (not a text or number in run.json: a JSON dict)" in out
    assert "- Backend: a b ## fake heading" in out
    assert "- Goal: " + "g" * 197 + "..." in out
    assert "requested" not in out  # True is not a count
    assert "claude exited" not in out  # True is not an exit code
    # negative wall time ignored: the result's duration_ms (1000 ms) is used
    assert "1.0" in out


def test_huge_numbers_in_a_transcript_are_bad_lines_not_a_crash(tmp_path, capsys):
    huge = ('{"type":"result","usage":{"input_tokens":' + "9" * 400 + "}}\n"
            '{"type":"assistant","message":{"id":"m","usage":{"input_tokens":1e999}}}\n'
            + "[" * 50_000 + "\n" + RESULT)
    out = report(make_run(tmp_path, files={"iteration-1.json": huge}), capsys)
    assert "3 malformed lines skipped (lines 1, 2, 3:" in out
    assert "a number of 400 digits" in out and "nested too deeply" in out


def test_many_bad_lines_are_summarised(tmp_path, capsys):
    out = report(make_run(tmp_path, files={"iteration-1.json": "x\n" * 5000 + RESULT}), capsys)
    assert "5,000 malformed lines skipped (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ...:" in out


# --- generated input ------------------------------------------------------------------

SCALARS = (
    st.none() | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from([0, 1, -1, 10**12, 10**15, 2**63])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from([
    "type", "subtype", "message", "usage", "modelUsage", "parent_tool_use_id", "num_turns",
    "duration_ms", "total_cost_usd", "is_error", "task_id", "model", "id", "content",
    "input_tokens", "output_tokens", "cache_read_input_tokens", "inputTokens", "name",
])
EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["assistant", "result", "system", "user", "other"])},
    optional={"message": st.dictionaries(KEYS, JSON, max_size=5), "subtype": JSON,
              "usage": st.dictionaries(KEYS, JSON, max_size=5),
              "modelUsage": st.dictionaries(st.text(max_size=5), st.dictionaries(KEYS, JSON)),
              "parent_tool_use_id": JSON, "num_turns": JSON, "duration_ms": JSON,
              "total_cost_usd": JSON, "is_error": JSON, "task_id": JSON},
)
LINE = (EVENT.map(json.dumps) | JSON.map(json.dumps) | st.text(max_size=40)
        | st.sampled_from(["[" * 3000, '{"a": ' + "7" * 4400 + "}", '{"a": NaN}', "{"]))
ITERATION_ENTRY = st.fixed_dictionaries({}, optional={
    "number": st.integers(min_value=-5, max_value=10**13) | JSON, "wall_time_s": JSON,
    "exit_code": JSON, "interrupted": JSON, "file": JSON,
})
META = (
    st.dictionaries(st.sampled_from(["mode", "backend", "model", "goal", "stopped",
                                     "iterations_requested", "started_at"]), JSON)
    .flatmap(lambda base: st.fixed_dictionaries(
        {}, optional={"iterations": st.lists(ITERATION_ENTRY, max_size=4) | JSON},
    ).map(lambda extra: {**base, **extra}))
    .map(json.dumps)
    | JSON.map(json.dumps) | st.text(max_size=30)
)
FILE_NUMBER = st.integers(min_value=0, max_value=10**15) | st.sampled_from([1, 2, 3, MAX_ITERATION + 1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=st.none() | META,
       files=st.dictionaries(FILE_NUMBER, st.lists(LINE, max_size=6), max_size=3))
def test_any_run_directory_gives_a_report(meta, files):
    with tempfile.TemporaryDirectory() as root:
        run_dir = Path(root) / "run"
        run_dir.mkdir()
        if meta is not None:
            (run_dir / "run.json").write_text(meta)
        for number, lines in files.items():
            (run_dir / f"iteration-{number}.json").write_text("\n".join(lines))
        started = time.monotonic()
        report_a = build_report(load_run(run_dir))
        assert len(report_a.iterations) <= MAX_ITERATION
        for markdown in (True, False):
            assert "Problems" in render_summary(report_a, markdown=markdown)
        render_compare(report_a, report_a)
        assert time.monotonic() - started < 20


def test_a_file_name_with_a_trailing_newline_is_not_an_iteration(tmp_path, capsys):
    # "$" matches before a final "\n": the whole name must match, not the name minus one "\n"
    run_dir = make_run(tmp_path, files={"iteration-1.json": RESULT,
                                        "iteration-2.json\n": RESULT})
    out = report(run_dir, capsys)
    assert "- Iterations: 1 measured of 1 recorded" in out
