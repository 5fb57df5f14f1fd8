"""docs/reliability.md is what the hostile-input case sets give when run now."""

from __future__ import annotations

from tests.hostile import reliability


def test_the_committed_reliability_doc_matches_a_fresh_run():
    rows, failures = reliability.run_all()
    assert failures == [], "\n".join(failures)
    assert reliability.DOC.read_text() == reliability.render(rows), (
        "run: python -m tests.hostile.reliability --write")


def test_a_hang_and_a_crash_are_counted_as_such(monkeypatch):
    monkeypatch.setattr(reliability, "CASE_SECONDS", 1)

    def outcome(case):
        if case == "hang":
            while True:
                pass
        if case == "crash":
            raise KeyError("boom")
        return case

    results = [reliability.run_case(outcome, c) for c in ("hang", "crash", "safe", "rejected")]
    assert [r.split(":")[0] for r in results] == ["hang", "crash", "safe", "rejected"]
