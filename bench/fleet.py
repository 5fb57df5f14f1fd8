"""The fleet re-convergence benchmark (issue 7): how much a no-op re-converge costs.

    ./run bench [--clients 1,4,16] [--runs 5] [--out DIR]      # root, Linux (the testbed)

For each K: a fresh testbed fleet (one server, K clients), then
  - the first converge (deploys/fleet.py: server and client deploys together), wall time;
  - N no-op re-converges, each checked to change nothing (``--json`` results);
  - N floor runs, ``pyinfra -y <same inventory> exec -- true`` (alternated with the no-ops);
  - one more no-op run through bench/count_commands.py, which logs every remote command
    the SSH connector sends: the per-host count and what each command is for;
then the fleet goes down. Writes DIR/results.md, DIR/fleet.png and DIR/results.json
(default DIR: bench/). Holds /run/ro-testbed.session.lock the whole time, as the e2e
suite does, so the two never share the fleet.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime
import fcntl
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "testbed"))

import report  # noqa: E402

SESSION_LOCK = Path("/run/ro-testbed.session.lock")
CODE = REPO  # the tree whose deploys run (a snapshot of HEAD with --snapshot)
FLEET_DEPLOY = "deploys/fleet.py"  # server and client deploys in one pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextmanager
def session_lock():
    """The testbed's session lock (shared with tests/e2e and the demo), held throughout."""
    SESSION_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SESSION_LOCK.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for {SESSION_LOCK} (another fleet user, e.g. the e2e tests)")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def deploys() -> list[str]:
    """The whole-fleet deploy (the server's and the clients' in one pass)."""
    return [FLEET_DEPLOY]


PYINFRA_OPTIONS: list[str] = []  # e.g. ["--parallel", "20"], from bench --parallel


def pyinfra_argv(inventory: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("pyinfra")), "-y", "--json", *PYINFRA_OPTIONS,
            str(inventory), *args]  # fmt: skip


def timed(argv: list[str], timeout: int = 1800,
          extra_env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:  # fmt: skip
    """Run argv; return (wall seconds, CompletedProcess with a ``cpu`` dict).

    ``cpu``: "controller", the user+system CPU seconds of that process and its children,
    and "rss_kib", its peak resident set, both from os.wait4's rusage of that one child;
    "machine", CPU seconds the whole machine was busy meanwhile (all hosts' sshd,
    shells and stand-ins share it; so do other users of this machine)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    if CODE != REPO:  # the snapshot's remote_ollama before the venv's editable install
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE), env.get("PYTHONPATH")]))
    machine_before = machine_busy()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=CODE, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, text=True, env=env)  # fmt: skip
        killer = threading.Timer(timeout, child.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(argv, child.returncode, out.read(), err.read())
    proc.cpu = {"controller": usage.ru_utime + usage.ru_stime,
                "rss_kib": usage.ru_maxrss,  # KiB on Linux
                "machine": machine_busy() - machine_before}  # fmt: skip
    return seconds, proc


def machine_busy() -> float:
    """CPU seconds this machine has been busy since boot (all cores, from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def results_of(proc: subprocess.CompletedProcess, what: str) -> dict:
    from ci.assert_no_changes import NotPyinfraJson, load

    if proc.returncode != 0:
        raise RuntimeError(f"{what} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    try:
        return load(proc.stdout[proc.stdout.find("{"):])
    except NotPyinfraJson as exc:
        raise RuntimeError(f"{what}: {exc}\n{proc.stdout[-2000:]}") from exc


def assert_noop(proc: subprocess.CompletedProcess, what: str) -> None:
    from ci.assert_no_changes import problems

    found = problems(results_of(proc, what))
    if found:
        raise RuntimeError(f"{what} was not a no-op:\n  " + "\n  ".join(found))


def settle_runs(inventory: Path, deploy_files: list[str], k: int, limit: int = 3) -> list:
    """Re-converge until a run changes nothing; return what each earlier re-run changed.

    A fresh fleet's second run should already be a no-op. When it is not, the benchmark
    still measures the steady state, and results.md lists what the extra runs changed.
    """
    changed = []
    for number in range(1, limit + 1):
        seconds, proc = timed(pyinfra_argv(inventory, *deploy_files))
        from ci.assert_no_changes import problems

        found = problems(results_of(proc, f"re-converge {number} (K={k})"))
        if not found:
            return changed
        log(f"K={k}: re-converge {number} after the first still changed: {found}")
        changed.append({"run": number + 1, "seconds": seconds, "changed": found})
    raise RuntimeError(f"K={k}: still changing after {limit} re-converges: {changed[-1]}")


def counted_run(inventory: Path, deploy_files: list[str], workdir: Path, k: int,
                profile: Path | None = None, floor: bool = False):  # fmt: skip
    """A no-op run (or with ``floor``, a floor run) with every remote command logged;
    returns (seconds, launch time, log). With ``profile``, the run is also profiled
    (cProfile) into that file."""
    name = f"commands-k{k}{'-floor' if floor else ''}{'-profiled' if profile else ''}.jsonl"
    log_path = workdir / name
    log_path.unlink(missing_ok=True)
    args = ("exec", "--", "true") if floor else deploy_files
    argv = [sys.executable, str(BENCH / "count_commands.py"), str(log_path), "--",
            *pyinfra_argv(inventory, *args)[1:]]  # fmt: skip
    launched = time.time()
    seconds, proc = timed(argv, extra_env={"BENCH_CPROFILE": str(profile)} if profile else None)
    if floor:
        results_of(proc, f"counted floor run (K={k})")
    else:
        assert_noop(proc, f"counted no-op run (K={k})")
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line]
    stats_path = log_path.with_name(log_path.name + ".stats.json")
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    return seconds, launched, entries, stats


def known_hosts_check_seconds(entries: int = 400, lookups: int = 20) -> dict[str, float]:
    """Seconds paramiko takes to test one known_hosts entry against a host name, for
    plain entries (``name,ip``) and hashed ones (``|1|salt|hmac``, what OpenSSH writes
    with HashKnownHosts, Debian's and Ubuntu's default). Measured with lookups of a name
    the file lacks, each of which tests every entry (as a lookup of the last host does)."""
    from paramiko.hostkeys import HostKeys

    key = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ"  # any key
    out = {}
    for label in ("plain", "hashed"):
        with tempfile.NamedTemporaryFile("w", suffix=".known_hosts", delete=False) as f:
            for n in range(entries):
                name = f"host-{n},100.64.{n // 250}.{n % 250}"
                if label == "hashed":
                    name = HostKeys.hash_host(f"host-{n}")
                f.write(f"{name} ssh-ed25519 {key}\n")
        try:
            keys = HostKeys(f.name)
        finally:
            os.unlink(f.name)
        started = time.perf_counter()
        for _ in range(lookups):
            keys.lookup("not-in-the-file")
        out[label] = (time.perf_counter() - started) / (lookups * entries)
    return out


def peak_fds(entries: list[dict]) -> int | None:
    found = [e.get("fds", -1) for e in entries]
    return max(found) if found and max(found) >= 0 else None


def phases(launched: float, seconds: float, entries: list[dict]) -> dict[str, float]:
    """Where the counted no-op run's wall time went (from the connector log's timestamps)."""
    connects = [e for e in entries if e["kind"] == "connect"]
    commands = [e for e in entries if e["kind"] != "connect"]
    out = {}
    if connects:
        first = min(e["start"] for e in connects)
        connected = max(e["start"] + e["seconds"] for e in connects)
        out["start-up (Python, pyinfra, inventory) until the first connect"] = first - launched
        out["connecting to every host (parallel)"] = connected - first
    else:
        connected = launched
    if commands:
        last = max(e["start"] + e["seconds"] for e in commands)
        out["from connected to the last remote command (deploy files, probes, planning)"] = (
            last - connected)
        out["of which remote commands, summed over hosts"] = sum(e["seconds"] for e in commands)
        out["of which remote commands, longest on one host"] = max(
            sum(e["seconds"] for e in commands if e["host"] == host)
            for host in {e["host"] for e in commands})
        out["after the last remote command (execute no-op ops, disconnect, JSON)"] = (
            launched + seconds - last)
    return out


CLIENT_DISK_GIB = 0.8  # a converged client's overlay upper layer: 0.6-0.7 GiB measured (K=16: 10 GiB for 16 clients, 2026-11-30)
DISK_MARGIN_GIB = 5.0


def check_disk(k: int, state: Path, client_gib: float = CLIENT_DISK_GIB) -> None:
    """Refuse a first converge that would fill the disk every engineer shares: each
    converged client keeps ~1 GiB in its upper layer (fleet usage measures it)."""
    state.mkdir(parents=True, exist_ok=True)
    free_gib = shutil.disk_usage(state).free / 2**30
    need = k * client_gib + DISK_MARGIN_GIB
    if free_gib < need:
        raise RuntimeError(f"K={k}: a first converge needs about {need:.0f} GiB free under "
                           f"{state} ({client_gib:.1f} GiB per client and {DISK_MARGIN_GIB:.0f} "
                           f"spare); {free_gib:.0f} GiB are. Free some, or bench --floor-only.")


def bench_k(k: int, runs: int, workdir: Path, profile_dir: Path | None = None,
            floor_only: bool = False):  # fmt: skip
    from converge import write_settings_inventory
    from testbed import Fleet

    fleet = Fleet()
    if not floor_only:
        check_disk(k, fleet.state)
    problems = fleet.down()  # a fresh fleet: its first converge is measured
    if problems:
        raise RuntimeError(f"fleet down left: {problems}")
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    log(f"K={k}: fleet up (load average {load_before})")
    fleet.up(clients=k, inventory=workdir / f"fleet-k{k}.py")
    inventory = write_settings_inventory(workdir / f"fleet-k{k}.py", workdir / f"settings-k{k}.py")
    deploy_files = deploys()

    first, settle = None, []
    if not floor_only:
        first, proc = timed(pyinfra_argv(inventory, *deploy_files))
        results_of(proc, f"first converge (K={k})")
        log(f"K={k}: first converge {first:.2f} s ({' '.join(deploy_files)})")
        settle = settle_runs(inventory, deploy_files, k)
    # The converge wrote ~0.6 GiB per client to the overlays; the kernel writes it back
    # for minutes, in the timed runs' CPU and disk unless it is flushed first.
    started = time.monotonic()
    os.sync()
    log(f"K={k}: sync {time.monotonic() - started:.1f} s (the converge's writes, flushed "
        "before the timed runs)")
    usage = fleet.usage()
    log(f"K={k}: hosts hold {usage['summary']['total']['pss_kib'] / 1024:.0f} MiB PSS, "
        f"{usage['summary']['total']['fds']} fds, {usage['machine']['host_mounts']} mounts")

    noop, floor, cpu = [], [], {"noop": [], "floor": []}
    for number in range(1, runs + 1):
        if not floor_only:
            seconds, proc = timed(pyinfra_argv(inventory, *deploy_files))
            assert_noop(proc, f"no-op run {number} (K={k})")
            noop.append(seconds)
            cpu["noop"].append(proc.cpu)
        seconds, proc = timed(pyinfra_argv(inventory, "exec", "--", "true"))
        results_of(proc, f"floor run {number} (K={k})")
        floor.append(seconds)
        cpu["floor"].append(proc.cpu)
        done = (f"no-op {noop[-1]:.2f} s ({cpu['noop'][-1]['controller']:.2f} s CPU), "
                if noop else "")
        log(f"K={k}: run {number}/{runs}: {done}floor {floor[-1]:.2f} s "
            f"({cpu['floor'][-1]['controller']:.2f} s CPU)")  # fmt: skip

    _, _, floor_entries, floor_stats = counted_run(inventory, deploy_files, workdir, k,
                                                   floor=True)  # fmt: skip
    entries, counted_seconds, launched, stats = [], None, None, floor_stats
    if not floor_only:
        counted_seconds, launched, entries, stats = counted_run(inventory, deploy_files,
                                                                workdir, k)  # fmt: skip
    row = report.Row(k, first, noop, floor, report.command_counts(entries),
                     noop_cpu=[c["controller"] for c in cpu["noop"]],
                     floor_cpu=[c["controller"] for c in cpu["floor"]],
                     noop_rss=[c["rss_kib"] for c in cpu["noop"]],
                     floor_rss=[c["rss_kib"] for c in cpu["floor"]],
                     fds=peak_fds(entries), floor_fds=peak_fds(floor_entries),
                     hostkeys_tested=stats.get("hostkeys_entries_tested"),
                     hostkeys_file=stats.get("hostkeys_file_entries"))  # fmt: skip
    if entries:
        log(f"K={k}: counted no-op run {counted_seconds:.2f} s; commands per host: "
            f"{report.summarize_counts(row.commands)}; controller fds at most {row.fds}")
    extra = {
        "deploys": deploy_files,
        "load_average": load_before,
        "parallel": parallel_used(k + 1),
        "settle": settle,
        "cpu": cpu,
        "usage": {key: usage[key] for key in ("summary", "mirror", "machine")},
        "counted_run_seconds": counted_seconds,
        "phases": phases(launched, counted_seconds, entries) if entries else {},
        "commands_by_host": report.commands_by_host(entries),
        # the connector log, each command replaced by what it is for (the full probe
        # scripts would make results.json a quarter megabyte)
        "log": [{"host": e["host"], "kind": e["kind"], "purpose": report.classify(
            e["kind"], e["command"]), "start": e["start"], "seconds": e["seconds"]}
            for e in entries],
    }
    if profile_dir:
        import pstats

        path = profile_dir / f"profile-k{k}{'-floor' if floor_only else ''}.prof"
        seconds, _, _, _ = counted_run(inventory, deploy_files, workdir, k, profile=path,
                                       floor=floor_only)  # fmt: skip
        stats = pstats.Stats(str(path))
        extra["profile"] = {"seconds": seconds, "file": path.name,
                            "self_time": report.self_time_by_package(stats.stats),
                            "top": report.top_functions(stats.stats)}  # fmt: skip
        log(f"K={k}: profiled run {seconds:.2f} s -> {path}")
    return row, extra


def parallel_used(hosts: int) -> int:
    """The --parallel pyinfra uses: ours if given, else its default for this machine."""
    if "--parallel" in PYINFRA_OPTIONS:
        return int(PYINFRA_OPTIONS[PYINFRA_OPTIONS.index("--parallel") + 1])
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return report.default_parallel(hosts, os.cpu_count() or 1, nofile)


def precompile(code: Path) -> None:
    """Byte-compile the measured package, as pip does when it installs one. pyinfra's CLI
    sets ``sys.dont_write_bytecode`` (pyinfra_cli/main.py), so in a tree nobody compiled
    every run compiles remote_ollama from source (~60 modules, ~0.13 s of controller CPU,
    seen in the profile as ``builtins.compile`` under importlib), which a pip-installed
    remote-ollama never does and the floor, pyinfra alone, does not either."""
    compileall.compile_dir(str(code / "remote_ollama"), quiet=1)


def code_measured(tmp: Path, snapshot: bool) -> str:
    """Point CODE at the tree to measure (byte-compiled, see ``precompile``); describe it
    (commit, snapshot or working tree)."""
    global CODE
    described = _code_measured(tmp, snapshot)
    precompile(CODE)
    return described


def _code_measured(tmp: Path, snapshot: bool) -> str:
    global CODE
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "unknown"  # fmt: skip
    if snapshot:
        CODE = tmp / "src"
        CODE.mkdir()
        archive = subprocess.run([*git, "archive", "HEAD"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(CODE)], input=archive.stdout, check=True)
        return f"commit {head} (a snapshot of HEAD)"
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "deploys", "remote_ollama",
                            "templates", "group_data"], capture_output=True, text=True).stdout
    return f"working tree at commit {head}" + (" with uncommitted changes" if dirty.strip() else "")


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))  # fmt: skip
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "pyinfra": metadata.version("pyinfra"),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def render(rows: list[report.Row], extras: dict[int, dict], info: dict[str, str], runs: int,
           plot_name: str, note: str = "",
           known_hosts: dict[str, float] | None = None) -> str:  # fmt: skip
    found = report.targets(rows)
    largest = max(rows, key=lambda r: r.clients)
    counted = [k for k in sorted(extras) if extras[k]["commands_by_host"]]
    deploy_files = extras[largest.clients]["deploys"]
    cores = os.cpu_count() or 1
    busy = [k for k in sorted(extras) if float(extras[k]["load_average"].split()[0]) > cores]
    options = " ".join(PYINFRA_OPTIONS)
    parts = [
        "# Fleet re-convergence benchmark",
        "",
        *([f"**{note}**", ""] if note else []),
        *([f"**Measured under load**: the 1-minute load average was above this machine's "
           f"{cores} cores when K={', '.join(map(str, busy))} started, so these wall times "
           "are noisy. CPU seconds and memory are per process and hold up better.", ""]
          if busy else []),
        "Written by `./run bench` (bench/fleet.py); see bench/README.md for the method and "
        "the analysis. Each K is a fresh testbed fleet (one server, K clients, real SSH "
        "into network namespaces on this machine).",
        "",
        "## Machine",
        "",
        report.machine_lines(info),
        "",
        "## Results",
        "",
        *(["Floor only (`--floor-only`): no converge and no no-op runs.", ""]
          if all(not r.noop for r in rows) else []),
        f"Deploys: `pyinfra -y --json {options + ' ' if options else ''}INVENTORY "
        f"{' '.join(deploy_files)}`; floor: `pyinfra -y --json {options + ' ' if options else ''}"
        f"INVENTORY exec -- true`; medians of {runs} runs each, alternated; every no-op run "
        "checked to change nothing. Controller CPU (user + system) and peak RSS are the "
        "pyinfra process's own, from `os.wait4`.",
        "",
        report.table(rows),
        "",
        f"![time against K]({plot_name})",
        "",
        "Runs (seconds):",
        "",
        report.runs_lines(rows),
        "",
        "Load average (1/5/15 min) when each K started, as the machine is shared: "
        + "; ".join(f"K={k}: {extras[k]['load_average']}" for k in sorted(extras)) + ". "
        "pyinfra's `--parallel` (hosts in flight at once): "
        + "; ".join(f"K={k}: {extras[k]['parallel']}" for k in sorted(extras)) + ".",
        "",
        "## Targets",
        "",
        report.targets_table(found),
        "",
        *([report.growth_table(rows), ""] if len(rows) > 1 else []),
        *settle_lines(extras),
    ]
    if counted:
        k = counted[-1]
        parts += [
            "## Remote commands per host in a no-op run",
            "",
            f"Counted at K={k} by bench/count_commands.py (the SSH connector's "
            "`connect` and `run_shell_command`, logged), classified by content:",
            "",
            report.command_section(extras[k]["commands_by_host"]),
            "",
        ]
    parts += [
        "## The controller's cost per host",
        "",
        "Least-squares lines through the medians above (hosts = K + 1). Open fds: the "
        "pyinfra process's file descriptors, read at each remote call of a counted run; "
        "pyinfra keeps every host's SSH connection open for the whole run.",
        "",
        report.costs_table(report.per_host_costs(rows)) if len(rows) > 1
        else "(one K only: no line to fit)",
        "",
        "## What a testbed host costs this machine",
        "",
        host_cost_lines(extras[largest.clients]["usage"], largest.clients,
                        converged=largest.first is not None),
        "",
        report.projection_section(rows, per_entry=known_hosts),
        "",
        "## CPU during the runs",
        "",
        f"Medians over the {runs} runs, CPU seconds (user + system). The controller is the "
        "pyinfra process; the machine total also holds every host's sshd, shells and "
        f"stand-ins, which share this machine's {cores} cores (and anything else "
        "running on it).",
        "",
        cpu_table(rows, extras),
        "",
    ]
    if counted:
        parts += ["## Where a counted no-op run's time goes", ""]
    for k in counted:
        parts.append(f"K={k} (counted run {extras[k]['counted_run_seconds']:.2f} s):")
        parts.append("")
        parts += [f"- {name}: {value:.2f} s" for name, value in extras[k]["phases"].items()]
        parts.append("")
    for k in sorted(extras):
        if "profile" in extras[k]:
            prof = extras[k]["profile"]
            parts.append(f"K={k} profiled (cProfile, {prof['file']}; {prof['seconds']:.2f} s "
                         "with the profiler's own overhead), self time by package:")
            parts.append("")
            parts += [f"- {name}: {value:.2f} s" for name, value in prof["self_time"].items()]
            parts += ["", "The functions with the most self time:", "",
                      report.top_table(prof["top"]), ""]  # fmt: skip
    return "\n".join(parts).rstrip() + "\n"


def host_cost_lines(usage: dict, k: int, converged: bool) -> str:
    """The testbed's own cost at the largest K, from fleet usage (tests/testbed)."""
    summary, machine, mirror = usage["summary"], usage["machine"], usage["mirror"]
    lines = [f"Read by `fleet usage` at K={k}, "
             + ("after the first converge" if converged else "right after `fleet up`")
             + " (per host: its processes' PSS and fds, its mounts, the RAM its tmpfs "
             "mounts hold, its overlay's upper layer on disk):", "",
             "| host | hosts | processes | PSS | fds | mounts | tmpfs | upper layer (disk) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for role in ("server", "client"):
        if role in summary:
            r = summary[role]
            lines.append(f"| {role} (mean) | {r['hosts']:.0f} | {r['processes_mean']:.1f} "
                         f"| {report.mib(r['pss_kib_mean'])} | {r['fds_mean']:.0f} "
                         f"| {r['mounts_mean']:.0f} | {report.mib(r['tmpfs_kib_mean'])} "
                         f"| {report.mib(r['upper_kib_mean'])} |")  # fmt: skip
    t = summary["total"]
    lines.append(f"| all | {t['hosts']} | {t['processes']} | {report.mib(t['pss_kib'])} "
                 f"| {t['fds']} | {t['mounts']} | {report.mib(t['tmpfs_kib'])} "
                 f"| {report.mib(t['upper_kib'])} |")  # fmt: skip
    lines += ["", f"Mirror server: PSS {report.mib(mirror['pss_kib'])}, {mirror['fds']} fds. "
              f"Machine: {machine['mounts']} mounts (limit {machine['mount_max']}), "
              f"{machine['open_files']} open files (limit {machine['file_max']}), "
              f"{machine['processes']} processes, "
              f"{machine['mem_available_kib'] / 2**20:.1f} GiB memory available."]  # fmt: skip
    return "\n".join(lines)


def cpu_table(rows: list[report.Row], extras: dict[int, dict]) -> str:
    lines = ["| K | run | wall | controller CPU | controller peak RSS | machine CPU "
             "| machine CPU / (cores x wall) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    cores = os.cpu_count() or 1
    for row in sorted(rows, key=lambda r: r.clients):
        for name, walls in (("no-op", row.noop), ("floor", row.floor)):
            samples = extras[row.clients]["cpu"]["noop" if name == "no-op" else "floor"]
            if not walls:
                continue
            wall = report.median(walls)
            controller = report.median([c["controller"] for c in samples])
            rss = report.median([c["rss_kib"] for c in samples])
            machine = report.median([c["machine"] for c in samples])
            lines.append(f"| {row.clients} | {name} | {wall:.2f} s | {controller:.2f} s "
                         f"| {report.mib(rss)} | {machine:.2f} s "
                         f"| {machine / (cores * wall):.0%} |")  # fmt: skip
    return "\n".join(lines)


def settle_lines(extras: dict[int, dict]) -> list[str]:
    """What the runs after a first converge changed before the fleet settled, if any."""
    lines = []
    for k in sorted(extras):
        for run in extras[k]["settle"]:
            lines.append(f"- K={k}, run {run['run']}: " + "; ".join(run["changed"]))
    if not lines:
        return ["The second run on every fresh fleet already changed nothing.", ""]
    return ["Not every second run was a no-op; the fleet settled one run later. The no-op "
            "runs above were measured after that. Changes seen:", "", *lines, ""]


def parse_args(argv: list[str]) -> argparse.Namespace:
    from fleetlib.layout import MAX_CLIENTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,16,64",
                        help=f"comma-separated fleet sizes K (0-{MAX_CLIENTS} clients each)")
    parser.add_argument("--runs", type=int, default=5, help="no-op and floor runs per K")
    parser.add_argument("--snapshot", action="store_true",
                        help="run the deploys from a copy of HEAD (git archive), so edits "
                             "others make in the working tree meanwhile are not measured")
    parser.add_argument("--profile", action="store_true",
                        help="one more no-op run per K under cProfile (DIR/profile-kK.prof), "
                             "its time split by package and its top functions in results.md")
    parser.add_argument("--floor-only", action="store_true",
                        help="no converge and no no-op: only the floor (pyinfra's own cost "
                             "per host) on a fleet that is only up; minutes instead of an hour")
    parser.add_argument("--parallel", type=int,
                        help="pass --parallel N to every pyinfra run (default: pyinfra's own)")
    parser.add_argument("--note", default="", help="a line shown at the top of results.md")
    parser.add_argument("--render", type=Path, metavar="DIR",
                        help="only write DIR/results.md again from DIR/results.json")
    parser.add_argument("--out", type=Path, default=BENCH,
                        help="where results.md, fleet.png and results.json go (default bench/)")
    args = parser.parse_args(argv)
    args.clients = [int(k) for k in args.clients.split(",") if k.strip()]
    if (not args.clients or any(not 0 <= k <= MAX_CLIENTS for k in args.clients)
            or args.runs < 1 or (args.parallel is not None and args.parallel < 1)):  # fmt: skip
        parser.error(f"--clients takes sizes 0-{MAX_CLIENTS}, --runs and --parallel at least 1")
    return args


def write_results(out: Path, rows: list[report.Row], extras: dict[int, dict], info: dict,
                  runs: int, note: str, known_hosts: dict[str, float]) -> None:  # fmt: skip
    report.plot(rows, out / "fleet.png")
    (out / "results.md").write_text(render(rows, extras, info, runs, "fleet.png", note,
                                           known_hosts))  # fmt: skip
    raw = {"machine": info, "runs": runs, "note": note,
           "pyinfra_options": PYINFRA_OPTIONS, "known_hosts_entry_seconds": known_hosts,
           "rows": [{**dataclasses.asdict(r), **extras[r.clients]} for r in rows]}  # fmt: skip
    (out / "results.json").write_text(json.dumps(raw, indent=1) + "\n")


def rerender(out: Path, note: str | None) -> None:
    """Write DIR/results.md and fleet.png again from DIR/results.json (no fleet, no root)."""
    raw = json.loads((out / "results.json").read_text())
    names = {f.name for f in dataclasses.fields(report.Row)}
    rows, extras = [], {}
    for entry in raw["rows"]:
        rows.append(report.Row(**{k: v for k, v in entry.items() if k in names}))
        extras[entry["clients"]] = {k: v for k, v in entry.items() if k not in names}
    PYINFRA_OPTIONS[:] = raw.get("pyinfra_options", [])
    write_results(out, rows, extras, raw["machine"], raw["runs"],
                  raw.get("note", "") if note is None else note,
                  raw.get("known_hosts_entry_seconds"))  # fmt: skip


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.render:
        rerender(args.render, args.note or None)
        log(f"wrote {args.render / 'results.md'} from its results.json")
        return 0
    from testbed import Fleet, missing_prerequisites

    if args.parallel:
        PYINFRA_OPTIONS[:] = ["--parallel", str(args.parallel)]

    problems = missing_prerequisites()
    if problems:
        print("bench: the testbed cannot run here: " + "; ".join(problems), file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    rows, extras = [], {}
    with session_lock(), tempfile.TemporaryDirectory(prefix="ro-bench-") as tmp:
        code = code_measured(Path(tmp), args.snapshot)
        log(f"measuring {code}")
        try:
            for k in args.clients:
                row, extra = bench_k(k, args.runs, Path(tmp),
                                     args.out if args.profile else None, args.floor_only)
                rows.append(row)
                extras[k] = extra
        finally:
            log("fleet down")
            left = Fleet().down()
            if left:
                log(f"fleet down left: {left}")
    known_hosts = known_hosts_check_seconds()
    info = {**machine(), "code": code,
            "known_hosts entry test (paramiko)": f"plain {known_hosts['plain'] * 1e6:.1f} µs, "
                                                 f"hashed {known_hosts['hashed'] * 1e6:.1f} µs"}
    write_results(args.out, rows, extras, info, args.runs, args.note, known_hosts)
    print(report.table(rows))
    print(report.targets_table(report.targets(rows)))
    log(f"wrote {args.out / 'results.md'}, {args.out / 'fleet.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
