"""Ollama facts: the API's view of the server and its models."""

from __future__ import annotations

import json
import shlex

from pyinfra.api import FactBase

from remote_ollama.facts.tailscale import TAILSCALE_CLI

API_READS = ("version", "tags", "ps")


def _api_curl(base: str) -> str:
    """One curl for /api/version, /api/tags and /api/ps on one connection, a line each.

    ``-f`` with ``--fail-early``: an HTTP error or no answer stops it, and the missing
    documents make the reading None rather than a guess. ``base`` is a shell word."""
    urls = " ".join(f"{base}/api/{path}" for path in API_READS)
    return f"curl -sS -f --fail-early --max-time 10 -w '\\n' {urls}"


class OllamaApi(FactBase):
    """What a running server says: ``{"version", "models": {name: digest}, "loaded": [...]}``.

    Reads ``/api/version``, ``/api/tags`` and ``/api/ps`` in one command; None when the
    server does not answer. Model names are as Ollama reports them (``name:tag``).

        api = host.get_fact(OllamaApi, base_url="http://100.64.0.1:11434")
    """

    def command(self, base_url: str) -> str:
        return _api_curl(shlex.quote(base_url))

    def process(self, output) -> dict | None:
        docs = []
        for line in output:
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    return None
        if len(docs) != 3 or not all(isinstance(d, dict) for d in docs):
            return None
        version, tags, ps = docs
        if "version" not in version or not isinstance(tags.get("models", []), list):
            return None
        return {
            "version": version["version"],
            "models": {
                m["name"]: m.get("digest", "") for m in tags.get("models") or [] if "name" in m
            },
            "loaded": sorted(m["name"] for m in ps.get("models") or [] if "name" in m),
        }


class OllamaApiOnTailnet(FactBase):
    """``OllamaApi`` at this node's Tailscale IPv4, which the host's shell looks up itself.

    ``{"address": "100.x.y.z" | None, "api": <OllamaApi value> | None}``. It lets a server
    bound to its Tailscale address be read in the same probe that learns the address.

        host.get_fact(OllamaApiOnTailnet, port=11434)
    """

    accepts_failure = True

    def command(self, port: int) -> str:
        reads = _api_curl(f'"http://$ip:{int(port)}"')
        return (
            f'ts="{TAILSCALE_CLI}"; ip=$("$ts" ip -4 2>/dev/null | head -n 1); '
            f'echo "address $ip"; [ -n "$ip" ] && {reads}'
        )

    def process(self, output) -> dict:
        output = list(output)
        first = output[0] if output else ""
        address = first.removeprefix("address ").strip() if first.startswith("address") else ""
        return {"address": address or None, "api": OllamaApi().process(output[1:])}
