"""Tailscale state from ``tailscale status --json --peers=false``."""

from __future__ import annotations

import json
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact


class TailscaleState(TypedDict, total=False):
    """``TailscaleStatus``'s value: only ``installed`` when the CLI is missing."""

    installed: bool
    state: str | None  # BackendState: "Running", "NeedsLogin", "Stopped", ...
    ipv4: str | None
    dns_name: str | None  # MagicDNS name without its final dot
    hostname: str | None

# The CLI is `tailscale` (formula) or inside the app bundle (Mac App Store / standalone).
TAILSCALE_CLI = (
    "$(command -v tailscale || echo /Applications/Tailscale.app/Contents/MacOS/Tailscale)"
)


class TailscaleStatus(ProbeFact[TailscaleState]):
    """``{"installed", "state", "ipv4", "dns_name", "hostname"}`` of this node.

    ``state`` is the BackendState (``Running``, ``NeedsLogin``, ``Stopped``...). A missing
    CLI gives ``{"installed": False}``; unparsable output, or none (``tailscaled`` not
    running: the CLI exits 1 with nothing on stdout), gives state ``None``: ``@@cli``,
    printed before the CLI runs, tells that apart from a fact that could not run.
    ``--peers=false`` (the CLI asks tailscaled for ``StatusWithoutPeers``): only this
    node is read, so the answer stays small however large the tailnet is.

        status = host.get_fact(TailscaleStatus)
        status["state"] == "Running" and status["ipv4"]
    """

    SLOW = True  # the CLI asks tailscaled (probe.probe_script runs it alongside)

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self) -> str:
        return (
            f'ts="{TAILSCALE_CLI}"; if [ ! -x "$ts" ]; then echo @@absent; '
            'else echo @@cli; "$ts" status --json --peers=false 2>/dev/null; fi'
        )

    def process(self, output) -> TailscaleState:
        """Parse the JSON, which the CLI prints without a final newline (``printf("%s")``
        in ``cmd/tailscale/cli/status.go``); fields of an unexpected type read as unknown."""
        if output and output[0].strip() == "@@absent":
            return {"installed": False}
        if output and output[0].strip() == "@@cli":  # the CLI ran: its output follows
            output = output[1:]
        try:
            status = json.loads("\n".join(output))
        except ValueError:
            status = None
        if not isinstance(status, dict):
            return {"installed": True, "state": None, "ipv4": None}
        me = status.get("Self")
        me = me if isinstance(me, dict) else {}
        ips = me.get("TailscaleIPs")
        ipv4 = next((ip for ip in ips if isinstance(ip, str) and "." in ip), None) \
            if isinstance(ips, list) else None  # fmt: skip
        return {
            "installed": True,
            "state": _text(status.get("BackendState")),
            "ipv4": ipv4,
            "dns_name": (_text(me.get("DNSName")) or "").rstrip(".") or None,
            "hostname": _text(me.get("HostName")),
        }


def _text(value) -> str | None:
    return value if isinstance(value, str) else None
