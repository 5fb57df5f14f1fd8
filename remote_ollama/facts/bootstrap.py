"""What a bare host lacks before the deploy can run: sudo, Command Line Tools, Homebrew,
Tailscale and its tailnet membership, read in one probe section (issue 16).

The section is asked only when ``homebrew_install`` or ``tailscale_install`` is on, inside
the deploy's single probe, so a converged host still costs one remote command.
"""

from __future__ import annotations

import json
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact
from remote_ollama.facts.homebrew import BREW_BIN, BREW_PREFIX

# Homebrew's installer decides the Command Line Tools are present by this file
# (Homebrew/install install.sh, should_install_command_line_tools).
CLT_GIT = "/Library/Developer/CommandLineTools/usr/bin/git"
TAILSCALE_APP = "/Applications/Tailscale.app"  # App Store and standalone apps both live here
APP_CLI = f"{TAILSCALE_APP}/Contents/MacOS/Tailscale"
# Our record of the last `tailscale up` arguments (a hash; never the key), as the artis3n
# role keeps one: a changed hash means re-up, anything else means leave the node alone.
STATE_FILE = ".local/state/remote-ollama/tailscale-up"
STATUS_MARK = "@@status"


class Bare(TypedDict):
    """``BootstrapState``'s value."""

    sudo: bool
    clt: bool
    brew: bool
    app: bool
    cli: str | None
    joined: str | None
    state: str | None
    tags: list[str]
    ipv4: str | None


class BootstrapState(ProbeFact[Bare]):
    """``{"sudo", "clt", "brew", "app", "cli", "joined", "state", "tags", "ipv4"}``.

    ``sudo``: ``sudo -n true`` succeeded (passwordless sudo, or a cached ticket). ``cli``:
    the ``tailscale`` command found (PATH, Homebrew, then the app bundle) or None.
    ``joined``: the state file's hash, or None. ``state``/``tags``/``ipv4`` come from
    ``tailscale status --json --peers=false`` (None/[]/None when it did not answer).

        bare = host.get_fact(BootstrapState)
        bare["brew"] is False and bare["sudo"] is True
    """

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self) -> str:
        def flag(name: str, test: str) -> str:
            return f"if {test}; then echo {name}=yes; else echo {name}=no; fi"

        return "; ".join([
            flag("sudo", "sudo -n true >/dev/null 2>&1"),
            flag("clt", f"[ -e {CLT_GIT} ]"),
            flag("brew", f"[ -x {BREW_BIN} ]"),
            flag("app", f"[ -d {TAILSCALE_APP} ]"),
            "ts=$(command -v tailscale 2>/dev/null)",
            f'[ -n "$ts" ] || {{ [ -x {BREW_PREFIX}/bin/tailscale ] && ts={BREW_PREFIX}/bin/tailscale; }}',
            f'[ -n "$ts" ] || {{ [ -x {APP_CLI} ] && ts={APP_CLI}; }}',
            'echo "cli=$ts"',
            f'echo "joined=$(cat "$HOME/{STATE_FILE}" 2>/dev/null)"',
            f"echo {STATUS_MARK}",
            '[ -n "$ts" ] && "$ts" status --json --peers=false 2>/dev/null',
        ])  # fmt: skip

    def process(self, output) -> Bare:
        lines = list(output)
        head, status_lines = lines, []
        if STATUS_MARK in lines:
            at = lines.index(STATUS_MARK)
            head, status_lines = lines[:at], lines[at + 1 :]
        pairs = dict(line.partition("=")[::2] for line in head if "=" in line)
        result = {
            "sudo": pairs.get("sudo") == "yes",
            "clt": pairs.get("clt") == "yes",
            "brew": pairs.get("brew") == "yes",
            "app": pairs.get("app") == "yes",
            "cli": pairs.get("cli", "").strip() or None,
            "joined": pairs.get("joined", "").strip() or None,
        }
        result.update(parse_status("\n".join(status_lines)))
        return result


def parse_status(text: str) -> dict:
    """BackendState, this node's tags and IPv4 from ``tailscale status --json`` text.

    Tolerates a missing final newline (the CLI prints none), ``Tags`` absent or null, and
    no output at all (daemon down): then state None."""
    try:
        status = json.loads(text) if text.strip() else None
    except ValueError:
        status = None
    if not isinstance(status, dict):
        return {"state": None, "tags": [], "ipv4": None}
    me = status.get("Self") or {}
    ipv4 = next((ip for ip in me.get("TailscaleIPs") or [] if "." in ip), None)
    return {
        "state": status.get("BackendState"),
        "tags": sorted(me.get("Tags") or []),
        "ipv4": ipv4,
    }
