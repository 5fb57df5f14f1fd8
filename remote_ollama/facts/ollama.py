"""Ollama facts: the API's view of the server and its models."""

from __future__ import annotations

import json
import shlex
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact
from remote_ollama.facts.tailscale import TAILSCALE_CLI, TailscaleState, TailscaleStatus


class ApiState(TypedDict):
    """``OllamaApi``'s value."""

    version: str
    models: dict[str, str]  # "name:tag" -> digest
    loaded: list[str]  # models in memory (/api/ps)


class OnTailnet(TypedDict):
    """``OllamaApiOnTailnet``'s value."""

    tailscale: TailscaleState
    address: str | None  # the node's Tailscale IPv4
    api: ApiState | None


class Listener(TypedDict):
    """One of ``PortListeners``' processes."""

    pid: int
    ppid: int | None
    user: str
    command: str

API_READS = ("version", "tags", "ps")
# What the three documents may take together. /api/tags is the big one, a few hundred
# bytes per model: 4 MiB is thousands of models, and bounds what a hostile or broken
# server can push through the probe (hex-encoded, twice that over SSH).
API_MAX_BYTES = 4 * 1024 * 1024


def _api_curl(base: str) -> str:
    """One curl for /api/version, /api/tags and /api/ps on one connection, a line each.

    ``-f`` with ``--fail-early``: an HTTP error or no answer stops it, and the missing
    documents make the reading None rather than a guess. ``base`` is a shell word.
    Bounded in time (``--max-time``) and size: ``--max-filesize`` refuses a document whose
    announced length is too big (and since curl 8.4 stops one that grows too big), and
    ``head -c`` cuts the whole output for older curls and bodies of unknown length (a cut
    document does not parse: the reading is None). No extra remote command."""
    urls = " ".join(f"{base}/api/{path}" for path in API_READS)
    return (f"curl -q -sS -f --fail-early --max-time 10 --max-filesize {API_MAX_BYTES} "
            f"-w '\\n' {urls} | head -c {API_MAX_BYTES}")  # fmt: skip


class OllamaApi(ProbeFact["ApiState | None"]):
    """What a running server says: ``{"version", "models": {name: digest}, "loaded": [...]}``.

    Reads ``/api/version``, ``/api/tags`` and ``/api/ps`` in one command; None when the
    server does not answer. Model names are as Ollama reports them (``name:tag``).

        api = host.get_fact(OllamaApi, base_url="http://100.64.0.1:11434")
    """

    SLOW = True  # HTTP requests (probe.probe_script runs it alongside)

    def command(self, base_url: str) -> str:
        return _api_curl(shlex.quote(base_url))

    def process(self, output) -> ApiState | None:
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
        if not isinstance(version.get("version"), str) or not isinstance(tags.get("models", []), list):
            return None
        return {
            "version": version["version"],
            "models": {m["name"]: m.get("digest", "") for m in _named(tags)},
            "loaded": sorted(m["name"] for m in _named(ps)),
        }


def _named(doc: dict) -> list[dict]:
    """The entries of ``doc["models"]`` that are objects with a string ``name``."""
    models = doc.get("models")
    return [m for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)] \
        if isinstance(models, list) else []  # fmt: skip


class OllamaApiOnTailnet(ProbeFact[OnTailnet]):
    """Tailscale's status, and ``OllamaApi`` at the node's Tailscale IPv4, in one command:
    ``{"tailscale": <TailscaleStatus value>, "address": "100.x.y.z" | None,
    "api": <OllamaApi value> | None}``.

    It lets a server bound to its Tailscale address be read in the same probe that learns
    the address, with one ``tailscale`` run. The shell takes the first ``"100.``-string of
    the status JSON (``TailscaleIPs`` comes first; Tailscale's IPv4s are in 100.64.0.0/10)
    with builtins only; the deploy checks that address against the parsed JSON and reads
    the API again should they differ.

        host.get_fact(OllamaApiOnTailnet, port=11434)
    """

    SLOW = True  # tailscaled, then HTTP requests (probe.probe_script runs it alongside)

    ADDRESS = "@@address "

    def default(self):  # no output at all: what process makes of none
        return self.process([])

    def command(self, port: int) -> str:
        reads = _api_curl(f'"http://$ip:{int(port)}"')
        return (
            f'ts="{TAILSCALE_CLI}"; st=; if [ ! -x "$ts" ]; then echo @@absent; '
            'else st=$("$ts" status --json --peers=false 2>/dev/null); printf \'%s\\n\' "$st"; fi; '
            "set -f; ip=; for w in $st; do case $w in *'\"100.'*) "
            "ip=100.${w#*'\"100.'}; ip=${ip%%'\"'*}; break;; esac; done; "
            f'echo "{self.ADDRESS}$ip"; [ -n "$ip" ] && {reads}'
        )

    def process(self, output) -> OnTailnet:
        output = list(output)
        at = next((i for i, line in enumerate(output) if line.startswith(self.ADDRESS.strip())),
                  None)  # fmt: skip
        if at is None:
            return {"tailscale": TailscaleStatus().process(output), "address": None, "api": None}
        address = output[at][len(self.ADDRESS.strip()):].strip()
        return {
            "tailscale": TailscaleStatus().process(output[:at]),
            "address": address or None,
            "api": OllamaApi().process(output[at + 1 :]),
        }


# lsof(8): -n/-P no name lookups, -iTCP:<port> -sTCP:LISTEN the listening TCP sockets on
# the port, -t "terse output with process identifiers only and no header" (one pid a line;
# exit 1 when nothing matches). Under sudo when it needs no password, so a root process
# (`sudo brew services`) is seen too: a non-root lsof on macOS does not see other users'
# sockets. macOS has it at /usr/sbin/lsof, on the non-interactive SSH PATH.
# `sudo -n lsof` is tried first; only when it fails (sudo wants a password, or nobody
# listens) does a plain lsof run, so a listening server costs one lsof, not a `sudo -n
# true` and then an lsof, and the answer is never smaller than before. A pid printed
# twice (by both, or for IPv4 and IPv6) is named once, by the shell: no `sort`.
LISTENERS = (
    "echo @@lsof; seen=' '; for p in $(sudo -n lsof -nP -iTCP:{port} -sTCP:LISTEN -t "
    "2>/dev/null || lsof -nP -iTCP:{port} -sTCP:LISTEN -t 2>/dev/null); do "
    'case "$seen" in *" $p "*) continue;; esac; seen="$seen$p "; '
    'echo "@@pid $p"; ps -o pid=,ppid=,user=,command= -p "$p" 2>/dev/null; done'
)


class PortListeners(ProbeFact["list[Listener] | None"]):
    """The processes listening on a TCP port: ``[{"pid", "ppid", "user", "command"}]``.

    None when ``lsof`` is missing (or nothing ran: ``@@lsof``, printed first, tells
    "nobody listens" from "could not ask"). ``ps`` names each one; a process that exited in
    between keeps its pid with empty fields.

        host.get_fact(PortListeners, port=11434)
    """

    SLOW = True  # lsof scans every process's open files (probe.probe_script runs it alongside)

    def requires_command(self, port: int) -> str:
        return "lsof"

    def command(self, port: int) -> str:
        return LISTENERS.format(port=int(port))

    def process(self, output) -> list[Listener]:
        found: list[Listener] = []
        for line in output:
            if line.startswith("@@pid "):
                pid = line[len("@@pid "):].strip()
                if pid.isdigit() and all(p["pid"] != int(pid) for p in found):
                    found.append({"pid": int(pid), "ppid": None, "user": "", "command": ""})
            elif found and not found[-1]["command"]:
                parts = line.split(None, 3)
                if len(parts) >= 3 and parts[0] == str(found[-1]["pid"]) and parts[1].isdigit():
                    found[-1].update(ppid=int(parts[1]), user=parts[2],
                                     command=parts[3] if len(parts) > 3 else "")
        return found
