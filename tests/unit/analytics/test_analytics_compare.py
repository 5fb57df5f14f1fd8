"""compare: tools-and-cache (A, cloud) against the recorded stand-in run (B, ollama)."""

import sys

import pytest
from analytics_support import DAMAGED, RECORDED, TOOLS_AND_CACHE, report_of

from remote_ollama.analytics.compare import compare_rows, render_compare
from remote_ollama.analytics.plot import PlotUnavailable, write_png


@pytest.fixture(scope="module")
def rows():
    return {row.label: row for row in compare_rows(report_of(TOOLS_AND_CACHE), report_of(RECORDED))}


def test_values_and_differences(rows):
    def values(label):
        row = rows[label]
        return row.a, row.b, row.difference

    assert values("iterations measured") == (2, 2, 0)
    # A: Read 2 top-level calls / 2 iterations = 1; B: none
    assert values("Read calls / iteration") == (1, 0, -1)
    # A: Edit 3 / 2 = 1.5
    assert values("Edit calls / iteration") == (1.5, 0, -1.5)
    # A: 3 subagent calls / 2 = 1.5
    assert values("subagent tool calls / iteration") == (1.5, 0, -1.5)
    # A: (9519 + 500) / 2 = 5009.5; B: 8936 / 2 = 4468; 4468 - 5009.5 = -541.5
    assert values("input tokens / iteration") == (5009.5, 4468, -541.5)
    # A: (15400 + 9000) / 2
    assert values("cache read tokens / iteration") == (12200, 0, -12200)
    # A: (680 + 300) / 2 = 490; B: 10 / 2 = 5
    assert values("output tokens / iteration") == (490, 5, -485)
    # A: 24400 / (4500 + 24400); B has no cache tokens: no rate, no difference
    assert values("cache hit rate") == (pytest.approx(24400 / 28900), None, None)
    assert values("shallow ops / iteration") == (3.5, 0, -3.5)
    assert values("deep ops / iteration") == (2, 0, -2)
    assert values("peak context (tokens)") == (5500, 4468, -1032)
    # A: 67.2 / 2 = 33.6; B: (0.502 + 0.423) / 2 = 0.4625
    a, b, diff = values("wall time / iteration (s)")
    assert (a, b) == pytest.approx((33.6, 0.4625))
    assert diff == pytest.approx(-33.1375)
    # relative change: -541.5 / 5009.5 = -0.108...
    assert rows["input tokens / iteration"].change == pytest.approx(-541.5 / 5009.5)
    assert rows["Read calls / iteration"].change == -1


def test_rendered_table():
    text = render_compare(report_of(TOOLS_AND_CACHE), report_of(RECORDED))
    lines = text.splitlines()
    assert lines[0] == "A = tools-and-cache (mode build, backend cloud)"
    assert lines[1] == "B = run-standin-plan (mode plan, backend ollama, model qwen3-coder:30b)"
    by_label = {line.split("  ")[0]: line.split() for line in lines[4:]}
    assert by_label["input tokens / iteration"][-4:] == ["5,009.5", "4,468", "-541.5", "-11%"]
    assert by_label["cache hit rate"][-4:] == ["84.4%", "—", "—", "—"]
    assert by_label["wall time / iteration (s)"][-4:] == ["33.6", "0.5", "-33.1", "-99%"]
    assert by_label["iterations measured"][-4:] == ["2", "2", "0", "0%"]
    assert "Problems:" not in text


def test_problems_of_both_runs_are_shown():
    text = render_compare(report_of(DAMAGED), report_of(RECORDED), markdown=True)
    assert "| malformed lines | 4 | 0 | -4 | -100% |" in text
    assert "- A: iteration 3: iteration-3.json missing, not measured" in text
    # A's iteration 2 has no result event: its tokens are a lower bound, and the table says so
    assert "| iterations with incomplete tokens | 1 | 0 | -1 | -100% |" in text


def test_png_chart(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "ab.png"
    write_png(report_of(TOOLS_AND_CACHE), report_of(RECORDED), target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000


def test_each_quantity_has_its_own_axis():
    pytest.importorskip("matplotlib")
    from remote_ollama.analytics.plot import _import_pyplot, draw

    pyplot = _import_pyplot()
    figure = draw(pyplot, report_of(TOOLS_AND_CACHE), report_of(RECORDED))
    try:
        axes = {axis.get_ylabel(): axis for axis in figure.axes}
        assert list(axes) == ["calls", "tokens", "%", "seconds"]

        def heights(axis):
            return [round(bar.get_height(), 4) for bar in axis.patches]

        # percent alone on its axis: A 24400 / 28900 = 84.4%, B none (drawn as 0, "n/a")
        assert heights(axes["%"]) == [round(100 * 24400 / 28900, 4), 0]
        assert [text.get_text() for text in axes["%"].texts] == ["84.4%", "n/a"]
        # seconds alone on theirs: 33.6 and 0.4625, both visible at this scale
        assert heights(axes["seconds"]) == [33.6, 0.4625]
        assert axes["seconds"].get_ylim()[1] < 50
    finally:
        pyplot.close(figure)


def test_png_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(PlotUnavailable, match=r"remote-ollama\[plot\]"):
        write_png(report_of(TOOLS_AND_CACHE), report_of(RECORDED), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
