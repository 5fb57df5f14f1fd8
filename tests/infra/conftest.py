"""testinfra checks of a converged server or client, on the testbed or on a real Mac/VM.

    pytest tests/infra/test_server.py --hosts=ssh://admin@ai-server.tail1234.ts.net
    pytest tests/infra/test_client.py --hosts=local:// --settings-inventory inventory/tailnet.py \
        --settings-host macbook-air.tail1234.ts.net

What "right" means comes from the same settings the deploy used: the repo's group_data,
plus the host's data in ``--settings-inventory`` when given, plus ``--setting key=value``.

Tools are found the way the deploy finds them: a non-interactive SSH session on a Mac has
PATH ``/usr/bin:/bin:/usr/sbin:/sbin``, without Homebrew and without the Tailscale app's
CLI. ``Remote.run`` gives commands the deploy's PATH, and ``tailscale`` is the formula's,
else the app's CLI (see ``tools.py``).
"""

from __future__ import annotations

import json
import shlex

import pytest

from remote_ollama.inventory_loader import load_inventory
from remote_ollama.settings import validate_host
from tests.infra.tools import as_deploy, tailscale_ipv4
from tests.plan.harness import repo_group_data


def pytest_addoption(parser):
    group = parser.getgroup("remote-ollama")
    group.addoption("--settings-inventory", help="inventory the host was converged from")
    group.addoption("--settings-host", help="the host's name in that inventory")
    group.addoption("--setting", action="append", default=[], metavar="KEY=JSON",
                    help="override a setting (value parsed as JSON, else a string)")


def _override(raw: str) -> tuple[str, object]:
    key, _, value = raw.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _settings(config, role: str):
    path, name = config.getoption("settings_inventory"), config.getoption("settings_host")
    if path and name:
        inventory = load_inventory(path)
        data = inventory.get_host(name).data.dict()
    else:
        groups = repo_group_data()
        data = {**groups["all"], **groups[role]}
    data.update(dict(_override(o) for o in config.getoption("setting")))
    return validate_host(name or f"{role} under test", data)


@pytest.fixture(scope="module")
def server_settings(request):
    return _settings(request.config, "server")


@pytest.fixture(scope="module")
def client_settings(request):
    return _settings(request.config, "clients")


class Remote:
    """Small helpers over testinfra's host for JSON APIs, login shells and the tools the
    deploy uses."""

    def __init__(self, host):
        self.host = host

    def run(self, command: str):
        """``command`` as the deploy runs it: Homebrew's tools on PATH."""
        return self.host.run(as_deploy(command))

    def tailscale_ipv4(self) -> str:
        return tailscale_ipv4(self.host)

    def login_shell(self, command: str, shell: str = "bash"):
        return self.host.run(f"{shell} -lc {shlex.quote(command)}")

    def http(self, method: str, url: str, body: dict | None = None, timeout: int = 60):
        data = f"-d {shlex.quote(json.dumps(body))}" if body is not None else ""
        out = self.host.run(f"curl -q -sS --max-time {timeout} -X {method} "
                            f"-H 'Content-Type: application/json' {data} "
                            f"-w '\\n%{{http_code}}' {shlex.quote(url)}")
        assert out.rc == 0, f"{method} {url}: curl failed: {out.stderr}"
        text, _, code = out.stdout.rstrip("\n").rpartition("\n")
        return int(code), text

    def json(self, method: str, url: str, body: dict | None = None) -> dict:
        code, text = self.http(method, url, body)
        assert code == 200, f"{method} {url} answered HTTP {code}: {text[:300]}"
        return json.loads(text)


@pytest.fixture(scope="module")
def server_base(request, client_settings) -> str:
    """The server URL a client's env must point at (no /v1)."""
    name = client_settings.ollama_server_host
    path = request.config.getoption("settings_inventory")
    if not name and path:
        servers = load_inventory(path).get_group("server", [])
        name = servers[0].name.split("/")[-1] if servers else None
    assert name, "set ollama_server_host (--setting) or pass --settings-inventory"
    return f"http://{name}:{client_settings.ollama_port}"


@pytest.fixture
def remote(host):
    return Remote(host)
