"""inventory/tailscale.py: the server and clients groups from recorded `tailscale status --json`.

Fixtures are in tests/fixtures/tailscale/ (their README describes the format).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.inventory_loader import InventoryError, group_settings, load_inventory
from remote_ollama.tailnet_inventory import (
    TailnetInventoryError,
    build_groups,
    inventory_groups,
    read_status,
    tags_from_env,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "tailscale"
TAGS = ("tag:ai-server", "tag:ai-client")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def peer(status: dict, host_name: str) -> dict:
    return next(p for p in status["Peer"].values() if p["HostName"] == host_name)


# --- building the groups ------------------------------------------------------------------


def test_several_peers_give_server_and_online_clients_including_self():
    groups = build_groups(fixture("several_peers.json"), *TAGS)
    assert groups.server == ["ai-server.tail1234.ts.net"]
    # Self (ops-macbook) is tagged as a client; macbook-pro is offline.
    assert groups.clients == ["macbook-air.tail1234.ts.net", "ops-macbook.tail1234.ts.net"]
    assert groups.warnings == [
        "skipping offline node macbook-pro.tail1234.ts.net (tag:ai-client; offline)"
    ]


def test_nodes_without_tags_or_with_other_tags_are_left_out():
    status = fixture("several_peers.json")
    assert "Tags" not in peer(status, "localhost")  # the iPhone: no Tags key at all
    hosts = build_groups(status, *TAGS)
    listed = hosts.server + hosts.clients
    assert "iphone-15.tail1234.ts.net" not in listed
    assert "nas.tail1234.ts.net" not in listed


def test_host_names_are_magicdns_names_without_trailing_dot():
    groups = build_groups(fixture("several_peers.json"), *TAGS)
    assert all(not h.endswith(".") and h.endswith(".tail1234.ts.net")
               for h in groups.server + groups.clients)


def test_without_magicdns_the_tailscale_ipv4_is_used_with_a_warning():
    status = fixture("several_peers.json")
    peer(status, "Mac-Studio")["DNSName"] = ""
    groups = build_groups(status, *TAGS)
    assert groups.server == ["100.88.14.3"]
    assert "100.88.14.3 has no MagicDNS name; using its Tailscale IP" in groups.warnings


def test_custom_tags():
    status = fixture("several_peers.json")
    groups = build_groups(status, "tag:nas", "tag:ai-server")
    assert groups.server == ["nas.tail1234.ts.net"]
    assert groups.clients == ["ai-server.tail1234.ts.net"]


def test_offline_server_is_a_clear_error_naming_tag_and_nodes():
    with pytest.raises(TailnetInventoryError) as error:
        build_groups(fixture("server_offline.json"), *TAGS)
    message = str(error.value)
    assert "expected exactly one online node tagged tag:ai-server, found no online node" in message
    assert "ai-server.tail1234.ts.net (tag:ai-server; offline)" in message
    assert "iphone-15.tail1234.ts.net (no tags; online)" in message
    assert "ops-macbook.tail1234.ts.net (tag:ai-client; online; this machine)" in message


def test_no_node_with_the_server_tag_is_a_clear_error():
    with pytest.raises(TailnetInventoryError, match="tagged tag:llm, found no online node"):
        build_groups(fixture("several_peers.json"), "tag:llm", "tag:ai-client")


def test_two_servers_is_an_error_naming_both():
    status = fixture("several_peers.json")
    peer(status, "nas")["Tags"] = ["tag:ai-server"]
    with pytest.raises(TailnetInventoryError, match=(
        r"found ai-server\.tail1234\.ts\.net, nas\.tail1234\.ts\.net"
    )):
        build_groups(status, *TAGS)


def test_a_node_with_both_tags_is_an_error():
    status = fixture("several_peers.json")
    peer(status, "Alices-MacBook-Air")["Tags"] = ["tag:ai-client", "tag:ai-server"]
    with pytest.raises(TailnetInventoryError, match=(
        r"macbook-air.tail1234.ts.net \(tag:ai-client,tag:ai-server; online\) carries both"
    )):
        build_groups(status, *TAGS)


def test_no_clients_is_only_a_warning():
    groups = build_groups(fixture("several_peers.json"), "tag:ai-server", "tag:nobody")
    assert groups.clients == []
    assert "no online node is tagged tag:nobody: the clients group is empty" in groups.warnings


def test_logged_out_controller_is_an_error():
    with pytest.raises(TailnetInventoryError, match=r"BackendState='NeedsLogin'.*tailscale up"):
        build_groups(fixture("needs_login.json"), *TAGS)


# --- reading the status -------------------------------------------------------------------


def test_status_file_from_env_is_read_without_running_tailscale():
    def no_run(*args, **kwargs):
        raise AssertionError("tailscale must not run when a status file is given")

    env = {"REMOTE_OLLAMA_TAILSCALE_STATUS": str(FIXTURES / "several_peers.json")}
    assert read_status(env, run=no_run)["BackendState"] == "Running"


def test_missing_status_file_is_a_clear_error():
    with pytest.raises(TailnetInventoryError, match="cannot read REMOTE_OLLAMA_TAILSCALE_STATUS"):
        read_status({"REMOTE_OLLAMA_TAILSCALE_STATUS": "/nonexistent/status.json"})


def test_cli_output_is_used_when_no_file_is_given():
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        text = (FIXTURES / "several_peers.json").read_text()
        return subprocess.CompletedProcess(argv, 0, stdout=text, stderr="")

    assert read_status({}, run=fake_run)["Self"]["HostName"] == "ops-macbook"
    assert calls == [["tailscale", "status", "--json"]]


def test_tailscale_binary_missing_is_a_clear_error():
    env = {"REMOTE_OLLAMA_TAILSCALE_BIN": "tailscale-not-installed"}
    with pytest.raises(TailnetInventoryError) as error:
        read_status(env)  # the real subprocess.run: the binary really is missing
    message = str(error.value)
    assert "`tailscale-not-installed` command was not found" in message
    assert "REMOTE_OLLAMA_TAILSCALE_STATUS" in message


def test_failing_tailscale_is_a_clear_error():
    def fake_run(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, stdout="", stderr="failed to connect")

    with pytest.raises(TailnetInventoryError, match=r"failed \(exit 1\): failed to connect"):
        read_status({}, run=fake_run)


def test_tags_default_to_the_schema_and_can_be_set_by_env():
    assert tags_from_env({}) == ("tag:ai-server", "tag:ai-client")
    env = {"REMOTE_OLLAMA_SERVER_TAG": "tag:llm", "REMOTE_OLLAMA_CLIENT_TAG": "tag:coder"}
    assert tags_from_env(env) == ("tag:llm", "tag:coder")
    with pytest.raises(TailnetInventoryError, match="REMOTE_OLLAMA_SERVER_TAG='llm' is invalid"):
        tags_from_env({"REMOTE_OLLAMA_SERVER_TAG": "llm"})


def test_warnings_go_to_the_warn_callback():
    seen = []
    env = {"REMOTE_OLLAMA_TAILSCALE_STATUS": str(FIXTURES / "several_peers.json")}
    inventory_groups(env, warn=seen.append)
    assert seen == ["skipping offline node macbook-pro.tail1234.ts.net (tag:ai-client; offline)"]


# --- the inventory file, loaded by pyinfra ----------------------------------------------


def test_pyinfra_loads_the_file_and_applies_group_data(tmp_path, monkeypatch, capsys):
    # A project of its own, so the group_data values are known to this test.
    (tmp_path / "inventory").mkdir()
    shutil.copy(REPO / "inventory" / "tailscale.py", tmp_path / "inventory" / "tailscale.py")
    (tmp_path / "group_data").mkdir()
    (tmp_path / "group_data" / "all.py").write_text("ollama_port = 8434\n")
    (tmp_path / "group_data" / "server.py").write_text('ollama_keep_alive = "-1"\n')
    (tmp_path / "group_data" / "clients.py").write_text("claude_code_enabled = True\n")
    monkeypatch.setenv("REMOTE_OLLAMA_TAILSCALE_STATUS", str(FIXTURES / "several_peers.json"))

    inventory = load_inventory(tmp_path / "inventory" / "tailscale.py", cwd=tmp_path)
    settings = group_settings(inventory, ("server", "clients"))

    assert [h.name for h in inventory.get_group("server")] == ["ai-server.tail1234.ts.net"]
    server = settings["ai-server.tail1234.ts.net"]
    assert (server.ollama_port, server.ollama_keep_alive) == (8434, "-1")
    client = settings["macbook-air.tail1234.ts.net"]
    assert (client.ollama_port, client.claude_code_enabled) == (8434, True)
    assert "skipping offline node macbook-pro" in capsys.readouterr().err


def test_repo_group_data_validates_for_the_dynamic_inventory(monkeypatch):
    monkeypatch.setenv("REMOTE_OLLAMA_TAILSCALE_STATUS", str(FIXTURES / "several_peers.json"))
    monkeypatch.chdir(REPO)
    inventory = load_inventory("inventory/tailscale.py")
    settings = group_settings(inventory, ("server", "clients"))
    assert sorted(settings) == [
        "ai-server.tail1234.ts.net", "macbook-air.tail1234.ts.net", "ops-macbook.tail1234.ts.net",
    ]


def test_errors_reach_pyinfra_as_a_pyinfra_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REMOTE_OLLAMA_TAILSCALE_STATUS", str(FIXTURES / "server_offline.json"))
    with pytest.raises(InventoryError, match="exactly one online node tagged tag:ai-server") as e:
        load_inventory(REPO / "inventory" / "tailscale.py", cwd=tmp_path)
    assert isinstance(e.value.__cause__, PyinfraError)
