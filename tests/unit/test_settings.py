"""The settings schema: bad input gets an error naming host, key, value and what is allowed."""

from __future__ import annotations

import re

import pytest

from remote_ollama.settings import Settings, SettingsError, latest, settings_table, validate_host
from tests.plan.harness import REPO, repo_group_data

BAD_INPUTS = [
    # (data, the error must match)
    ({"ollama_prot": 11434}, r"unknown setting 'ollama_prot'\. Did you mean 'ollama_port'\?"),
    ({"modles": ["llama3"]}, r"unknown setting 'modles'\. Did you mean 'models'\?"),
    ({"ollama_port": 70000}, r"ollama_port=70000 is invalid; allowed: .*65535"),
    ({"ollama_port": 80}, r"ollama_port=80 is invalid; allowed: .*1024"),
    ({"ollama_port": "eleven"}, r"ollama_port='eleven' is invalid; allowed: .*integer"),
    ({"models": ["qwen; rm -rf ~"]}, r"models\[0\]='qwen; rm -rf ~' is invalid; allowed: an Ollama model"),
    ({"models": ["llama3", "$(reboot)"]}, r"models\[1\]='\$\(reboot\)' is invalid"),
    ({"models": "llama3"}, r"models='llama3' is invalid; allowed: .*list"),
    ({"ollama_server_host": "ai-server;id"}, r"ollama_server_host='ai-server;id' is invalid; allowed: a hostname"),
    ({"ollama_server_host": "a b"}, r"ollama_server_host='a b' is invalid"),
    ({"ollama_version": "latest"}, r"ollama_version='latest' is invalid; allowed: a version"),
    ({"claude_code_version": "2.1.332`id`"}, r"claude_code_version='2\.1\.332`id`' is invalid"),
    ({"ollama_keep_alive": "5 minutes"}, r"ollama_keep_alive='5 minutes' is invalid; allowed: a Go duration"),
    ({"ollama_bind": "everywhere"}, r"ollama_bind='everywhere' is invalid; allowed: .*'tailscale'"),
    ({"ollama_bind": "all"}, r"ollama_bind='all' is invalid; allowed: .*ollama_allow_lan_exposure"),
    ({"default_model": "mistral"}, r"default_model=.mistral. is invalid; allowed: one of `models`"),
    ({"ollama_kv_cache_type": "q2"}, r"ollama_kv_cache_type='q2' is invalid"),
    ({"ollama_extra_env": {"OLLAMA_HOST": "0.0.0.0"}}, r"set it with the typed setting ollama_bind"),
    ({"ollama_extra_env": {"OLLAMA_DEBUG": "1\nrm -rf /"}}, r"ollama_extra_env=.* is invalid"),
    ({"ollama_label": "com.x;y"}, r"ollama_label='com\.x;y' is invalid; allowed: a reverse-DNS"),
    ({"ollama_log_dir": "logs/here"}, r"ollama_log_dir='logs/here' is invalid; allowed: a folder inside your home"),
    ({"ollama_models_dir": "/Volumes/My Models"}, r"ollama_models_dir='/Volumes/My Models' is invalid"),
    ({"pmset": {"hibernate": 0}}, r"pmset=.* is invalid; .*allowed: .*autorestart"),
    ({"warm_models": ["other"]}, r"warm_models='other' is invalid; allowed: a subset of `models`"),
    ({"tailscale_server_tag": "ai-server"}, r"tailscale_server_tag='ai-server' is invalid; allowed: a Tailscale tag"),
    ({"package_find_links": "ftp://x/y"}, r"package_find_links='ftp://x/y' is invalid; allowed: an http"),
    ({"tailscale_required": False}, r"tailscale_required=False is invalid; allowed: True while ollama_bind is 'tailscale'"),
    ({"ollama_context_length": 100}, r"ollama_context_length=100 is invalid"),
]


@pytest.mark.parametrize(("data", "expected"), BAD_INPUTS, ids=[str(d) for d, _ in BAD_INPUTS])
def test_bad_input_names_host_key_value_and_what_is_allowed(data, expected):
    with pytest.raises(SettingsError) as error:
        validate_host("ai-server.tail1234.ts.net", {"models": ["llama3"], **data}
                      if "models" not in data else data)
    message = str(error.value)
    assert message.startswith("ai-server.tail1234.ts.net: ")
    assert re.search(expected, message), message


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as error:
        validate_host("h", {"ollama_port": 0, "ollama_keep_alive": "x"})
    assert len(error.value.problems) == 2


def test_connector_keys_pass_through_and_good_data_validates():
    settings = validate_host("h", {"ssh_user": "admin", "_sudo": True, "models": ["llama3"],
                                   "default_model": "llama3:latest"})
    assert settings.models == ["llama3"] and settings.ollama_port == 11434


def test_bare_model_names_mean_latest():
    assert latest("llama3") == "llama3:latest"
    assert latest("hf.co/org/model:Q4") == "hf.co/org/model:Q4"
    assert latest("library/llama3") == "library/llama3:latest"


def test_group_data_sets_every_setting_in_its_own_group():
    data = repo_group_data()
    for group in ("all", "server", "clients"):
        for key in data[group]:
            assert key in Settings.model_fields, f"group_data/{group}.py sets unknown {key}"
    declared = {k for g in ("all", "server", "clients") for k in data[g]}
    assert declared == set(Settings.model_fields), "every setting has a line in group_data"
    for name, field in Settings.model_fields.items():
        group = field.json_schema_extra["group"]
        assert name in data[group], f"{name} belongs in group_data/{group}.py"
    for group in ("all", "server", "clients"):
        validate_host(f"example-{group}", {**data["all"], **data.get(group, {})})


def test_readme_table_is_generated_from_the_schema():
    readme = (REPO / "README.md").read_text()
    assert settings_table() in readme, "run `remote-ollama settings` and paste it in the README"


# --- whole-value matching: a trailing newline (which `$` accepts) never passes -----------

TRAILING_NEWLINE = [
    ("models", ["llama3\n"]), ("default_model", "llama3\n"), ("warm_models", ["llama3\n"]),
    ("claude_code_model", "llama3\n"), ("claude_code_small_model", "llama3\n"),
    ("ollama_server_host", "ai-server\n"), ("ollama_server_host", "100.64.0.1\n"),
    ("ollama_version", "0.14.2\n"), ("claude_code_version", "2.1.332\n"),
    ("aider_version", "0.86.2\n"), ("ollama_label", "com.x.ollama\n"),
    ("ollama_log_dir", "~/logs\n"), ("ollama_install_dir", "~/opt\n"),
    ("ollama_models_dir", "~/models\n"), ("ollama_models_dir", "/Volumes/m\n"),
    ("ollama_release_url", "https://x/{version}.tgz\n"), ("package_index_url", "https://x/\n"),
    ("package_find_links", "file:///w\n"), ("claude_code_registry", "https://r\n"),
    ("tailscale_server_tag", "tag:ai-server\n"), ("tailscale_client_tag", "tag:c\n"),
    ("ollama_origins", ["http://x:1\n"]), ("ollama_keep_alive", "5m\n"),
    ("ollama_extra_env", {"OLLAMA_DEBUG\n": "1"}), ("ollama_extra_env", {"OLLAMA_DEBUG": "1\n"}),
]


@pytest.mark.parametrize(("key", "value"), TRAILING_NEWLINE,
                         ids=[f"{k}={v!r}" for k, v in TRAILING_NEWLINE])
def test_a_trailing_newline_is_rejected_in_every_checked_setting(key, value):
    data = {"models": ["llama3"], key: value} if key != "models" else {key: value}
    with pytest.raises(SettingsError, match=rf"h: {key}"):
        validate_host("h", data)
    clean = _strip_newline(value)  # the same value without the newline is fine
    validate_host("h", {**data, key: clean})


def _strip_newline(value):
    if isinstance(value, str):
        return value.rstrip("\n")
    if isinstance(value, list):
        return [v.rstrip("\n") for v in value]
    return {k.rstrip("\n"): v.rstrip("\n") for k, v in value.items()}


# --- paths: only inside the home (and external disks for models) -------------------------

BAD_PATHS = ["~", "~/", "/", "..", "~/..", "~/../other", "~/a/../../etc", "~/./x", "~//x",
             "~/x/", "/etc", "/Users/someone-else/x", "/tmp/x", "~root/x", "./x", "x", "",
             "/Volumes", "/Volumes/", "/Volumes/../etc", "/Users/Shared", "~/a b", "~/$(id)"]


@pytest.mark.parametrize("key", ["ollama_log_dir", "ollama_install_dir", "ollama_models_dir"])
@pytest.mark.parametrize("value", BAD_PATHS)
def test_path_settings_refuse_the_home_itself_parent_parts_and_places_outside_it(key, value):
    with pytest.raises(SettingsError, match=rf"h: {key}=.* is invalid; allowed: a folder inside"):
        validate_host("h", {key: value})


@pytest.mark.parametrize("value", ["~/Library/Logs/remote-ollama", "~/.local/opt/ollama",
                                   "~/a/b.c/d@e+f-g", "~/..hidden"])
def test_folders_in_the_home_are_accepted(value):
    assert validate_host("h", {"ollama_log_dir": value}).ollama_log_dir == value


@pytest.mark.parametrize("value", ["/Volumes/Models", "/Volumes/SSD/ollama/models",
                                   "/Users/Shared/ollama"])
def test_models_may_live_on_an_external_disk_or_the_shared_folder(value):
    assert validate_host("h", {"ollama_models_dir": value}).ollama_models_dir == value
    with pytest.raises(SettingsError, match="ollama_log_dir"):
        validate_host("h", {"ollama_log_dir": value})


# --- the release URL: only {version} is replaced -----------------------------------------

@pytest.mark.parametrize("url", ["https://x/{0}.tgz", "https://x/{v}.tgz", "https://x/{}.tgz",
                                 "https://x/{version.__class__}", "https://x/{version[0]}",
                                 "https://x/{version!r}", "https://x/{version:>99}",
                                 "https://x/{", "https://x/}", "https://x/{version}{"])
def test_release_url_placeholders_other_than_version_are_rejected_before_any_host(url):
    with pytest.raises(SettingsError, match=r"ollama_release_url=.* only placeholder is '\{version\}'"):
        validate_host("h", {"ollama_release_url": url, "ollama_version": "0.14.2"})


def test_release_url_with_version_or_none_is_accepted():
    for url in ["https://mirror/ollama/{version}/ollama-darwin.tgz", "file:///srv/ollama.tgz",
                "https://x/{{literal}}/{version}"]:
        validate_host("h", {"ollama_release_url": url})


# --- completeness: every problem at once -------------------------------------------------

def test_an_unknown_key_does_not_hide_bad_values():
    with pytest.raises(SettingsError) as error:
        validate_host("h", {"ollama_prot": 1, "ollama_port": 0, "models": ["x;y"]})
    text = str(error.value)
    assert "unknown setting 'ollama_prot'" in text
    assert "ollama_port=0 is invalid" in text and "models[0]='x;y' is invalid" in text
    assert len(error.value.problems) == 3


def test_every_problem_between_settings_is_listed():
    with pytest.raises(SettingsError) as error:
        validate_host("h", {"models": ["a"], "default_model": "b", "warm_models": ["c", "d"],
                            "ollama_bind": "all"})
    assert [p.split("=")[0] for p in error.value.problems] == [
        "h: default_model", "h: warm_models", "h: warm_models", "h: ollama_bind"]


def test_a_huge_bad_value_is_shown_cut_short():
    with pytest.raises(SettingsError) as error:
        validate_host("h", {"ollama_label": "x;" * 10000})
    assert len(str(error.value)) < 600
