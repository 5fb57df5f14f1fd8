"""Every network client against every hostile behaviour of tests/hostile/server.py.

Each case runs the client as the deploys run it (the shipped file, its own process) with
short deadlines, and must end by itself: a non-zero exit, the failure in the tool's own
words, no traceback, nothing sent to the redirect's other port, and the other models of
a `warm` still done. A case that hangs is killed after tests/hostile/cases.BOUND seconds.
One test per client; its cases run a few at a time, as most of each is a wait.
"""

from __future__ import annotations

import sys

import pytest

from tests.hostile.cases import CLIENTS, Client, run_case, run_cases
from tests.hostile.server import BEHAVIOURS


@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_every_hostile_behaviour_ends_in_a_clean_failure(client):
    outcomes = run_cases([(client, behaviour) for behaviour in BEHAVIOURS])
    expected = {b: "safe" if b in client.harmless else "clean" for b in BEHAVIOURS}
    got = {b: o.kind for b, o in zip(BEHAVIOURS, outcomes, strict=True)}
    details = "\n\n".join(
        f"{b}: {o}" for b, o in zip(BEHAVIOURS, outcomes, strict=True) if o.kind != expected[b]
    )
    assert got == expected, details


@pytest.mark.parametrize(
    "behaviour", ["slow trickle", "huge body", "redirect to another port", "bad status line"]
)
def test_the_remote_ollama_cli_too(behaviour, tmp_path):
    """`remote-ollama check` runs the same client under pyinfra's gevent patching."""
    cli = Client("check", None)
    cli_command = [sys.executable, "-m", "remote_ollama.cli", "check", "--no-client",
                   "--timeout", "1", "--deadline", "3", "--server"]  # fmt: skip
    outcome = run_case(cli, behaviour, tmp_path, command=lambda url: [*cli_command, url])
    assert outcome.kind == "clean", str(outcome)
