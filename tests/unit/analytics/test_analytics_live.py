"""The live row printed after each iteration."""

from analytics_support import DAMAGED, TOOLS_AND_CACHE, report_of

from remote_ollama.analytics.live import live_header, live_row


def test_row_lines_up_with_header_and_shows_the_numbers():
    header = live_header()
    row = live_row(report_of(TOOLS_AND_CACHE).iterations[0])
    # Read..other = 1 each, sub 3, tokens 1200/3000/12000/800, hit 80.0%,
    # shallow/deep 6/2, wall 46.2
    assert row.split() == [
        "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "3",
        "1,200", "3,000", "12,000", "800", "80.0%", "6/2", "46.2",
    ]
    assert len(row) == header.index("  note")
    assert header.split()[:3] == ["iter", "Read", "Bash"]


def test_row_notes_problems_and_missing_files():
    iterations = report_of(DAMAGED).iterations
    assert live_row(iterations[1]).endswith(
        "stopped by Ctrl-C; no result event; tokens estimated from assistant messages;"
        " claude exited with code 143"
    )
    assert live_row(iterations[2]).endswith("file missing")
    assert live_row(iterations[2]).split()[:2] == ["3", "—"]
