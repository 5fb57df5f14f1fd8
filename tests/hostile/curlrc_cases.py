"""A hostile ``~/.curlrc`` under every curl remote-ollama runs, as a reliability case set.

curl reads ``~/.curlrc`` before its command line unless ``-q`` is its first argument
(curl's docs/cmdline-opts/disable.md). A case is one curlrc directive (curl's config
file syntax: a long option without its dashes, docs/cmdline-opts/config.md) and one use
of curl: the client's server check and the server's API read (probe facts), a bounded
download, and the wait for a started server. ``outcome(case)`` runs the use's real
command in ``sh``, with the system's curl, in a home holding that curlrc, against a
small Ollama on loopback. ``safe``: the same reading as in a home with no curlrc, and no
file written besides the one asked for. Anything else is ``unsafe``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shlex
import subprocess
import tempfile
import threading
from pathlib import Path

# pyinfra's CLI patches the standard library with gevent when it is imported
# (pyinfra_cli/__init__.py: monkey.patch_all()); a real thread started before that breaks
# the import locks of whatever imports it next. Patch first, as every pyinfra run does.
import pyinfra_cli  # noqa: F401

from remote_ollama.facts.client import ServerReachability
from remote_ollama.facts.ollama import OllamaApi
from remote_ollama.operations.download import bounded_download
from remote_ollama.operations.ollama import WAIT_SCRIPT
from tests.fixed_answer import handler

ANSWERS = {  # ollama/ollama docs/api.md and docs/openai.md, in brief
    "/api/version": b'{"version":"0.14.2"}',
    "/api/tags": b'{"models":[{"name":"llama3:latest","digest":"' + b"a" * 64 + b'"}]}',
    "/api/ps": b'{"models":[]}',
    "/v1/models": b'{"object":"list","data":[]}',
    "/ollama.tgz": b"the archive",
}
DEAD = "http://127.0.0.1:9"  # discard: nothing listens there

# Directives a user's curlrc may well hold, and the ones that would do the most harm.
DIRECTIVES = {
    "include": "include",  # the headers, in the body a fact parses
    "write-out": 'write-out = "@@junk\\n"',  # a line after every transfer
    "proxy": f"proxy = {DEAD}",  # the tailnet address sent elsewhere
    "connect-to": "connect-to = ::127.0.0.1:9",  # every connection sent elsewhere
    "an extra URL": f"url = {DEAD}/extra",  # one more transfer per run
    "remote-name-all": "remote-name-all",  # every body written to a file in the cwd
    "max-time": "max-time = 0.001",  # every transfer cut at once
    "fail-with-body": "fail-with-body",
    "verbose": "verbose",
    "location": "location",
    "header": 'header = "Host: elsewhere.example"',
}


@functools.cache
def base_url() -> str:
    """A small Ollama on loopback, for this process's life (a daemon thread)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(ANSWERS))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def _download(home: Path) -> str:
    return bounded_download(f"{base_url()}/ollama.tgz", str(home / "out.tgz"), "Ollama")


def _downloaded(out: list[str], home: Path):
    path = home / "out.tgz"
    return path.read_bytes() if path.exists() else None


USES = {  # name: (command in a home, reading of its output and home)
    "the client's server check": (
        lambda home: ServerReachability().command(base_url=base_url()),
        lambda out, home: ServerReachability().process(out)),
    "the server's API read": (
        lambda home: OllamaApi().command(base_url=base_url()),
        lambda out, home: OllamaApi().process(out)),
    "a bounded download": (_download, _downloaded),
    "the wait for a started server": (
        lambda home: WAIT_SCRIPT.format(url=shlex.quote(base_url()), tries=2,
                                        minimum="0.1.0", log="/dev/null"),
        lambda out, home: out),
}  # fmt: skip


def run(use: str, curlrc: str | None, misled: bool = False):
    """(reading, files the run left in the home besides .curlrc and the download)."""
    command, reading = USES[use]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if curlrc is not None:
            (home / ".curlrc").write_text(curlrc + "\n")
        script = command(home)
        if misled:  # the same command as it was before -q (to show the curlrc is read)
            script = script.replace("curl -q ", "curl ")
        env = {"HOME": str(home), "PATH": os.environ["PATH"]}
        done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env,
                              cwd=home, timeout=15)  # fmt: skip
        value = reading(done.stdout.splitlines(), home)
        stray = sorted(p.name for p in home.iterdir() if p.name not in (".curlrc", "out.tgz"))
    return value, stray


@functools.cache
def baseline(use: str):
    return run(use, None)


def outcome(case: tuple[str, str]) -> str:
    directive, use = case
    value, stray = run(use, DIRECTIVES[directive])
    expected, _ = baseline(use)
    if stray:
        return f"unsafe: {use} left {stray} in the home"
    if value != expected:
        return f"unsafe: {use} read {value!r}, not {expected!r}"
    return "safe"


CASES = {
    "a hostile ~/.curlrc under each curl we run": lambda: [
        (directive, use) for directive in DIRECTIVES for use in USES],
}
