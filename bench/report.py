"""The pure parts of the fleet benchmark: statistics, targets, command classes, rendering.

No I/O beyond what the caller hands in (the plot writes the file it is given), so the
unit tests (tests/unit/test_bench_results.py) cover all of it without a fleet.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

# The targets from issue 7.
NOOP_OVER_FLOOR_MAX = 1.5  # no-op re-converge at K=16 vs the floor at K=16
NOOP_GROWTH_MAX = 1.3  # no-op at K=16 vs no-op at K=1
TARGET_SMALL_K, TARGET_LARGE_K = 1, 16

PROBE_BEGIN = "@@remote-ollama-probe-begin"
_SECTION = re.compile(re.escape(PROBE_BEGIN) + r" ([^'\"\s;]+)")


def median(values: list[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return statistics.median(values)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass
class Target:
    name: str
    limit: float
    value: float | None  # None: not measured in this run (e.g. the CI smoke run at K=1)

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.limit

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "not measured"}[self.met]


@dataclass
class Row:
    """One fleet size: every time in seconds."""

    clients: int
    first: float
    noop: list[float]
    floor: list[float]
    commands: dict[str, int] = field(default_factory=dict)  # host -> remote commands

    @property
    def noop_median(self) -> float:
        return median(self.noop)

    @property
    def floor_median(self) -> float:
        return median(self.floor)

    @property
    def ratio(self) -> float | None:
        return ratio(self.noop_median, self.floor_median)


def targets(rows: list[Row]) -> list[Target]:
    by_k = {row.clients: row for row in rows}
    large, small = by_k.get(TARGET_LARGE_K), by_k.get(TARGET_SMALL_K)
    return [
        Target(f"no-op at K={TARGET_LARGE_K} <= {NOOP_OVER_FLOOR_MAX}x floor",
               NOOP_OVER_FLOOR_MAX, large.ratio if large else None),
        Target(f"no-op growth K={TARGET_SMALL_K} -> K={TARGET_LARGE_K} <= {NOOP_GROWTH_MAX}x",
               NOOP_GROWTH_MAX,
               ratio(large.noop_median, small.noop_median) if large and small else None),
    ]  # fmt: skip


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


def table(rows: list[Row]) -> str:
    lines = [
        "| K (clients) | first converge | no-op median | floor median | no-op / floor "
        "| remote commands per host (no-op) |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in sorted(rows, key=lambda r: r.clients):
        lines.append(
            f"| {row.clients} | {seconds(row.first)} | {seconds(row.noop_median)} "
            f"| {seconds(row.floor_median)} | {times(row.ratio)} "
            f"| {summarize_counts(row.commands)} |"
        )
    return "\n".join(lines)


def floor_context(rows: list[Row]) -> str:
    """How the floor itself grows from K=1 to K=16, and the no-op's growth relative to it.

    Informational, not a target: a no-op exactly as cheap as the floor would grow as the
    floor does, so the floor's growth is the least growth this machine can show."""
    by_k = {row.clients: row for row in rows}
    large, small = by_k.get(TARGET_LARGE_K), by_k.get(TARGET_SMALL_K)
    if not (large and small):
        return ""
    floor_growth = ratio(large.floor_median, small.floor_median)
    noop_growth = ratio(large.noop_median, small.noop_median)
    return (
        f"For comparison, the floor itself grows {times(floor_growth)} from K={TARGET_SMALL_K} "
        f"to K={TARGET_LARGE_K} on this machine; the no-op's growth is "
        f"{times(ratio(noop_growth, floor_growth))} the floor's."
    )


def targets_table(found: list[Target]) -> str:
    lines = ["| target | measured | verdict |", "| --- | ---: | --- |"]
    for target in found:
        lines.append(f"| {target.name} | {times(target.value)} | {target.verdict} |")
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
    for label, values, marker in (("no-op re-converge", [r.noop for r in rows], "o"),
                                  ("floor (exec -- true)", [r.floor for r in rows], "s")):
        med = [median(v) for v in values]
        pairs = list(zip(med, values, strict=True))
        err = [[m - min(v) for m, v in pairs], [max(v) - m for m, v in pairs]]
        ax.errorbar(ks, med, yerr=err, marker=marker, capsize=3, label=label)
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
