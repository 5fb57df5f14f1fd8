"""The settings schema: every key a host's data may hold, as one pydantic model.

Each field has its type (``remote_ollama.setting_types``), default, a one-line
description, an example, and its group (``all``, ``server`` or ``clients``, where it is
set), as NixOS options have; the risky ones get a longer explanation in
``remote_ollama.settings_docs``. Checks between fields are in
``remote_ollama.settings_checks``; turning a host's data into ``Settings`` (with every
problem named) is ``remote_ollama.settings_validation.validate_host``. Import all of it
from ``remote_ollama.settings``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from remote_ollama.setting_types import (
    ControllerPath,
    Duration,
    EnvName,
    ExtraEnv,
    Fingerprint,
    HomePath,
    HostName,
    Label,
    ModelName,
    ModelsPath,
    Origin,
    Pmset,
    PythonMinor,
    ReleaseUrl,
    Tag,
    Url,
    Version,
)
from remote_ollama.settings_checks import CrossError, cross_problems

__all__ = ["SETTING_NAMES", "Settings"]  # public; remote_ollama.settings re-exports them


class Settings(BaseModel):
    """Every setting remote-ollama reads. Group: all, server or clients (where it is set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # all: shared by server and clients
    models: list[ModelName] = Field(
        default_factory=lambda: ["qwen2.5-coder:7b"],
        description="Models the server keeps pulled; clients get Aider settings for each.",
        examples=[["qwen2.5-coder:32b", "qwen3-coder:30b"]],
        json_schema_extra={"group": "all"},
    )
    default_model: ModelName | None = Field(
        None,
        description="Model Aider and claude-ollama use by default; must be one of `models`.",
        examples=["qwen2.5-coder:32b"],
        json_schema_extra={"group": "all"},
    )
    ollama_port: int = Field(
        11434, ge=1024, le=65535, description="TCP port Ollama listens on.",
        examples=[11500],
        json_schema_extra={"group": "all"},
    )
    ollama_context_length: int = Field(
        65536, ge=2048, le=1048576,
        description="OLLAMA_CONTEXT_LENGTH; clients send the same num_ctx and max context.",
        examples=[32768],
        json_schema_extra={"group": "all"},
    )
    ollama_server_host: HostName | None = Field(
        None,
        description="Address clients use for the server; default: the `server` group's host.",
        examples=["ai-server.tail1234.ts.net"],
        json_schema_extra={"group": "all"},
    )
    ollama_version: Version | None = Field(
        None,
        description="Pin Ollama to exactly this release (installed from its archive); "
        "None = Homebrew's formula.",
        examples=["0.14.2"],
        json_schema_extra={"group": "all"},
    )
    claude_code_version: Version | None = Field(
        "2.1.332", description="Claude Code version clients install (exact pin; lower it to downgrade).",
        examples=["2.1.300"],
        json_schema_extra={"group": "all"},
    )
    aider_version: Version = Field(
        "0.86.2", description="aider-chat version clients install (exact pin).",
        examples=["0.85.1"],
        json_schema_extra={"group": "all"},
    )
    allow_incompatible_versions: bool = Field(
        False, description="Converge even a Claude Code/Ollama pair the matrix marks broken.",
        examples=[True],
        json_schema_extra={"group": "all"},
    )
    tailscale_server_tag: Tag = Field(
        "tag:ai-server", description="Tailscale tag of the server (ACL and dynamic inventory).",
        examples=["tag:ollama"],
        json_schema_extra={"group": "all"},
    )
    tailscale_client_tag: Tag = Field(
        "tag:ai-client", description="Tailscale tag of clients (ACL and dynamic inventory).",
        examples=["tag:laptop"],
        json_schema_extra={"group": "all"},
    )

    # server
    server_state: Literal["present", "absent"] = Field(
        "present",
        description="`absent` uninstalls the jobs, plists and our log files, by name (keeps "
        "brew, Tailscale, binary, models, and any other file in the log folder).",
        examples=["absent"],
        json_schema_extra={"group": "server"},
    )
    ollama_service: Literal["agent", "daemon"] = Field(
        "agent",
        description="`agent`: user LaunchAgent (needs a GUI login); `daemon`: LaunchDaemon "
        "with UserName, starts at boot.",
        examples=["daemon"],
        json_schema_extra={"group": "server"},
    )
    ollama_retire_unknown_jobs: bool = Field(
        False,
        description="Let the deploy boot out other launchd jobs running `ollama serve` and "
        "move their plists to the backup folder; off: it stops and names them.",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    ollama_label: Label = Field(
        "com.remote-ollama.ollama", description="launchd label of the Ollama job.",
        examples=["org.example.ollama"],
        json_schema_extra={"group": "server"},
    )
    ollama_bind: Literal["tailscale", "loopback", "all"] = Field(
        "tailscale",
        description="Listen on the Tailscale IPv4, 127.0.0.1, or 0.0.0.0 (needs "
        "`ollama_allow_lan_exposure`).",
        examples=["loopback"],
        json_schema_extra={"group": "server"},
    )
    ollama_allow_lan_exposure: bool = Field(
        False,
        description="Required for `ollama_bind: all`: exposes Ollama, unauthenticated, on every "
        "network the Mac joins.",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    ollama_keep_alive: Duration = Field(
        "5m", description="OLLAMA_KEEP_ALIVE: how long an idle model stays loaded (-1 = forever).",
        examples=["30m"],
        json_schema_extra={"group": "server"},
    )
    ollama_flash_attention: bool | None = Field(
        None, description="OLLAMA_FLASH_ATTENTION; None leaves Ollama's automatic choice.",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    ollama_kv_cache_type: Literal["f16", "q8_0", "q4_0"] | None = Field(
        None, description="OLLAMA_KV_CACHE_TYPE; None = Ollama's default (f16).",
        examples=["q8_0"],
        json_schema_extra={"group": "server"},
    )
    ollama_num_parallel: int | None = Field(
        None, ge=1, le=64, description="OLLAMA_NUM_PARALLEL; None = Ollama's default (1).",
        examples=[2],
        json_schema_extra={"group": "server"},
    )
    ollama_max_loaded_models: int | None = Field(
        None, ge=0, le=64, description="OLLAMA_MAX_LOADED_MODELS; None = Ollama's default.",
        examples=[2],
        json_schema_extra={"group": "server"},
    )
    ollama_max_queue: int | None = Field(
        None, ge=1, le=100000, description="OLLAMA_MAX_QUEUE; None = Ollama's default (512).",
        examples=[128],
        json_schema_extra={"group": "server"},
    )
    ollama_origins: list[Origin] = Field(
        default_factory=list, description="OLLAMA_ORIGINS: extra CORS origins.",
        examples=[["http://ai-server:3000"]],
        json_schema_extra={"group": "server"},
    )
    ollama_models_dir: ModelsPath | None = Field(
        None, description="OLLAMA_MODELS: `~/...`, `/Volumes/<disk>/...` or "
        "`/Users/Shared/...`; None = ~/.ollama/models.",
        examples=["/Volumes/Models/ollama"],
        json_schema_extra={"group": "server"},
    )
    ollama_extra_env: ExtraEnv = Field(
        default_factory=dict,
        description="Any other environment for `ollama serve`, e.g. {'OLLAMA_DEBUG': '1'}.",
        examples=[{"OLLAMA_DEBUG": "1"}],
        json_schema_extra={"group": "server"},
    )
    ollama_throttle_interval: int = Field(
        10, ge=1, le=3600, description="launchd ThrottleInterval: seconds between restarts.",
        examples=[30],
        json_schema_extra={"group": "server"},
    )
    ollama_log_dir: HomePath = Field(
        "~/Library/Logs/remote-ollama",
        description="Folder (`~/...`) of the job's logs; uninstall removes only our log "
        "files in it, and the folder only if the deploy created it and it is then empty.",
        examples=["~/Library/Logs/ollama"],
        json_schema_extra={"group": "server"},
    )
    ollama_install_dir: HomePath = Field(
        "~/.local/opt/ollama", description="Folder (`~/...`) where pinned Ollama releases are "
        "unpacked (`<version>/`), and where an unpinned server keeps a copy of the Homebrew "
        "keg that serves (`homebrew/<version>/`), so it can roll back after `brew upgrade`.",
        examples=["~/opt/ollama"],
        json_schema_extra={"group": "server"},
    )
    ollama_release_url: ReleaseUrl = Field(
        "https://github.com/ollama/ollama/releases/download/v{version}/ollama-darwin.tgz",
        description="Release archive URL for a pinned version; `{version}` is replaced (the "
        "only placeholder allowed).",
        examples=["https://mirror.example.com/ollama/v{version}/ollama-darwin.tgz"],
        json_schema_extra={"group": "server"},
    )
    ollama_retry_failed: bool = Field(
        False, description="Try again an Ollama pin or plist that failed and was rolled back "
        "on a host (its record is in ~/.local/state/remote-ollama/rollback.json).",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    ollama_health_timeout: int = Field(
        60, ge=1, le=900, description="Seconds to wait for /api/version after a (re)start.",
        examples=[120],
        json_schema_extra={"group": "server"},
    )
    prune_models: bool = Field(
        False, description="Remove local models that are not in `models`.",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    warm_models: list[ModelName] = Field(
        default_factory=list, description="Models (a subset of `models`) loaded after converging.",
        examples=[["qwen2.5-coder:32b"]],
        json_schema_extra={"group": "server"},
    )
    warm_at_boot: bool = Field(
        False, description="Also load `warm_models` after every boot with a small launchd job.",
        examples=[True],
        json_schema_extra={"group": "server"},
    )
    memory_check: Literal["fail", "warn", "off"] = Field(
        "fail", description="What to do when the declared models cannot fit in memory.",
        examples=["warn"],
        json_schema_extra={"group": "server"},
    )
    tailscale_required: bool = Field(
        True,
        description="Stop unless Tailscale is Running with an IPv4. Turn off only for CI "
        "runners bound to loopback.",
        examples=[False],
        json_schema_extra={"group": "server"},
    )
    pmset: Pmset = Field(
        default_factory=lambda: {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1},
        description="`pmset -a` values for 24/7 operation; {} leaves power settings alone.",
        examples=[{"sleep": 0, "displaysleep": 10}],
        json_schema_extra={"group": "server"},
    )

    # clients
    client_state: Literal["present", "absent"] = Field(
        "present",
        description="`absent` removes env file, blocks, Aider, alias, lock and Aider config.",
        examples=["absent"],
        json_schema_extra={"group": "clients"},
    )
    client_rollout_batch: int = Field(
        0, ge=0, le=1000,
        description="Clients that install a new Aider or Claude Code at the same time, in "
        "inventory order; 0 = all at once.",
        examples=[2],
        json_schema_extra={"group": "clients"},
    )
    client_rollout_max_failures: int = Field(
        1, ge=0, le=1000,
        description="Clients whose new Aider or Claude Code fails its check before later "
        "batches are left untouched; 0 = never stop.",
        examples=[3],
        json_schema_extra={"group": "clients"},
    )
    client_shell: Literal["auto", "zsh", "bash"] = Field(
        "auto", description="Shell profile to manage; `auto` reads the user's login shell.",
        examples=["zsh"],
        json_schema_extra={"group": "clients"},
    )
    aider_installer: Literal["uv", "pipx"] = Field(
        "uv", description="Install Aider isolated with uv (default) or pipx.",
        examples=["pipx"],
        json_schema_extra={"group": "clients"},
    )
    aider_python: PythonMinor = Field(
        "3.12", description="Python for Aider (aider-chat 0.86 refuses 3.13).",
        examples=["3.11"],
        json_schema_extra={"group": "clients"},
    )
    package_index_url: Url | None = Field(
        None, description="Python package index for offline/private installs (uv/pip).",
        examples=["https://pypi.internal.example/simple"],
        json_schema_extra={"group": "clients"},
    )
    package_find_links: Url | None = Field(
        None, description="A find-links URL (wheelhouse) for offline installs.",
        examples=["file:///srv/wheelhouse"],
        json_schema_extra={"group": "clients"},
    )
    claude_code_enabled: bool = Field(
        False, description="Install Claude Code and the `claude-ollama` alias on this client.",
        examples=[True],
        json_schema_extra={"group": "clients"},
    )
    claude_code_registry: Url = Field(
        "https://registry.npmjs.org",
        description="npm registry (or mirror) serving Claude Code's native binary packages.",
        examples=["https://npm.internal.example"],
        json_schema_extra={"group": "clients"},
    )
    claude_code_model: ModelName | None = Field(
        None, description="Model for claude-ollama; None = `default_model`.",
        examples=["qwen3-coder:30b"],
        json_schema_extra={"group": "clients"},
    )
    claude_code_small_model: ModelName | None = Field(
        None, description="Model for Haiku-class background calls (subagents use the main model); None = claude_code_model.",
        examples=["qwen2.5-coder:7b"],
        json_schema_extra={"group": "clients"},
    )
    claude_code_skip_permissions: bool = Field(
        False, description="Add --dangerously-skip-permissions to claude-ollama (the seed did).",
        examples=[True],
        json_schema_extra={"group": "clients"},
    )
    reachability_check: bool = Field(
        True, description="End the client deploy with a (warning-only) check of /v1/models.",
        examples=[False],
        json_schema_extra={"group": "clients"},
    )

    # --- bootstrap: a bare Mac (or Debian client) to serving in one converge (issue 16;
    # docs/new-mac.md). All off by default: without them a missing Homebrew or a logged-out
    # Tailscale stops the deploy with instructions, as before.
    homebrew_install: bool = Field(
        False,
        description="Install Homebrew (and the Command Line Tools) with its official installer "
        "when /opt/homebrew is missing; needs passwordless sudo. Server and macOS clients.",
        examples=[True],
        json_schema_extra={"group": "all"},
    )
    homebrew_install_url: Url = Field(
        "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh",
        description="Homebrew's install.sh (or a mirror of it) used by `homebrew_install`.",
        examples=["http://mirror.example:8080/homebrew/install.sh"],
        json_schema_extra={"group": "all"},
    )
    tailscale_install: bool = Field(
        False,
        description="Install Tailscale when absent (macOS: Homebrew's `tailscale` formula, "
        "tailscaled as a root daemon; Debian/Ubuntu: Tailscale's apt repository) and join the "
        "tailnet with an auth key and this host's tag unless already Running with it.",
        examples=[True],
        json_schema_extra={"group": "all"},
    )
    tailscale_auth_key_env: EnvName = Field(
        "REMOTE_OLLAMA_TS_AUTHKEY",
        description="Controller environment variable holding the Tailscale auth key "
        "(tskey-auth-...); read only when a join is needed, never printed.",
        examples=["TS_AUTHKEY"],
        json_schema_extra={"group": "all"},
    )
    tailscale_auth_key_file: ControllerPath | None = Field(
        None,
        description="Controller file holding the auth key (used when the variable is unset); "
        "keep it mode 600. Never put the key itself in group_data.",
        examples=["~/.config/remote-ollama/ts-authkey"],
        json_schema_extra={"group": "all"},
    )
    tailscale_hostname: HostName | None = Field(
        None,
        description="`tailscale up --hostname`: the node's tailnet name; None = the OS name.",
        examples=["ai-server"],
        json_schema_extra={"group": "all"},
    )
    tailscale_apt_url: Url = Field(
        "https://pkgs.tailscale.com/stable",
        description="Tailscale's package site; Debian/Ubuntu clients use "
        "<url>/<debian|ubuntu>/<codename>.",
        examples=["http://mirror.example:8080/tailscale/stable"],
        json_schema_extra={"group": "clients"},
    )
    tailscale_apt_key_fingerprint: Fingerprint = Field(
        "2596A99EAAB33821893C0A79458CA832957F5868",
        description="Fingerprint the apt signing key must have before apt trusts it.",
        examples=["0123456789ABCDEF0123456789ABCDEF01234567"],
        json_schema_extra={"group": "clients"},
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        problems = cross_problems(self)
        if problems:
            raise CrossError(problems)
        return self

    # derived values
    @property
    def chat_model(self) -> str | None:
        return self.default_model or (self.models[0] if self.models else None)


SETTING_NAMES = tuple(Settings.model_fields)
