"""`remote-ollama status`: the document built from a dry run, and its table and page."""

from __future__ import annotations

import copy
import json

from remote_ollama import cli
from remote_ollama.status import collect, render

SERVER_VIEW = {
    "os": "macOS 15.1", "ollama": "0.14.2", "healthy": True,
    "models": ["llama3.2:1b", "qwen2.5-coder:1.5b"], "loaded": ["qwen2.5-coder:1.5b"],
    "rollback": {"at": "2026-11-30T05:00:00Z", "kind": "version", "tried_version": "0.13.5",
                 "message": "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)"},
    "rollback_resolved": None,
    "upgrade": {"at": "2026-11-30T04:00:00Z", "version": "0.14.2", "from": "0.13.9"},
    "last_converge": {"at": "2026-11-30T04:00:05Z", "role": "server",
                      "changed": ["Write the Ollama launchd plist", "Load the Ollama job",
                                  "Verify Ollama (roll back on failure)", "Pull missing models",
                                  "Check the server against the API contract"]},
    "pins": {"ollama": "0.13.5", "models": ["qwen2.5-coder:1.5b", "llama3.2:1b", "qwen3:8b"]},
}
CLIENT_VIEW = {
    "os": "Debian GNU/Linux 12 (bookworm)", "claude_code": "2.1.332", "aider": "0.86.1",
    "server_version": "0.14.2", "pins": {"claude_code": "2.1.332", "aider": "0.86.2"},
    "last_converge": {"at": "2026-11-30T04:01:10Z", "role": "client",
                      "changed": ["Install Aider 0.86.1", "Link ~/.local/bin/aider",
                                  "Check the server from this client (warns only)"]},
}
DRY = {
    "plan": [
        {"name": "remote-ollama client | Install Aider", "hosts_with_change": ["ai-client-1"]},
        {"name": "remote-ollama server | Pull missing models", "hosts_with_change": ["ai-server"]},
        {"name": "remote-ollama client | Write the env file", "hosts_with_change": []},
        {"name": "remote-ollama server | Record this converge", "hosts_with_change": ["ai-server"]},
    ],
    "results": {"failed_hosts": ["ai-client-2"]},
}
ROLES = {"ai-server": ["server"], "ai-client-1": ["client"], "ai-client-2": ["client"]}


def status() -> dict:
    """A fresh document (tests change it: their views are copies, not the constants)."""
    views = copy.deepcopy({"ai-server.server": SERVER_VIEW, "ai-client-1.client": CLIENT_VIEW})
    return collect.build(views, DRY, "", ROLES, "2026-11-30T05:10:00Z")


def by_host(doc: dict) -> dict:
    return {h["host"]: h for h in doc["hosts"]}


def test_the_document_joins_probe_views_plan_and_reachability():
    hosts = by_host(status())
    assert hosts["ai-server"]["drift"] == ["Pull missing models"]
    assert hosts["ai-server"]["server"]["missing"] == ["qwen3:8b"]
    assert hosts["ai-server"]["os"] == "macOS 15.1"
    assert hosts["ai-client-1"]["drift"] == ["Install Aider"]
    assert hosts["ai-client-1"]["reachable"] is True
    assert hosts["ai-client-2"]["reachable"] is False and "client" not in hosts["ai-client-2"]


def test_a_host_that_probed_nothing_and_did_not_fail_is_unknown():
    doc = collect.build({}, {"plan": [], "results": {"failed_hosts": []}}, "",
                        {"ai-server": ["server"]}, "now")
    assert doc["hosts"][0]["reachable"] is None


def test_the_table_shows_versions_against_pins_drift_and_the_rollback():
    text = "\n".join(render.lines(status()))
    assert "Ollama 0.14.2 (pin 0.13.5)" in text
    assert "Claude Code 2.1.332, Aider 0.86.1 (pin 0.86.2)" in text
    assert "would change: Pull missing models" in text
    assert "missing: qwen3:8b; loaded: qwen2.5-coder:1.5b" in text
    assert ("last rollback: 2026-11-30T05:00:00Z: rolled back to 0.14.2: 0.13.5 failed "
            "/v1/messages (404) (pin known-bad)") in text
    header = text.splitlines()[0]
    assert header.split()[:4] == ["HOST", "ROLE", "OS", "UP"]
    assert "ai-client-2" in text and " NO " in text


def test_the_last_converge_shows_in_the_table_json_and_page():
    """Issue 15: the record the last converge that changed the host left (its last step)."""
    doc = status()
    text = "\n".join(render.lines(doc))
    assert ("last converge: 2026-11-30T04:00:05Z: 5 step(s) changed (Write the Ollama launchd "
            "plist, Load the Ollama job, Verify Ollama (roll back on failure), Pull missing "
            "models and 1 more)") in text
    server = by_host(json.loads(render.as_json(doc)))["ai-server"]["server"]
    assert server["last_converge"]["at"] == "2026-11-30T04:00:05Z"
    assert "last converge</td><td>2026-11-30T04:00:05Z: 5 step(s)" in render.page(doc)
    by_host(doc)["ai-server"]["server"]["last_converge"] = None
    assert "last converge: none recorded" in "\n".join(render.lines(doc))


def test_each_clients_last_converge_shows_in_the_table_json_and_page():
    """Issue 15: the client deploy's own record (``converge.client.json``), per client."""
    doc = status()
    text = "\n".join(render.lines(doc))
    client_block = text.split("\nai-client-1:\n", 1)[1].split("\n\n", 1)[0]
    assert ("  last converge: 2026-11-30T04:01:10Z: 3 step(s) changed (Install Aider 0.86.1, "
            "Link ~/.local/bin/aider, Check the server from this client (warns only))"
            ) in client_block.splitlines()
    client = by_host(json.loads(render.as_json(doc)))["ai-client-1"]["client"]
    assert client["last_converge"]["role"] == "client"
    assert "last converge</td><td>2026-11-30T04:01:10Z: 3 step(s) changed" in render.page(doc)
    by_host(doc)["ai-client-1"]["client"]["last_converge"] = None
    assert "last converge: none recorded" in "\n".join(render.lines(doc)).split("ai-client-1:")[1]


def test_a_host_in_both_groups_shows_both_deploys_last_converge():
    views = copy.deepcopy({"ai-server.server": SERVER_VIEW, "ai-server.client": CLIENT_VIEW})
    doc = collect.build(views, DRY, "", {"ai-server": ["server", "client"]}, "now")
    text = "\n".join(render.lines(doc))
    assert "  last converge: 2026-11-30T04:00:05Z: 5 step(s)" in text
    assert "  last client converge: 2026-11-30T04:01:10Z: 3 step(s)" in text
    assert "last client converge</td><td>2026-11-30T04:01:10Z" in render.page(doc)


def test_the_client_probes_record_goes_into_its_view():
    from remote_ollama.settings import Settings
    from remote_ollama.status.export import client_view

    seen = {"last_converge": CLIENT_VIEW["last_converge"]}
    assert client_view(Settings(), seen)["last_converge"] == CLIENT_VIEW["last_converge"]
    assert client_view(Settings(), {})["last_converge"] is None


def test_the_record_step_is_not_drift():
    from remote_ollama import rollback

    assert rollback.RECORD_CONVERGE in collect.NOT_DRIFT
    assert "Record this converge" not in collect.drift(DRY)["ai-server"]


def test_json_round_trips():
    doc = status()
    assert json.loads(render.as_json(doc)) == doc


def test_the_page_is_self_contained_and_escapes_what_hosts_said():
    doc = status()
    by_host(doc)["ai-server"]["server"]["loaded"] = ["<script>alert(1)</script>"]
    page = render.page(doc)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert "rolled back" in page and "unreachable" in page and "drifted" in page


def test_drift_strips_the_deploy_prefix():
    assert collect.drift(DRY) == {"ai-client-1": ["Install Aider"],
                                  "ai-server": ["Pull missing models"]}


def test_pyinfra_json_is_found_after_log_lines():
    out = "--> Loading config...\n" + json.dumps(DRY, indent=4)
    assert collect.pyinfra_json(out) == DRY
    assert collect.pyinfra_json("no json here") is None


def test_inventory_roles_reads_both_groups(tmp_path):
    inv = tmp_path / "inv.py"
    inv.write_text("server = [('ai-server', {})]\nclients = ['ai-client-1', ('ai-server', {})]\n")
    assert collect.inventory_roles(str(inv)) == {"ai-server": ["server", "client"],
                                                 "ai-client-1": ["client"]}


def test_status_is_registered_lazily():
    names = [name for name, _, _ in cli.COMMANDS]
    assert "status" in names
    parser = cli.build_parser(["status", "--json"])
    args = parser.parse_args(["status", "--json"])
    assert args.json and args.inventory == "inventory/tailnet.py"


def _chromium() -> str | None:
    import shutil

    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                 "google-chrome"))), None)


def test_the_page_renders_in_headless_chromium(tmp_path):
    """The page as a browser draws it: each card's state colour is on the screenshot, and
    the DOM Chromium built holds one card per host."""
    import subprocess

    import pytest

    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium (apt-get install -y chromium)")
    from matplotlib.image import imread

    page = tmp_path / "status.html"
    page.write_text(render.page(status()), encoding="utf-8")
    shot = tmp_path / "status.png"
    flags = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1200,700"]
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], check=True,
                   capture_output=True, timeout=120, cwd=tmp_path)
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], check=True,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path).stdout
    assert dom.count("class=\"card") == 3
    pixels = (imread(shot)[:, :, :3] * 255).round().astype(int)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)}
    for top_border in ((0xD3, 0x3C, 0x3C), (0xE0, 0xA1, 0x00)):  # unreachable, drifted
        assert top_border in colours, f"no card drawn with #{bytes(top_border).hex()}"
