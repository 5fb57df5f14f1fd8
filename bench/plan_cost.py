"""The controller's planning of a converged fleet, in one process, without SSH.

    .venv/bin/python bench/plan_cost.py [--clients 32] [--rounds 5] [--profile OUT.prof]

Plans ``deploys/fleet.py`` with tests/plan's harness (pyinfra's own State, Inventory and
deploy loading; the probe answered by stubs of a converged server and converged Debian
clients) for 1 client and for ``--clients``, ``--rounds`` times each, alternated, and
prints the CPU seconds of each (``resource.getrusage``, this process) and the planning
cost per extra client: the difference of the two fastest rounds over the extra clients.
Every planned host must have nothing to do (the run stops otherwise).

It isolates what bench/fleet.py's no-op run measures together with SSH, the hosts' probes
and pyinfra's start-up: the deploy's own work per host (parsing the probe's answer,
rendering, deciding each step) and pyinfra's per-host bookkeeping. ``--profile`` writes a
cProfile of one more round at ``--clients`` (no gevent waits in it to misattribute: the
stubbed hosts answer at once).
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def converged_fleet(clients: int) -> tuple[dict, dict]:
    from tests.plan.clients import client_settings, converged, fresh_debian_client
    from tests.plan.clients import stub as client_stub
    from tests.plan.macs import converged_mac, group_settings, stub

    debian = converged(fresh_debian_client(), client_settings(aider_python="3.11"))
    server = {"ai-server": stub(converged_mac(group_settings("server")))}
    return server, {f"ai-client-{n}": client_stub(debian, aider_python="3.11")
                    for n in range(1, clients + 1)}  # fmt: skip


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plan_once(clients: int) -> float:
    """CPU seconds to plan the fleet deploy for a converged server and ``clients``."""
    import pyinfra

    from tests.plan.harness import plan

    server, hosts = converged_fleet(clients)
    was_cli, pyinfra.is_cli = pyinfra.is_cli, True  # order operations as the CLI does
    try:
        started = cpu_seconds()
        planned = plan("fleet", server=server, clients=hosts)
        spent = cpu_seconds() - started
    finally:
        pyinfra.is_cli = was_cli
    busy = {name: host.changes for name, host in planned.items() if host.changes}
    if busy:
        raise SystemExit(f"not a converged fleet: {busy}")
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    plan_once(1)  # imports, templates, the harness's group data: not part of a host's cost
    one, many = [], []
    for _ in range(args.rounds):
        one.append(plan_once(1))
        many.append(plan_once(args.clients))
    per_client = (min(many) - min(one)) / (args.clients - 1)
    print(f"1 client: {min(one) * 1000:.1f} ms CPU (fastest of {args.rounds}); "
          f"{args.clients} clients: {min(many) * 1000:.1f} ms; "
          f"per extra converged client: {per_client * 1000:.2f} ms")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(plan_once, args.clients)
        profile.dump_stats(str(args.profile))
        print(f"profile: {args.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
