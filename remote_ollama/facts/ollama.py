"""Ollama facts: the binary's version and the API's view of models."""

from __future__ import annotations

import json
import re
import shlex

from pyinfra.api import FactBase

from remote_ollama.facts.tailscale import TAILSCALE_CLI

VERSION_RE = re.compile(r"(\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.]+)?)")


class OllamaBinaryVersion(FactBase):
    """Version printed by ``<path> --version`` ("ollama version is 0.14.2"); None if absent.

    A client warning ("Warning: could not connect to a running Ollama instance") may
    precede the version line, so the last version-looking string wins.

        host.get_fact(OllamaBinaryVersion, path="/opt/homebrew/bin/ollama")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return f"[ -x {quoted} ] && {quoted} --version 2>&1"

    def process(self, output) -> str | None:
        for line in reversed(output):
            if "version" in line:
                match = VERSION_RE.search(line)
                if match:
                    return match.group(1)
        return None


def _curl(url: str, timeout: int) -> str:
    return f"curl -sS --max-time {timeout} {shlex.quote(url)}"


class OllamaApi(FactBase):
    """What a running server says: ``{"version", "models": {name: digest}, "loaded": [...]}``.

    Reads ``/api/version``, ``/api/tags`` and ``/api/ps`` in one command; None when the
    server does not answer. Model names are as Ollama reports them (``name:tag``).

        api = host.get_fact(OllamaApi, base_url="http://100.64.0.1:11434")
    """

    def command(self, base_url: str) -> str:
        return (
            f"{_curl(base_url + '/api/version', 3)} && echo && "
            f"{_curl(base_url + '/api/tags', 10)} && echo && "
            f"{_curl(base_url + '/api/ps', 5)} && echo"
        )

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
        base = f"http://$ip:{int(port)}"
        reads = " && echo && ".join(
            f'curl -sS --max-time {t} "{base}/api/{path}"'
            for path, t in (("version", 3), ("tags", 10), ("ps", 5))
        )
        return (
            f'ts="{TAILSCALE_CLI}"; ip=$("$ts" ip -4 2>/dev/null | head -n 1); '
            f'echo "address $ip"; [ -n "$ip" ] && {reads} && echo'
        )

    def process(self, output) -> dict:
        output = list(output)
        first = output[0] if output else ""
        address = first.removeprefix("address ").strip() if first.startswith("address") else ""
        return {"address": address or None, "api": OllamaApi().process(output[1:])}
