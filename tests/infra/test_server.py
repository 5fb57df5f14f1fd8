"""The converged server: job loaded as the user, bound to the tailnet only, APIs answer."""

from __future__ import annotations

import pytest

from remote_ollama.settings import latest
from tests.infra.tools import tailscale_ipv4

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def facts(host, server_settings):
    """Where the server should be: its launchd target, bind address and API URL."""
    s = server_settings
    uid = host.run("id -u").stdout.strip()
    domain = "system" if s.ollama_service == "daemon" else f"gui/{uid}"
    if s.ollama_bind == "tailscale":
        address = tailscale_ipv4(host)  # not on a Mac's SSH PATH: found as the deploy does
    else:
        address = "127.0.0.1" if s.ollama_bind == "loopback" else "0.0.0.0"
    local = "127.0.0.1" if address == "0.0.0.0" else address
    return {"target": f"{domain}/{s.ollama_label}", "address": address,
            "url": f"http://{local}:{s.ollama_port}", "user": host.user().name}


def test_job_is_loaded_and_running(host, facts):
    out = host.run(f"launchctl print {facts['target']}")
    assert out.rc == 0, out.stdout + out.stderr
    assert "state = running" in out.stdout


def test_ollama_runs_as_the_ssh_user_never_root(host, facts):
    out = host.run(f"launchctl print {facts['target']}")
    pid = next(line.split("=")[1].strip() for line in out.stdout.splitlines()
               if line.strip().startswith("pid ="))
    owner = host.run(f"ps -o user= -p {pid}").stdout.strip()
    assert owner == facts["user"] != "root"


def test_listens_on_the_configured_address_only(host, facts, server_settings):
    port = server_settings.ollama_port
    answers = host.run(f"curl -q -s --max-time 3 {facts['url']}/api/version")
    assert answers.rc == 0 and '"version"' in answers.stdout
    if server_settings.ollama_bind == "tailscale":
        loopback = host.run(f"curl -q -s --max-time 3 http://127.0.0.1:{port}/api/version")
        assert loopback.rc != 0, "bound to the tailnet address, loopback must not answer"


def test_version_supports_the_anthropic_api(remote, facts):
    version = remote.json("GET", f"{facts['url']}/api/version")["version"]
    assert tuple(int(p) for p in version.split(".")[:3]) >= (0, 14, 0)


def test_declared_models_are_present(remote, facts, server_settings):
    present = {latest(m["name"]) for m in remote.json("GET", f"{facts['url']}/api/tags")["models"]}
    missing = {latest(m) for m in server_settings.models} - present
    assert not missing, f"models not pulled: {sorted(missing)}"


def test_openai_models_endpoint_lists_them(remote, facts, server_settings):
    ids = {m["id"] for m in remote.json("GET", f"{facts['url']}/v1/models")["data"]}
    assert {latest(m) for m in server_settings.models} <= {latest(i) for i in ids}


def test_openai_chat_completion_answers(remote, facts, server_settings):
    reply = remote.json("POST", f"{facts['url']}/v1/chat/completions", {
        "model": server_settings.chat_model,
        "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8})
    assert reply["object"] == "chat.completion"
    assert reply["choices"][0]["message"]["content"]


def test_anthropic_messages_answer(remote, facts, server_settings):
    reply = remote.json("POST", f"{facts['url']}/v1/messages", {
        "model": server_settings.chat_model, "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say OK."}]})
    assert reply["type"] == "message" and reply["role"] == "assistant"
    assert reply["content"][0]["type"] == "text" and reply["content"][0]["text"]
    assert reply["stop_reason"] and "input_tokens" in reply["usage"]
