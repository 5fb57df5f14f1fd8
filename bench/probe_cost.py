"""What a no-op run's one remote command per host costs, section by section, and what
the controller spends around it: measured on the testbed fleet.

    .venv/bin/python bench/probe_cost.py [--clients 1] [--repeat 7] [--reuse]
        [--code DIR ...] [--ratio-runs N] [--json OUT.json]

For each code tree (``--code``, default this repo; give a ``git worktree`` of another
commit to compare before and after on the same fleet), holding the testbed's session
lock (as bench/fleet.py and the e2e suite do):

1. a counted no-op run (bench/count_commands.py, cProfile'd): the probe script each host
   was sent, and the controller's profile (where ``builtins.compile`` is called from);
2. each host's probe, sent again ``--repeat`` times over one SSH connection (paramiko,
   the way pyinfra's connector runs it: ``sh -c '<script>'``), timed on the controller:
   the whole command as sent (its wire encoding included), the same without it, and an empty command (``true``: the channel's own cost);
3. the same script under ``bash`` with ``$EPOCHREALTIME`` printed before each section
   (no extra process per timestamp), so each section's remote time is read off.

4. with ``--ratio-runs N``: N rounds of each tree's no-op run and the floor (``pyinfra
   exec -- true``), side by side: medians of wall time and controller CPU, and the
   no-op / floor ratio, as bench/fleet.py measures it, at this K only.

Medians are printed as markdown. Without ``--reuse`` the fleet is brought up fresh with
K clients and converged first (a minute or two at K=1); with it, a fleet that is up is
used as it is (it must be converged: the counted run checks that nothing changes).
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import pstats
import re
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

import fleet as bench  # noqa: E402  (bench/fleet.py: lock, timed runs, counted runs)

BEGIN = "echo '@@remote-ollama-probe-begin "
HOME_GROUP = '( cd "$HOME" || exit 1'  # probe_script's one subshell for the home sections
# The wire (remote_ollama.probe.ENCODE): base64 now, od hex before (to measure old trees).
ENCODE_RE = re.compile(r"\s*\|\s*(?:od -An -v -tx1|base64) \| LC_ALL=C tr -d ' ?\\n'\s*$")


# probe_script's pipeline of stages when some sections are SLOW (remote_ollama.probe):
# ``{ G1; } </dev/null | { { G2; } </dev/null; cat; } | ...``.
STAGE_FIRST = "; } </dev/null | { { "
STAGE_NEXT = "; } </dev/null; cat; } | { { "
STAGE_END = "; } </dev/null; cat; }"


def probe_groups(inner: str) -> list[str]:
    """The groups of sections of a probe script without its wire: one, or one per stage."""
    if not inner.startswith("{ "):
        raise ValueError("not a probe script")
    if inner.endswith(STAGE_END):
        first, rest = inner[2 : -len(STAGE_END)].split(STAGE_FIRST, 1)
        return [first, *rest.split(STAGE_NEXT)]
    if not inner.endswith("; }"):
        raise ValueError("not a probe script")
    return [inner[2:-3]]


def split_probe(script: str) -> tuple[str, list[tuple[str, str]]]:
    """(inner, [(section name, section shell), ...]) of a probe script
    ``{ S1; S2; ...; } | ENCODE`` or its pipeline of stages (remote_ollama.probe.probe_script);
    the sections come one after the other, to be timed each on its own.

    The home directory's sections run last in one ``( cd "$HOME" || exit 1; ... )``: its
    opening goes with the first of them (it is their cost), its closing with the last, so
    the sections joined again are still shell."""
    inner = ENCODE_RE.sub("", script).strip()
    body = "; ".join(probe_groups(inner))
    starts = [m.start() for m in re.finditer(re.escape(BEGIN), body)]
    sections = []
    for i, start in enumerate(starts):
        text = body[start: starts[i + 1] if i + 1 < len(starts) else len(body)]
        text = text.rstrip().removesuffix(";").rstrip()
        name = text[len(BEGIN):].split("'", 1)[0].split()[0]
        sections.append((name, text))
    for i, (name, text) in enumerate(sections[:-1]):  # the home group's opening
        if text.endswith(HOME_GROUP):
            after, rest = sections[i + 1]
            sections[i] = (name, text.removesuffix(HOME_GROUP).rstrip().removesuffix(";"))
            sections[i + 1] = (after, f"{HOME_GROUP}; {rest}")
    return inner, sections


def timed_script(sections: list[tuple[str, str]]) -> str:
    """bash: each section preceded by ``@@t <name> <EPOCHREALTIME>`` on stderr."""
    parts = [f"printf '@@t %s %s\\n' {shlex.quote(n)} \"$EPOCHREALTIME\" >&2; {s}"
             for n, s in sections]
    parts.append("printf '@@t @end %s\\n' \"$EPOCHREALTIME\" >&2")
    return "{ " + "; ".join(parts) + "; } >/dev/null"


def section_seconds(stderr: str) -> dict[str, float]:
    marks = [ln.split() for ln in stderr.splitlines() if ln.startswith("@@t ")]
    return {a[1]: float(b[2]) - float(a[2]) for a, b in itertools.pairwise(marks)}


class Remote:
    """One SSH connection to a testbed host (its inventory data), commands timed."""

    def __init__(self, data: dict):
        import paramiko

        self.client = paramiko.SSHClient()
        self.client.load_host_keys(data["ssh_known_hosts_file"])
        self.client.connect(data["ssh_hostname"], port=data.get("ssh_port", 22),
                            username=data["ssh_user"], key_filename=data["ssh_key"],
                            look_for_keys=False, allow_agent=False)  # fmt: skip

    def run(self, command: str) -> tuple[float, str, str, int]:
        started = time.perf_counter()
        _, out, err = self.client.exec_command(command)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        code = out.channel.recv_exit_status()
        return time.perf_counter() - started, stdout, stderr, code

    def close(self) -> None:
        self.client.close()


def measure_host(data: dict, script: str, repeat: int) -> dict:
    inner, sections = split_probe(script)
    remote = Remote(data)
    try:
        runs = {"empty": [], "probe": [], "no_wire": [], "bash_sections": []}
        per_section: dict[str, list[float]] = {name: [] for name, _ in sections}
        for _ in range(repeat):
            runs["empty"].append(remote.run("sh -c true")[0])
            seconds, out, _, code = remote.run(f"sh -c {shlex.quote(script)}")
            assert code == 0 and out.strip(), "the probe gave no output"
            runs["probe"].append(seconds)
            wire_bytes = len(out.strip().splitlines()[-1])
            runs["no_wire"].append(remote.run(f"sh -c {shlex.quote(inner + ' >/dev/null')}")[0])
            seconds, _, err, _ = remote.run(f"bash -c {shlex.quote(timed_script(sections))}")
            runs["bash_sections"].append(seconds)
            for name, value in section_seconds(err).items():
                per_section.setdefault(name, []).append(value)
    finally:
        remote.close()
    return {"script_bytes": len(script), "sections": len(sections), "wire_bytes": wire_bytes,
            "median": {k: statistics.median(v) for k, v in runs.items()},
            "section_median": {k: statistics.median(v) for k, v in per_section.items() if v}}


def compile_callers(profile: Path, top: int = 8) -> dict:
    """Where ``builtins.compile`` is called from, by caller, in a cProfile file."""
    stats = pstats.Stats(str(profile))
    found = {"calls": 0, "seconds": 0.0, "callers": []}
    for func, (_, calls, _, cumulative, callers) in stats.stats.items():
        if func[2] == "<built-in method builtins.compile>":
            found["calls"], found["seconds"] = calls, cumulative
            rows = sorted(callers.items(), key=lambda kv: -kv[1][3])[:top]
            found["callers"] = [{"caller": f"{Path(f).name}:{line}({name})", "calls": c[1],
                                 "seconds": round(c[3], 4)} for (f, line, name), c in rows]
    found["profile_total"] = round(stats.total_tt, 3)
    return found


def probes_of(log: Path) -> dict[str, str]:
    probes = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "run_shell_command" and BEGIN in entry["command"]:
            probes.setdefault(entry["host"], entry["command"])
    return probes


def measure_tree(code: Path, inventory: Path, workdir: Path, k: int, repeat: int) -> dict:
    from converge import load_inventory_file

    bench.CODE = code
    compileall.compile_dir(code / "remote_ollama", quiet=1)  # as a first run would (fleet.timed)
    profile = workdir / f"profile-{code.name}.prof"
    seconds, _, entries, _ = bench.counted_run(inventory, bench.deploys(), workdir, k,
                                               profile=profile)  # fmt: skip
    log = workdir / f"commands-k{k}-profiled.jsonl"
    hosts = {name: data for group in load_inventory_file(inventory).values()
             for name, data in group}
    result = {"code": str(code), "counted_seconds": round(seconds, 3),
              "commands": {h: sum(1 for e in entries if e["host"] == h and e["kind"] != "connect")
                           for h in hosts},
              "controller": compile_callers(profile), "hosts": {}}
    for host, script in probes_of(log).items():
        result["hosts"][host] = measure_host(hosts[host], script, repeat)
    return result


def ratio_runs(trees: list[Path], inventory: Path, runs: int) -> dict:
    """``runs`` rounds of: a no-op run of each tree, then the floor (``exec -- true``);
    medians of wall time and controller CPU (bench/fleet.py's ``timed``), and each
    tree's no-op / floor ratio, all measured side by side on the same fleet."""
    walls: dict[str, list[float]] = {str(t): [] for t in [*trees, "floor"]}
    cpus: dict[str, list[float]] = {key: [] for key in walls}
    for _ in range(runs):
        for tree in [*trees, "floor"]:
            bench.CODE = trees[-1] if tree == "floor" else tree
            args = ("exec", "--", "true") if tree == "floor" else bench.deploys()
            seconds, proc = bench.timed(bench.pyinfra_argv(inventory, *args))
            if tree == "floor":
                bench.results_of(proc, "floor run")
            else:
                bench.assert_noop(proc, f"no-op run of {tree}")
            walls[str(tree)].append(seconds)
            cpus[str(tree)].append(proc.cpu["controller"])
    median = {key: statistics.median(v) for key, v in walls.items()}
    return {"runs": runs, "wall": median,
            "cpu": {key: statistics.median(v) for key, v in cpus.items()},
            "ratio": {key: median[key] / median["floor"] for key in median if key != "floor"}}


def render_ratio(r: dict) -> str:
    out = [f"No-op and floor side by side, medians of {r['runs']} rounds:", "",
           "| run | wall | controller CPU | no-op / floor |", "| --- | ---: | ---: | ---: |"]
    for key, wall in r["wall"].items():
        ratio = f"{r['ratio'][key]:.2f}x" if key in r["ratio"] else "-"
        out.append(f"| {key} | {wall:.2f} s | {r['cpu'][key]:.2f} s | {ratio} |")
    return "\n".join(out) + "\n"


def render(results: list[dict]) -> str:
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    out = []
    for r in results:
        out += [f"### {r['code']}", "",
                f"counted no-op run (cProfile'd): {r['counted_seconds']:.2f} s; remote "
                f"commands per host: {r['commands']}", "",
                "| host | script bytes | sections | wire bytes | empty cmd | probe as sent | "
                "without the wire encoding | under bash, timed |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for host, h in r["hosts"].items():
            m = h["median"]
            out.append(f"| {host} | {h['script_bytes']} | {h['sections']} | {h['wire_bytes']} "
                       f"| {ms(m['empty'])} "
                       f"| {ms(m['probe'])} | {ms(m['no_wire'])} | {ms(m['bash_sections'])} |")
        for host, h in r["hosts"].items():
            out += ["", f"{host}, remote time per section (median):", ""]
            ranked = sorted(h["section_median"].items(), key=lambda kv: -kv[1])
            out += [f"- {name}: {ms(v)}" for name, v in ranked]
        c = r["controller"]
        out += ["", f"controller: builtins.compile {c['calls']} calls, "
                f"{c['seconds']:.3f} s (profile total {c['profile_total']:.2f} s); callers:", ""]
        out += [f"- {x['caller']}: {x['calls']} calls, {x['seconds']:.3f} s" for x in c["callers"]]
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="use the fleet that is up")
    parser.add_argument("--code", type=Path, action="append", help="a tree to measure")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--ratio-runs", type=int, default=0,
                        help="also time N rounds of every tree's no-op and the floor")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests" / "testbed"))
    from converge import write_settings_inventory
    from testbed import Fleet

    trees = [p.resolve() for p in (args.code or [REPO])]
    workdir = Path(tempfile.mkdtemp(prefix="probe-cost-"))
    with bench.session_lock():
        fleet = Fleet()
        inventory_base = workdir / "fleet.py"
        if args.reuse and fleet.info().get("clients") == args.clients and fleet.inventory:
            inventory_base = fleet.inventory
        else:
            fleet.down()
            fleet.up(clients=args.clients, inventory=inventory_base)
        inventory = write_settings_inventory(inventory_base, workdir / "settings.py")
        if not args.reuse:
            bench.CODE = trees[0]
            _, proc = bench.timed(bench.pyinfra_argv(inventory, *bench.deploys()))
            bench.results_of(proc, "first converge")
            bench.settle_runs(inventory, bench.deploys(), args.clients)
        results = [measure_tree(t, inventory, workdir, args.clients, args.repeat) for t in trees]
        ratio = ratio_runs(trees, inventory, args.ratio_runs) if args.ratio_runs else None
    print(render(results))
    if ratio:
        print(render_ratio(ratio))
    if args.json:
        args.json.write_text(json.dumps({"trees": results, "ratio": ratio}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
