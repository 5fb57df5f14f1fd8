"""Client facts: Aider's install and the server as a client sees it.

The generic facts that used to live here are grouped by what they read:
``SymlinkTarget`` and ``DirectoryEntries`` in ``facts.files``, ``CommandPath`` in
``facts.system``. They are re-exported here so existing imports keep working."""

from __future__ import annotations

import json
import re
import shlex
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact
from remote_ollama.facts.files import DirectoryEntries, SymlinkTarget  # noqa: F401  (re-exported)
from remote_ollama.facts.system import CommandPath  # noqa: F401  (re-exported)
from remote_ollama.facts.tailscale import TailscaleState, TailscaleStatus


class Aider(TypedDict):
    """``AiderInstall``'s value."""

    version: str
    python: str  # "3.12"


class Reachability(TypedDict):
    """``ServerReachability``'s value."""

    version: str | None
    models: int  # HTTP status of /v1/models, 0 = no answer
    tailscale: TailscaleState | None  # asked only when the server did not answer


# Where each installer keeps Aider's environment. uv: UV_TOOL_DIR or the XDG data dir;
# pipx: PIPX_HOME, ~/.local/share/pipx (>=1.3 on Linux), ~/.local/pipx (older, and the
# fallback when it exists), ~/Library/Application Support/pipx (>=1.3 on macOS).
TOOL_DIRS = {
    "uv": ['"${UV_TOOL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/uv/tools}"'],
    "pipx": [
        '"${PIPX_HOME:-$HOME/.local/share/pipx}/venvs"',
        '"$HOME/.local/pipx/venvs"',
        '"$HOME/Library/Application Support/pipx/venvs"',
    ],
}
DIST_INFO_RE = re.compile(
    r"/lib/python(\d+\.\d+)/site-packages/aider_chat-([0-9][^/]*?)\.dist-info/?\Z"
)


class AiderInstall(ProbeFact["Aider | None"]):
    """Aider as installed by ``uv`` or ``pipx``, read from the filesystem (no Python start):
    ``{"version": "0.86.2", "python": "3.12"}``, or None when not installed that way.

        host.get_fact(AiderInstall, installer="uv")
    """

    def command(self, installer: str) -> str:
        globs = " ".join(
            f"{d}/aider-chat/lib/python*/site-packages/aider_chat-*.dist-info"
            for d in TOOL_DIRS[installer]
        )
        return f'for d in {globs}; do [ -d "$d" ] && echo "$d"; done'

    def process(self, output) -> Aider | None:
        for line in output:
            match = DIST_INFO_RE.search(line.strip())
            if match:
                return {"version": match.group(2), "python": match.group(1)}
        return None


class ServerReachability(ProbeFact[Reachability]):
    """What the client sees of the server:
    ``{"version": "0.14.2" | None, "models": 200, "tailscale": None | <TailscaleStatus>}``.

    ``/api/version`` answers the compatibility check; ``/v1/models`` is the seed's
    reachability check. ``models`` is the HTTP status (0 = no answer). One ``curl`` asks
    both, on one connection; ``--fail-early`` stops at a server that does not answer, so
    an unreachable one costs the short timeout once per run. Only then is Tailscale asked
    why (``tailscale``): a server that answers needs no diagnosis.

        host.get_fact(ServerReachability, base_url="http://ai-server:11434")
    """

    SLOW = True  # HTTP requests across the tailnet (probe.probe_script runs it alongside)

    STATUS = "@@http "  # curl's -w line after each transfer: "@@http 200" (000: no answer)
    TAILSCALE = "@@tailscale"  # what follows is TailscaleStatus's output

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self, base_url: str) -> str:
        version = shlex.quote(base_url + "/api/version")
        models = shlex.quote(base_url + "/v1/models")
        curl = (
            "curl -q -sS --connect-timeout 3 --max-time 5 --fail-early "
            f"-w '\\n{self.STATUS}%{{http_code}}\\n' -o - {version} -o /dev/null {models}"
        )
        return (
            f"out=$({curl}); printf '%s\\n' \"$out\"; "
            f'case "$out" in *"{self.STATUS}000"*) '
            f"echo '{self.TAILSCALE}'; {TailscaleStatus().command()};; esac"
        )

    def process(self, output) -> Reachability:
        lines = list(output)
        tailscale = None
        if self.TAILSCALE in lines:
            at = lines.index(self.TAILSCALE)
            lines, tailscale = lines[:at], TailscaleStatus().process(lines[at + 1 :])
        found: Reachability = {"version": None, "models": 0, "tailscale": tailscale}
        codes = [i for i, line in enumerate(lines) if line.startswith(self.STATUS)]
        status = [lines[i][len(self.STATUS):].strip() for i in codes]
        if status and status[0] == "200":
            try:
                doc = json.loads("\n".join(lines[: codes[0]]))
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("version"), str):
                found["version"] = doc["version"]
        if len(status) > 1 and status[1].isascii() and status[1].isdigit():
            found["models"] = int(status[1])
        return found
