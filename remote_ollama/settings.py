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
import string
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
# Every pattern is matched with ``fullmatch`` (never ``match`` with ``$``, which accepts a
# trailing newline): a value that passes is exactly the characters its pattern names.

MODEL_RE = re.compile(
    r"[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*){0,2}(?::[a-z0-9][a-z0-9._-]{0,127})?",
    re.IGNORECASE,
)
VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+){1,3}(?:[-+.]?[0-9A-Za-z]+)*")
HOSTNAME_RE = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
IPV4_RE = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
DURATION_RE = re.compile(r"-?(?:\d+|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)")
PATH_PART_RE = re.compile(r"[A-Za-z0-9._@+-]+")
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]")
ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")
ENV_VALUE_RE = re.compile(r"[A-Za-z0-9 ._,:/@%+=*\[\]-]*")
URL_RE = re.compile(r"(?:https?|file)://[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%{}-]+")
TAG_RE = re.compile(r"tag:[a-z0-9][a-z0-9-]*")
ORIGIN_RE = re.compile(r"[A-Za-z0-9*._:/-]+")


def is_version(value: object) -> bool:
    """True for a release version like ``0.14.2`` (also used on what a server reports)."""
    return isinstance(value, str) and len(value) <= 64 and bool(VERSION_RE.fullmatch(value))


def _matching(pattern: re.Pattern, allowed: str, longest: int = 1024):
    def check(value: str) -> str:
        if len(value) > longest or not pattern.fullmatch(value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return check


ModelName = Annotated[
    str,
    AfterValidator(
        _matching(MODEL_RE, "an Ollama model name like 'qwen2.5-coder:32b' or 'library/llama3'")
    ),
]
Version = Annotated[str, AfterValidator(_matching(VERSION_RE, "a version like '0.14.2'", 64))]
Duration = Annotated[
    str,
    AfterValidator(_matching(DURATION_RE, "a Go duration like '5m', '1h30m', '-1' or '300'", 64)),
]
Url = Annotated[str, AfterValidator(_matching(URL_RE, "an http(s):// or file:// URL"))]
Tag = Annotated[str, AfterValidator(_matching(TAG_RE, "a Tailscale tag like 'tag:ai-server'"))]
Origin = Annotated[str, AfterValidator(_matching(ORIGIN_RE, "a CORS origin like 'http://x:3000'"))]

# Absolute places outside the home that a models folder may be in (Ollama runs as the
# user in both modes, so it must be able to write there): an external disk, or the
# folder every user of the Mac shares.
SYSTEM_MODEL_ROOTS = ("/Volumes/", "/Users/Shared/")
HOME_PATH_ALLOWED = (
    "a folder inside your home written as '~/...' (e.g. '~/Library/Logs/remote-ollama'): "
    "letters, digits and ._@+- in each part; not '~' or '~/' alone, no '.' or '..' parts, "
    "no empty parts or trailing '/'"
)


def _path_parts_ok(parts: list[str]) -> bool:
    return bool(parts) and all(PATH_PART_RE.fullmatch(p) and p not in (".", "..") for p in parts)


def _home_path(value: str) -> str:
    """A directory in the user's home, as ``~/a/b``: never the home itself, never outside."""
    if len(value) > 1024 or not value.startswith("~/") or not _path_parts_ok(value[2:].split("/")):
        raise ValueError(f"allowed: {HOME_PATH_ALLOWED}")
    return value


def _models_path(value: str) -> str:
    """Like ``_home_path``, or a folder under ``SYSTEM_MODEL_ROOTS`` (an external disk)."""
    for root in SYSTEM_MODEL_ROOTS:
        inside = value[len(root):].split("/")
        if value.startswith(root) and len(value) <= 1024 and _path_parts_ok(inside):
            return value
    try:
        return _home_path(value)
    except ValueError:
        raise ValueError(
            f"allowed: {HOME_PATH_ALLOWED}; or a folder on an external disk "
            "('/Volumes/<disk>/...') or in '/Users/Shared/...'"
        ) from None


HomePath = Annotated[str, AfterValidator(_home_path)]
ModelsPath = Annotated[str, AfterValidator(_models_path)]


def _release_url(value: str) -> str:
    """Only ``{version}`` may be replaced: the deploy calls ``str.format`` with the pin."""
    allowed = "an http(s):// or file:// URL whose only placeholder is '{version}'"
    if len(value) > 1024:
        raise ValueError(f"allowed: {allowed}")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value)
                  if name is not None]  # fmt: skip
    except ValueError:
        raise ValueError(f"allowed: {allowed} (a lone '{{' or '}}' must be doubled)") from None
    if any(name != "version" or spec or conv for name, spec, conv in fields):
        raise ValueError(f"allowed: {allowed}")
    if not URL_RE.fullmatch(value.format(version="0.0.0")):
        raise ValueError(f"allowed: {allowed}")
    return value


ReleaseUrl = Annotated[str, AfterValidator(_release_url)]


def _host_or_ip(value: str) -> str:
    if len(value) <= 253 and (IPV4_RE.fullmatch(value) or HOSTNAME_RE.fullmatch(value)):
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
        if len(name) > 128 or not ENV_NAME_RE.fullmatch(name):
            raise ValueError(f"key {name!r}: allowed: an env var name like OLLAMA_DEBUG")
        if name in TYPED_OLLAMA_ENV:
            raise ValueError(f"key {name!r}: set it with the typed setting {TYPED_OLLAMA_ENV[name]}")
        if len(item) > 4096 or not ENV_VALUE_RE.fullmatch(item):
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
        description="`absent` uninstalls the jobs, plists and our log files, by name (keeps "
        "brew, Tailscale, binary, models, and any other file in the log folder).",
        json_schema_extra={"group": "server"},
    )
    ollama_service: Literal["agent", "daemon"] = Field(
        "agent",
        description="`agent`: user LaunchAgent (needs a GUI login); `daemon`: LaunchDaemon "
        "with UserName, starts at boot.",
        json_schema_extra={"group": "server"},
    )
    ollama_retire_unknown_jobs: bool = Field(
        False,
        description="Let the deploy boot out other launchd jobs running `ollama serve` and "
        "move their plists to the backup folder; off: it stops and names them.",
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
    ollama_models_dir: ModelsPath | None = Field(
        None, description="OLLAMA_MODELS: `~/...`, `/Volumes/<disk>/...` or "
        "`/Users/Shared/...`; None = ~/.ollama/models.",
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
    ollama_log_dir: HomePath = Field(
        "~/Library/Logs/remote-ollama",
        description="Folder (`~/...`) of the job's logs; uninstall removes only our log "
        "files in it, and the folder only if the deploy created it and it is then empty.",
        json_schema_extra={"group": "server"},
    )
    ollama_install_dir: HomePath = Field(
        "~/.local/opt/ollama", description="Folder (`~/...`) where pinned Ollama releases are "
        "unpacked.",
        json_schema_extra={"group": "server"},
    )
    ollama_release_url: ReleaseUrl = Field(
        "https://github.com/ollama/ollama/releases/download/v{version}/ollama-darwin.tgz",
        description="Release archive URL for a pinned version; `{version}` is replaced (the "
        "only placeholder allowed).",
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

    # --- bootstrap: a bare Mac (or Debian client) to serving in one converge (issue 16;
    # docs/new-mac.md). All off by default: without them a missing Homebrew or a logged-out
    # Tailscale stops the deploy with instructions, as before.
    homebrew_install: bool = Field(
        False,
        description="Install Homebrew (and the Command Line Tools) with its official installer "
        "when /opt/homebrew is missing; needs passwordless sudo. Server and macOS clients.",
        json_schema_extra={"group": "all", "examples": [True]},
    )
    homebrew_install_url: Url = Field(
        "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh",
        description="Homebrew's install.sh (or a mirror of it) used by `homebrew_install`.",
        json_schema_extra={"group": "all",
                           "examples": ["http://mirror.example:8080/homebrew/install.sh"]},
    )
    tailscale_install: bool = Field(
        False,
        description="Install Tailscale when absent (macOS: Homebrew's `tailscale` formula, "
        "tailscaled as a root daemon; Debian/Ubuntu: Tailscale's apt repository) and join the "
        "tailnet with an auth key and this host's tag unless already Running with it.",
        json_schema_extra={"group": "all", "examples": [True]},
    )
    tailscale_auth_key_env: Annotated[
        str, AfterValidator(_matching(ENV_NAME_RE, "an environment variable name"))
    ] = Field(
        "REMOTE_OLLAMA_TS_AUTHKEY",
        description="Controller environment variable holding the Tailscale auth key "
        "(tskey-auth-...); read only when a join is needed, never printed.",
        json_schema_extra={"group": "all", "examples": ["TS_AUTHKEY"]},
    )
    tailscale_auth_key_file: Annotated[str, AfterValidator(_matching(
        re.compile(r"(?:/|~/)[A-Za-z0-9._@+-]+(?:/[A-Za-z0-9._@+-]+)*"),
        "an absolute or ~/ path on the controller, e.g. '~/.config/remote-ollama/ts-authkey'",
    ))] | None = Field(
        None,
        description="Controller file holding the auth key (used when the variable is unset); "
        "keep it mode 600. Never put the key itself in group_data.",
        json_schema_extra={"group": "all", "examples": ["~/.config/remote-ollama/ts-authkey"]},
    )
    tailscale_hostname: HostName | None = Field(
        None,
        description="`tailscale up --hostname`: the node's tailnet name; None = the OS name.",
        json_schema_extra={"group": "all", "examples": ["ai-server"]},
    )
    tailscale_apt_url: Url = Field(
        "https://pkgs.tailscale.com/stable",
        description="Tailscale's package site; Debian/Ubuntu clients use "
        "<url>/<debian|ubuntu>/<codename>.",
        json_schema_extra={"group": "clients", "examples": ["https://pkgs.tailscale.com/stable"]},
    )
    tailscale_apt_key_fingerprint: Annotated[
        str, AfterValidator(_matching(re.compile(r"^[0-9A-F]{40}$"), "40 upper-case hex digits"))
    ] = Field(
        "2596A99EAAB33821893C0A79458CA832957F5868",
        description="Fingerprint the apt signing key must have before apt trusts it.",
        json_schema_extra={"group": "clients",
                           "examples": ["2596A99EAAB33821893C0A79458CA832957F5868"]},
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        problems = []
        declared = {latest(m) for m in self.models}
        if self.default_model and latest(self.default_model) not in declared:
            problems.append(("default_model", self.default_model, "one of `models`"))
        for model in self.warm_models:
            if latest(model) not in declared:
                problems.append(("warm_models", model, "a subset of `models`"))
        if self.ollama_bind == "all" and not self.ollama_allow_lan_exposure:
            problems.append((
                "ollama_bind",
                "all",
                "'tailscale' or 'loopback'; 'all' also needs ollama_allow_lan_exposure=True, "
                "which exposes Ollama without authentication on every network the Mac joins",
            ))
        if not self.tailscale_required and self.ollama_bind == "tailscale":
            problems.append((
                "tailscale_required",
                False,
                "True while ollama_bind is 'tailscale' (binding needs the Tailscale IPv4); "
                "set ollama_bind to 'loopback' to run without Tailscale",
            ))
        if problems:
            raise _CrossError(problems)
        return self

    # derived values
    @property
    def chat_model(self) -> str | None:
        return self.default_model or (self.models[0] if self.models else None)


class _CrossError(ValueError):
    """Problems between settings: ``[(key, value, allowed), ...]``, all of them."""

    def __init__(self, problems: list[tuple[str, Any, str]]):
        super().__init__("; ".join(f"{k}={v!r}: allowed: {a}" for k, v, a in problems))
        self.problems = problems


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
    """Validate one host's data; raise SettingsError naming host, key, value and what is
    allowed, for every problem at once (an unknown key does not hide a bad value)."""
    data = own_keys(data)
    problems = []
    for key in data:
        if key not in Settings.model_fields:
            close = difflib.get_close_matches(key, SETTING_NAMES, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"{host_name}: unknown setting {key!r}.{hint}")
    known = {k: v for k, v in data.items() if k in Settings.model_fields}
    try:
        settings = Settings(**known)
    except ValidationError as exc:
        for err in exc.errors():
            problems.extend(_describe(host_name, err))
    if problems:
        raise SettingsError(problems)
    return settings


def _describe(host_name: str, err: dict) -> list[str]:
    loc = [str(part) for part in err["loc"]]
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, _CrossError):
        return [f"{host_name}: {key}={value!r} is invalid; allowed: {allowed}."
                for key, value, allowed in ctx_error.problems]  # fmt: skip
    where = loc[0] + "".join(f"[{part}]" for part in loc[1:]) if loc else "?"
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    if "allowed:" not in message:
        message = f"allowed: {message[0].lower()}{message[1:]}"
    return [f"{host_name}: {where}={_shown(value)} is invalid; {message}."]


def _shown(value: Any, longest: int = 200) -> str:
    """``repr`` of a bad value, cut short: an error line stays one readable line."""
    text = repr(value)
    return text if len(text) <= longest else text[: longest - 5] + "...'" + f" ({len(text)} chars)"


def settings_table() -> str:
    """The README's table of every setting, generated from the schema."""
    rows = ["| setting | group | default | description |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        group = (field.json_schema_extra or {}).get("group", "all")
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {group} | `{default!r}` | {description} |")
    return "\n".join(rows)
