"""Token totals of a real stream with two result events (Claude Code 2.1.332, Agent tool).

The fixture recorded/run-agent-two-results was made by the real claude binary against
the scripted stand-in tests/fixtures/analytics/scripted_anthropic.py (see the fixtures'
README): per iteration 7 requests (5 main loop, 2 in a background subagent), each
reporting 100 input / 50 cache-creation / 200 cache-read / 10 output tokens. So each
iteration is 700 / 350 / 1400 / 70, which is what the stream's modelUsage says.
"""

import copy
import json

from analytics_support import FIXTURES, bullets, report_of, table

from remote_ollama.analytics.metrics import (
    TOKENS_MESSAGES,
    TOKENS_MODEL_USAGE,
    TOKENS_RESULTS,
    TokenUsage,
    measure_iteration,
)
from remote_ollama.analytics.stream import parse_stream
from remote_ollama.analytics.summary import render_summary

TWO_RESULTS = FIXTURES / "recorded" / "run-agent-two-results"
PER_ITERATION = TokenUsage(input=700, cache_creation=350, cache_read=1400, output=70)


def events(number=1):
    return parse_stream((TWO_RESULTS / f"iteration-{number}.json").read_text()).events


def test_the_recording_has_two_result_events_and_seven_requests():
    stream = events()
    results = [e for e in stream if e["type"] == "result"]
    assert [r["result_index"] for r in results] == [0, 1]
    assert [r["num_turns"] for r in results] == [4, 1]
    requests = {e["message"]["id"]: e.get("parent_tool_use_id") for e in stream
                if e["type"] == "assistant"}
    assert len(requests) == 7
    assert sum(parent is not None for parent in requests.values()) == 2


def test_each_iteration_counts_every_request_once():
    for number in (1, 2):
        m = measure_iteration(events(number))
        assert m.tokens == PER_ITERATION
        assert m.tokens_source == TOKENS_MODEL_USAGE and m.tokens_complete
        assert m.result_count == 2 and m.num_turns == 5
        assert m.top_level_tools == {"Read": 1, "Bash": 1, "Agent": 1}
        assert m.subagent_tools == {"Read": 1}


def test_the_report_shows_the_full_totals_and_no_token_problem():
    markdown = render_summary(report_of(TWO_RESULTS))
    tokens = table(markdown, "Tokens")
    assert tokens["1"][:4] == tokens["2"][:4] == ["700", "350", "1,400", "70"]
    assert tokens["Total"][:5] == ["1,400", "700", "2,800", "140", "80.0%"]
    assert "Total*" not in tokens
    assert bullets(markdown, "Problems") == []
    assert "modelUsage" in markdown


def test_why_neither_result_usage_nor_assistant_events_alone_will_do():
    stream = events()
    results = [TokenUsage.from_usage(e["usage"]) for e in stream if e["type"] == "result"]
    # The last result event covers the last turn loop only (the old, 7x low figure) ...
    assert results[-1] == TokenUsage(100, 50, 200, 10)
    # ... and all of them together cover only the main loop's 5 requests.
    assert sum(results, TokenUsage()) == TokenUsage(500, 250, 1000, 50)
    # Assistant events carry the usage of the request's start: input side right, output 1.
    last_by_id = {e["message"]["id"]: TokenUsage.from_usage(e["message"]["usage"])
                  for e in stream if e["type"] == "assistant"}
    assert sum(last_by_id.values(), TokenUsage()) == TokenUsage(700, 350, 1400, 7)


def test_without_model_usage_the_input_side_is_right_but_flagged_incomplete():
    stream = copy.deepcopy(events())
    for event in stream:
        event.pop("modelUsage", None)
    m = measure_iteration(stream)
    assert m.tokens_source == TOKENS_RESULTS
    # results (main loop) + the subagent's 2 requests
    assert m.tokens == TokenUsage(700, 350, 1400, 50 + 2)
    assert not m.tokens_complete and "subagents' output" in m.tokens_gap


def test_a_stream_cut_before_any_result_is_a_lower_bound():
    stream = events()
    first_result = next(i for i, e in enumerate(stream) if e["type"] == "result")
    m = measure_iteration(stream[:first_result])
    assert m.tokens_source == TOKENS_MESSAGES and not m.tokens_complete
    assert m.tokens == TokenUsage(700, 350, 1400, 7)


def test_a_subagent_still_running_makes_the_total_incomplete():
    stream = [e for e in events() if e.get("subtype") != "task_notification"]
    m = measure_iteration(stream)
    assert m.tokens == PER_ITERATION
    assert not m.tokens_complete and "background subagent" in m.tokens_gap


def test_requests_after_the_last_result_are_added_and_flagged():
    stream = copy.deepcopy(events())
    late = copy.deepcopy(next(e for e in stream if e["type"] == "assistant"))
    late["message"]["id"] = "msg_late"
    late["message"]["usage"] = {"input_tokens": 5000, "output_tokens": 1}
    m = measure_iteration([*stream, late])
    # modelUsage (700) is below what the requests seen add up to (700 + 5000)
    assert m.tokens.input == 5700
    assert not m.tokens_complete and "after the last result" in m.tokens_gap


def test_model_usage_is_summed_over_models():
    result = {"type": "result", "usage": {}, "modelUsage": {
        "big": {"inputTokens": 10, "outputTokens": 1, "cacheReadInputTokens": 3,
                "cacheCreationInputTokens": 2},
        "small": {"inputTokens": 5, "outputTokens": 4},
        "odd": "not an object",
    }}
    m = measure_iteration([json.loads(json.dumps(result))])
    assert m.tokens == TokenUsage(input=15, cache_creation=2, cache_read=3, output=5)
    assert not m.tokens_complete  # "odd" may hold tokens nobody can read: a lower bound
    del result["modelUsage"]["odd"]
    assert measure_iteration([json.loads(json.dumps(result))]).tokens_complete


def test_a_usage_field_that_is_not_a_number_makes_the_total_incomplete():
    """A wrong-typed token field counts as 0, so the total is a lower bound and says so,
    never a complete figure (issue 14: no partial figure presented as complete)."""
    assert measure_iteration(events()).tokens_complete
    for where in ("result", "assistant", "modelUsage"):
        stream = copy.deepcopy(events())
        if where == "result":
            next(e for e in stream if e["type"] == "result")["usage"]["input_tokens"] = "x"
        elif where == "assistant":
            next(e for e in stream if e["type"] == "assistant")["message"]["usage"] = "many"
        else:
            last = [e for e in stream if e["type"] == "result"][-1]
            model = next(iter(last["modelUsage"]))
            last["modelUsage"][model]["outputTokens"] = [70]
        metrics = measure_iteration(stream)
        assert not metrics.tokens_complete, where
        assert "not a number" in metrics.tokens_gap, where
