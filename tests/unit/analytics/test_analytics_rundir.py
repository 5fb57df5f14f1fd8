"""Damaged run directories are reported, never a crash."""

import json
import shutil
from datetime import datetime

from analytics_support import TOOLS_AND_CACHE, report_of

from remote_ollama.analytics.rundir import load_run, new_run_dir, write_meta
from remote_ollama.analytics.summary import render_summary


def copy_run(tmp_path, source=TOOLS_AND_CACHE):
    target = tmp_path / "run"
    shutil.copytree(source, target)
    return target


def test_missing_run_json_still_measures_files(tmp_path):
    run_dir = copy_run(tmp_path)
    (run_dir / "run.json").unlink()
    report = report_of(run_dir)
    assert report.problems == ["run.json is missing: mode, backend and wall times unknown"]
    assert report.measured_count == 2
    # wall time falls back to the result's duration_ms: 45000 ms and 20000 ms
    assert [it.wall_time_s for it in report.iterations] == [45.0, 20.0]
    assert [it.wall_time_source for it in report.iterations] == ["result duration_ms"] * 2


def test_unreadable_run_json(tmp_path):
    run_dir = copy_run(tmp_path)
    (run_dir / "run.json").write_text('{"mode": ')
    problems = report_of(run_dir).problems
    assert len(problems) == 1 and problems[0].startswith("run.json is unreadable")
    (run_dir / "run.json").write_text("[]")
    assert report_of(run_dir).problems == ["run.json is not a JSON object"]


def test_gap_in_numbering_and_unlisted_file(tmp_path):
    run_dir = copy_run(tmp_path)
    # iteration-4.json exists but run.json lists only 1 and 2: 3 is a gap, 4 is unlisted.
    shutil.copy(run_dir / "iteration-2.json", run_dir / "iteration-4.json")
    report = report_of(run_dir)
    assert [it.number for it in report.iterations] == [1, 2, 3, 4]
    assert report.measured_count == 3
    assert report.missing_file_count == 1
    assert report.all_problems == [
        "iteration-4.json is not listed in run.json",
        "iteration 3: iteration-3.json missing, not measured",
    ]


def test_directory_without_iterations(tmp_path):
    run_dir = tmp_path / "run-empty"
    run_dir.mkdir()
    report = report_of(run_dir)
    assert report.problems == [
        "run.json is missing: mode, backend and wall times unknown",
        "no iterations found",
    ]
    markdown = render_summary(report)
    assert "Nothing was measured: no iteration file could be read." in markdown
    assert "- Iterations: 0 measured of 0 recorded" in markdown


def test_nonexistent_directory(tmp_path):
    run = load_run(tmp_path / "nope")
    assert run.problems == [f"run directory {tmp_path / 'nope'} does not exist"]


def test_new_run_dir_is_timestamped_and_unique(tmp_path):
    now = datetime(2025, 1, 2, 3, 4, 5)
    first = new_run_dir(tmp_path / "analytics", now)
    second = new_run_dir(tmp_path / "analytics", now)
    assert first.name == "run-20250102-030405"
    assert second.name == "run-20250102-030405-2"
    assert first.is_dir() and second.is_dir()


def test_write_meta_roundtrip(tmp_path):
    write_meta(tmp_path, {"mode": "plan", "iterations": []})
    assert json.loads((tmp_path / "run.json").read_text()) == {"mode": "plan", "iterations": []}
    assert not (tmp_path / "run.json.tmp").exists()


def test_run_that_never_finished_is_flagged(tmp_path):
    run_dir = copy_run(tmp_path)
    meta = json.loads((run_dir / "run.json").read_text())
    meta["stopped"] = "running"  # what a killed runner leaves behind
    (run_dir / "run.json").write_text(json.dumps(meta))
    assert report_of(run_dir).problems == [
        "run.json says the run never finished: it is still going or was killed"
    ]
