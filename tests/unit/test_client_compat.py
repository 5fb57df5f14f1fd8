"""The compatibility matrix: specs, first-match verdicts, and the shipped data file."""

from __future__ import annotations

import pytest

from remote_ollama.compat import load_matrix, matches, verdict, version_key

PAIRS = (
    {"claude_code": "*", "ollama": "<0.14.0", "status": "broken", "tested": "2026-01-01",
     "note": "no /v1/messages"},
    {"claude_code": "2.1.332", "ollama": ">=0.14.2", "status": "works", "tested": "2026-02-02"},
)


@pytest.mark.parametrize(("spec", "version", "expected"), [
    ("*", "1.2.3", True), ("0.14.2", "0.14.2", True), ("0.14.2", "0.14.20", False),
    ("<0.14.0", "0.13.9", True), ("<0.14.0", "0.14.0", False), (">=0.14.2", "0.15.0", True),
    ("<=0.14.2", "0.14.2", True), (">0.9.0", "0.10.0", True),  # numeric, not text, order
])
def test_specs(spec, version, expected):
    assert matches(spec, version) is expected


def test_version_key_ignores_suffixes():
    assert version_key("0.14.2-rc1") == (0, 14, 2)


def test_verdicts_first_match_wins():
    assert verdict("2.1.332", "0.13.5", PAIRS).status == "broken"
    found = verdict("2.1.332", "0.15.0", PAIRS)
    assert (found.status, found.tested) == ("works", "2026-02-02")
    assert verdict("2.0.0", "0.15.0", PAIRS).status == "untested"
    assert verdict("2.1.332", None, PAIRS).status == "unknown"


def test_shipped_matrix_loads_and_knows_the_default_pins():
    assert load_matrix()
    assert verdict("2.1.332", "0.14.2").status == "works"
    assert verdict("2.1.332", "0.13.5").status == "broken"
