"""Hostile settings: each is rejected before any host, or everything rendered from it is safe.

``check(data)`` validates one host's data as the deploys do. Rejected data stops there.
Accepted data is rendered into every file the deploys write from settings (the client's
shell files, Aider's YAML and JSON, the launchd plists) and into the commands that carry
settings (installers, the release download), and each is checked:

- every shell file is sourced in bash, zsh, dash and bash in POSIX mode; nothing may be
  printed or created, and exactly the intended variables get exactly the intended values;
  ``claude-ollama`` (bash, zsh) passes exactly the intended environment to the binary;
- plists and YAML parse back to the intended values;
- a value in a command is one shell word (``shlex.quote``d).

``CASES`` are the named classes of hostile input that docs/reliability.md counts.
"""

from __future__ import annotations

import json
import plistlib
import shlex
import typing

import yaml
from pyinfra.api import Inventory

from remote_ollama import render
from remote_ollama.analytics.backend import claude_ollama_env
from remote_ollama.client import server_url
from remote_ollama.compat import verdict
from remote_ollama.operations import aider, claude_code
from remote_ollama.plist import job_paths, ollama_environment, render_plist, render_warm_plist
from remote_ollama.settings import Settings, SettingsError, validate_host
from tests.hostile import shells

HOME = "/Users/alice"
BINARY = f"{HOME}/.local/share/remote-ollama/claude-code/2.1.332/claude"
SERVERS = Inventory((["ai-server"], {}), server=(["ai-server"], {}))
ENV_NAMES = ["OLLAMA_API_BASE", "OPENAI_API_BASE", "OPENAI_API_KEY", "AIDER_MODEL",
             "LITELLM_LOCAL_MODEL_COST_MAP"]  # fmt: skip
LOCK_NAMES = ["CLAUDE_CODE_VERSION", "OLLAMA_VERSION", "TESTED_DATE", "STATUS"]


class Unsafe(AssertionError):
    """Accepted, and something rendered from it was not what was intended."""


def outcome(data: dict, shells_to_use: list[str] | None = None) -> str:
    """``rejected``, ``safe``, ``unsafe: why`` or ``crash: error`` for one host's data."""
    try:
        settings = validate_host("h", data)
    except SettingsError:
        return "rejected"
    except Exception as error:  # a crash is what is being counted
        return f"crash: {type(error).__name__}: {error}"
    try:
        check_rendered(settings, shells_to_use)
    except Unsafe as error:
        return f"unsafe: {error}"
    except render.UnsafeValue:
        return "safe"  # refused while rendering: nothing written
    except Exception as error:  # a crash
        return f"crash: {type(error).__name__}: {error}"
    return "safe"


def _expect(condition: bool, why: str) -> None:
    if not condition:
        raise Unsafe(why)


def client_files(settings: Settings, url: str, ollama_version: str | None) -> dict[str, str]:
    files = {
        ".ai-client/env": render.env_file(settings, url),
        ".ai-client/.version-lock": render.version_lock(
            settings.claude_code_version or "2.1.332", ollama_version,
            verdict(settings.claude_code_version or "2.1.332", ollama_version)),
        ".profile": render.profile_env_block() + render.claude_ollama_block(),
    }
    if settings.chat_model:
        files[".ai-client/claude-ollama.sh"] = render.claude_ollama_script(
            settings, url, shells.FAKE_CLAUDE)
    return files


def check_shell_files(settings: Settings, url: str, ollama_version: str | None,
                      shells_to_use: list[str] | None = None) -> None:  # fmt: skip
    """Source the client's shell files; exactly the intended variables, nothing else."""
    files = client_files(settings, url, ollama_version)
    version = settings.claude_code_version or "2.1.332"
    found = verdict(version, ollama_version)
    expected = {
        "OLLAMA_API_BASE": url, "OPENAI_API_BASE": url + "/v1", "OPENAI_API_KEY": "ollama",
        "AIDER_MODEL": render.aider_model(settings), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "CLAUDE_CODE_VERSION": version, "OLLAMA_VERSION": ollama_version or "unknown",
        "TESTED_DATE": found.tested or "none", "STATUS": found.status,
    }  # fmt: skip
    for shell in shells_to_use or shells.available():
        binary_files = {**files}
        result = shells.source_all(shell, binary_files, [".profile", ".ai-client/.version-lock"],
                                   list(expected), call_function=True)  # fmt: skip
        problems = result.problems(expected, may_change={"PATH", "path"})
        _expect(not problems, "; ".join(problems))
        wants_function = shell in shells.FUNCTION_SHELLS and ".ai-client/claude-ollama.sh" in files
        _expect(result.has_function == wants_function,
                f"{shell}: claude-ollama defined={result.has_function}")
        if wants_function:
            _check_function_env(settings, url, result.function_output or "", shell)


def _check_function_env(settings: Settings, url: str, output: str, shell: str) -> None:
    """`claude-ollama --arg` ran the binary with exactly the backend's environment."""
    model, small = render.claude_models(settings)
    wanted = claude_ollama_env(url, model, small, settings.ollama_context_length)
    lines = output.splitlines()
    args = [line[4:] for line in lines if line.startswith("arg=")]
    env = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("arg="))
    expected_args = ["--dangerously-skip-permissions"] if settings.claude_code_skip_permissions else []
    _expect(args == [*expected_args, "--arg"], f"{shell}: claude-ollama passed {args}")
    for name, value in wanted.items():
        _expect(env.get(name) == value, f"{shell}: claude-ollama set {name}={env.get(name)!r}")


def check_rendered(settings: Settings, shells_to_use: list[str] | None = None) -> None:
    url = server_url(settings, SERVERS)
    check_shell_files(settings, url, settings.ollama_version, shells_to_use)
    # Aider's files parse back to the declared models.
    conf = yaml.safe_load(render.aider_conf(settings))
    _expect(conf.get("model") == render.aider_model(settings), "aider.conf.yml model")
    entries = yaml.safe_load(render.aider_model_settings(settings))
    _expect([e["name"] for e in entries] == [f"ollama_chat/{m}" for m in settings.models],
            "aider.model.settings.yml names")
    metadata = json.loads(render.aider_model_metadata(settings).split("\n", 1)[1])
    _expect(set(metadata) == {f"ollama_chat/{m}" for m in settings.models}, "metadata names")
    # The plists parse back to exactly the environment and paths derived from the settings.
    paths = job_paths(settings, HOME, BINARY)
    env = ollama_environment(settings, "100.64.0.1", HOME)
    job = plistlib.loads(render_plist(settings, paths, env, "alice").encode())
    _expect(job["EnvironmentVariables"] == env and job["Label"] == settings.ollama_label,
            "plist environment or label")
    if settings.warm_models:
        warm = plistlib.loads(render_warm_plist(settings, "x.warm", f"{HOME}/warm.py",
                                                "http://100.64.0.1:11434", paths, "alice").encode())
        words = shlex.split(warm["ProgramArguments"][2])
        _expect(words[-len(settings.warm_models):] == list(settings.warm_models),
                "warm job's models are not one word each")
    # Commands: each setting is one shell word.
    for url_value in (settings.package_index_url, settings.package_find_links):
        if url_value:
            command = aider.install_command("uv", "/bin/uv", settings.aider_version, "3.12",
                                            settings.package_index_url,
                                            settings.package_find_links)
            _expect(url_value in command, "installer URL split into words")
    tarball = claude_code.tarball_url(settings.claude_code_registry, "darwin", "arm64",
                                      settings.claude_code_version or "2.1.332")
    line = claude_code.install_command(tarball, "0" * 128, f"{HOME}/x")
    _expect(shlex.quote(tarball) in line, "registry URL not quoted")
    release = settings.ollama_release_url.format(version=settings.ollama_version or "0.14.2")
    _expect(shlex.split(shlex.quote(release)) == [release], "release URL not one word")


# --- the classes of hostile input counted in docs/reliability.md -------------------------

INJECTIONS = ["; touch pwned", "$(touch pwned)", "`touch pwned`", "' ; touch pwned '",
              '" ; touch pwned "', "| touch pwned", "&& touch pwned", "\ntouch pwned",
              "\n", "\r\ntouch pwned", "# x\ntouch pwned", "\x00", "\u2028touch pwned",
              "${IFS}touch${IFS}pwned", "\\", "$HOME", "*"]  # fmt: skip


def _string_settings() -> dict[str, str]:
    """Each setting holding text, with a valid value to build hostile ones from."""
    valid = {
        "models": "qwen2.5-coder:7b", "default_model": "qwen2.5-coder:7b",
        "warm_models": "qwen2.5-coder:7b", "claude_code_model": "qwen2.5-coder:7b",
        "claude_code_small_model": "qwen2.5-coder:7b", "ollama_server_host": "ai-server",
        "ollama_version": "0.14.2", "claude_code_version": "2.1.332", "aider_version": "0.86.2",
        "tailscale_server_tag": "tag:ai-server", "tailscale_client_tag": "tag:ai-client",
        "ollama_label": "com.remote-ollama.ollama", "ollama_keep_alive": "5m",
        "ollama_origins": "http://x:3000", "ollama_models_dir": "~/models",
        "ollama_log_dir": "~/Library/Logs/remote-ollama", "ollama_install_dir": "~/opt",
        "ollama_release_url": "https://x/{version}/o.tgz", "package_index_url": "https://pypi/",
        "package_find_links": "file:///wheels", "claude_code_registry": "https://registry",
    }  # fmt: skip
    return valid


LIST_SETTINGS = {"models", "warm_models", "ollama_origins"}


def with_value(key: str, value) -> dict:
    """Host data setting ``key`` (one element of a list setting) to ``value``."""
    data: dict = {"models": ["qwen2.5-coder:7b"], "claude_code_enabled": True}
    data[key] = [value] if key in LIST_SETTINGS and not isinstance(value, list) else value
    if key in ("default_model", "warm_models", "claude_code_model", "claude_code_small_model"):
        data["models"] = ["qwen2.5-coder:7b", *([value] if isinstance(value, str) else [])]
    return data


def _injection_cases() -> list[dict]:
    return [with_value(k, v + i) for k, v in _string_settings().items() for i in INJECTIONS]


def _newline_cases() -> list[dict]:
    return [with_value(k, v + tail) for k, v in _string_settings().items()
            for tail in ("\n", "\n\n", "\r")]  # fmt: skip


def _path_cases() -> list[dict]:
    paths = ["~", "~/", "/", "..", "~/..", "~/../x", "~/a/../..", "~//", "/etc", "/Users/x",
             "/Volumes/../etc", "~/./x", "", " ~/x", "~/x/"]  # fmt: skip
    return [with_value(k, p) for k in ("ollama_log_dir", "ollama_install_dir",
                                       "ollama_models_dir") for p in paths]  # fmt: skip


def _placeholder_cases() -> list[dict]:
    urls = ["https://x/{0}", "https://x/{v}", "https://x/{version.__class__}", "https://x/{}",
            "https://x/{version!r}", "https://x/{version:>9}", "https://x/{version[0]}",
            "https://x/{", "https://x/}", "https://x/{{version}}"]  # fmt: skip
    return [{"ollama_release_url": u, "ollama_version": "0.14.2"} for u in urls]


def _type_cases() -> list[dict]:
    odd = [None, 1, 1.5, float("nan"), True, [], {}, ["x"], {"a": "b"}, b"bytes", 10**100]
    return [{key: value} for key in Settings.model_fields for value in odd]


def _huge_cases() -> list[dict]:
    return [with_value(k, v + "a" * 100_000) for k, v in _string_settings().items()]


def _unicode_cases() -> list[dict]:
    chars = ["é", "\u202e", "\u2028", "\ufeff", "\x1b[31m", "\ud800", "\U0001f600", "\x7f"]
    return [with_value(k, v + c) for k, v in _string_settings().items() for c in chars]


def _env_cases() -> list[dict]:
    keys = ["OLLAMA_DEBUG\n", "A;B", "A B", "", "1A", "PATH=x", "OLLAMA_HOST", "a"]
    values = ["1\ntouch x", "$(id)", "`id`", "'", '"', "\\", "a" * 5000]
    return ([{"ollama_extra_env": {k: "1"}} for k in keys]
            + [{"ollama_extra_env": {"OLLAMA_DEBUG": v}} for v in values]
            + [{"pmset": {k: 1}} for k in ("sleep;x", "hibernate", "sleep\n")]
            + [{"pmset": {"sleep": v}} for v in (-1, 601, "1", 1.5, None)])  # fmt: skip


def _completeness_cases() -> list[dict]:
    return [
        {"ollama_prot": 1, "ollama_port": 0},
        {"modles": ["x"], "models": ["x;y"]},
        {"ollama_bind": "all", "default_model": "nope"},
        {"ssh_usr": "x", "ollama_port": 70000},
        {"models": [], "claude_code_enabled": True},
    ]


CASES: dict[str, typing.Callable[[], list[dict]]] = {
    "shell metacharacters in each text setting": _injection_cases,
    "trailing newline or CR in each text setting": _newline_cases,
    "path settings: home itself, parents, outside the home": _path_cases,
    "release URL placeholders other than {version}": _placeholder_cases,
    "wrong types for every setting": _type_cases,
    "100 000-character values": _huge_cases,
    "unicode, control and bidi characters": _unicode_cases,
    "ollama_extra_env and pmset keys and values": _env_cases,
    "several problems at once": _completeness_cases,
}
