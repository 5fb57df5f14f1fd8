"""Run the real deploys against the testbed fleet and read pyinfra's JSON results.

The fleet's inventory holds SSH data only; ``write_settings_inventory`` adds the settings
a testbed needs (the local mirror for offline installs, a Python 3.11 for Aider, small
models) as host data, which pyinfra ranks above group_data, so the repo's group_data
still applies to everything else.
"""

from __future__ import annotations

import json
import os
import pprint
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIRROR = "http://100.64.0.254:8080"

SETTINGS = {
    "all": {
        "models": ["qwen2.5-coder:1.5b", "llama3.2:1b"],
        "default_model": "qwen2.5-coder:1.5b",
        # Claude Code's own system prompt needs far more than 16k tokens of context.
        "ollama_context_length": 65536,
    },
    "server": {
        "ollama_release_url": MIRROR + "/ollama/v{version}/ollama-darwin.tgz",
        "ollama_health_timeout": 30,
    },
    "clients": {
        "aider_python": "3.11",  # Debian bookworm's python3; uv cannot download one offline
        "package_find_links": MIRROR + "/wheels/",
        "claude_code_registry": MIRROR + "/npm",
    },
    "ai-client-1": {"claude_code_enabled": True},
}


def load_inventory_file(path: Path) -> dict[str, list]:
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return {group: namespace.get(group, []) for group in ("server", "clients")}


def write_settings_inventory(fleet_inventory: Path, out: Path, **overrides) -> Path:
    """An inventory with the fleet's hosts plus testbed settings (and ``overrides``)."""
    groups = load_inventory_file(fleet_inventory)
    lines = ['"""The testbed fleet with its settings; written by tests/testbed/converge.py."""']
    for group, hosts in groups.items():
        entries = []
        for name, data in hosts:
            merged = {**data, **SETTINGS["all"], **SETTINGS[group],
                      **SETTINGS.get(name, {}), **overrides}
            entries.append((name, merged))
        lines.append(f"{group} = {pprint.pformat(entries, width=96, sort_dicts=False)}")
    out.write_text("\n\n".join(lines) + "\n")
    return out


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    results: dict | None

    def changed(self) -> dict[str, list[str]]:
        """{operation name: [hosts where it changed something]}."""
        if not self.results or not self.results.get("results"):
            return {}
        return {op["name"]: op["success"] for op in self.results["results"]["operations"]
                if op["success"]}

    def planned(self) -> dict[str, list[str]]:
        """From a --dry plan: {operation name: [hosts that would change]}."""
        return {op["name"]: op["hosts_with_change"] for op in (self.results or {}).get("plan", [])
                if op["hosts_with_change"]}

    @property
    def failed_hosts(self) -> list[str]:
        return ((self.results or {}).get("results") or {}).get("failed_hosts", [])


def pyinfra(inventory: Path, *deploys: str, dry: bool = False, data: dict | None = None,
            timeout: int = 900, extra: tuple[str, ...] = ()) -> Run:
    """``pyinfra -y --json INVENTORY DEPLOYS...`` from the repo root."""
    args = [str(Path(sys.executable).with_name("pyinfra")), "-y", "--json", str(inventory),
            *deploys, *extra]
    if dry:
        args.append("--dry")
    for key, value in (data or {}).items():
        args += ["--data", f"{key}={value}"]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr, _json_tail(proc.stdout))


def _json_tail(stdout: str) -> dict | None:
    start = stdout.find('{\n    "plan"')
    if start < 0:
        start = stdout.find('{"plan"')
    if start < 0:
        return None
    try:
        return json.loads(stdout[start:])
    except ValueError:
        return None


def write_ssh_config(fleet_inventory: Path, out: Path) -> Path:
    """An ssh_config for testinfra (`--ssh-config`): each fleet host by name, strict keys."""
    blocks = []
    for hosts in load_inventory_file(fleet_inventory).values():
        for name, data in hosts:
            blocks.append(
                f"Host {name}\n  HostName {data['ssh_hostname']}\n  User {data['ssh_user']}\n"
                f"  IdentityFile {data['ssh_key']}\n  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {data['ssh_known_hosts_file']}\n"
                "  StrictHostKeyChecking yes\n"
            )
    out.write_text("\n".join(blocks))
    return out


def run_infra(suite: str, host: str, settings_inventory: Path, ssh_config: Path,
              *extra: str) -> subprocess.CompletedProcess:
    """Run a tests/infra suite against one fleet host, as a user would against a real one."""
    args = [sys.executable, "-m", "pytest", f"tests/infra/{suite}", "-q", "-p", "no:cacheprovider",
            f"--hosts=ssh://{host}", f"--ssh-config={ssh_config}",
            f"--settings-inventory={settings_inventory}", f"--settings-host={host}", *extra]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
