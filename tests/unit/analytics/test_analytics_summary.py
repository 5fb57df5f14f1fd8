"""Every number in summary.md, checked against counts made by hand from the fixtures.

Column order of the tool tables:
Read, Bash, Edit, Write, Grep, Glob, Task, TodoWrite, other, total.
"""

import pytest
from analytics_support import (
    DAMAGED,
    EMPTY,
    FIXTURES,
    RECORDED,
    TOOLS_AND_CACHE,
    bullets,
    report_of,
    table,
)

from remote_ollama.analytics.summary import render_summary
from remote_ollama.analytics.tables import plural


@pytest.fixture(scope="module")
def tools_md():
    return render_summary(report_of(TOOLS_AND_CACHE))


@pytest.fixture(scope="module")
def damaged_md():
    return render_summary(report_of(DAMAGED))


class TestToolsAndCache:
    def test_top_level_tool_table(self, tools_md):
        assert table(tools_md, "Tool calls per iteration (top level)") == {
            # it 1: one of each named tool + WebFetch (other) = 9
            "1": ["1", "1", "1", "1", "1", "1", "1", "1", "1", "9"],
            # it 2: Read, Bash, Edit x2 = 4
            "2": ["1", "1", "2", "0", "0", "0", "0", "0", "0", "4"],
            # sums: Read 1+1, Bash 1+1, Edit 1+2, ... total 9+4 = 13
            "Total": ["2", "2", "3", "1", "1", "1", "1", "1", "1", "13"],
            # totals / 2 iterations
            "Average": ["1", "1", "1.5", "0.5", "0.5", "0.5", "0.5", "0.5", "0.5", "6.5"],
        }
        assert "Other tools: WebFetch 1." in tools_md

    def test_subagent_tool_table(self, tools_md):
        assert table(tools_md, "Tool calls inside subagents") == {
            # the Explore subagent of it 1: Read x2, Grep x1
            "1": ["2", "0", "0", "0", "1", "0", "0", "0", "0", "3"],
            "2": ["0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
            "Total": ["2", "0", "0", "0", "1", "0", "0", "0", "0", "3"],
            # 2/2, 1/2, 3/2
            "Average": ["1", "0", "0", "0", "0.5", "0", "0", "0", "0", "1.5"],
        }

    def test_token_table(self, tools_md):
        # columns: input, cache creation, cache read, output, hit rate, peak context
        assert table(tools_md, "Tokens") == {
            # the result event's modelUsage (main loop + subagent):
            # 15400 / (3500 + 15400) = 81.5%; peak = subagent request of 5500
            "1": ["9,519", "3,500", "15,400", "680", "81.5%", "5,500"],
            # no modelUsage, no subagent: the result event's usage, complete;
            # 9000 / (1000 + 9000) = 90.0%; peak = 4 + 0 + 4000 = 4004
            "2": ["500", "1,000", "9,000", "300", "90.0%", "4,004"],
            # 9519+500, 3500+1000, 15400+9000, 680+300; 24400 / (4500 + 24400) = 84.4%
            "Total": ["10,019", "4,500", "24,400", "980", "84.4%", "5,500"],
            # totals / 2
            "Average": ["5,009.5", "2,250", "12,200", "490", "—", "—"],
        }

    def test_depth_and_time_table(self, tools_md):
        # columns: shallow, deep, shallow:deep, wall time, result
        assert table(tools_md, "Depth and time") == {
            # shallow = top 3 (Read, Grep, Glob) + subagent 3 = 6; deep = Edit + Write = 2
            "1": ["6", "2", "3.0:1", "46.2", "success"],
            # shallow = Read 1; deep = Edit 2 -> 1/2 = 0.5
            "2": ["1", "2", "0.5:1", "21.0", "success"],
            # 7 / 4 = 1.75 -> 1.8; wall 46.2 + 21.0 = 67.2
            "Total": ["7", "4", "1.8:1", "67.2", ""],
            # 7/2, 4/2, 67.2/2
            "Average": ["3.5", "2", "—", "33.6", ""],
        }

    def test_findings(self, tools_md):
        found = bullets(tools_md, "Findings")
        # 1 spawn / 2 iterations = 0.5; subagent calls 3
        assert found[0].startswith(
            "Subagents: 0.5 Task spawns per iteration on average (1 in total), making 3 tool"
        )
        # hit rate 84.4% > 60%; context 10019 + 4500 + 24400 = 38919 -> 19,459.5 per
        # iteration, rounded 19,460; uncached 10019 + 4500 = 14519; 38919 / 14519 = 2.68 -> 2.7x
        assert "hit rate 84.4%, above 60%" in found[1]
        assert "about 19,460 tokens per iteration, 2.7x the uncached input" in found[1]
        assert found[2].startswith(
            "Depth: 7 shallow operations (Read+Grep+Glob) against 4 deep ones (Edit+Write),"
            " ratio 1.8:1. Edits are frequent"
        )
        assert "largest single request carried 5,500 tokens" in found[3]
        # 67.2 / 2 = 33.6 s; 980 / 2 = 490 output tokens
        assert found[4].startswith("Pace: 33.6 s wall time and 490 output tokens per iteration")
        assert len(found) == 5  # no caution: nothing is damaged

    def test_run_info_and_problems(self, tools_md):
        assert "- Mode: build\n- Backend: cloud\n" in tools_md
        assert "- Iterations: 2 measured of 2 recorded, 2 requested" in tools_md
        assert tools_md.rstrip().endswith("## Problems\n\nNone found.")


class TestDamaged:
    def test_tool_tables_show_missing_iteration_as_dashes(self, damaged_md):
        assert table(damaged_md, "Tool calls per iteration (top level)") == {
            # it 1: Read (toolu_a), Grep (toolu_b); toolu_c sits on the truncated line
            "1": ["1", "0", "0", "0", "1", "0", "0", "0", "0", "2"],
            # it 2: Read, Task
            "2": ["1", "0", "0", "0", "0", "0", "1", "0", "0", "2"],
            "3": ["—"] * 10,
            "Total": ["2", "0", "0", "0", "1", "0", "1", "0", "0", "4"],
            # averages over the 2 measured iterations
            "Average": ["1", "0", "0", "0", "0.5", "0", "0.5", "0", "0", "2"],
        }
        assert table(damaged_md, "Tool calls inside subagents")["Total"] == [
            "0", "0", "0", "0", "0", "1", "0", "0", "0", "1",  # Glob in the subagent
        ]

    def test_token_table_marks_estimates(self, damaged_md):
        assert table(damaged_md, "Tokens") == {
            # result usage; peak = m2's 200 input (m1 has 100)
            "1": ["300", "0", "0", "30", "—", "200"],
            # no result event: a lower bound from the requests, one per message id:
            # m1 1000 + m2 1500 (last of its two events) + subagent s1 2500 in,
            # 5 + 40 + 15 out; peak = subagent 2500
            "2*": ["5,000", "0", "0", "60", "—", "2,500"],
            "3": ["—"] * 6,
            # 300 + 5000, 30 + 60; starred: iteration 2 is incomplete
            "Total*": ["5,300", "0", "0", "90", "—", "2,500"],
            # 5300 / 2, 90 / 2
            "Average*": ["2,650", "0", "0", "45", "—", "—"],
        }

    def test_depth_table(self, damaged_md):
        assert table(damaged_md, "Depth and time") == {
            "1": ["2", "0", "—", "10.0", "success"],
            # Read + subagent Glob = 2
            "2": ["2", "0", "—", "5.5", "interrupted"],
            # wall time of the missing iteration is still known from run.json
            "3": ["—", "—", "—", "1.0", "missing"],
            # wall total counts measured iterations only: 10.0 + 5.5 = 15.5
            "Total": ["4", "0", "—", "15.5", ""],
            # 15.5 / 2 = 7.75 -> 7.8
            "Average": ["2", "0", "—", "7.8", ""],
        }

    def test_problems_are_listed_not_dropped(self, damaged_md):
        assert bullets(damaged_md, "Problems") == [
            "iteration 1: 4 malformed lines skipped (lines 3, 4, 5, 8: JSON list, not an"
            " object; not JSON (Expecting property name enclosed in double quotes); not JSON"
            " (Expecting value))",
            "iteration 2: stopped by Ctrl-C",
            "iteration 2: tokens incomplete, the figures are a lower bound: no result event:"
            " counted from the requests seen, output not final",
            "iteration 3: iteration-3.json missing, not measured",
        ]
        assert bullets(damaged_md, "Findings")[-1].startswith(
            "Caution: 4 malformed lines, 1 iteration without a result event,"
            " 1 iteration whose token count is incomplete, 1 missing iteration file;"
        )

    def test_no_cache_tokens_finding(self, damaged_md):
        assert bullets(damaged_md, "Findings")[1].startswith(
            "Prompt cache: no cache tokens were reported"
        )


def test_empty_iteration():
    markdown = render_summary(report_of(EMPTY))
    assert table(markdown, "Tokens")["1*"] == ["0", "0", "0", "0", "—", "0"]
    assert table(markdown, "Depth and time")["1"] == ["0", "0", "—", "0.2", "no result"]
    assert bullets(markdown, "Problems") == [
        "iteration 1: tokens incomplete, the figures are a lower bound: no result event:"
        " no token counts",
        "iteration 1: claude exited with code 1 (its stderr is in iteration-1.stderr)",
    ]


def test_recorded_real_run():
    markdown = render_summary(report_of(RECORDED))
    assert table(markdown, "Tokens") == {
        # both iterations: result usage 4468 in, 5 out, no cache tokens
        "1": ["4,468", "0", "0", "5", "—", "4,468"],
        "2": ["4,468", "0", "0", "5", "—", "4,468"],
        "Total": ["8,936", "0", "0", "10", "—", "4,468"],
        "Average": ["4,468", "0", "0", "5", "—", "—"],
    }
    # wall times from run.json: 0.502 -> 0.5, 0.423 -> 0.4, 0.925 -> 0.9, 0.4625 -> 0.5
    assert table(markdown, "Depth and time") == {
        "1": ["0", "0", "—", "0.5", "success"],
        "2": ["0", "0", "—", "0.4", "success"],
        "Total": ["0", "0", "—", "0.9", ""],
        "Average": ["0", "0", "—", "0.5", ""],
    }
    assert table(markdown, "Tool calls per iteration (top level)")["Total"] == ["0"] * 10
    assert "- Backend: ollama\n- Model: qwen3-coder:30b\n" in markdown
    assert markdown.rstrip().endswith("## Problems\n\nNone found.")


def test_text_rendering_has_the_same_numbers():
    text = render_summary(report_of(TOOLS_AND_CACHE), markdown=False)
    assert "Tokens\n------" in text
    assert "Total       10,019           4,500      24,400     980           84.4%         5,500" in text


def test_recorded_real_ctrl_c():
    markdown = render_summary(report_of(FIXTURES / "recorded" / "run-ctrl-c"))
    # only the init event was printed: no tokens, no tools; wall time 7.642 -> 7.6
    assert table(markdown, "Tokens")["1*"] == ["0", "0", "0", "0", "—", "0"]
    assert table(markdown, "Depth and time")["1"] == ["0", "0", "—", "7.6", "interrupted"]
    assert "- Stopped: interrupted by Ctrl-C during iteration 1" in markdown
    assert "- Iterations: 1 measured of 1 recorded, 3 requested" in markdown
    # claude's stderr holds only the harmless unrecognized_model line: it is not quoted
    # as the reason, and exit 143 (SIGTERM, sent by the runner) is not a second problem.
    assert bullets(markdown, "Problems") == [
        "iteration 1: stopped by Ctrl-C",
        "iteration 1: tokens incomplete, the figures are a lower bound: no result event:"
        " no token counts",
    ]


def test_counts_of_one_are_singular():
    # the recorded Agent run: 1 spawn in each of 2 iterations, 2 subagent calls in all
    run = FIXTURES / "recorded" / "run-agent-two-results"
    found = bullets(render_summary(report_of(run)), "Findings")
    assert found[0].startswith(
        "Subagents: 1 Task spawn per iteration on average (2 in total), making 2 tool calls"
    )
    # build mode with no edit: no claim about plan mode
    assert found[2].endswith("No file was edited: a read-only workload.")


def test_plural():
    assert [plural(n, "iteration") for n in (0, 1, 2, 1000)] == [
        "0 iterations", "1 iteration", "2 iterations", "1,000 iterations",
    ]
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


def test_findings_say_at_least_when_tokens_are_incomplete():
    found = bullets(render_summary(report_of(DAMAGED)), "Findings")
    # output 30 + 60 over 2 measured iterations; iteration 2 is a lower bound
    assert found[-2].startswith("Pace: 7.8 s wall time and at least 45 output tokens per")
    complete = bullets(render_summary(report_of(TOOLS_AND_CACHE)), "Findings")
    assert "about 19,460 tokens per iteration" in complete[1]
    assert complete[-1].startswith("Pace: 33.6 s wall time and 490 output tokens per")
