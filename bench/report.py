"""The pure parts of the fleet benchmark: statistics, targets, command classes, rendering.

No I/O beyond what the caller hands in (the plot writes the file it is given), so the
unit tests (tests/unit/test_bench_results.py) cover all of it without a fleet.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

# The targets. Issue 7: the no-op at K=16 within 1.5x the floor. Issue 17: the same at
# K=64, and the no-op's growth from K=16 to K=64 within 1.1x the floor's own growth (a
# no-op as cheap as the floor grows exactly as the floor does on this machine).
NOOP_OVER_FLOOR_MAX = 1.5
RATIO_TARGET_KS = (16, 64)
GROWTH_FROM_K, GROWTH_TO_K = 16, 64
GROWTH_OVER_FLOOR_MAX = 1.1

PROBE_BEGIN = "@@remote-ollama-probe-begin"
_SECTION = re.compile(re.escape(PROBE_BEGIN) + r" ([^'\"\s;]+)")


def median(values: list[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return statistics.median(values)


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def median_interval(values: list[float], confidence: float = 0.9) -> tuple[float, float] | None:
    """The narrowest pair of order statistics ``(x(k), x(n+1-k))`` that holds the median
    of what ``values`` sample with at least ``confidence`` (the sign test: the chance that
    fewer than k of n values fall below the median is a binomial tail at p = 1/2).
    None when n is too small for any such pair (n < 5 at 90%)."""
    ordered, n = sorted(values), len(values)
    best = None
    for k in range(1, n // 2 + 1):
        tail = sum(math.comb(n, i) for i in range(k)) / 2**n
        if 1 - 2 * tail < confidence:
            break
        best = (ordered[k - 1], ordered[n - k])
    return best


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass
class Target:
    name: str
    limit: float
    value: float | None  # None: not measured in this run (e.g. the CI smoke run at K=1)
    # Where the value may lie, from the runs' spread (the paired no-op/floor ratios'
    # median_interval); None when there are no pairs or too few.
    interval: tuple[float, float] | None = None

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.limit

    @property
    def settled(self) -> bool:
        """False when the interval does not lie wholly on the value's side of the limit."""
        if self.value is None or self.interval is None:
            return True
        low, high = self.interval
        return high <= self.limit if self.met else low > self.limit

    @property
    def verdict(self) -> str:
        said = {True: "met", False: "NOT met", None: "not measured"}[self.met]
        return said if self.settled else f"{said}, not settled (the interval spans {self.limit}x)"


@dataclass
class Row:
    """One fleet size: times in seconds, memory in KiB. ``noop`` is empty in a
    floor-only run (bench --floor-only), and every no-op figure is then None."""

    clients: int
    first: float | None
    noop: list[float]
    floor: list[float]
    commands: dict[str, int] = field(default_factory=dict)  # host -> remote commands
    noop_cpu: list[float] = field(default_factory=list)  # controller user+sys, per run
    floor_cpu: list[float] = field(default_factory=list)
    noop_rss: list[int] = field(default_factory=list)  # controller peak RSS, per run
    floor_rss: list[int] = field(default_factory=list)
    fds: int | None = None  # the controller's most open fds in the counted no-op run
    floor_fds: int | None = None  # the same in a floor run
    hostkeys_tested: int | None = None  # known_hosts entries paramiko tested in a counted run
    hostkeys_file: int | None = None  # entries in that known_hosts file

    @property
    def hosts(self) -> int:
        return self.clients + 1

    @property
    def noop_median(self) -> float | None:
        return median_or_none(self.noop)

    @property
    def floor_median(self) -> float | None:
        return median_or_none(self.floor)

    @property
    def ratio(self) -> float | None:
        return ratio(self.noop_median, self.floor_median)

    @property
    def paired(self) -> list[float]:
        """Each no-op run over the floor run right after it (bench alternates them)."""
        pairs = zip(self.noop, self.floor, strict=False)  # a floor-only row has no no-ops
        return [noop / floor for noop, floor in pairs if floor > 0]

    @property
    def ratio_interval(self) -> tuple[float, float] | None:
        return median_interval(self.paired)


def growth(rows: list[Row], small_k: int, large_k: int) -> dict | None:
    """How no-op and floor medians grow from K=small_k to K=large_k (None if either is
    missing): {"noop", "floor", "relative"} where relative = noop growth / floor growth."""
    by_k = {row.clients: row for row in rows}
    small, large = by_k.get(small_k), by_k.get(large_k)
    if not (small and large):
        return None
    noop = ratio(large.noop_median, small.noop_median)
    floor = ratio(large.floor_median, small.floor_median)
    return {"noop": noop, "floor": floor, "relative": ratio(noop, floor)}


def targets(rows: list[Row]) -> list[Target]:
    by_k = {row.clients: row for row in rows}
    found = [Target(f"no-op at K={k} <= {NOOP_OVER_FLOOR_MAX}x floor", NOOP_OVER_FLOOR_MAX,
                    by_k[k].ratio if k in by_k else None,
                    by_k[k].ratio_interval if k in by_k else None)
             for k in RATIO_TARGET_KS]  # fmt: skip
    grown = growth(rows, GROWTH_FROM_K, GROWTH_TO_K)
    found.append(Target(f"no-op growth K={GROWTH_FROM_K} -> K={GROWTH_TO_K} <= "
                        f"{GROWTH_OVER_FLOOR_MAX}x the floor's growth", GROWTH_OVER_FLOOR_MAX,
                        grown["relative"] if grown else None))  # fmt: skip
    return found


# --- what each remote command is for --------------------------------------------------


def probe_sections(command: str) -> list[str]:
    """The section names of a batched probe (remote_ollama/probe.py), in order."""
    return _SECTION.findall(command)


def classify(kind: str, command: str) -> str:
    """What one logged remote call (bench/count_commands.py) is for, from its content."""
    if kind == "connect":
        return "SSH connection (pyinfra connects once per host per run)"
    if kind in ("put_file", "get_file"):
        return f"file transfer: {command}"
    sections = probe_sections(command)
    if sections:
        return "probe: " + ", ".join(sections)
    text = command.strip()
    if text in ("true", "sh -c true", "sh -c 'true'"):
        return "exec -- true (the floor's only command)"
    first_line = text.splitlines()[0] if text else ""
    return "other: " + (first_line[:77] + "..." if len(first_line) > 80 else first_line)


def command_counts(entries: list[dict]) -> dict[str, int]:
    """Remote commands per host (connections and transfers not counted as commands)."""
    counts: Counter = Counter()
    for entry in entries:
        counts[entry["host"]] += entry["kind"] == "run_shell_command"
    return dict(counts)


def commands_by_host(entries: list[dict]) -> dict[str, list[str]]:
    """Per host, in order, what each logged call was for."""
    out: dict[str, list[str]] = {}
    for entry in entries:
        out.setdefault(entry["host"], []).append(classify(entry["kind"], entry["command"]))
    return out


def group_of(host: str) -> str:
    return "server" if host == "ai-server" else "client"


def summarize_counts(counts: dict[str, int]) -> str:
    """'server 1, clients 2' (a range when clients differ, e.g. 'clients 2-3')."""
    server = [n for h, n in counts.items() if group_of(h) == "server"]
    clients = sorted(n for h, n in counts.items() if group_of(h) == "client")
    parts = []
    if server:
        parts.append(f"server {server[0]}")
    if clients:
        span = str(clients[0]) if clients[0] == clients[-1] else f"{clients[0]}-{clients[-1]}"
        parts.append(f"clients {span}")
    return ", ".join(parts) or "-"


# --- rendering ------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f} MiB"


def table(rows: list[Row]) -> str:
    lines = [
        "| K (clients) | first converge | no-op median | floor median | no-op / floor "
        "| remote commands per host (no-op) | controller CPU, no-op / floor "
        "| controller peak RSS, no-op / floor |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in sorted(rows, key=lambda r: r.clients):
        lines.append(
            f"| {row.clients} | {seconds(row.first)} | {seconds(row.noop_median)} "
            f"| {seconds(row.floor_median)} | {times(row.ratio)} "
            f"| {summarize_counts(row.commands)} "
            f"| {seconds(median_or_none(row.noop_cpu))} / {seconds(median_or_none(row.floor_cpu))} "
            f"| {mib(median_or_none(row.noop_rss))} / {mib(median_or_none(row.floor_rss))} |"
        )
    return "\n".join(lines)


def growth_table(rows: list[Row]) -> str:
    """Growth of the no-op and the floor between consecutive K (informational; the
    target is the K=16 -> 64 line). The floor is the least growth this machine shows."""
    ks = sorted(row.clients for row in rows)
    lines = ["| K | hosts | no-op grows | floor grows | no-op growth / floor growth |",
             "| --- | --- | ---: | ---: | ---: |"]  # fmt: skip
    for small, large in itertools.pairwise(ks):
        g = growth(rows, small, large)
        lines.append(f"| {small} -> {large} | {small + 1} -> {large + 1} | {times(g['noop'])} "
                     f"| {times(g['floor'])} | {times(g['relative'])} |")  # fmt: skip
    return "\n".join(lines) if len(ks) > 1 else ""


# --- the controller's cost per host, and a projection to larger fleets ---------------


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares line y = a + b*x through the points: (a, b); None with fewer than
    two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return my - b * mx, b


SERIES = {  # name: (what, unit, reading of one Row)
    "noop_cpu": ("controller CPU, no-op", "s", lambda r: median_or_none(r.noop_cpu)),
    "floor_cpu": ("controller CPU, floor", "s", lambda r: median_or_none(r.floor_cpu)),
    "noop_rss": ("controller peak RSS, no-op", "KiB", lambda r: median_or_none(r.noop_rss)),
    "floor_rss": ("controller peak RSS, floor", "KiB", lambda r: median_or_none(r.floor_rss)),
    "fds": ("controller open fds, no-op", "", lambda r: r.fds),
    "floor_fds": ("controller open fds, floor", "", lambda r: r.floor_fds),
}


def per_host_costs(rows: list[Row]) -> dict[str, tuple[float, float]]:
    """{series: (fixed cost, cost per host)}, fitted over the measured K (hosts = K + 1)."""
    out = {}
    for name, (_what, _unit, read) in SERIES.items():
        found = fit([(r.hosts, v) for r in rows if (v := read(r)) is not None])
        if found:
            out[name] = found
    return out


def costs_table(costs: dict[str, tuple[float, float]]) -> str:
    lines = ["| controller | fixed | per extra host |", "| --- | ---: | ---: |"]
    for name, (fixed, per_host) in costs.items():
        what, unit, _ = SERIES[name]
        if unit == "KiB":
            lines.append(f"| {what} | {fixed / 1024:.1f} MiB | {per_host:.0f} KiB |")
        elif unit == "s":
            lines.append(f"| {what} | {fixed:.2f} s | {per_host * 1000:.1f} ms |")
        else:
            lines.append(f"| {what} | {fixed:.1f} | {per_host:.2f} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Assumptions:
    """A real fleet, as the projection assumes it."""

    rtt: float = 0.05  # s, controller to host over the tailnet (a region; 0.1-0.2 across one)
    round_trips: int = 10  # per host: SSH connect ~6 (TCP, banner, key exchange, auth),
    # the probe's channel ~3, closing ~1
    probe: float = 0.2  # s, the slowest probe on its own host (the server's: ~0.16 s here)
    cores: int = 8  # the controller's: pyinfra's default --parallel is 20 per core
    nofile: int = 1024  # the controller's open-files soft limit (Linux; macOS shells: 256)
    known_hosts_per_host: int = 1  # known_hosts lines per fleet host (the testbed has 3)


def default_parallel(hosts: int, cores: int, nofile: int) -> int:
    """pyinfra 3's --parallel when none is given (pyinfra/api/state.py): 20 per CPU,
    at most the hosts, at most (open-files limit - 10) / 3."""
    return max(1, min(20 * cores, hosts, round((nofile - 10) / 3)))


def known_hosts_factor(rows: list[Row]) -> float | None:
    """c in "paramiko tests c x E^2 known_hosts entries in a run, for a file of E entries"
    (loading the file checks each line against those before it; each connect scans it
    again), from the largest K that counted them."""
    counted = [r for r in rows if r.hostkeys_tested and r.hostkeys_file]
    if not counted:
        return None
    largest = max(counted, key=lambda r: r.clients)
    return largest.hostkeys_tested / largest.hostkeys_file**2


def known_hosts_seconds(hosts: int, factor: float, per_entry: float, per_host: int) -> float:
    """CPU seconds matching known_hosts in one run: every lookup tests every entry of the
    file (paramiko's HostKeys is a list), and the file grows with the fleet."""
    return factor * (hosts * per_host) ** 2 * per_entry


def project(costs: dict[str, tuple[float, float]], hosts: int, assume: Assumptions,
            parallel: int | None = None, factor: float | None = None,
            per_entry: dict[str, float] | None = None) -> dict:  # fmt: skip
    """One controller's no-op re-converge of `hosts` hosts, from the fitted costs.

    The controller is one thread (gevent): its CPU seconds add up, so they bound the
    wall time from below. The network part: each host's round trips and probe, with
    `parallel` hosts in flight at a time. Wall time lies between the larger of the two
    (perfect overlap) and their sum (none)."""
    parallel = parallel or default_parallel(hosts, assume.cores, assume.nofile)

    def at(name: str) -> float | None:
        return costs[name][0] + costs[name][1] * hosts if name in costs else None

    cpu = at("noop_cpu")
    matching = {label: known_hosts_seconds(hosts, factor, seconds, assume.known_hosts_per_host)
                for label, seconds in (per_entry or {}).items()} if factor else {}  # fmt: skip
    per_host_network = assume.round_trips * assume.rtt + assume.probe
    network = -(-hosts // parallel) * per_host_network
    return {
        "hosts": hosts, "parallel": parallel, "cpu": cpu, "rss": at("noop_rss"),
        "fds": at("fds"), "nofile": assume.nofile, "network": network,
        "known_hosts": matching,
        "wall_low": max(cpu or 0.0, network), "wall_high": (cpu or 0.0) + network,
    }  # fmt: skip


def hosts_within(costs: dict[str, tuple[float, float]], name: str, limit: float) -> int | None:
    """The most hosts whose fitted `name` stays within `limit` (None if it does not grow)."""
    if name not in costs or costs[name][1] <= 0:
        return None
    fixed, per_host = costs[name]
    return max(0, int((limit - fixed) / per_host))


def projection_table(rows: list[dict]) -> str:
    lines = ["| hosts | --parallel | controller CPU | + known_hosts, plain / hashed "
             "| controller RSS | open fds | network part | wall (overlap .. none), plain |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for p in rows:
        fds = "-" if p["fds"] is None else f"{p['fds']:.0f}"
        if p["fds"] is not None and p["fds"] > p["nofile"]:
            fds += f" (over the limit of {p['nofile']}: fails)"
        matching = p["known_hosts"]
        known = (f"{matching['plain']:.1f} s / {matching['hashed']:.1f} s"
                 if {"plain", "hashed"} <= set(matching) else "-")  # fmt: skip
        extra = matching.get("plain", 0.0)
        lines.append(f"| {p['hosts']} | {p['parallel']} | {seconds(p['cpu'])} | {known} "
                     f"| {mib(p['rss'])} | {fds} | {p['network']:.1f} s "
                     f"| {p['wall_low'] + extra:.1f} .. {p['wall_high'] + extra:.1f} s |")  # fmt: skip
    return "\n".join(lines)


def targets_table(found: list[Target]) -> str:
    lines = ["| target | measured | 90% interval (paired runs) | verdict |",
             "| --- | ---: | ---: | --- |"]
    for target in found:
        spread = "-" if target.interval is None else "-".join(map(times, target.interval))
        lines.append(f"| {target.name} | {times(target.value)} | {spread} | {target.verdict} |")
    return "\n".join(lines)


def machine_lines(machine: dict[str, str]) -> str:
    return "\n".join(f"- {key}: {value}" for key, value in machine.items())


def runs_lines(rows: list[Row]) -> str:
    out = []
    for row in sorted(rows, key=lambda r: r.clients):
        noop = ", ".join(f"{v:.2f}" for v in row.noop)
        floor = ", ".join(f"{v:.2f}" for v in row.floor)
        out.append(f"- K={row.clients}: no-op [{noop}] s; floor [{floor}] s")
    return "\n".join(out)


def command_section(by_host: dict[str, list[str]]) -> str:
    """Each distinct per-host sequence once, with the hosts that ran it."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for host, purposes in by_host.items():
        groups.setdefault(tuple(purposes), []).append(host)
    parts = []
    for purposes, hosts in sorted(groups.items(), key=lambda item: _host_key(item[1][0])):
        commands = [p for p in purposes if not p.startswith("SSH connection")]
        parts.append(f"**{_host_span(hosts)}**: {len(commands)} remote command(s)\n")
        for number, purpose in enumerate(purposes, 1):
            parts.append(f"{number}. {purpose}")
        parts.append("")
    return "\n".join(parts).rstrip()


def _host_key(host: str) -> tuple:
    number = host.rsplit("-", 1)[-1]
    return (group_of(host) != "server", int(number) if number.isdigit() else 0)


def _host_span(hosts: list[str]) -> str:
    hosts = sorted(hosts, key=_host_key)
    if len(hosts) <= 3:
        return ", ".join(hosts)
    return f"{hosts[0]} ... {hosts[-1]} ({len(hosts)} hosts)"


def plot(rows: list[Row], path) -> None:
    """Time against K: no-op median and floor median (min-max whiskers over the runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r.clients)
    ks = [r.clients for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    for label, attr, marker in (("no-op re-converge", "noop", "o"),
                                ("floor (exec -- true)", "floor", "s")):
        measured = [(r.clients, getattr(r, attr)) for r in rows if getattr(r, attr)]
        if not measured:  # a floor-only run has no no-op
            continue
        med = [median(v) for _, v in measured]
        pairs = list(zip(med, [v for _, v in measured], strict=True))
        err = [[m - min(v) for m, v in pairs], [max(v) - m for m, v in pairs]]
        ax.errorbar([k for k, _ in measured], med, yerr=err, marker=marker, capsize=3,
                    label=label)  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlabel("K (clients; plus one server)")
    ax.set_ylabel("wall time (s): median, whiskers min-max")
    ax.set_xticks(ks)
    ax.set_title("pyinfra -y over SSH on the testbed")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- where the controller's time goes (cProfile of one no-op run) ---------------------

PACKAGES = (  # (label, path fragment), first match wins
    ("waiting for remote hosts (gevent hub, idle)", "/gevent/"),
    ("SSH transport and crypto (paramiko, cryptography)", "/paramiko/"),
    ("SSH transport and crypto (paramiko, cryptography)", "/cryptography/"),
    ("pyinfra CLI and API", "/pyinfra_cli/"),
    ("pyinfra CLI and API", "/pyinfra/"),
    ("our deploy code (remote_ollama, deploys)", "/remote_ollama/"),
    ("our deploy code (remote_ollama, deploys)", "/deploys/"),
    ("templates (jinja2)", "/jinja2/"),
    ("imports (importlib, compile)", "<frozen importlib"),
)


WAITING = PACKAGES[0][0]


def package_of(filename: str, name: str = "") -> str:
    """Which part of the run a profiled function belongs to, by its file (C calls by name)."""
    for label, fragment in PACKAGES:
        if fragment in filename:
            return label
    if filename == "~":
        if any(word in name for word in ("gevent", "poll", "select", "sleep")):
            return WAITING
        return "builtins (C calls)"
    return "other Python"


def self_time_by_package(stats: dict) -> dict[str, float]:
    """{label: seconds of self time} from ``pstats.Stats(...).stats`` (cProfile's tottime)."""
    out: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        label = package_of(filename, name)
        out[label] = out.get(label, 0.0) + tottime
    return dict(sorted(out.items(), key=lambda item: -item[1]))


def top_functions(stats: dict, count: int = 15) -> list[dict]:
    """The ``count`` functions with the most self time, from ``pstats.Stats(...).stats``:
    [{"function", "package", "calls", "self", "cumulative"}] (seconds)."""
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        short = re.sub(r"^.*/lib/python3\.\d+/", "", filename.split("site-packages/", 1)[-1])
        for marker in ("/remote_ollama/", "/deploys/", "/bench/"):
            if marker in short:
                short = marker.strip("/") + "/" + short.split(marker, 1)[1]
        rows.append({"function": f"{short}:{line}({name})", "package": package_of(filename, name),
                     "calls": calls, "self": tottime, "cumulative": cumtime})  # fmt: skip
    rows.sort(key=lambda r: -r["self"])
    return rows[:count]


def top_table(rows: list[dict]) -> str:
    lines = ["| function | part | calls | self | cumulative |",
             "| --- | --- | ---: | ---: | ---: |"]  # fmt: skip
    for r in rows:
        lines.append(f"| `{r['function']}` | {r['package']} | {r['calls']} | {r['self']:.3f} s "
                     f"| {r['cumulative']:.3f} s |")  # fmt: skip
    return "\n".join(lines)


# --- the projection section of results.md ---------------------------------------------

PROJECT_TO = (256, 1000)
BUDGET_SECONDS = 60.0  # a no-op re-converge of the whole fleet within a minute
LINUX_NOFILE, MACOS_NOFILE = 1024, 256  # a login shell's default open-files soft limit


def projection_section(rows: list[Row], assume: Assumptions = Assumptions(),
                       per_entry: dict[str, float] | None = None) -> str:  # fmt: skip
    """## Projection: the measured per-host cost carried to 256 and 1,000 hosts."""
    costs = per_host_costs(rows)
    basis = "no-op"
    if "noop_cpu" not in costs and "floor_cpu" in costs:  # a floor-only run
        basis = "floor"
        costs = {"noop_cpu": costs["floor_cpu"], **({"noop_rss": costs["floor_rss"]}
                 if "floor_rss" in costs else {}),
                 **({"fds": costs["floor_fds"]} if "floor_fds" in costs else {})}  # fmt: skip
    if "noop_cpu" not in costs:
        return ("## Projection to 256 and 1,000 hosts\n\nNeeds at least two fleet sizes "
                "(e.g. `--clients 1,16,64`); this run measured one.")
    cpu_fixed, cpu_per_host = costs["noop_cpu"]
    noisy = []
    for name in ("noop_cpu", "noop_rss"):
        if name in costs and costs[name][1] <= 0:  # noise larger than the per-host cost
            floor = costs.get(name.replace("noop", "floor"))
            # a no-op does all the floor does: the floor's cost per host bounds it below
            use = floor[1] if floor and floor[1] > 0 else 0.0
            noisy.append(f"{SERIES[name][0]} fitted {costs[name][1]:+.4g} per host, taken "
                         + (f"as the floor's {use:.4g}" if use else "as 0"))
            costs[name] = (costs[name][0], use)
    cpu_fixed, cpu_per_host = costs["noop_cpu"]
    rss_per_host = costs.get("noop_rss", (0.0, 0.0))[1]
    fd_per_host = costs.get("fds", (0.0, 0.0))[1]
    raised = Assumptions(assume.rtt, assume.round_trips, assume.probe, assume.cores, 65536)
    factor = known_hosts_factor(rows)
    table_rows = []
    for n in PROJECT_TO:
        table_rows.append(project(costs, n, assume, factor=factor, per_entry=per_entry))
        table_rows.append(project(costs, n, raised, parallel=min(n, 500), factor=factor,
                                  per_entry=per_entry))  # fmt: skip
    within_cpu = hosts_within(costs, "noop_cpu", BUDGET_SECONDS)
    linux_fds = hosts_within(costs, "fds", LINUX_NOFILE)
    mac_fds = hosts_within(costs, "fds", MACOS_NOFILE)
    gib_hosts = hosts_within(costs, "noop_rss", 2**20)
    big = project(costs, 1000, assume)

    def hosts(value: int | None) -> str:
        return "no limit in sight" if value is None else f"~{value:,} hosts"

    per_host_net = assume.round_trips * assume.rtt + assume.probe
    found: list[tuple[float, str]] = [(
        mac_fds if mac_fds is not None else math.inf,
        f"**Open files.** Every host's SSH connection stays open for the whole run "
        f"({fd_per_host:.2f} fds per host measured). A login shell's default soft limit "
        f"is 1024 on Linux ({hosts(linux_fds)}) and 256 on macOS ({hosts(mac_fds)}); past "
        "it, the hosts beyond the limit fail to connect and pyinfra exits 1 (bench/README "
        "shows it at K=64 under `prlimit --nofile=64`). "
        "`ulimit -n 65536` (macOS: also `launchctl limit maxfiles`) before `pyinfra` "
        "removes it.")]  # fmt: skip
    if factor and per_entry and {"plain", "hashed"} <= set(per_entry):
        e = assume.known_hosts_per_host

        def budget_hosts(t: float) -> int:
            return int(math.sqrt(BUDGET_SECONDS / (factor * e * e * t)))

        found.append((budget_hosts(per_entry["hashed"]),
            "**known_hosts matching grows with the fleet squared.** paramiko keeps "
            "known_hosts as a list: loading the file tests each line against the lines "
            "before it, and each connection scans it again, "
            f"{factor:.2f} x (lines)^2 entry tests per run as counted here. One test takes "
            f"{per_entry['plain'] * 1e6:.1f} µs for a plain line and "
            f"{per_entry['hashed'] * 1e6:.0f} µs for a hashed one (`|1|...`: an HMAC per "
            "line; OpenSSH's HashKnownHosts, the default on Debian and Ubuntu, not on "
            "macOS), measured here. With one line per host, this alone takes a minute at "
            f"~{budget_hosts(per_entry['hashed']):,} hosts when hashed and "
            f"~{budget_hosts(per_entry['plain']):,} when plain, and a user's own "
            "known_hosts adds every other host it lists. Give the fleet its own unhashed "
            "file (`ssh_known_hosts_file` in the inventory's data, as the testbed does), "
            "one per shard when sharding (paramiko#2251 and its open fix #2254 index plain "
            "entries)."))  # fmt: skip
    found.append((within_cpu if within_cpu is not None else math.inf,
        f"**The controller's one core.** {cpu_per_host * 1000:.1f} ms per host is "
        f"{big['cpu']:.0f} s of CPU at 1,000 hosts; a one-minute budget holds "
        f"{hosts(within_cpu)} per pyinfra process. More `--parallel` does not help past "
        "this point: the greenlets share one core."))  # fmt: skip
    found.sort(key=lambda item: item[0])
    breaks = [text for _, text in found] + [
        f"**Round trips, at the default `--parallel`.** With {big['parallel']} hosts "
        f"in flight, 1,000 hosts take {big['network']:.0f} s of network time; raising "
        "`--parallel` (and the open-files limit with it) shortens this until the CPU "
        "bound is reached.",
        f"**Memory is not the limit**: {rss_per_host:.0f} KiB per host is "
        f"{big['rss'] / 1024 if big['rss'] else 0:.0f} MiB at 1,000 hosts; a GiB holds "
        f"{hosts(gib_hosts)}.",
    ]
    return "\n".join([
        "## Projection to 256 and 1,000 hosts",
        "",
        *([f"**Not measurable in this run**: {'; '.join(noisy)} (the floor's own cost "
           "per host is the least a no-op can have). The no-op's cost per host was below "
           "the noise between the fleet sizes measured, so the projection understates "
           "it; measure K up to 64 on a quiet machine.", ""]
          if noisy else []),
        f"From the controller's measured cost per extra host in a {basis} run (the lines "
        f"above): **{cpu_per_host * 1000:.1f} ms of CPU, {rss_per_host:.0f} KiB of memory "
        f"and {fd_per_host:.2f} open files per host**, on top of {cpu_fixed:.2f} s of CPU "
        "paid once (start-up, imports, the deploy's loading). Assumptions:",
        "",
        "- **One controller, one pyinfra process.** pyinfra runs every host in one OS "
        "thread (gevent greenlets), so its CPU seconds add up on one core and bound the "
        "wall time from below, whatever `--parallel` says. The per-host CPU measured here "
        "(SSH handshake and crypto, the probe's parsing, planning, the no-op operations) "
        "is the same work on a real fleet.",
        f"- **pyinfra's default `--parallel`**: 20 per CPU core of the controller (assumed "
        f"{assume.cores} cores: {20 * assume.cores}), never more than (open-files limit - "
        f"10) / 3 ({default_parallel(10**6, assume.cores, assume.nofile)} at a limit of "
        f"{assume.nofile}). It bounds the hosts in flight at once, not the connections "
        "held: pyinfra connects every host at the start and keeps each connection until "
        "the end.",
        f"- **A real network**: {assume.rtt * 1000:.0f} ms round trip to every host (one "
        f"region of a tailnet; a DERP relay or another continent is 100-200 ms), about "
        f"{assume.round_trips} round trips per host in a no-op (SSH connect ~6: TCP, "
        "banner, key exchange, authentication; the probe ~3; closing ~1), so "
        f"{per_host_net:.1f} s per host in flight with its probe.",
        f"- **Hosts with their own CPU**: each probe runs on its own host, at most "
        f"{assume.probe:.1f} s (the server's, the slowest; ~0.16 s on this testbed's "
        "stand-ins). The testbed cannot show this: its hosts share this machine's cores "
        "with the controller, which is why its no-op grows faster than on a real fleet.",
        f"- **known_hosts**: {assume.known_hosts_per_host} line per fleet host, plain "
        "(see below for hashed); the controller's CPU above includes the testbed's "
        "known_hosts at K <= 64 only, so the quadratic part is added on its own.",
        "",
        "The network part is (hosts / parallel) x the time per host in flight; the wall "
        "time lies between the larger of it and the controller's CPU (full overlap) and "
        "their sum (none).",
        "",
        projection_table(table_rows),
        "",
        "(Each size twice: pyinfra's default `--parallel` at an open-files limit of "
        f"{assume.nofile}, then `ulimit -n 65536` with `--parallel {min(PROJECT_TO[-1], 500)}` "
        "or the whole fleet.)",
        "",
        "### What breaks first",
        "",
        *[f"{number}. {text}" for number, text in enumerate(breaks, 1)],
        "",
        "### Keeping it within a budget",
        "",
        "- Raise the open-files limit before `pyinfra` (`ulimit -n 65536`); otherwise "
        "nothing else matters past ~1,000 hosts (~250 on macOS).",
        "- `--parallel N` sets how many hosts are in flight. Raise it on a real network "
        "until the controller's core is busy; a value above the fleet size changes nothing. "
        "It does not lower the number of open connections.",
        "- pyinfra has no Ansible-style `serial` batching of the whole run: `--parallel` "
        "batches hosts per operation, but every host is connected at the start. Batching "
        "is done by splitting the inventory: `pyinfra INVENTORY deploys/fleet.py --limit "
        "'ai-client-1*'` (a group name or a glob, `--limit` repeatable) connects only "
        "those hosts; run the batches one after another (or side by side, see below).",
        "- `--no-wait` lets each host run its operations without waiting for the others "
        "at every step; in a no-op the steps send no command, so it should buy little "
        "here (not measured).",
        "- Every host in the inventory is validated at load (~1 ms each, bench/README), "
        "also the ones `--limit` leaves out: an inventory of thousands costs seconds in "
        "every run.",
        "",
        "### When and how to shard the controller",
        "",
        f"Shard when one pyinfra process cannot meet the budget: past {hosts(within_cpu)} "
        "its single core is the bound, and no option of pyinfra's spreads one run over "
        "several cores or machines. Shard also when hosts sit behind very different "
        "round-trip times (run each region's shard from a controller near it). With "
        "pyinfra as it is, a shard is an ordinary pyinfra process on part of the "
        "inventory: converge the server first (`pyinfra INVENTORY deploys/server.py`, or "
        "`deploys/fleet.py --limit server`: the clients' probe asks the server's API, "
        "and a client's version lock is written from what the server has), then start one "
        "`pyinfra -y --json INVENTORY deploys/fleet.py --limit SHARD` per shard, where "
        "SHARD is a group (a team, a site) or a name glob, at most one process per "
        "controller core, or on several controller machines with the same inventory and "
        "key. Give each process its own open-files limit and `--parallel`. Each shard's "
        "`--json` result is checked on its own (ci/assert_no_changes.py's rules), and a "
        "failed shard is re-run alone; nothing coordinates the shards, so they must not "
        "share hosts. Shards of the same inventory still each validate all of it (see "
        "above): past a few thousand hosts, give each shard its own inventory file.",
    ])
