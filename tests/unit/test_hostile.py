"""Every network client against every hostile behaviour of tests/hostile/server.py.

Each case runs the client as the deploys run it (the shipped file, its own process) with
short deadlines, and must end by itself: a non-zero exit, the failure in the tool's own
words, no traceback, nothing sent to the redirect's other port, and the other models of
a `warm` still done. A case that hangs is killed after tests/hostile/cases.BOUND seconds.
One test per client; its cases run a few at a time, as most of each is a wait.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.hostile.cases import CLIENTS, Client, run_case, run_cases
from tests.hostile.server import BEHAVIOURS

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_every_hostile_behaviour_ends_in_a_clean_failure(client):
    outcomes = run_cases([(client, behaviour) for behaviour in BEHAVIOURS])
    expected = {b: "safe" if b in client.harmless else "clean" for b in BEHAVIOURS}
    got = {b: o.kind for b, o in zip(BEHAVIOURS, outcomes, strict=True)}
    details = "\n\n".join(
        f"{b}: {o}" for b, o in zip(BEHAVIOURS, outcomes, strict=True) if o.kind != expected[b]
    )
    assert got == expected, details


@pytest.mark.parametrize(
    "behaviour", ["slow trickle", "huge body", "redirect to another port", "bad status line"]
)
def test_the_remote_ollama_cli_too(behaviour, tmp_path):
    """`remote-ollama check` runs the same client under pyinfra's gevent patching."""
    cli = Client("check", None)
    cli_command = [sys.executable, "-m", "remote_ollama.cli", "check", "--no-client",
                   "--timeout", "1", "--deadline", "3", "--server"]  # fmt: skip
    outcome = run_case(cli, behaviour, tmp_path, command=lambda url: [*cli_command, url])
    assert outcome.kind == "clean", str(outcome)


def test_https_is_verified_and_bounded_the_same_way(tmp_path, monkeypatch):
    """The same client over TLS (a wrapper, not a socket subclass, so it works whether or
    not pyinfra's gevent has patched ssl): a certificate it trusts, then one it does not."""
    import shutil
    import subprocess

    from remote_ollama.contract import HttpProblem, http_request

    if not shutil.which("openssl"):
        pytest.skip("no openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    body = '{"version": "0.14.2"}'
    server = subprocess.Popen([sys.executable, "-m", "tests.fixed_answer", str(cert), str(key),
                               body], stdout=subprocess.PIPE, text=True, cwd=REPO)  # fmt: skip
    try:
        port = int(server.stdout.readline())
        url = f"https://localhost:{port}/api/version"
        with pytest.raises(HttpProblem, match="CERTIFICATE_VERIFY_FAILED"):
            http_request(url, timeout=5)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with http_request(url, timeout=5) as answer:
            assert (answer.status, answer.body()) == (200, b'{"version": "0.14.2"}')
    finally:
        server.kill()
        server.wait(timeout=10)


SAID = {
    "slow trickle": "no complete answer within 1s",
    "silent": "no complete answer within 1s",
    "huge body": "an answer larger than 16384 KiB",
    "garbage JSON": "got:      HTTP 200: {not json at all",
    "non-object JSON": "got:      JSON array: [1, 2, 3]",
    "wrong types": "expected: a version like 0.14.2",
    "redirect to another port": "HTTP 302, a redirect to http://127.0.0.1:",
    "bad status line": "not an HTTP answer: status line 'ICY 200 OK\\r\\n'",
    "empty answer": "the server closed the connection without answering",
    "truncated body": "the answer ended early (982 bytes short)",
    "huge header": "an answer whose status or header line is longer than 64 KiB",
    "too many headers": "a malformed HTTP answer (got more than 100 headers)",
}


def test_check_says_in_one_line_what_came_back():
    check = next(c for c in CLIENTS if c.name == "check")
    outcomes = run_cases([(check, behaviour) for behaviour in SAID])
    for (behaviour, words), outcome in zip(SAID.items(), outcomes, strict=True):
        assert words in outcome.output, f"{behaviour}: {outcome}"
        assert outcome.output.count("FAIL  ") == 1, f"{behaviour}: one cause, one failure"


def test_an_abandoned_answer_leaves_no_open_socket():
    """warm asks many models in one run: an answer closed before its end (too large, or
    only its status wanted) must close its connection, not wait for the garbage collector."""
    import os

    from remote_ollama.contract import HttpProblem, http_request
    from tests.hostile.server import HostileServer

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc here")
    kept = []  # the answers stay referenced, so only an explicit close releases a socket
    with HostileServer("huge body") as server:
        before = open_fds()
        for _ in range(20):
            with (
                pytest.raises(HttpProblem, match="larger than"),
                http_request(server.url + "/api/version", timeout=5) as answer,
            ):
                kept.append(answer)
                answer.body(1000)
        assert open_fds() - before <= 2
    with HostileServer("garbage JSON") as server:  # an answer with Connection: close
        before = open_fds()
        for _ in range(20):
            with http_request(server.url + "/api/show", timeout=5) as answer:
                kept.append(answer)  # closed with its body unread
        assert open_fds() - before <= 2
