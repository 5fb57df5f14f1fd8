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


def test_every_class_issue_13_tried_is_counted():
    """Settings, server answers, every network client against every hostile server
    behaviour, corrupt analytics input and nasty shell profiles: all in the doc."""
    from tests.hostile import analytics_cases, cases, network_cases, profile_cases
    from tests.hostile.server import BEHAVIOURS

    modules = dict(reliability.CASE_SETS)
    assert modules["network answers"] == network_cases.__name__
    assert modules["analytics files"] == analytics_cases.__name__
    assert modules["shell profiles"] == profile_cases.__name__
    network = [case for make in network_cases.CASES.values() for case in make()]
    assert len(network) == len(cases.CLIENTS) * len(BEHAVIOURS) == 7 * 18
    doc = reliability.DOC.read_text()
    for area in modules:
        assert f"| {area} |" in doc


def test_a_batch_case_set_that_raises_counts_every_case_as_a_crash():
    class Batch:
        @staticmethod
        def outcomes(batch):
            raise OSError("no port left")

    assert reliability._results(Batch, [1, 2]) == ["crash: OSError: no port left"] * 2
