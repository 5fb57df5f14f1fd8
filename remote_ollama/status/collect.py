"""Collect the fleet's state: one ``pyinfra --dry`` of the fleet deploy, one probe per host.

pyinfra already probes every host in parallel, and a dry run of deploys/fleet.py is
exactly the no-op run's one remote command per host. It gives two things at once: the
plan (which steps would change what: the drift) and, through the deploys' export hook
(``export.py``), what each probe saw. Reachability comes from pyinfra's failed hosts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from remote_ollama.status.export import ENV

GROUP_PREFIX = ("remote-ollama server | ", "remote-ollama client | ")
NOT_DRIFT = {"Record this converge"}  # rollback.RECORD_CONVERGE: follows any change


def pyinfra_json(stdout: str) -> dict | None:
    """pyinfra's ``--json`` document at the end of its output (after its log lines)."""
    for marker in ('{\n    "plan"', '{"plan"'):
        start = stdout.find(marker)
        if start >= 0:
            try:
                return json.loads(stdout[start:])
            except ValueError:
                return None
    return None


def drift(doc: dict | None) -> dict[str, list[str]]:
    """{host: [step that would change, ...]} from a dry run's plan."""
    out: dict[str, list[str]] = {}
    for op in (doc or {}).get("plan") or []:
        name = op.get("name", "")
        for prefix in GROUP_PREFIX:
            name = name.removeprefix(prefix)
        if name in NOT_DRIFT:
            continue
        for host in op.get("hosts_with_change") or []:
            out.setdefault(host, []).append(name)
    return out


def unreachable(doc: dict | None, stderr: str, hosts: list[str]) -> list[str]:
    failed = set(((doc or {}).get("results") or {}).get("failed_hosts") or [])
    return sorted(h for h in hosts if h in failed or f"[{h}] Could not connect" in stderr)


def build(views: dict[str, dict], doc: dict | None, stderr: str, roles: dict[str, list[str]],
          now: str) -> dict:
    """The status document (the ``--json`` output): one entry per host."""
    hosts = sorted(roles)
    plan = drift(doc)
    down = set(unreachable(doc, stderr, hosts))
    entries = []
    for name in hosts:
        entry: dict = {"host": name, "roles": roles[name], "reachable": name not in down,
                       "drift": plan.get(name, [])}  # fmt: skip
        for role in roles[name]:
            view = views.get(f"{name}.{role}")
            if view is not None:
                entry[role] = view
        if entry["reachable"] and not any(r in entry for r in roles[name]):
            entry["reachable"] = None  # probed nothing, and pyinfra did not say why
        entry["os"] = next((entry[r].get("os") for r in roles[name] if r in entry
                            and entry[r].get("os")), None)  # fmt: skip
        if "server" in entry:
            server = entry["server"]
            server["missing"] = [m for m in server["pins"]["models"]
                                 if _latest(m) not in server["models"]]  # fmt: skip
        entries.append(entry)
    return {"generated_at": now, "hosts": entries}


def _latest(model: str) -> str:
    return model if ":" in model else f"{model}:latest"


def inventory_roles(inventory: str) -> dict[str, list[str]]:
    """{host: roles} from a Python inventory file (its ``server`` and ``clients`` lists)."""
    namespace: dict = {"__file__": inventory}
    exec(compile(Path(inventory).read_text(), inventory, "exec"), namespace)
    roles: dict[str, list[str]] = {}
    for group, role in (("server", "server"), ("clients", "client")):
        for item in namespace.get(group) or []:
            name = item[0] if isinstance(item, (list, tuple)) else item
            roles.setdefault(str(name), []).append(role)
    return roles


def collect(inventory: str, deploy: str = "deploys/fleet.py", data: list[str] = (),
            cwd: str | None = None, timeout: int = 300) -> dict:
    """Run the dry fleet deploy and assemble the status document."""
    pyinfra = str(Path(sys.executable).with_name("pyinfra"))
    with tempfile.TemporaryDirectory(prefix="remote-ollama-status-") as folder:
        args = [pyinfra, "-y", "--json", "--dry", inventory, deploy]
        # A pair the matrix marks broken stops a real run before anything is sent; here it
        # would hide the whole fleet's state, so the plan goes on (the pins still show).
        if not any(item.startswith("allow_incompatible_versions=") for item in data):
            args += ["--data", "allow_incompatible_versions=true"]
        for item in data:
            args += ["--data", item]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                              env={**os.environ, ENV: folder}, stdin=subprocess.DEVNULL)
        views = {p.name.removesuffix(".json"): json.loads(p.read_text())
                 for p in Path(folder).glob("*.json")}  # fmt: skip
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = pyinfra_json(proc.stdout)
    status = build(views, doc, proc.stderr + proc.stdout, inventory_roles(inventory), now)
    if doc is None:
        status["error"] = (proc.stderr.strip().splitlines() or ["pyinfra gave no plan"])[-1]
    return status
