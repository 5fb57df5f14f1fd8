"""`remote-ollama status`: every host's state from one probe per host, in parallel."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the fleet at a glance: versions, drift, health, models, rollbacks",
        description=(
            "Run the fleet deploy as a dry run (one remote command per host, all hosts at "
            "once) and show each host's role, OS, reachability, installed versions against "
            "the pins, what a converge would change, the server's health and models, and "
            "the last verified upgrade and rollback."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  remote-ollama status\n  remote-ollama status --json\n"
               "  remote-ollama status --html fleet.html -i /tmp/inventory.py",
    )
    parser.add_argument("-i", "--inventory", default="inventory/tailnet.py",
                        help="pyinfra inventory (default: inventory/tailnet.py)")
    parser.add_argument("--deploy", default="deploys/fleet.py",
                        help="deploy whose dry run gives the drift (default: deploys/fleet.py)")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to pyinfra as --data (e.g. a pin you are about to set)")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write one self-contained HTML page")
    parser.set_defaults(func=run)


def run(args) -> int:
    from remote_ollama.status import collect, render

    status = collect.collect(args.inventory, args.deploy, args.data)
    if args.html:
        Path(args.html).write_text(render.page(status), encoding="utf-8")
    print(render.as_json(status) if args.json else "\n".join(render.lines(status)))
    sys.stdout.flush()
    bad = status.get("error") or any(h["reachable"] is not True for h in status["hosts"])
    return 1 if bad else 0
