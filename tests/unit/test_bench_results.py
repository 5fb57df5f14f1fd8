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
    rows = [row(1, [1.0], [0.8]), row(16, [1.2], [1.0]), row(64, [2.2], [2.0])]
    at16, at64, growth = report.targets(rows)
    assert at16.value == pytest.approx(1.2) and at16.met and at16.verdict == "met"
    assert at64.value == pytest.approx(1.1) and at64.met
    # no-op grows 2.2/1.2 = 1.83x, the floor 2.0x: 0.92x the floor's growth
    assert growth.value == pytest.approx((2.2 / 1.2) / 2.0) and growth.met

    rows = [row(16, [1.0], [1.0]), row(64, [3.0], [1.5])]
    at16, at64, growth = report.targets(rows)
    assert at64.value == pytest.approx(2.0) and at64.met is False
    assert growth.value == pytest.approx(3.0 / 1.5) and growth.verdict == "NOT met"


def test_target_limits_are_inclusive():
    _, at64, growth = report.targets([row(16, [1.0], [1.0]), row(64, [1.65], [1.5])])
    assert at64.value == pytest.approx(1.1) and at64.met is True
    assert growth.value == pytest.approx(1.1) and growth.met is True  # exactly 1.1x
    at16, _, _ = report.targets([row(16, [1.5], [1.0])])
    assert at16.met is True  # exactly 1.5x


def test_growth_table_compares_each_step_with_the_floors():
    rows = [row(1, [1.0], [0.5]), row(16, [1.5], [0.6]), row(64, [3.0], [1.2])]
    lines = report.growth_table(rows).splitlines()
    assert lines[2] == "| 1 -> 16 | 2 -> 17 | 1.50x | 1.20x | 1.25x |"
    assert lines[3] == "| 16 -> 64 | 17 -> 65 | 2.00x | 2.00x | 1.00x |"
    assert report.growth_table([row(1, [1.0], [0.5])]) == ""  # the CI smoke run


def test_targets_not_measured_in_the_ci_smoke_run():
    found = report.targets([row(1, [1.3, 1.2], [0.6, 0.6])])
    assert [t.met for t in found] == [None, None, None]
    assert found[-1].verdict == "not measured"


def test_the_median_interval_is_the_sign_tests():
    # n=9: (x(2), x(8)) holds the median with 1 - 2 * 10/512 = 96%; (x(3), x(7)) only 82%
    values = [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0]
    assert report.median_interval(values) == (2.0, 8.0)
    assert report.median_interval(values, confidence=0.8) == (3.0, 7.0)
    assert report.median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) == (1.0, 5.0)  # 94%
    assert report.median_interval([1.0, 2.0, 3.0, 4.0]) is None  # 88% at best
    assert report.median_interval([]) is None


def test_a_ratio_target_whose_interval_spans_the_limit_is_not_settled():
    noop, floor = [1.2, 1.4, 1.5, 1.6, 1.8], [1.0] * 5  # paired 1.2 ... 1.8, median 1.5
    at64 = report.targets([row(16, [1.0], [1.0]), row(64, noop, floor)])[1]
    assert at64.interval == (1.2, 1.8) and at64.met and not at64.settled
    assert at64.verdict == "met, not settled (the interval spans 1.5x)"
    tight = report.targets([row(64, [1.3, 1.35, 1.4, 1.42, 1.45], [1.0] * 5)])[1]
    assert tight.settled and tight.verdict == "met"
    over = report.targets([row(64, [1.6, 1.7, 1.8, 1.9, 2.0], [1.0] * 5)])[1]
    assert over.settled and over.verdict == "NOT met"
    # the ratio of medians (1.6 / 1.2) meets it; two of the paired ratios (1.6) do not
    mixed = report.targets([row(64, [1.6] * 5, [1.0, 1.0, 1.2, 1.2, 1.2])])[1]
    assert mixed.met and mixed.interval[1] == pytest.approx(1.6) and not mixed.settled
    line = report.targets_table([at64]).splitlines()[2]
    assert line == ("| no-op at K=64 <= 1.5x floor | 1.50x | 1.20x-1.80x "
                    "| met, not settled (the interval spans 1.5x) |")


def test_paired_ratios_pair_each_noop_with_its_floor_run():
    r = row(16, [2.0, 3.0, 4.0], [1.0, 2.0, 0.0])  # a floor of 0 s pairs with nothing
    assert r.paired == [2.0, 1.5]


def test_a_floor_only_row_has_no_noop_figures():
    r = report.Row(64, None, [], [1.0, 1.2], floor_cpu=[0.9, 1.1], floor_rss=[90_000])
    assert r.noop_median is None and r.ratio is None and r.floor_median == pytest.approx(1.1)
    line = report.table([r]).splitlines()[2]
    assert line == "| 64 | - | - | 1.10 s | - | - | - / 1.00 s | - / 88 MiB |"


def test_fit_is_least_squares():
    intercept, slope = report.fit([(2, 1.0), (17, 2.5), (65, 7.3)])
    assert slope == pytest.approx(0.1) and intercept == pytest.approx(0.8)
    assert report.fit([(2, 1.0), (2, 3.0)]) is None  # one size: no slope
    a, b = report.fit([(1, 1.0), (2, 2.0), (3, 2.0)])  # not on a line: the best fit
    assert b == pytest.approx(0.5) and a == pytest.approx(2 / 3)


def test_per_host_costs_from_medians():
    rows = [report.Row(k, 10.0, [1.0], [0.5], noop_cpu=[0.5 + 0.01 * (k + 1)],
                       floor_cpu=[0.4 + 0.005 * (k + 1)], noop_rss=[80_000 + 300 * (k + 1)],
                       floor_rss=[70_000 + 200 * (k + 1)], fds=12 + (k + 1),
                       floor_fds=10 + (k + 1)) for k in (1, 16, 64)]  # fmt: skip
    costs = report.per_host_costs(rows)
    assert costs["noop_cpu"] == pytest.approx((0.5, 0.01))
    assert costs["floor_cpu"] == pytest.approx((0.4, 0.005))
    assert costs["noop_rss"] == pytest.approx((80_000, 300))
    assert costs["fds"] == pytest.approx((12, 1))
    text = report.costs_table(costs)
    assert "| controller CPU, no-op | 0.50 s | 10.0 ms |" in text
    assert "| controller peak RSS, no-op | 78.1 MiB | 300 KiB |" in text
    assert "| controller open fds, no-op | 12.0 | 1.00 |" in text


def test_default_parallel_is_pyinfras():
    # pyinfra/api/state.py: min(20 per CPU, hosts, (open-files limit - 10) / 3)
    assert report.default_parallel(65, 2, 20000) == 40
    assert report.default_parallel(17, 2, 20000) == 17
    assert report.default_parallel(1000, 8, 1024) == 160
    assert report.default_parallel(1000, 32, 1024) == 338
    assert report.default_parallel(1000, 8, 256) == 82


def test_projection_adds_cpu_and_network_time():
    costs = {"noop_cpu": (0.5, 0.01), "noop_rss": (80_000.0, 300.0), "fds": (12.0, 1.0)}
    assume = report.Assumptions(rtt=0.05, round_trips=10, probe=0.2, cores=8, nofile=1024)
    p = report.project(costs, 1000, assume)
    assert p["parallel"] == 160
    assert p["cpu"] == pytest.approx(10.5)
    assert p["rss"] == pytest.approx(380_000)
    assert p["fds"] == pytest.approx(1012)
    assert p["network"] == pytest.approx(7 * 0.7)  # 1000/160 -> 7 windows of 0.7 s
    assert p["wall_low"] == pytest.approx(10.5) and p["wall_high"] == pytest.approx(15.4)
    assert report.project(costs, 1000, assume, parallel=1000)["network"] == pytest.approx(0.7)
    assert report.hosts_within(costs, "fds", 1024) == 1012
    assert report.hosts_within(costs, "noop_cpu", 60) == 5950
    assert report.hosts_within({"fds": (12.0, 0.0)}, "fds", 1024) is None


def test_projection_section_states_its_numbers():
    rows = [report.Row(k, 10.0, [1.0], [0.5], noop_cpu=[0.5 + 0.01 * (k + 1)],
                       noop_rss=[80_000 + 300 * (k + 1)], fds=12 + (k + 1))
            for k in (1, 16, 64)]  # fmt: skip
    text = report.projection_section(rows)
    assert "**10.0 ms of CPU, 300 KiB of memory and 1.00 open files per host**" in text
    assert "1024 on Linux (~1,012 hosts) and 256 on macOS (~244 hosts)" in text
    assert "| 1000 | 160 | 10.50 s | - | 371 MiB | 1012 | 4.9 s | 10.5 .. 15.4 s |" in text
    assert "### When and how to shard the controller" in text
    fat = [report.Row(r.clients, 10.0, [1.0], [0.5], noop_cpu=r.noop_cpu, fds=12 + 2 * r.hosts)
           for r in rows]  # fmt: skip
    assert "| 1000 | 160 | 10.50 s | - | - | 2012 (over the limit of 1024: fails) |" in (
        report.projection_section(fat))
    one = report.projection_section([rows[0]])
    assert "Needs at least two fleet sizes" in one


def test_a_per_host_cost_below_the_noise_is_not_projected_as_negative():
    rows = [report.Row(1, 10.0, [1.0], [0.5], noop_cpu=[1.1], noop_rss=[70_000], fds=7),
            report.Row(4, 10.0, [1.0], [0.5], noop_cpu=[0.9], noop_rss=[71_000], fds=10)]
    text = report.projection_section(rows)
    assert ("**Not measurable in this run**: controller CPU, no-op fitted -0.06667 per host, "
            "taken as 0 (the floor") in text
    assert "-" + "0." not in text.split("| ---: |")[-1].split("###")[0]  # no negative figure
    assert "| 1000 | 160 | 1.23 s |" in text  # the fixed cost only


def test_known_hosts_matching_grows_with_the_fleet_squared():
    # c x (hosts x lines per host)^2 entry tests: 2 x 1000^2 x 2 us
    assert report.known_hosts_seconds(1000, 2.0, 2e-6, 1) == pytest.approx(4.0)
    assert report.known_hosts_seconds(2000, 2.0, 2e-6, 1) == pytest.approx(16.0)
    assert report.known_hosts_seconds(1000, 2.0, 2e-6, 3) == pytest.approx(36.0)
    # the testbed's file at K=64: 195 lines, 50,505 tests counted -> c = 1.33
    rows = [report.Row(k, 10.0, [1.0], [0.5], noop_cpu=[0.5 + 0.01 * (k + 1)], fds=12 + k,
                       hostkeys_tested=int(1.33 * (3 * (k + 1)) ** 2),
                       hostkeys_file=3 * (k + 1)) for k in (16, 64)]  # fmt: skip
    assert report.known_hosts_factor(rows) == pytest.approx(1.33, abs=0.001)
    assert report.known_hosts_factor([report.Row(1, 1.0, [1.0], [1.0])]) is None
    text = report.projection_section(rows, per_entry={"plain": 2e-6, "hashed": 60e-6})
    # 1.33 x 1000^2 x 60 us = 80 s hashed; a minute of it at sqrt(60 / (1.33 x 60e-6)) = 867
    assert "| 1000 | 160 | 10.50 s | 2.7 s / 79.8 s |" in text
    assert "a minute at ~867 hosts when hashed and ~4,749 when plain" in text
    breaks = text.split("### What breaks first")[1]
    # ordered by the fleet size at which each one bites: macOS's open files (~244),
    # hashed known_hosts (~867), then the CPU budget (~5,950 hosts)
    assert breaks.index("**Open files.**") < breaks.index("**known_hosts matching")
    assert breaks.index("**known_hosts matching") < breaks.index("**The controller's one core")


def test_a_noop_cost_below_the_noise_falls_back_to_the_floors():
    rows = [report.Row(k, 10.0, [1.0], [0.5], noop_cpu=[c], floor_cpu=[0.5 + 0.002 * (k + 1)],
                       fds=6 + k) for k, c in ((1, 1.0), (16, 0.9))]  # fmt: skip
    text = report.projection_section(rows)
    assert "fitted -0.006667 per host, taken as the floor's 0.002" in text
    assert "**2.0 ms of CPU," in text


def test_projection_from_a_floor_only_run():
    rows = [report.Row(k, None, [], [0.5], floor_cpu=[0.4 + 0.005 * (k + 1)],
                       floor_rss=[70_000 + 200 * (k + 1)], floor_fds=10 + (k + 1))
            for k in (1, 64)]  # fmt: skip
    text = report.projection_section(rows)
    assert "per extra host in a floor run" in text and "**5.0 ms of CPU, 200 KiB" in text


def test_top_functions_by_self_time():
    stats = {("/x/site-packages/paramiko/packet.py", 10, "read_all"): (5, 5, 0.30, 0.40, {}),
             ("/w/remote_ollama/probe.py", 3, "parse"): (9, 9, 0.10, 0.20, {}),
             ("~", 0, "<built-in method time.sleep>"): (1, 1, 0.05, 0.05, {})}  # fmt: skip
    top = report.top_functions(stats, count=2)
    assert [t["function"] for t in top] == ["paramiko/packet.py:10(read_all)",
                                            "remote_ollama/probe.py:3(parse)"]  # fmt: skip
    assert top[0]["package"].startswith("SSH transport")
    assert ("| `paramiko/packet.py:10(read_all)` | SSH transport and crypto (paramiko, "
            "cryptography) | 5 | 0.300 s | 0.400 s |") in report.top_table(top)
    stdlib = {("/root/.pyenv/versions/3.11.7/lib/python3.11/re/_parser.py", 516, "_parse"):
              (1, 1, 0.1, 0.1, {})}  # fmt: skip
    assert report.top_functions(stdlib)[0]["function"] == "re/_parser.py:516(_parse)"


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
    sixteen = row(16, [1.5], [1.0], {"ai-server": 2, "ai-client-1": 2}, first=90.0)
    sixteen.noop_cpu, sixteen.floor_cpu = [0.7, 0.8, 0.75], [0.5]
    sixteen.noop_rss, sixteen.floor_rss = [102_400], [81_920, 81_920]
    text = report.table([sixteen, row(1, [1.25, 1.35], [0.5, 0.7], {"ai-server": 2, "ai-client-1": 2})])
    lines = text.splitlines()
    assert lines[0].startswith("| K (clients) | first converge | no-op median | floor median")
    assert lines[1].startswith("| ---: |")
    assert lines[2] == "| 1 | 10.00 s | 1.30 s | 0.60 s | 2.17x | server 2, clients 2 | - / - | - / - |"
    assert lines[3] == ("| 16 | 90.00 s | 1.50 s | 1.00 s | 1.50x | server 2, clients 2 "
                        "| 0.75 s / 0.50 s | 100 MiB / 80 MiB |")
    assert len(lines) == 4


def test_targets_table_and_runs_lines():
    text = report.targets_table(report.targets([row(1, [1.0], [0.5])]))
    assert "| no-op at K=16 <= 1.5x floor | - | - | not measured |" in text
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


def _bench_fleet():
    spec = importlib.util.spec_from_file_location(
        "bench_fleet", Path(__file__).resolve().parents[2] / "bench" / "fleet.py")
    module = sys.modules.setdefault("bench_fleet", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def test_the_bench_refuses_a_converge_that_would_fill_the_disk(tmp_path, monkeypatch):
    fleet = _bench_fleet()
    usage = type("Usage", (), {"free": 40 * 2**30})
    monkeypatch.setattr(fleet.shutil, "disk_usage", lambda path: usage)
    assert fleet.CLIENT_DISK_GIB == 0.8 and fleet.DISK_MARGIN_GIB == 5.0
    fleet.check_disk(16, tmp_path)  # 16 x 0.8 + 5 = 17.8 GiB: fits in 40
    with pytest.raises(RuntimeError, match=r"K=64: a first converge needs about 56 GiB "
                       r"free .* \(0\.8 GiB per client and 5 spare\); 40 GiB are"):
        fleet.check_disk(64, tmp_path)  # 64 x 0.8 + 5 = 56.2 GiB


def test_the_bench_takes_up_to_sixty_four_clients():
    fleet = _bench_fleet()
    args = fleet.parse_args(["--clients", "1,16,64", "--parallel", "65", "--floor-only"])
    assert args.clients == [1, 16, 64] and args.parallel == 65 and args.floor_only
    assert fleet.parse_args([]).clients == [1, 16, 64]
    with pytest.raises(SystemExit):
        fleet.parse_args(["--clients", "65"])


def test_known_hosts_entry_test_is_timed_for_plain_and_hashed_lines():
    found = _bench_fleet().known_hosts_check_seconds(entries=50, lookups=2)
    assert set(found) == {"plain", "hashed"}
    assert found["plain"] > 0 and found["hashed"] > 0  # seconds per entry; no timing target


def test_results_render_again_from_their_json(tmp_path):
    pytest.importorskip("matplotlib")
    fleet = _bench_fleet()
    rows = [report.Row(k, None, [], [0.5 + 0.01 * k], floor_cpu=[0.4 + 0.007 * (k + 1)],
                       floor_rss=[60_000 + 70 * (k + 1)], floor_fds=5 + k + 1,
                       hostkeys_tested=int(1.3 * (3 * k + 3) ** 2), hostkeys_file=3 * k + 3)
            for k in (1, 64)]  # fmt: skip
    usage = {"summary": {"total": {"hosts": 65, "processes": 65, "pss_kib": 91_000, "fds": 325,
                                   "mounts": 585, "tmpfs_kib": 260, "upper_kib": 7000}},
             "mirror": {"processes": 1, "rss_kib": 20_000, "pss_kib": 11_000, "fds": 4},
             "machine": {"mounts": 673, "mount_max": 100000, "open_files": 1500,
                         "file_max": 10**6, "processes": 190, "mem_available_kib": 2**24}}
    extras = {r.clients: {"deploys": ["deploys/fleet.py"], "load_average": "5.0 / 5.0 / 5.0",
                          "parallel": 40, "settle": [], "usage": usage,
                          "cpu": {"noop": [], "floor": [{"controller": 1.0, "rss_kib": 60_000,
                                                         "machine": 2.0}]},
                          "commands_by_host": {}, "phases": {}, "counted_run_seconds": None}
              for r in rows}  # fmt: skip
    fleet.write_results(tmp_path, rows, extras, {"CPU": "test"}, 1, "UNDER LOAD",
                        {"plain": 1e-6, "hashed": 8e-5})  # fmt: skip
    first = (tmp_path / "results.md").read_text()
    (tmp_path / "results.md").unlink()
    fleet.rerender(tmp_path, None)
    again = (tmp_path / "results.md").read_text()
    assert again == first
    assert again.startswith("# Fleet re-convergence benchmark\n\n**UNDER LOAD**")
    assert "Floor only (`--floor-only`)" in again and "**Measured under load**" in again
    assert "**7.0 ms of CPU, 70 KiB of memory and 1.00 open files per host**" in again
    fleet.rerender(tmp_path, "another note")
    assert "**another note**" in (tmp_path / "results.md").read_text()
