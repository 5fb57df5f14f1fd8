"""parse_stream: every non-blank line is an event or a counted bad line."""

from analytics_support import DAMAGED, RECORDED

from remote_ollama.analytics.stream import parse_stream


def test_damaged_transcript_keeps_good_events_and_counts_bad_lines():
    parsed = parse_stream((DAMAGED / "iteration-1.json").read_text())
    # 8 lines: 1 init, 2 assistant, 3 cut-off user event, 4 JSON array, 5 stray text,
    # 6 assistant, 7 result, 8 truncated assistant without a newline -> 4 good, 4 bad.
    assert [event["type"] for event in parsed.events] == ["system", "assistant", "assistant", "result"]
    assert [bad.number for bad in parsed.bad_lines] == [3, 4, 5, 8]
    assert parsed.bad_lines[0].reason.startswith("not JSON")
    assert parsed.bad_lines[1].reason == "JSON list, not an object"
    assert parsed.bad_lines[2].excerpt == "Warning: stray text on stdout"


def test_blank_lines_are_not_bad_lines():
    parsed = parse_stream('\n{"type":"system"}\n\n   \n{"type":"result"}\n')
    assert len(parsed.events) == 2
    assert parsed.bad_lines == []


def test_empty_text_has_nothing():
    parsed = parse_stream("")
    assert parsed.events == [] and parsed.bad_lines == []


def test_long_bad_line_excerpt_is_shortened():
    parsed = parse_stream("x" * 500)
    assert len(parsed.bad_lines[0].excerpt) == 60
    assert parsed.bad_lines[0].excerpt.endswith("...")


def test_recorded_real_transcript_parses_cleanly():
    # The real claude 2.1.332 output: init, two status events, assistant, result.
    parsed = parse_stream((RECORDED / "iteration-1.json").read_text())
    assert parsed.bad_lines == []
    assert [(e["type"], e.get("subtype")) for e in parsed.events] == [
        ("system", "init"), ("system", "status"), ("system", "status"),
        ("assistant", None), ("result", "success"),
    ]
