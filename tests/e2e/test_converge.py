"""The real deploys over real SSH on the testbed fleet: converge, idempotence, drift, faults."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.e2e.conftest import DEPLOYS, SEPARATE_DEPLOYS
from tests.testbed.converge import REPO, pyinfra, run_infra

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
CLIENTS = ("ai-client-1", "ai-client-2")
PLIST = "/home/dev/Library/LaunchAgents/com.remote-ollama.ollama.plist"
MODELS_DIR = "/home/dev/.ollama/models"
FAULTS = f"{MODELS_DIR}/.standin-faults.json"
REQUEST_LOG = "/home/dev/.ollama/standin-requests.jsonl"
TAILNET_URL = "http://100.64.0.1:11434"


def in_host(fleet, host: str, command: str, user: str = "dev") -> str:
    return fleet.exec(host, command, user=user, check=True).stdout


def test_second_run_reports_zero_changes(first_converge, settings_inventory):
    assert first_converge.changed(), "the first converge of a fresh fleet changes things"
    again = pyinfra(settings_inventory, *DEPLOYS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}
    plan = pyinfra(settings_inventory, *DEPLOYS, dry=True)
    assert plan.planned() == {}


def test_server_and_client_deploy_files_together_rerun_as_a_noop(converged):
    """`pyinfra INVENTORY deploys/server.py deploys/client.py`, as users run the roles."""
    first = pyinfra(converged, *SEPARATE_DEPLOYS)
    assert first.returncode == 0, first.stderr[-3000:]
    again = pyinfra(converged, *SEPARATE_DEPLOYS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}


def test_server_passes_its_testinfra_suite(converged, ssh_config):
    result = run_infra("test_server.py", SERVER, converged, ssh_config)
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.parametrize("client", CLIENTS)
def test_clients_pass_their_testinfra_suite(converged, ssh_config, client):
    result = run_infra("test_client.py", client, converged, ssh_config)
    assert result.returncode == 0, result.stdout[-4000:]


def test_ollama_is_unreachable_beyond_the_tailnet_address(converged, fleet):
    tailnet = fleet.exec(CLIENTS[0], f"curl -s --max-time 3 {TAILNET_URL}/api/version")
    assert tailnet.returncode == 0 and '"version"' in tailnet.stdout
    for url in ("http://100.64.1.1:11434/api/version", f"{TAILNET_URL}/api/version"):
        outside = fleet.exec("outsider", ["curl", "-s", "--max-time", "3", url])
        assert outside.returncode != 0, f"the outsider reached {url}"
    other_interface = fleet.exec(SERVER, "curl -s --max-time 3 http://100.64.1.1:11434/")
    assert other_interface.returncode != 0, "the server's LAN address must not answer"


def test_drift_is_reported_and_repaired_in_one_run(converged, fleet):
    in_host(fleet, SERVER, f"sed -i 's/<string>5m</<string>9m</' {PLIST}")
    in_host(fleet, SERVER, "launchctl bootout gui/1000/com.remote-ollama.ollama")
    in_host(fleet, SERVER, f"rm -rf {MODELS_DIR}/manifests/registry.ollama.ai/library/llama3.2")
    in_host(fleet, SERVER, "sudo pmset -a sleep 15")
    for client in CLIENTS:
        in_host(fleet, client, "rm -f ~/.ai-client/env")
    in_host(fleet, CLIENTS[1], "sed -i '/# >>> remote-ollama env >>>/,/# <<< remote-ollama env <<</d' "
                               "~/.bashrc")

    plan = pyinfra(converged, *DEPLOYS, dry=True).planned()
    server_ops = {name.split(" | ")[-1] for name, hosts in plan.items() if SERVER in hosts}
    assert {"Write the Ollama launchd plist", "Load the Ollama job", "Pull missing models",
            "Keep the Mac awake (pmset)"} <= server_ops, plan
    client_hosts = {h for hosts in plan.values() for h in hosts if h != SERVER}
    assert client_hosts == set(CLIENTS), plan

    repair = pyinfra(converged, *DEPLOYS)
    assert repair.returncode == 0, repair.stderr[-3000:]
    assert pyinfra(converged, *DEPLOYS).changed() == {}
    assert "<string>5m</string>" in in_host(fleet, SERVER, f"cat {PLIST}")
    assert "llama3.2:1b" in in_host(fleet, SERVER, f"curl -s {TAILNET_URL}/api/tags")
    assert "sleep                0" in in_host(fleet, SERVER, "pmset -g")


def test_a_failed_pull_names_the_model_and_a_rerun_recovers(converged, fleet):
    in_host(fleet, SERVER, f"rm -rf {MODELS_DIR}/manifests/registry.ollama.ai/library/llama3.2")
    in_host(fleet, SERVER, f"echo '{{\"fail_pull\": {{\"llama3.2:1b\": \"registry unreachable\"}}}}'"
                           f" > {FAULTS}")
    try:
        failed = pyinfra(converged, "deploys/server.py")
        assert failed.returncode != 0
        assert "llama3.2:1b" in failed.stderr and "registry unreachable" in failed.stderr
        tags = in_host(fleet, SERVER, f"curl -s {TAILNET_URL}/api/tags")
        assert "qwen2.5-coder:1.5b" in tags and "llama3.2:1b" not in tags
    finally:
        in_host(fleet, SERVER, f"echo '{{}}' > {FAULTS}")
    assert pyinfra(converged, "deploys/server.py").returncode == 0
    assert "llama3.2:1b" in in_host(fleet, SERVER, f"curl -s {TAILNET_URL}/api/tags")


def test_a_run_killed_midway_is_finished_by_the_rerun(converged, fleet):
    in_host(fleet, SERVER, f"rm -rf {MODELS_DIR}/manifests/registry.ollama.ai/library")
    in_host(fleet, SERVER, f"echo '{{\"pull_delay_seconds\": 3}}' > {FAULTS}")
    args = [str(REPO / ".venv/bin/pyinfra"), "-y", str(converged), *DEPLOYS]
    run = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        log = b""
        while b"Pull missing models" not in log and time.monotonic() < deadline:
            log += run.stdout.read1(4096) if run.stdout else b""
        time.sleep(1)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
        in_host(fleet, SERVER, f"echo '{{}}' > {FAULTS}")
    reinstall = pyinfra(converged, *DEPLOYS)
    assert reinstall.returncode == 0, reinstall.stderr[-6000:]
    assert pyinfra(converged, *DEPLOYS).changed() == {}


def test_bad_input_stops_the_run_before_any_host_is_touched(converged, fleet):
    for host in (SERVER, *CLIENTS):
        in_host(fleet, host, "touch /tmp/before-bad-input")
    for data, key in (({"ollama_port": 70000}, "ollama_port=70000"),
                      ({"ollama_prot": 1}, "unknown setting 'ollama_prot'")):
        run = pyinfra(converged, *DEPLOYS, data=data)
        assert run.returncode != 0
        assert key in run.stderr + run.stdout
    for host in (SERVER, *CLIENTS):
        changed = in_host(fleet, host, "find /home/dev /opt -newer /tmp/before-bad-input "
                                       "-not -path '*/.ollama/*' 2>/dev/null")
        assert changed.strip() == "", f"{host}: files changed: {changed}"


@pytest.mark.fleet_destructive
def test_a_client_with_sshd_down_fails_alone_and_is_named(converged, fleet):
    fleet.stop_sshd(CLIENTS[1])
    try:
        in_host(fleet, SERVER, "sudo pmset -a sleep 5")
        in_host(fleet, CLIENTS[0], "rm -f ~/.ai-client/env")
        run = pyinfra(converged, *DEPLOYS)
        assert run.returncode != 0
        assert CLIENTS[1] in run.stderr + run.stdout
        assert "sleep                0" in in_host(fleet, SERVER, "pmset -g")
        assert in_host(fleet, CLIENTS[0], "cat ~/.ai-client/env").count("export ") >= 4
    finally:
        fleet.start_sshd(CLIENTS[1])


def _last_chat_request(fleet) -> dict:
    lines = in_host(fleet, SERVER, f"cat {REQUEST_LOG}").splitlines()
    chats = [json.loads(line) for line in lines if '"/api/chat"' in line]
    assert chats, "the server saw no /api/chat request"
    return chats[-1]


def test_real_aider_answers_through_the_env_the_deploy_wrote(converged, fleet):
    out = fleet.exec(CLIENTS[1], "cd $(mktemp -d) && aider --message 'Say hello.' --yes "
                                 "--no-git --no-show-model-warnings --no-pretty", timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    # ~/.aider.model.metadata.json answers Aider's model lookup: no internet attempt.
    assert "raw.githubusercontent.com" not in out.stdout + out.stderr
    assert "Hello from the Ollama stand-in" in out.stdout
    request = _last_chat_request(fleet)
    assert request["body"]["model"] == "qwen2.5-coder:1.5b"
    assert request["body"]["options"]["num_ctx"] == 65536  # the server's context length


def test_real_claude_ollama_answers_through_v1_messages(converged, fleet):
    # ai-client-1's login shell is zsh, which reads ~/.zshrc in interactive shells.
    out = fleet.exec(CLIENTS[0], "zsh -ic 'cd $(mktemp -d) && claude-ollama -p \"Say hello.\"'",
                     timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.strip()
    log = in_host(fleet, SERVER, f"cat {REQUEST_LOG}")
    assert '"/v1/messages"' in log


def test_a_pinned_ollama_comes_from_its_release_archive_up_and_down(converged, fleet):
    """Pin, upgrade, downgrade: the job restarts on exactly the pinned binary."""
    try:
        for version in ("0.15.0", "0.14.2"):
            run = pyinfra(converged, "deploys/server.py", data={"ollama_version": version})
            assert run.returncode == 0, run.stderr[-3000:]
            answer = json.loads(in_host(fleet, SERVER, f"curl -s {TAILNET_URL}/api/version"))
            assert answer["version"] == version
            assert f"/.local/opt/ollama/{version}/ollama" in in_host(fleet, SERVER, f"cat {PLIST}")
            again = pyinfra(converged, "deploys/server.py", data={"ollama_version": version})
            assert again.changed() == {}
    finally:
        assert pyinfra(converged, "deploys/server.py").returncode == 0  # back to Homebrew's


def test_uninstall_keeps_binary_and_models_and_a_rerun_restores(converged, fleet):
    server = pyinfra(converged, "deploys/server.py", data={"server_state": "absent"})
    assert server.returncode == 0, server.stderr[-3000:]
    assert fleet.exec(SERVER, f"test -e {PLIST}").returncode != 0
    assert fleet.exec(SERVER, "launchctl print gui/1000/com.remote-ollama.ollama").returncode != 0
    assert fleet.exec(SERVER, "test -x /opt/homebrew/bin/ollama").returncode == 0
    assert "llama3.2" in in_host(fleet, SERVER, f"ls {MODELS_DIR}/manifests/registry.ollama.ai/library")
    client = pyinfra(converged, "deploys/client.py", data={"client_state": "absent"})
    assert client.returncode == 0, client.stderr[-3000:]
    for host in CLIENTS:
        assert fleet.exec(host, "test -e ~/.ai-client/env").returncode != 0
        assert "remote-ollama" not in fleet.exec(host, "cat ~/.bashrc ~/.zshrc 2>/dev/null").stdout
        assert fleet.exec(host, "test -x ~/.local/bin/uv").returncode == 0  # uv stays
    again = pyinfra(converged, "deploys/client.py", data={"client_state": "absent"})
    assert again.changed() == {}, "uninstalling twice changes nothing"
    reinstall = pyinfra(converged, *DEPLOYS)
    assert reinstall.returncode == 0, reinstall.stderr[-6000:]
    assert pyinfra(converged, *DEPLOYS).changed() == {}
