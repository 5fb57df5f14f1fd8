"""Client settings: values that end up in shell files are rejected when they could inject."""

from __future__ import annotations

import pytest
from pyinfra.api import Inventory

from remote_ollama.client import server_url
from remote_ollama.preflight import DeployError
from remote_ollama.settings import SettingsError, validate_host

BAD_HOSTS = ["ai-server;rm -rf ~", "$(id)", "a b", "`x`", "host|nc", "x&&y", "h'q", 'h"q',
             "a\nb", "-oProxyCommand=x", ""]
BAD_MODELS = ["qwen;ls", "m$(id)", "m`x`", "m 1", "m|x", "m'", "m\nx", "../../etc/passwd"]


@pytest.mark.parametrize("value", BAD_HOSTS)
def test_server_host_with_shell_metacharacters_is_rejected(value):
    with pytest.raises(SettingsError, match=r"client-1: ollama_server_host=.* is invalid"):
        validate_host("client-1", {"ollama_server_host": value})


@pytest.mark.parametrize("setting", ["default_model", "claude_code_model",
                                     "claude_code_small_model"])
@pytest.mark.parametrize("value", BAD_MODELS)
def test_model_with_shell_metacharacters_is_rejected(setting, value):
    data = {"models": ["qwen2.5-coder:7b"], setting: value}
    with pytest.raises(SettingsError, match=rf"client-1: {setting}=.* is invalid"):
        validate_host("client-1", data)


@pytest.mark.parametrize("value", BAD_MODELS)
def test_models_list_with_shell_metacharacters_is_rejected(value):
    with pytest.raises(SettingsError, match=r"client-1: models\[0\]=.* is invalid"):
        validate_host("client-1", {"models": [value]})


@pytest.mark.parametrize("key", ["package_find_links", "package_index_url",
                                 "claude_code_registry"])
@pytest.mark.parametrize("value", ["http://x/ $(id)", "http://x/`id`", "ftp://x/", "x"])
def test_urls_passed_to_installers_are_checked(key, value):
    with pytest.raises(SettingsError, match=rf"{key}="):
        validate_host("client-1", {key: value})


@pytest.mark.parametrize(("value", "expected"), [(3.11, "3.11"), (3.1, "3.10"), ("3.12", "3.12")])
def test_aider_python_from_the_command_line(value, expected):
    # `--data aider_python=3.11` arrives as a float.
    assert validate_host("c", {"aider_python": value}).aider_python == expected


def test_aider_python_313_is_refused():
    with pytest.raises(SettingsError, match=r"aider_python='3.13' is invalid"):
        validate_host("c", {"aider_python": "3.13"})


def inventory(servers):
    return Inventory((servers, {}), server=(servers, {}))


def test_server_url_comes_from_the_setting_or_the_server_group():
    settings = validate_host("c", {})
    assert server_url(settings, inventory(["@ssh/ai-server", "other"])) == "http://ai-server:11434"
    assert server_url(settings, inventory(["100.64.0.1"])) == "http://100.64.0.1:11434"
    pinned = validate_host("c", {"ollama_server_host": "gpu.tail1.ts.net", "ollama_port": 11500})
    assert server_url(pinned, inventory(["ai-server"])) == "http://gpu.tail1.ts.net:11500"


def test_no_server_known_names_the_setting():
    with pytest.raises(DeployError, match="set ollama_server_host"):
        server_url(validate_host("c", {}), Inventory((["@local"], {})))


def test_a_server_inventory_name_that_is_not_a_host_is_refused():
    with pytest.raises(DeployError, match="set ollama_server_host"):
        server_url(validate_host("c", {}), inventory(["@ssh/ai server;x"]))


def test_local_in_both_groups_without_a_server_host_gives_a_sentence_not_an_index_error():
    both = Inventory((["@local"], {}), server=(["@local"], {}), clients=(["@local"], {}))
    with pytest.raises(DeployError, match="set ollama_server_host"):
        server_url(validate_host("c", {}), both)
    loopback = validate_host("c", {"ollama_bind": "loopback", "tailscale_required": False})
    assert server_url(loopback, both) == "http://127.0.0.1:11434"


def test_client_uninstall_needs_no_server_address():
    absent = validate_host("c", {"client_state": "absent"})
    assert server_url(absent, Inventory((["@local"], {}))) is None
    both = Inventory((["@local"], {}), server=(["@local"], {}), clients=(["@local"], {}))
    assert server_url(absent, both) is None


def test_a_server_inventory_name_with_a_trailing_newline_is_refused():
    with pytest.raises(DeployError, match="set ollama_server_host"):
        server_url(validate_host("c", {}), inventory(["ai-server\n"]))
