"""The typed settings schema: the one source of truth for every host's data.

Every key a user may put in ``group_data/*.py``, an inventory or ``--data`` is a field
below, with its type, default and a one-line description. ``validate_host`` turns a
host's raw data into a ``Settings`` object or raises ``SettingsError`` naming the host,
the key, the bad value and what is allowed. Values that end up in a plist or a shell
file are constrained to safe character sets here, so renderers never see them raw.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

# --- value checks ------------------------------------------------------------------

MODEL_RE = re.compile(
    r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*){0,2}(?::[a-z0-9][a-z0-9._-]{0,127})?$",
    re.IGNORECASE,
)
VERSION_RE = re.compile(r"^[0-9]+(?:\.[0-9]+){1,3}(?:[-+.]?[0-9A-Za-z]+)*$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
IPV4_RE = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$")
DURATION_RE = re.compile(r"^-?(?:\d+|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$")
SAFE_PATH_RE = re.compile(r"^(?:/|~/)[A-Za-z0-9._/@+-]*$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$")
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
ENV_VALUE_RE = re.compile(r"^[A-Za-z0-9 ._,:/@%+=*\[\]-]*$")
URL_RE = re.compile(r"^(?:https?|file)://[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%{}-]+$")
TAG_RE = re.compile(r"^tag:[a-z0-9][a-z0-9-]*$")
ORIGIN_RE = re.compile(r"^[A-Za-z0-9*._:/-]+$")


def _matching(pattern: re.Pattern, allowed: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return check


ModelName = Annotated[
    str,
    AfterValidator(
        _matching(MODEL_RE, "an Ollama model name like 'qwen2.5-coder:32b' or 'library/llama3'")
    ),
]
Version = Annotated[str, AfterValidator(_matching(VERSION_RE, "a version like '0.14.2'"))]
Duration = Annotated[
    str, AfterValidator(_matching(DURATION_RE, "a Go duration like '5m', '1h30m', '-1' or '300'"))
]
SafePath = Annotated[
    str,
    AfterValidator(_matching(SAFE_PATH_RE, "an absolute or ~/ path of letters, digits, ._/@+-")),
]
Url = Annotated[str, AfterValidator(_matching(URL_RE, "an http(s):// or file:// URL"))]
Tag = Annotated[str, AfterValidator(_matching(TAG_RE, "a Tailscale tag like 'tag:ai-server'"))]
Origin = Annotated[str, AfterValidator(_matching(ORIGIN_RE, "a CORS origin like 'http://x:3000'"))]


def _host_or_ip(value: str) -> str:
    if IPV4_RE.match(value) or HOSTNAME_RE.match(value):
        return value
    raise ValueError("allowed: a hostname, MagicDNS name or IPv4 address (letters, digits, - and .)")


HostName = Annotated[str, AfterValidator(_host_or_ip)]


def _python_minor(value: Any) -> Any:
    """`--data aider_python=3.11` arrives as a float (and 3.10 as 3.1): read it as text."""
    if isinstance(value, float):
        return {"3.1": "3.10"}.get(str(value), str(value))
    return value


PythonMinor = Annotated[Literal["3.10", "3.11", "3.12"], BeforeValidator(_python_minor)]


def _extra_env(value: dict[str, str]) -> dict[str, str]:
    for name, item in value.items():
        if not ENV_NAME_RE.match(name):
            raise ValueError(f"key {name!r}: allowed: an env var name like OLLAMA_DEBUG")
        if name in TYPED_OLLAMA_ENV:
            raise ValueError(f"key {name!r}: set it with the typed setting {TYPED_OLLAMA_ENV[name]}")
        if not ENV_VALUE_RE.match(item):
            raise ValueError(f"value {item!r} of {name}: allowed: letters, digits and ._,:/@%+=*[]-")
    return value


# Ollama variables that have their own typed setting, so extra_env may not override them.
TYPED_OLLAMA_ENV = {
    "OLLAMA_HOST": "ollama_bind / ollama_port",
    "OLLAMA_KEEP_ALIVE": "ollama_keep_alive",
    "OLLAMA_CONTEXT_LENGTH": "ollama_context_length",
    "OLLAMA_FLASH_ATTENTION": "ollama_flash_attention",
    "OLLAMA_KV_CACHE_TYPE": "ollama_kv_cache_type",
    "OLLAMA_NUM_PARALLEL": "ollama_num_parallel",
    "OLLAMA_MAX_LOADED_MODELS": "ollama_max_loaded_models",
    "OLLAMA_MAX_QUEUE": "ollama_max_queue",
    "OLLAMA_ORIGINS": "ollama_origins",
    "OLLAMA_MODELS": "ollama_models_dir",
}

PMSET_KEYS = {"sleep", "disksleep", "displaysleep", "autorestart", "womp", "powernap", "standby"}


def _pmset(value: dict[str, int]) -> dict[str, int]:
    for key, item in value.items():
        if key not in PMSET_KEYS:
            raise ValueError(f"key {key!r}: allowed: {', '.join(sorted(PMSET_KEYS))}")
        if not 0 <= item <= 600:
            raise ValueError(f"value {item} of {key}: allowed: 0-600")
    return value


def latest(model: str) -> str:
    """Normalise a model name the way Ollama does: a bare name means ':latest'."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


# --- the schema --------------------------------------------------------------------


class Settings(BaseModel):
    """Every setting remote-ollama reads. Group: all, server or clients (where it is set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # all: shared by server and clients
    models: list[ModelName] = Field(
        default_factory=lambda: ["qwen2.5-coder:7b"],
        description="Models the server keeps pulled; clients get Aider settings for each.",
        json_schema_extra={"group": "all"},
    )
    default_model: ModelName | None = Field(
        None,
        description="Model Aider and claude-ollama use by default; must be one of `models`.",
        json_schema_extra={"group": "all"},
    )
    ollama_port: int = Field(
        11434, ge=1024, le=65535, description="TCP port Ollama listens on.",
        json_schema_extra={"group": "all"},
    )
    ollama_context_length: int = Field(
        65536, ge=2048, le=1048576,
        description="OLLAMA_CONTEXT_LENGTH; clients send the same num_ctx and max context.",
        json_schema_extra={"group": "all"},
    )
    ollama_server_host: HostName | None = Field(
        None,
        description="Address clients use for the server; default: the `server` group's host.",
        json_schema_extra={"group": "all"},
    )
    ollama_version: Version | None = Field(
        None,
        description="Pin Ollama to exactly this release (installed from its archive); "
        "None = Homebrew's formula.",
        json_schema_extra={"group": "all"},
    )
    claude_code_version: Version | None = Field(
        "2.1.332", description="Claude Code version clients install (exact pin).",
        json_schema_extra={"group": "all"},
    )
    aider_version: Version = Field(
        "0.86.2", description="aider-chat version clients install (exact pin).",
        json_schema_extra={"group": "all"},
    )
    allow_incompatible_versions: bool = Field(
        False, description="Converge even a Claude Code/Ollama pair the matrix marks broken.",
        json_schema_extra={"group": "all"},
    )
    tailscale_server_tag: Tag = Field(
        "tag:ai-server", description="Tailscale tag of the server (ACL and dynamic inventory).",
        json_schema_extra={"group": "all"},
    )
    tailscale_client_tag: Tag = Field(
        "tag:ai-client", description="Tailscale tag of clients (ACL and dynamic inventory).",
        json_schema_extra={"group": "all"},
    )

    # server
    server_state: Literal["present", "absent"] = Field(
        "present",
        description="`absent` uninstalls the job, plist and logs (keeps brew, Tailscale, "
        "binary, models).",
        json_schema_extra={"group": "server"},
    )
    ollama_service: Literal["agent", "daemon"] = Field(
        "agent",
        description="`agent`: user LaunchAgent (needs a GUI login); `daemon`: LaunchDaemon "
        "with UserName, starts at boot.",
        json_schema_extra={"group": "server"},
    )
    ollama_label: Annotated[str, AfterValidator(_matching(LABEL_RE, "a reverse-DNS label"))] = (
        Field("com.remote-ollama.ollama", description="launchd label of the Ollama job.",
              json_schema_extra={"group": "server"})
    )
    ollama_bind: Literal["tailscale", "loopback", "all"] = Field(
        "tailscale",
        description="Listen on the Tailscale IPv4, 127.0.0.1, or 0.0.0.0 (needs "
        "`ollama_allow_lan_exposure`).",
        json_schema_extra={"group": "server"},
    )
    ollama_allow_lan_exposure: bool = Field(
        False,
        description="Required for `ollama_bind: all`: exposes Ollama, unauthenticated, on every "
        "network the Mac joins.",
        json_schema_extra={"group": "server"},
    )
    ollama_keep_alive: Duration = Field(
        "5m", description="OLLAMA_KEEP_ALIVE: how long an idle model stays loaded (-1 = forever).",
        json_schema_extra={"group": "server"},
    )
    ollama_flash_attention: bool | None = Field(
        None, description="OLLAMA_FLASH_ATTENTION; None leaves Ollama's automatic choice.",
        json_schema_extra={"group": "server"},
    )
    ollama_kv_cache_type: Literal["f16", "q8_0", "q4_0"] | None = Field(
        None, description="OLLAMA_KV_CACHE_TYPE; None = Ollama's default (f16).",
        json_schema_extra={"group": "server"},
    )
    ollama_num_parallel: int | None = Field(
        None, ge=1, le=64, description="OLLAMA_NUM_PARALLEL; None = Ollama's default (1).",
        json_schema_extra={"group": "server"},
    )
    ollama_max_loaded_models: int | None = Field(
        None, ge=0, le=64, description="OLLAMA_MAX_LOADED_MODELS; None = Ollama's default.",
        json_schema_extra={"group": "server"},
    )
    ollama_max_queue: int | None = Field(
        None, ge=1, le=100000, description="OLLAMA_MAX_QUEUE; None = Ollama's default (512).",
        json_schema_extra={"group": "server"},
    )
    ollama_origins: list[Origin] = Field(
        default_factory=list, description="OLLAMA_ORIGINS: extra CORS origins.",
        json_schema_extra={"group": "server"},
    )
    ollama_models_dir: SafePath | None = Field(
        None, description="OLLAMA_MODELS; None = ~/.ollama/models.",
        json_schema_extra={"group": "server"},
    )
    ollama_extra_env: Annotated[dict[str, str], AfterValidator(_extra_env)] = Field(
        default_factory=dict,
        description="Any other environment for `ollama serve`, e.g. {'OLLAMA_DEBUG': '1'}.",
        json_schema_extra={"group": "server"},
    )
    ollama_throttle_interval: int = Field(
        10, ge=1, le=3600, description="launchd ThrottleInterval: seconds between restarts.",
        json_schema_extra={"group": "server"},
    )
    ollama_log_dir: SafePath = Field(
        "~/Library/Logs/remote-ollama", description="Directory of the job's stdout/stderr logs.",
        json_schema_extra={"group": "server"},
    )
    ollama_install_dir: SafePath = Field(
        "~/.local/opt/ollama", description="Where pinned Ollama releases are unpacked.",
        json_schema_extra={"group": "server"},
    )
    ollama_release_url: Url = Field(
        "https://github.com/ollama/ollama/releases/download/v{version}/ollama-darwin.tgz",
        description="Release archive URL for a pinned version; `{version}` is replaced.",
        json_schema_extra={"group": "server"},
    )
    ollama_retry_failed: bool = Field(
        False, description="Try again an Ollama pin or plist that failed and was rolled back "
        "on a host (its record is in ~/.local/state/remote-ollama/rollback.json).",
        json_schema_extra={"group": "server"},
    )
    ollama_health_timeout: int = Field(
        60, ge=1, le=900, description="Seconds to wait for /api/version after a (re)start.",
        json_schema_extra={"group": "server"},
    )
    prune_models: bool = Field(
        False, description="Remove local models that are not in `models`.",
        json_schema_extra={"group": "server"},
    )
    warm_models: list[ModelName] = Field(
        default_factory=list, description="Models (a subset of `models`) loaded after converging.",
        json_schema_extra={"group": "server"},
    )
    warm_at_boot: bool = Field(
        False, description="Also load `warm_models` after every boot with a small launchd job.",
        json_schema_extra={"group": "server"},
    )
    memory_check: Literal["fail", "warn", "off"] = Field(
        "fail", description="What to do when the declared models cannot fit in memory.",
        json_schema_extra={"group": "server"},
    )
    tailscale_required: bool = Field(
        True,
        description="Stop unless Tailscale is Running with an IPv4. Turn off only for CI "
        "runners bound to loopback.",
        json_schema_extra={"group": "server"},
    )
    pmset: Annotated[dict[str, int], AfterValidator(_pmset)] = Field(
        default_factory=lambda: {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1},
        description="`pmset -a` values for 24/7 operation; {} leaves power settings alone.",
        json_schema_extra={"group": "server"},
    )

    # clients
    client_state: Literal["present", "absent"] = Field(
        "present",
        description="`absent` removes env file, blocks, Aider, alias, lock and Aider config.",
        json_schema_extra={"group": "clients"},
    )
    client_rollout_batch: int = Field(
        0, ge=0, le=1000,
        description="Clients that install a new Claude Code at the same time (pyinfra's "
        "per-operation `_parallel`); 0 = all at once.",
        json_schema_extra={"group": "clients"},
    )
    client_rollout_max_failures: int = Field(
        1, ge=0, le=1000,
        description="Clients whose new Claude Code fails its check before later batches are "
        "left untouched; 0 = never stop.",
        json_schema_extra={"group": "clients"},
    )
    client_shell: Literal["auto", "zsh", "bash"] = Field(
        "auto", description="Shell profile to manage; `auto` reads the user's login shell.",
        json_schema_extra={"group": "clients"},
    )
    aider_installer: Literal["uv", "pipx"] = Field(
        "uv", description="Install Aider isolated with uv (default) or pipx.",
        json_schema_extra={"group": "clients"},
    )
    aider_python: PythonMinor = Field(
        "3.12", description="Python for Aider (aider-chat 0.86 refuses 3.13).",
        json_schema_extra={"group": "clients"},
    )
    package_index_url: Url | None = Field(
        None, description="Python package index for offline/private installs (uv/pip).",
        json_schema_extra={"group": "clients"},
    )
    package_find_links: Url | None = Field(
        None, description="A find-links URL (wheelhouse) for offline installs.",
        json_schema_extra={"group": "clients"},
    )
    claude_code_enabled: bool = Field(
        False, description="Install Claude Code and the `claude-ollama` alias on this client.",
        json_schema_extra={"group": "clients"},
    )
    claude_code_registry: Url = Field(
        "https://registry.npmjs.org",
        description="npm registry (or mirror) serving Claude Code's native binary packages.",
        json_schema_extra={"group": "clients"},
    )
    claude_code_model: ModelName | None = Field(
        None, description="Model for claude-ollama; None = `default_model`.",
        json_schema_extra={"group": "clients"},
    )
    claude_code_small_model: ModelName | None = Field(
        None, description="Model for Haiku-class background calls (subagents use the main model); None = claude_code_model.",
        json_schema_extra={"group": "clients"},
    )
    claude_code_skip_permissions: bool = Field(
        False, description="Add --dangerously-skip-permissions to claude-ollama (the seed did).",
        json_schema_extra={"group": "clients"},
    )
    reachability_check: bool = Field(
        True, description="End the client deploy with a (warning-only) check of /v1/models.",
        json_schema_extra={"group": "clients"},
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        declared = {latest(m) for m in self.models}
        if self.default_model and latest(self.default_model) not in declared:
            raise _CrossError("default_model", self.default_model, "one of `models`")
        for model in self.warm_models:
            if latest(model) not in declared:
                raise _CrossError("warm_models", model, "a subset of `models`")
        if self.ollama_bind == "all" and not self.ollama_allow_lan_exposure:
            raise _CrossError(
                "ollama_bind",
                "all",
                "'tailscale' or 'loopback'; 'all' also needs ollama_allow_lan_exposure=True, "
                "which exposes Ollama without authentication on every network the Mac joins",
            )
        if not self.tailscale_required and self.ollama_bind == "tailscale":
            raise _CrossError(
                "tailscale_required",
                False,
                "True while ollama_bind is 'tailscale' (binding needs the Tailscale IPv4); "
                "set ollama_bind to 'loopback' to run without Tailscale",
            )
        return self

    # derived values
    @property
    def chat_model(self) -> str | None:
        return self.default_model or (self.models[0] if self.models else None)


class _CrossError(ValueError):
    def __init__(self, key: str, value: Any, allowed: str):
        super().__init__(f"{key}={value!r}: allowed: {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


class SettingsError(Exception):
    """Bad host data, reported before any command reaches any host."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# Keys that belong to pyinfra or its connectors, not to remote-ollama.
PASSTHROUGH_PREFIXES = ("ssh_", "_", "fake_", "local_", "winrm_", "docker_", "chroot_", "vagrant_")
SETTING_NAMES = tuple(Settings.model_fields)


def own_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith(PASSTHROUGH_PREFIXES)}


def validate_host(host_name: str, data: dict[str, Any]) -> Settings:
    """Validate one host's data; raise SettingsError naming host, key, value and what is allowed."""
    data = own_keys(data)
    problems = []
    for key in data:
        if key not in Settings.model_fields:
            close = difflib.get_close_matches(key, SETTING_NAMES, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"{host_name}: unknown setting '{key}'.{hint}")
    if problems:
        raise SettingsError(problems)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError([_describe(host_name, err, data) for err in exc.errors()]) from None


def _describe(host_name: str, err: dict, data: dict[str, Any]) -> str:
    loc = [str(part) for part in err["loc"]]
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, _CrossError):
        return (
            f"{host_name}: {ctx_error.key}={ctx_error.value!r} is invalid; "
            f"allowed: {ctx_error.allowed}."
        )
    where = loc[0] + "".join(f"[{part}]" for part in loc[1:]) if loc else "?"
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    if "allowed:" not in message:
        message = f"allowed: {message[0].lower()}{message[1:]}"
    return f"{host_name}: {where}={value!r} is invalid; {message}."


def settings_table() -> str:
    """The README's table of every setting, generated from the schema."""
    rows = ["| setting | group | default | description |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        group = (field.json_schema_extra or {}).get("group", "all")
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {group} | `{default!r}` | {description} |")
    return "\n".join(rows)
