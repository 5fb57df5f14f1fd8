"""The benchmark's pure parts (bench/report.py): statistics, targets, command classes,
rendering. No fleet and no timing assertions: the numbers here are made up."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# bench/ is not a package: load its report module under a name nothing else uses.
_SPEC = importlib.util.spec_from_file_location(
    "bench_report", Path(__file__).resolve().parents[2] / "bench" / "report.py")
report = sys.modules.setdefault("bench_report", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(report)

BEGIN = report.PROBE_BEGIN


def probe_command(*names: str) -> str:
    # The shape remote_ollama/probe.py builds: one marked section per fact.
    return "; ".join(
        f"echo '{BEGIN} {name}'; ( true ) 2>/dev/null; echo \"@@remote-ollama-probe-end {name} $?\""
        for name in names
    )


def row(k, noop, floor, commands=None, first=10.0):
    return report.Row(k, first, noop, floor, commands or {})


def test_median_odd_even_and_empty():
    assert report.median([3.0, 1.0, 2.0]) == 2.0
    assert report.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    with pytest.raises(ValueError):
        report.median([])


def test_ratio_handles_missing_values():
    assert report.ratio(3.0, 2.0) == 1.5
    assert report.ratio(None, 2.0) is None
    assert report.ratio(1.0, 0.0) is None


def test_row_medians_and_ratio():
    r = row(4, [1.0, 1.2, 5.0], [0.5, 0.6, 0.4])
    assert r.noop_median == 1.2
    assert r.floor_median == 0.5
    assert r.ratio == pytest.approx(2.4)


def test_targets_met_and_not_met():
    rows = [row(1, [1.0], [0.8]), row(4, [1.1], [0.9]), row(16, [1.2], [1.0])]
    over_floor, growth = report.targets(rows)
    assert over_floor.value == pytest.approx(1.2) and over_floor.met and over_floor.verdict == "met"
    assert growth.value == pytest.approx(1.2) and growth.met

    rows = [row(1, [1.0], [0.8]), row(16, [2.0], [1.0])]
    over_floor, growth = report.targets(rows)
    assert over_floor.value == pytest.approx(2.0) and over_floor.met is False
    assert growth.value == pytest.approx(2.0) and growth.verdict == "NOT met"


def test_target_limits_are_inclusive():
    over_floor, growth = report.targets([row(1, [1.0], [1.0]), row(16, [1.3], [1.0])])
    assert growth.met is True  # exactly 1.3x
    over_floor, _ = report.targets([row(16, [1.5], [1.0])])
    assert over_floor.met is True  # exactly 1.5x


def test_floor_context_compares_growth_with_the_floors():
    rows = [row(1, [1.0], [0.5]), row(16, [1.5], [0.6])]
    assert report.floor_context(rows) == (
        "For comparison, the floor itself grows 1.20x from K=1 to K=16 on this machine; "
        "the no-op's growth is 1.25x the floor's.")
    assert report.floor_context([row(1, [1.0], [0.5])]) == ""  # the CI smoke run


def test_targets_not_measured_in_the_ci_smoke_run():
    over_floor, growth = report.targets([row(1, [1.3, 1.2], [0.6, 0.6])])
    assert over_floor.value is None and over_floor.met is None
    assert growth.verdict == "not measured"


def test_probe_sections_in_order():
    assert report.probe_sections(probe_command("identity", "macos", "profile.zshrc")) == [
        "identity", "macos", "profile.zshrc"]  # fmt: skip


def test_classify_by_content():
    assert report.classify("run_shell_command", probe_command("identity", "api")) == (
        "probe: identity, api")
    assert report.classify("run_shell_command", "true").startswith("exec -- true")
    assert report.classify("connect", "").startswith("SSH connection")
    assert report.classify("put_file", "put_file /tmp/x") == "file transfer: put_file /tmp/x"
    other = report.classify("run_shell_command", "launchctl print system/x\nmore")
    assert other == "other: launchctl print system/x"
    assert len(report.classify("run_shell_command", "x" * 200)) < 100


def test_command_counts_skip_connections_and_transfers():
    entries = [
        {"host": "ai-server", "kind": "connect", "command": ""},
        {"host": "ai-server", "kind": "run_shell_command", "command": probe_command("a")},
        {"host": "ai-server", "kind": "run_shell_command", "command": probe_command("b")},
        {"host": "ai-client-1", "kind": "connect", "command": ""},
        {"host": "ai-client-1", "kind": "put_file", "command": "put_file /x"},
        {"host": "ai-client-1", "kind": "run_shell_command", "command": "true"},
    ]
    assert report.command_counts(entries) == {"ai-server": 2, "ai-client-1": 1}
    by_host = report.commands_by_host(entries)
    assert by_host["ai-server"][1:] == ["probe: a", "probe: b"]
    assert len(by_host["ai-client-1"]) == 3


def test_summarize_counts():
    assert report.summarize_counts({"ai-server": 2, "ai-client-1": 2, "ai-client-2": 2}) == (
        "server 2, clients 2")
    assert report.summarize_counts({"ai-server": 1, "ai-client-1": 3, "ai-client-2": 2}) == (
        "server 1, clients 2-3")
    assert report.summarize_counts({}) == "-"


def test_table_renders_one_sorted_row_per_k():
    text = report.table([
        row(16, [1.5], [1.0], {"ai-server": 2, "ai-client-1": 2}, first=90.0),
        row(1, [1.25, 1.35], [0.5, 0.7], {"ai-server": 2, "ai-client-1": 2}),
    ])  # fmt: skip
    lines = text.splitlines()
    assert lines[0].startswith("| K (clients) | first converge | no-op median | floor median")
    assert lines[1].startswith("| ---: |")
    assert lines[2] == "| 1 | 10.00 s | 1.30 s | 0.60 s | 2.17x | server 2, clients 2 |"
    assert lines[3] == "| 16 | 90.00 s | 1.50 s | 1.00 s | 1.50x | server 2, clients 2 |"
    assert len(lines) == 4


def test_targets_table_and_runs_lines():
    text = report.targets_table(report.targets([row(1, [1.0], [0.5])]))
    assert "| no-op at K=16 <= 1.5x floor | - | not measured |" in text
    assert report.runs_lines([row(4, [1.0, 2.0], [0.5])]) == (
        "- K=4: no-op [1.00, 2.00] s; floor [0.50] s")


def test_command_section_groups_hosts_with_the_same_sequence():
    same = ["SSH connection (x)", "probe: identity", "probe: profile.zshrc"]
    by_host = {"ai-client-2": same, "ai-server": ["SSH connection (x)", "probe: api"],
               "ai-client-1": same, "ai-client-10": same, "ai-client-3": same}  # fmt: skip
    text = report.command_section(by_host)
    assert text.index("**ai-server**: 1 remote command(s)") < text.index("ai-client-1 ...")
    assert "**ai-client-1 ... ai-client-10 (4 hosts)**: 2 remote command(s)" in text
    assert "3. probe: profile.zshrc" in text


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fleet.png"
    report.plot([row(1, [1.0, 1.1], [0.5, 0.6]), row(4, [1.2], [0.7])], out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
