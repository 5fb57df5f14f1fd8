"""measure_iteration on the fixtures; expected numbers are counted by hand from the files."""

import json
from collections import Counter

from analytics_support import DAMAGED, EMPTY, RECORDED, TOOLS_AND_CACHE

from remote_ollama.analytics.metrics import (
    TOKENS_MESSAGES,
    TOKENS_MODEL_USAGE,
    TOKENS_NONE,
    TokenUsage,
    measure_iteration,
    tool_column,
)
from remote_ollama.analytics.stream import parse_stream


def measure(path):
    return measure_iteration(parse_stream(path.read_text()).events)


def test_tool_calls_top_level_and_in_subagents():
    m = measure(TOOLS_AND_CACHE / "iteration-1.json")
    # toolu_01..09 at the top level; toolu_03 appears twice (msg_2 repeated) -> once.
    assert m.top_level_tools == Counter(
        TodoWrite=1, Read=1, Grep=1, Glob=1, Task=1, Edit=1, Write=1, Bash=1, WebFetch=1
    )
    # Events with parent_tool_use_id "toolu_05": toolu_s1 Read, toolu_s2 Read, toolu_s3 Grep.
    assert m.subagent_tools == Counter(Read=2, Grep=1)
    assert m.subagent_spawns == 1
    # shallow = top (Read 1 + Grep 1 + Glob 1) + subagents (Read 2 + Grep 1) = 6
    assert m.shallow == 6
    # deep = Edit 1 + Write 1 = 2
    assert m.deep == 2


def test_tokens_come_from_model_usage():
    m = measure(TOOLS_AND_CACHE / "iteration-1.json")
    # modelUsage of the result event: the main loop's 19 / 3500 / 15400 / 630 (its usage)
    # plus the subagent's msg_s1 and msg_s2: 4000 + 5500 in, 20 + 30 out
    assert m.tokens == TokenUsage(input=9519, cache_creation=3500, cache_read=15400, output=680)
    assert m.tokens_source == TOKENS_MODEL_USAGE and m.tokens_complete
    # 15400 / (3500 + 15400)
    assert m.tokens.cache_hit_rate == 15400 / 18900
    # largest request: the subagent's msg_s2, 5500 + 0 + 0; the main loop's largest is
    # msg_6, 2 + 0 + 3600 = 3602
    assert m.peak_context == 5500
    assert (m.num_turns, m.duration_ms, m.cost_usd) == (6, 45000, 0.1234)
    assert m.model == "claude-sonnet-4-5"
    assert m.has_result and not m.result_is_error and m.result_subtype == "success"


def test_second_iteration():
    m = measure(TOOLS_AND_CACHE / "iteration-2.json")
    assert m.top_level_tools == Counter(Read=1, Edit=2, Bash=1)
    assert m.subagent_tools == Counter()
    assert (m.shallow, m.deep, m.subagent_spawns) == (1, 2, 0)
    # 9000 / (1000 + 9000) = 0.9
    assert m.tokens.cache_hit_rate == 0.9
    # msg_23: 4 + 0 + 4000 = 4004 is the largest request
    assert m.peak_context == 4004


def test_no_result_event_counts_every_request_as_a_lower_bound():
    m = measure(DAMAGED / "iteration-2.json")
    assert not m.has_result
    assert m.tokens_source == TOKENS_MESSAGES and not m.tokens_complete
    assert m.tokens_gap.startswith("no result event")
    # m1: 1000 in / 5 out; m2 seen twice, last usage 1500 in / 40 out; the subagent's
    # s1: 2500 in / 15 out. Input 1000 + 1500 + 2500 = 5000, output 5 + 40 + 15 = 60.
    assert m.tokens == TokenUsage(input=5000, cache_creation=0, cache_read=0, output=60)
    assert m.tokens.cache_hit_rate is None
    # ...but the subagent's request is the largest: 2500.
    assert m.peak_context == 2500
    assert m.top_level_tools == Counter(Read=1, Task=1)
    assert m.subagent_tools == Counter(Glob=1)


def test_empty_iteration_measures_zero():
    m = measure(EMPTY / "iteration-1.json")
    assert m.tokens == TokenUsage() and m.tokens_source == TOKENS_NONE
    assert not m.tokens_complete
    assert (m.has_result, m.peak_context, sum(m.all_tools.values())) == (False, 0, 0)


def test_recorded_real_run():
    m = measure(RECORDED / "iteration-1.json")
    # result usage of the real claude run: input 4468, cache 0/0, output 5
    assert m.tokens == TokenUsage(input=4468, cache_creation=0, cache_read=0, output=5)
    assert m.tokens.cache_hit_rate is None
    assert m.peak_context == 4468
    assert m.model == "qwen3-coder:30b"
    assert (m.num_turns, m.duration_ms) == (1, 111)
    assert sum(m.all_tools.values()) == 0


def test_agent_tool_counts_as_a_spawn_and_unknown_names_as_other():
    events = [
        {"type": "assistant", "parent_tool_use_id": None,
         "message": {"content": [{"type": "tool_use", "id": "a", "name": "Agent"},
                                 {"type": "tool_use", "name": "NoId"},
                                 {"type": "tool_use", "name": "NoId"}]}},
    ]
    m = measure_iteration(events)
    assert m.subagent_spawns == 1
    # calls without an id cannot be de-duplicated, so both count
    assert m.top_level_tools["NoId"] == 2
    assert tool_column("Agent") == "Task" and tool_column("NoId") == "other"


def test_odd_shapes_do_not_crash():
    events = [
        {"type": "assistant", "message": "not an object"},
        {"type": "assistant", "message": {"content": "text", "usage": {"input_tokens": "9"}}},
        {"type": "result", "usage": None, "num_turns": True},
        json.loads('{"type": "unknown"}'),
    ]
    m = measure_iteration(events)
    assert m.has_result and m.tokens == TokenUsage() and m.num_turns is None
