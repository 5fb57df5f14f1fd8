"""The live row printed after each iteration."""

from analytics_support import DAMAGED, TOOLS_AND_CACHE, report_of

from remote_ollama.analytics.live import live_header, live_row


def test_row_lines_up_with_header_and_shows_the_numbers():
    header = live_header()
    row = live_row(report_of(TOOLS_AND_CACHE).iterations[0])
    # Read..other = 1 each, sub 3, tokens (modelUsage) 9519/3500/15400/680,
    # hit 15400 / 18900 = 81.5%, shallow/deep 6/2, wall 46.2
    assert row.split() == [
        "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "3",
        "9,519", "3,500", "15,400", "680", "81.5%", "6/2", "46.2",
    ]
    assert len(row) == header.index("  note")
    assert header.split()[:3] == ["iter", "Read", "Bash"]


def test_row_notes_problems_and_missing_files():
    iterations = report_of(DAMAGED).iterations
    # The exit code of an interrupted claude is not a second problem.
    assert live_row(iterations[1]).endswith(
        "stopped by Ctrl-C; tokens incomplete, the figures are a lower bound: no result"
        " event: counted from the requests seen, output not final"
    )
    assert live_row(iterations[2]).endswith("file missing")
    assert live_row(iterations[2]).split()[:2] == ["3", "—"]
