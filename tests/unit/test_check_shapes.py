"""Property: whatever JSON a server sends, each check passes, fails or skips; none raises
anything else (the run's catch-all is a safety net, not the way shapes are handled)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remote_ollama import contract

KEYS = ["version", "models", "name", "model", "object", "data", "id", "choices", "message",
        "role", "content", "reasoning", "usage", "delta", "finish_reason", "type", "text",
        "stop_reason", "error", "prompt_tokens", "completion_tokens", "total_tokens",
        "input_tokens", "output_tokens", "owned_by"]  # fmt: skip
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=5)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    values.map(json.dumps),
    st.lists(values.map(json.dumps), max_size=4).map(
        lambda docs: "".join(f"data: {d}\n\n" for d in docs) + "data: [DONE]\n\n"
    ),
    st.text(max_size=40),
)


class Canned:
    """A Client stand-in answering every request with the next drawn (status, body)."""

    base = "http://127.0.0.1:11434"

    def __init__(self, answers):
        self.answers, self.exchanges = list(answers), []

    def call(self, method, path, body=None):
        status, text = self.answers.pop(0) if self.answers else (200, "{}")
        return contract.Reply(status, text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    check=st.sampled_from([c for _g, _n, c in contract.SERVER_CHECKS]),
    answers=st.lists(st.tuples(st.sampled_from([200, 404, 500]), bodies), max_size=3),
)
def test_any_answer_passes_fails_or_skips_each_check(check, answers):
    ctx = contract.Context(Canned(answers), None, False, Path("/nonexistent"))
    ctx.reachable, ctx.model, ctx.version = True, "m:1b", "0.14.2"  # so every check runs
    with contextlib.suppress(contract.Failed, contract.Skipped):
        check(ctx)
