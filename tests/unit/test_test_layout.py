"""pytest imports test modules by basename (rootdir-relative, no packages): two test files
with one name in different folders stop the whole run at collection ("import file
mismatch"). It happened twice: a unit and an e2e file of the same name."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_module_has_its_own_name():
    seen = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        seen[path.name].append(str(path.relative_to(TESTS)))
    assert seen
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
