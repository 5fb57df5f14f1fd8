"""Every network client against every hostile server behaviour, as a reliability case set.

The cases are those of ``tests/hostile/cases.py`` (7 clients x 18 behaviours of
``HostileServer``): one row per client. Each class is run as a batch (``outcomes``),
``cases.PARALLEL`` at a time, every case bounded by ``cases.BOUND`` seconds. Outcomes map
to the reliability columns: ``clean`` (the client stopped with its own one-line failure
and a non-zero exit, having done nothing with the bad answer) is ``rejected``; ``safe`` is
``safe``; ``unsafe`` (a request reached the redirect's other port) and ``wrong`` (exit 0
on a hostile answer, a good model not warmed, terminal escapes passed through) are
``unsafe``; ``crash`` and ``hang`` are themselves.
"""

from __future__ import annotations

import typing

from tests.hostile import cases
from tests.hostile.server import BEHAVIOURS

MAP = {"clean": "rejected", "safe": "safe", "crash": "crash", "hang": "hang",
       "unsafe": "unsafe: reached another host", "wrong": "unsafe: wrong"}  # fmt: skip


def _class(client: cases.Client) -> typing.Callable[[], list]:
    return lambda: [(client, behaviour) for behaviour in BEHAVIOURS]


CASES: dict[str, typing.Callable[[], list]] = {
    f"`{client.name}` against {len(BEHAVIOURS)} hostile server behaviours": _class(client)
    for client in cases.CLIENTS
}


def outcomes(batch: list) -> list[str]:
    """Run a whole class at once (its cases in parallel); a result per case, in order."""
    results = []
    for outcome in cases.run_cases(batch):
        result = MAP[outcome.kind]
        if outcome.kind not in ("clean", "safe"):
            result += f": {outcome}"
        results.append(result)
    return results


def outcome(case) -> str:
    return outcomes([case])[0]
