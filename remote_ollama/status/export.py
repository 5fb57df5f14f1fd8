"""The deploys' hook for `remote-ollama status`: what one host's probe saw, as JSON.

`remote-ollama status` runs the fleet deploy with ``--dry`` and ``REMOTE_OLLAMA_STATUS_DIR``
set; each deploy then writes ``<dir>/<host>.<role>.json`` right after its one probe, so
the status costs exactly the no-op run's one remote command per host. Without the
variable (every real converge) this does nothing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pyinfra import host

ENV = "REMOTE_OLLAMA_STATUS_DIR"
CLAUDE_VERSION_RE = re.compile(r"/(\d+\.\d+\.\d+[^/]*)/claude$")


def server_view(settings, seen: dict) -> dict:
    api = seen.get("api") or None
    mac = seen.get("mac") or {}
    return {
        "os": f"macOS {mac['version']}" if mac.get("version") else None,
        "ollama": api.get("version") if api else None,
        "healthy": api is not None,
        "models": sorted(api.get("models", {})) if api else [],
        "loaded": list(api.get("loaded", [])) if api else [],
        "rollback": seen.get("rollback"),
        "rollback_resolved": seen.get("rollback_resolved"),
        "upgrade": seen.get("upgrade"),
        "last_converge": seen.get("last_converge"),  # the last converge that changed it
        "pins": {"ollama": settings.ollama_version or "Homebrew's formula",
                 "models": list(settings.models)},
    }


def client_view(settings, seen: dict) -> dict:
    link = (seen.get("claude_link") or {}).get("target", "")
    match = CLAUDE_VERSION_RE.search(link)
    aider = seen.get("aider") or seen.get("aider_uv") or seen.get("aider_pipx") or {}
    macos, linux = seen.get("macos"), seen.get("linux")
    os_name = None
    if macos:
        os_name = f"macOS {macos.get('ProductVersion')}"
    elif linux:
        os_name = linux.get("PRETTY_NAME") or linux.get("ID")
    server = seen.get("server") or {}
    return {
        "os": os_name,
        "claude_code": match.group(1) if match else None,
        "aider": aider.get("version"),
        "server_version": server.get("version"),
        "last_converge": seen.get("last_converge"),  # the last client converge that changed it
        "pins": {"claude_code": settings.claude_code_version if settings.claude_code_enabled
                 else None,
                 "aider": settings.aider_version},
    }


def export(role: str, settings, seen: dict) -> None:
    """Write this host's view for `remote-ollama status`, if it asked (``ENV``)."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    view = server_view(settings, seen) if role == "server" else client_view(settings, seen)
    path = Path(folder) / f"{host.name}.{role}.json"
    path.write_text(json.dumps(view, indent=2, default=str), encoding="utf-8")
