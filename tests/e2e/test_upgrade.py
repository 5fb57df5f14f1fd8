"""Issue 15 on the testbed: an Ollama upgrade ends verified on the new version or back on
the old one, on its own. The mirror serves stand-in release archives of 0.13.5 (no
/v1/messages), 0.14.2 and 0.15.0 (docs/testbed.md)."""

from __future__ import annotations

import json

import pytest

from tests.testbed.converge import pyinfra

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
URL = "http://100.64.0.1:11434"
RECORD = "/home/dev/.local/state/remote-ollama/rollback.json"
RESOLVED = "/home/dev/.local/state/remote-ollama/rollback.resolved.json"
PLIST = "/home/dev/Library/LaunchAgents/com.remote-ollama.ollama.plist"
DEPLOY = "deploys/server.py"


def sh(fleet, command: str) -> str:
    return fleet.exec(SERVER, command, check=True).stdout


def version(fleet) -> str:
    return json.loads(sh(fleet, f"curl -s {URL}/api/version"))["version"]


def messages_status(fleet) -> str:
    body = ('{"model":"qwen2.5-coder:1.5b","max_tokens":1,'
            '"messages":[{"role":"user","content":"hi"}]}')
    return sh(fleet, f"curl -s -o /dev/null -w '%{{http_code}}' -H 'content-type: "
                     f"application/json' -d '{body}' {URL}/v1/messages")


@pytest.fixture
def on_0_14_2(converged, fleet):
    sh(fleet, f"rm -f {RECORD} {RESOLVED}")
    run = pyinfra(converged, DEPLOY, data={"ollama_version": "0.14.2"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert version(fleet) == "0.14.2"
    yield converged
    sh(fleet, f"rm -f {RECORD} {RESOLVED}")
    assert pyinfra(converged, DEPLOY).returncode == 0  # back to Homebrew's, as the others expect


def test_a_downgrade_to_a_release_without_v1_messages_rolls_back(on_0_14_2, fleet):
    plist_before = sh(fleet, f"cat {PLIST}")
    models_before = sh(fleet, f"curl -s {URL}/api/tags")
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5"})
    assert run.returncode != 0
    sentence = "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)"
    assert sentence in run.stdout + run.stderr
    assert version(fleet) == "0.14.2"
    assert messages_status(fleet) == "200"
    assert sh(fleet, f"cat {PLIST}") == plist_before
    assert sh(fleet, f"curl -s {URL}/api/tags") == models_before
    record = json.loads(sh(fleet, f"cat {RECORD}"))
    assert record["kind"] == "version" and record["tried_version"] == "0.13.5"
    assert record["kept"] == "0.14.2" and record["message"] == sentence
    assert record["restored"] is True

    again = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5"})
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}
    assert "Ollama 0.13.5 is known-bad on this host" in again.stdout + again.stderr
    assert version(fleet) == "0.14.2"

    forced = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5",
                                               "ollama_retry_failed": "true"})
    assert forced.returncode != 0 and sentence in forced.stdout + forced.stderr
    assert version(fleet) == "0.14.2"


def test_an_upgrade_to_a_good_release_is_verified(on_0_14_2, fleet):
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.15.0"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert version(fleet) == "0.15.0"
    assert messages_status(fleet) == "200"
    upgrade = json.loads(sh(fleet, "cat /home/dev/.local/state/remote-ollama/upgrade.json"))
    assert upgrade["version"] == "0.15.0" and upgrade["result"] == "verified"
    again = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.15.0"})
    assert again.returncode == 0 and again.changed() == {}


def test_a_plist_setting_that_stops_ollama_from_starting_rolls_back(on_0_14_2, fleet):
    plist_before = sh(fleet, f"cat {PLIST}")
    # An OLLAMA_MODELS folder the user cannot create: the server cannot start.
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.14.2",
                                            "ollama_models_dir": "/root/no-access/models"})
    assert run.returncode != 0
    assert ("rolled back to the previous plist (Ollama 0.14.2): the new plist failed "
            "/api/version (no answer within") in run.stdout + run.stderr
    assert sh(fleet, f"cat {PLIST}") == plist_before
    assert version(fleet) == "0.14.2" and messages_status(fleet) == "200"
    record = json.loads(sh(fleet, f"cat {RECORD}"))
    assert record["kind"] == "plist"
