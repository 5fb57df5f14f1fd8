"""The Ollama launchd job, derived from the settings and rendered with plistlib.

launchd does not expand ``$HOME`` or ``~``: every path here is absolute, resolved with
the user's real home directory before rendering.

The home and the bind address come from the host (its probe), so they are checked like
settings before they go into a plist or a command: an absolute home path of printable
characters, an IPv4 address.
"""

from __future__ import annotations

import plistlib
import re
import shlex
from dataclasses import dataclass

from remote_ollama.preflight import DeployError
from remote_ollama.settings import IPV4_RE, Settings

HOME_RE = re.compile(r"/[!#-~ ]*")  # absolute, printable ASCII, no quote or control


def checked_home(home: str) -> str:
    if home == "~" or (HOME_RE.fullmatch(home) and ".." not in home.split("/")):
        return home
    raise DeployError(f"the host reports the home directory {home[:200]!r}, which is not an "
                      "absolute path of printable characters; nothing was changed.")


def checked_address(address: str) -> str:
    if IPV4_RE.fullmatch(address):
        return address
    raise DeployError(f"the bind address {address[:200]!r} (from Tailscale's answer) is not "
                      "an IPv4 address; nothing was changed.")


def expand_home(path: str, home: str) -> str:
    return home.rstrip("/") + path[1:] if path.startswith("~/") else path


def ollama_environment(settings: Settings, bind_address: str, home: str) -> dict[str, str]:
    """Every OLLAMA_* variable for ``ollama serve``; unset options keep Ollama's default."""
    home = checked_home(home)
    env = {
        "OLLAMA_HOST": f"{checked_address(bind_address)}:{settings.ollama_port}",
        "OLLAMA_KEEP_ALIVE": settings.ollama_keep_alive,
        "OLLAMA_CONTEXT_LENGTH": str(settings.ollama_context_length),
    }
    optional = {
        "OLLAMA_FLASH_ATTENTION": settings.ollama_flash_attention,
        "OLLAMA_KV_CACHE_TYPE": settings.ollama_kv_cache_type,
        "OLLAMA_NUM_PARALLEL": settings.ollama_num_parallel,
        "OLLAMA_MAX_LOADED_MODELS": settings.ollama_max_loaded_models,
        "OLLAMA_MAX_QUEUE": settings.ollama_max_queue,
        "OLLAMA_ORIGINS": ",".join(settings.ollama_origins) or None,
        "OLLAMA_MODELS": settings.ollama_models_dir
        and expand_home(settings.ollama_models_dir, home),
    }
    for name, value in optional.items():
        if value is not None:
            env[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    env.update(settings.ollama_extra_env)
    env["HOME"] = home
    env["PATH"] = "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    return dict(sorted(env.items()))


@dataclass(frozen=True)
class JobPaths:
    plist: str
    binary: str
    stdout: str
    stderr: str
    domain: str  # launchctl domain: gui/<uid> or system


def job_paths(settings: Settings, home: str, binary: str) -> JobPaths:
    home = checked_home(home)
    logs = expand_home(settings.ollama_log_dir, home)
    if settings.ollama_service == "daemon":
        plist, domain = f"/Library/LaunchDaemons/{settings.ollama_label}.plist", "system"
    else:
        plist = f"{home}/Library/LaunchAgents/{settings.ollama_label}.plist"
        domain = "gui/$(id -u)"  # expanded by the remote shell
    return JobPaths(plist, binary, f"{logs}/ollama.out.log", f"{logs}/ollama.err.log", domain)


def render_plist(
    settings: Settings, paths: JobPaths, env: dict[str, str], user: str
) -> str:
    """The job's plist as XML text. A daemon names the user so Ollama never runs as root."""
    job = {
        "Label": settings.ollama_label,
        "ProgramArguments": [paths.binary, "serve"],
        "EnvironmentVariables": env,
        "RunAtLoad": True,
        "KeepAlive": True,
        "ThrottleInterval": settings.ollama_throttle_interval,
        "StandardOutPath": paths.stdout,
        "StandardErrorPath": paths.stderr,
        "ProcessType": "Interactive",
    }
    if settings.ollama_service == "daemon":
        job["UserName"] = user
    return plistlib.dumps(job, sort_keys=True).decode()


def render_warm_plist(
    settings: Settings, label: str, warm_script: str, url: str, paths: JobPaths, user: str
) -> str:
    """A job that, at every boot, waits for the API and loads ``warm_models`` (one shot)."""
    models = " ".join(map(shlex.quote, settings.warm_models))
    q_url = shlex.quote(url)
    wait = (
        f"i=0; until curl -q -sf --max-time 2 {shlex.quote(url + '/api/version')} >/dev/null; do "
        "i=$((i+1)); [ $i -gt 120 ] && exit 1; sleep 5; done; "
        f"exec /usr/bin/python3 -Es {shlex.quote(warm_script)} --server {q_url} "
        f"--keep-alive -1 {models}"
    )
    job = {
        "Label": label,
        "ProgramArguments": ["/bin/sh", "-c", wait],
        "RunAtLoad": True,
        "StandardOutPath": paths.stdout.replace("ollama.out.log", "warm.log"),
        "StandardErrorPath": paths.stderr.replace("ollama.err.log", "warm.log"),
    }
    if settings.ollama_service == "daemon":
        job["UserName"] = user
    return plistlib.dumps(job, sort_keys=True).decode()
