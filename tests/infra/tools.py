"""How the testinfra suites find the tools the deploy uses, on a Mac as on the testbed.

A non-interactive SSH session on a Mac has PATH ``/usr/bin:/bin:/usr/sbin:/sbin``: no
``/opt/homebrew/bin`` and no Tailscale app CLI. The deploys give every command and fact
``BREW_PATH`` (deploys/*.py) and find Tailscale with ``TAILSCALE_CLI`` (the formula's
``tailscale`` on that PATH, else ``/Applications/Tailscale.app/Contents/MacOS/Tailscale``);
the checks do the same, so they look at what the deploy configured.
"""

from __future__ import annotations

import shlex

from remote_ollama.facts.homebrew import BREW_PATH
from remote_ollama.facts.tailscale import TAILSCALE_CLI

TAILSCALE = f'"{TAILSCALE_CLI}"'


def as_deploy(command: str) -> str:
    """``command`` with the PATH the deploy's commands get."""
    return f"PATH={shlex.quote(BREW_PATH)}; export PATH; {command}"


def tailscale_ipv4(host) -> str:
    """This node's Tailscale IPv4, asked of the CLI the deploy uses (testinfra ``host``)."""
    out = host.run(as_deploy(f"{TAILSCALE} ip -4"))
    assert out.rc == 0 and out.stdout.split(), f"tailscale ip -4 failed: {out.stderr}"
    return out.stdout.split()[0]
