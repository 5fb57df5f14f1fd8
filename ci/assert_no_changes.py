#!/usr/bin/env python3
"""Fail unless a pyinfra run changed nothing: the idempotence check of a second converge.

    pyinfra -y --json inventory/macos-ci.py deploys/server.py > second.json
    python3 ci/assert_no_changes.py second.json

Reads pyinfra's ``--json`` output (options go before the inventory: after ``exec --``
they belong to the command). A real run is judged by ``results.operations[].success``,
the hosts where the operation ran commands; a ``--dry`` run (``results`` is null) by
``plan[].hosts_with_change``. Every changed operation is listed, with its hosts.
Exit 0: nothing changed; 1: something changed or failed; 2: not pyinfra JSON.
Standard library only, so it runs with any python3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


class NotPyinfraJson(ValueError):
    """The input is empty or not what `pyinfra --json` prints."""


def load(text: str) -> dict:
    """The JSON object pyinfra printed; tolerates stray lines before it."""
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            payload = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(payload, dict) and "plan" in payload:
            return payload
    if not text.strip():
        raise NotPyinfraJson("empty output: pyinfra printed no JSON (did it fail? see its log)")
    raise NotPyinfraJson("not pyinfra --json output (no object with a 'plan' key)")


def problems(payload: dict) -> list[str]:
    """One line per operation that changed (or failed) on some host; [] when none did."""
    results = payload.get("results")
    found = []
    if results is None:  # --dry: only the plan exists
        for op in payload["plan"]:
            hosts = op.get("hosts_with_change", []) + op.get("hosts_with_conditional_change", [])
            if hosts:
                found.append(f"would change: {op['name']} on {', '.join(sorted(hosts))}")
        return found
    for op in results["operations"]:
        if op.get("success"):
            found.append(f"changed: {op['name']} on {', '.join(op['success'])}")
        if op.get("error"):
            found.append(f"failed: {op['name']} on {', '.join(op['error'])}")
    for host in results.get("failed_hosts", []):
        found.append(f"failed host: {host}")
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: assert_no_changes.py RESULT.json [RESULT.json ...]", file=sys.stderr)
        return 2
    status = 0
    for path in argv:
        try:
            payload = load(Path(path).read_text())
        except (OSError, NotPyinfraJson) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 2
            continue
        found = problems(payload)
        if found:
            print(f"{path}: {len(found)} operation(s) not idempotent:", file=sys.stderr)
            for line in found:
                print(f"  - {line}", file=sys.stderr)
            status = max(status, 1)
        else:
            count = len(payload["plan"])
            print(f"{path}: no changes ({count} operations checked)")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
