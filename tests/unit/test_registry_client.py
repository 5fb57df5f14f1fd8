"""The controller's one HTTP read of its own: Claude Code's sha512 from the npm registry.
A registry that misbehaves stops that host's deploy with a sentence, in bounded time."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from pyinfra.api import OperationError

from remote_ollama.operations import claude_code
from tests.fixed_answer import serving
from tests.hostile.server import BEHAVIOURS, HostileServer

read_sha512 = claude_code.registry_sha512.__wrapped__  # not the per-run cache
SHA = hashlib.sha512(b"package").digest()


@pytest.mark.parametrize(
    ("integrity", "ok"),
    [
        ("sha512-" + base64.b64encode(SHA).decode(), True),
        ("sha1-abc sha512-" + base64.b64encode(SHA).decode(), True),
        ("sha512-not*base64", False),
        ("sha512-" + base64.b64encode(b"short").decode(), False),
        ("sha1-abc", False),
    ],
)
def test_the_sha512_is_read_and_checked(integrity, ok):
    document = json.dumps({"versions": {"2.1.332": {"dist": {"integrity": integrity}}}})
    with serving(document.encode()) as base:
        url = f"{base}/@anthropic-ai/claude-code-darwin-arm64"
        if ok:
            assert read_sha512(url, "2.1.332") == SHA.hex()
        else:
            with pytest.raises(OperationError, match="gives no sha512 integrity"):
                read_sha512(url, "2.1.332")


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_a_hostile_registry_stops_the_deploy_with_a_sentence(behaviour, monkeypatch):
    monkeypatch.setattr(claude_code, "http_request", bounded(claude_code.http_request))
    with HostileServer(behaviour) as server:
        started = time.monotonic()
        with pytest.raises(OperationError, match=r"Claude Code 2\.1\.332: could not read") as err:
            read_sha512(server.url + "/@anthropic-ai/claude-code-darwin-arm64", "2.1.332")
        assert time.monotonic() - started < 10
        assert server.elsewhere_hits == []
    assert "\x1b" not in str(err.value)


def bounded(http_request):
    """The same call with a 1 s deadline instead of 60 s, to keep the test short."""
    return lambda url, **kwargs: http_request(url, **{**kwargs, "timeout": 1})
