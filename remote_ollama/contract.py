#!/usr/bin/env python3
"""The contract test: does this Ollama server (and this client's setup) work for the agents?

One file, standard library only, Python 3.9+ (macOS's /usr/bin/python3), because the deploys
copy it to hosts and run `python3 contract.py --server URL`. Also used as
`remote-ollama check`; `run_checks()` returns the report as plain data for reuse.

Groups of checks:
  native     /api/version >= 0.14.0; at least one model in /api/tags
  openai     /v1/models, /v1/models/{m}, chat completions plain, streaming,
             stream_options.include_usage, JSON mode
  anthropic  /v1/messages plain (required fields), streaming (event order), system prompt,
             unknown model error. Skipped with --skip-anthropic or below Ollama 0.14.0.
  client     ~/.ai-client/env is exactly the contract; the profile block appears once.
             Run when ~/.ai-client/env exists, or with --client.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from pathlib import Path

MIN_VERSION = (0, 14, 0)
DEFAULT_SERVER = "http://127.0.0.1:11434"
UNKNOWN_MODEL = "remote-ollama-check-no-such-model:0"
PROMPT = "Reply with the single word: pong"

ENV_FILE = ".ai-client/env"
ENV_HEADER = "# Managed by remote-ollama; changes are overwritten on the next converge."
ENV_KEYS = (
    "OLLAMA_API_BASE",
    "OPENAI_API_BASE",
    "OPENAI_API_KEY",
    "AIDER_MODEL",  # only when a default model is set
    "LITELLM_LOCAL_MODEL_COST_MAP",
)
PROFILE_FILES = (".zshrc", ".bashrc")
PROFILE_START = "# >>> remote-ollama env >>>"
PROFILE_END = "# <<< remote-ollama env <<<"

PASS, FAIL, SKIP = "pass", "fail", "skip"
DEFAULT_DEADLINE = 600.0  # seconds for the whole run


class Failed(Exception):
    """A check failed: what it expected, what came back, and what to try."""

    def __init__(self, expected: str, got: str, hint: str = ""):
        super().__init__(got)
        self.expected, self.got, self.hint = expected, got, hint


class Skipped(Exception):
    """A check cannot run here; the message says why."""


# --- HTTP ------------------------------------------------------------------------------
#
# One small client for both shipped tools (warm.py imports it from here). http.client, not
# urllib: it never follows a redirect, so no request, and no header, ever goes to another
# host. Every wait on the socket is cut short at the request's deadline, so a server that
# trickles bytes cannot stretch a request past it, and answers are read up to a limit.

MAX_BODY = 16 * 1024 * 1024  # far above any answer Ollama gives to these requests
MAX_LINE = 1024 * 1024  # one NDJSON or SSE line


class HttpProblem(Exception):
    """No usable HTTP answer; the message is one line saying what came back instead.
    ``kind`` is one of: url, timeout, connect, malformed, redirect, too-large."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def printable(text: str) -> str:
    """Text from a server, safe to print: control characters (ESC too) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class _ArmedSocket:
    """A connected socket (plain or TLS) whose every wait ends by ``deadline``
    (time.monotonic()), and lasts at most ``idle`` seconds when that is given. A wrapper,
    not a subclass, so it works on whatever socket class is in use (gevent's too)."""

    def __init__(self, sock, deadline: float, idle):
        self._sock, self.deadline, self.idle = sock, deadline, idle
        self._files, self._closed = 0, False  # as socket.socket: close when both are done

    def _arm(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(left if self.idle is None else min(left, self.idle))

    def recv_into(self, *args):
        self._arm()
        return self._sock.recv_into(*args)

    def sendall(self, *args):
        self._arm()
        return self._sock.sendall(*args)

    def makefile(self, mode="rb", buffering=None):
        self._files += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"))

    def _decref_socketios(self) -> None:
        self._files -= 1
        if self._closed and self._files <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self._sock.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Connection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, tls: bool, deadline: float, idle):
        super().__init__(host, port)
        self.tls, self.deadline, self.idle = tls, deadline, idle

    def connect(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        sock = socket.create_connection((self.host, self.port), min(left, self.idle or left))
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = _ArmedSocket(sock, self.deadline, self.idle)


def split_url(url: str) -> tuple[bool, str, int]:
    """(tls, host, port) of an http(s) URL, or HttpProblem saying what is wrong."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise HttpProblem(f"{printable(url)!r} is not a usable URL ({err})", "url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpProblem(
            f"{printable(url)!r} is not an http:// or https:// URL with a host", "url"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise HttpProblem(
            f"{printable(url)!r}: give the server as scheme://host:port, with no query, "
            "fragment or user",
            "url",
        )
    if any(not (c.isprintable() and not c.isspace()) for c in url):
        raise HttpProblem(f"{printable(url)!r} holds spaces or control characters", "url")
    tls = parts.scheme == "https"
    return tls, parts.hostname, port or (443 if tls else 80)


def describe(err: BaseException, seconds: float) -> tuple[str, str]:
    """One line and a kind for what went wrong on the wire."""
    if isinstance(err, (TimeoutError, socket.timeout)):
        return f"no complete answer within {seconds:g}s", "timeout"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering", "malformed"
    if isinstance(err, http.client.BadStatusLine):
        return f"not an HTTP answer: status line {short(repr(err.args[0]), 120)}", "malformed"
    if isinstance(err, http.client.LineTooLong):
        return "an answer whose status or header line is longer than 64 KiB", "malformed"
    if isinstance(err, http.client.IncompleteRead):
        return "the answer ended before the length it announced", "malformed"
    if isinstance(err, http.client.HTTPException):
        return f"a malformed HTTP answer ({short(printable(err), 120)})", "malformed"
    if isinstance(err, socket.gaierror):
        return f"cannot resolve the host name ({err.strerror or err})", "connect"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (nothing listens there)", "connect"
    if isinstance(err, (ConnectionError, ssl.SSLError)):
        return f"the connection failed ({short(printable(err), 120)})", "connect"
    if isinstance(err, OSError):
        return f"the connection failed ({short(printable(err.strerror or err), 120)})", "connect"
    return f"{type(err).__name__}: {short(printable(err), 120)}", "url"


class Answer:
    """An HTTP answer whose status and headers are read; the body is read on demand."""

    def __init__(self, conn: _Connection, response, seconds: float):
        self._conn, self._response, self._seconds = conn, response, seconds
        self.status = response.status
        self.headers = response.headers

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._response.close()  # its file holds the socket open until it is closed too
        self._conn.close()

    def _guard(self, read):
        try:
            return read()
        except Exception as err:  # every failure on the wire becomes one line
            self.close()
            raise HttpProblem(*describe(err, self._seconds)) from None

    def _ended_early(self) -> None:
        left = self._response.length  # bytes still owed, when Content-Length was given
        if left:
            self.close()
            raise HttpProblem(f"the answer ended early ({left} bytes short)", "malformed")

    def body(self, limit: int = MAX_BODY) -> bytes:
        chunks, size = [], 0
        while True:
            chunk = self._guard(lambda: self._response.read(65536))
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                self.close()
                raise HttpProblem(f"an answer larger than {limit // 1024} KiB", "too-large")
            chunks.append(chunk)
        self._ended_early()
        return b"".join(chunks)

    def lines(self, limit: int = MAX_LINE):
        """The body's lines as they arrive (for streams), each at most ``limit`` bytes."""
        while True:
            line = self._guard(lambda: self._response.readline(limit + 1))
            if not line:
                self._ended_early()
                return
            if len(line) > limit:
                self.close()
                raise HttpProblem(f"a line longer than {limit // 1024} KiB", "too-large")
            yield line


def http_request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict | None = None,
    *,
    timeout: float,
    deadline: float | None = None,
    idle: float | None = None,
) -> Answer:
    """Send one request and read the status and headers; the body is left to the caller.

    ``timeout`` bounds the whole request, body included; ``deadline`` (time.monotonic())
    can end it sooner; ``idle`` bounds a single wait. A redirect is an HttpProblem: it is
    never followed. Raises HttpProblem, with one line saying what went wrong."""
    tls, host, port = split_url(url)
    now = time.monotonic()
    end = now + timeout if deadline is None else min(deadline, now + timeout)
    seconds = round(max(0.0, end - now), 1)  # as said in a timeout's message
    conn = _Connection(host, port, tls, end, idle)
    try:
        conn.request(
            method, urllib.parse.urlsplit(url).path or "/", body=body, headers=headers or {}
        )
        response = conn.getresponse()
    except Exception as err:  # every failure on the wire becomes one line
        conn.close()
        raise HttpProblem(*describe(err, seconds)) from None
    answer = Answer(conn, response, seconds)
    if 300 <= answer.status < 400 and answer.status != 304:
        location = printable(answer.headers.get("Location", "(no Location)"))
        answer.close()
        raise HttpProblem(
            f"HTTP {answer.status}, a redirect to {short(location, 200)}; not followed",
            "redirect",
        )
    return answer


class Reply:
    def __init__(self, status: int, text: str):
        self.status, self.text = status, text

    def json(self, what: str):
        try:
            return json.loads(self.text)
        except ValueError:
            raise Failed(f"JSON from {what}", f"HTTP {self.status}: {short(self.text)}") from None

    def object(self, what: str) -> dict:
        """The body as a JSON object; anything else fails the check, saying what came."""
        body = self.json(what)
        if not isinstance(body, dict):
            raise Failed(f"a JSON object from {what}", f"JSON {kind(body)}: {short(self.text)}")
        return body


def kind(value) -> str:
    """The JSON name of a value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


class Client:
    """Talks to the server, keeping every exchange for --verbose.

    ``timeout`` bounds each request, body included; ``deadline`` (time.monotonic()) bounds
    the whole run."""

    def __init__(self, base: str, timeout: float, deadline: float | None = None):
        self.base, self.timeout, self.deadline = base, timeout, deadline
        self.exchanges: list[dict] = []

    def call(self, method: str, path: str, body: dict | None = None) -> Reply:
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if path.startswith("/v1/"):
            headers.update(
                {
                    "Authorization": "Bearer ollama",
                    "x-api-key": "ollama",
                    "anthropic-version": "2023-06-01",
                }
            )
        exchange = {"request": {"method": method, "url": url, "body": body}}
        self.exchanges.append(exchange)
        try:
            with http_request(
                url, method, data, headers, timeout=self.timeout, deadline=self.deadline
            ) as answer:
                reply = Reply(answer.status, answer.body().decode("utf-8", "replace"))
        except HttpProblem as err:
            exchange["response"] = {"error": str(err)}
            raise Unreachable(f"{method} {url}: {err}", err.kind) from None
        exchange["response"] = {"status": reply.status, "body": reply.text}
        return reply


class Unreachable(Exception):
    """No usable answer to a request; ``kind`` as in HttpProblem."""

    def __init__(self, message: str, kind: str = "connect"):
        super().__init__(message)
        self.kind = kind


def short(text: str, limit: int = 300) -> str:
    text = printable(" ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit] + "..."


def expect_ok(reply: Reply, what: str, hint: str = "") -> None:
    if reply.status != 200:
        raise Failed(f"HTTP 200 from {what}", f"HTTP {reply.status}: {short(reply.text)}", hint)


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """Server-sent events as (event name or None, data) in the order received."""
    events, name, data = [], None, []
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if data:
                events.append((name, "\n".join(data)))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    return events


def latest(model: str) -> str:
    """A bare model name means ':latest', as in Ollama."""
    return model if ":" in model.rsplit("/", 1)[-1] else model + ":latest"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d{1,9}", version.split("-")[0])[:3])


def dig(value, *keys):
    """value[k1][k2]... where each step has the right type, else None (answers are input)."""
    for key in keys:
        if isinstance(key, int):
            value = (
                value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
            )
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def items(value) -> list:
    """A JSON array's items; anything else has none."""
    return value if isinstance(value, list) else []


def text_of(value) -> str:
    return value if isinstance(value, str) else ""


NO_ANSWER_HINTS = {
    "connect": "Is Ollama running and listening on that address? On the server: `ollama -v`, "
    "`lsof -iTCP:11434 -sTCP:LISTEN`; from a client: `tailscale ping <server>`. "
    "Pass --server URL or set OLLAMA_API_BASE.",
    "timeout": "It took the connection but gave no complete answer in time: is Ollama busy, or "
    "is something else (a proxy) in between? Raise --timeout for a slow server.",
    "malformed": "That is not how Ollama answers: is something else listening at that address, "
    "or a proxy in between? --verbose shows the exchange.",
    "too-large": "Ollama's answers to these requests are small: is something else listening "
    "at that address?",
    "redirect": "Ollama does not redirect, so something else answered; nothing was sent to the "
    "new address. Pass the server's own address with --server.",
    "url": "Give the server as http://host:port, e.g. --server http://ai-server:11434.",
}


# --- the context shared by checks ---------------------------------------------------------


class Context:
    def __init__(self, client: Client, model: str | None, skip_anthropic: bool, home: Path):
        self.http = client
        self.wanted_model = model
        self.model: str | None = None
        self.server_models: list[str] | None = None
        self.version: str | None = None
        self.reachable: bool | None = None
        self.messages_route: bool | None = None  # False once POST /v1/messages is a 404
        self.skip_anthropic = skip_anthropic
        self.home = home
        self.env: dict[str, str] | None = None

    def need_server(self) -> None:
        if self.reachable is False:
            raise Skipped("no usable answer from the server (see the version check)")

    def need_model(self) -> str:
        self.need_server()
        if not self.model:
            raise Skipped("no model to test with (see the models check)")
        return self.model

    def need_anthropic(self) -> str:
        if self.skip_anthropic:
            raise Skipped("--skip-anthropic given")
        self.need_server()
        if self.version and version_tuple(self.version) < MIN_VERSION:
            raise Skipped(f"server is Ollama {self.version}; /v1/messages needs 0.14.0 or later")
        if self.messages_route is False:
            raise Skipped("POST /v1/messages is not there (see the first /v1/messages check)")
        return self.need_model()

    def need_env(self) -> dict[str, str]:
        if self.env is None:
            raise Skipped(f"~/{ENV_FILE} is missing or unreadable (see the env file check)")
        return self.env


# --- native ------------------------------------------------------------------------------


def check_version(ctx: Context) -> str:
    try:
        reply = ctx.http.call("GET", "/api/version")
    except Unreachable as err:
        ctx.reachable = False
        raise Failed(
            "an answer from GET /api/version",
            f"no usable answer: {err}",
            NO_ANSWER_HINTS.get(err.kind, NO_ANSWER_HINTS["connect"]),
        ) from None
    ctx.reachable = False  # until the answer is a usable one: one cause, one failure
    expect_ok(reply, "GET /api/version")
    version = reply.object("GET /api/version").get("version")
    if not isinstance(version, str) or not version_tuple(version):
        raise Failed(
            "a version like 0.14.2", short(repr(version)), "Is this really an Ollama server?"
        )
    ctx.reachable, ctx.version = True, version
    if version_tuple(version) < MIN_VERSION:
        raise Failed(
            ">= 0.14.0 (the first with the Anthropic API /v1/messages)",
            short(version),
            "Upgrade Ollama on the server: set `ollama_version` and converge, or `brew upgrade ollama`.",
        )
    return f"Ollama {short(version)}"


def check_models(ctx: Context) -> str:
    ctx.need_server()
    reply = ctx.http.call("GET", "/api/tags")
    expect_ok(reply, "GET /api/tags")
    body = reply.object("GET /api/tags")
    if not isinstance(body.get("models", []), list):
        raise Failed('{"models": [...]}', short(reply.text))
    names = [dig(m, "name") or dig(m, "model") for m in items(body.get("models"))]
    names = [short(n, 200) for n in names if isinstance(n, str) and n]
    ctx.server_models = names
    pull_hint = (
        "Declare it in `models` and converge, or run `remote-ollama warm MODEL` on the server."
    )
    if not names:
        raise Failed("at least one model in /api/tags", "no models", pull_hint)
    if ctx.wanted_model:
        if latest(ctx.wanted_model) not in {latest(n) for n in names}:
            raise Failed(f"model {ctx.wanted_model} in /api/tags", ", ".join(names), pull_hint)
        ctx.model = ctx.wanted_model
    else:
        ctx.model = names[0]
    return f"{len(names)} model(s): {', '.join(names)}; testing with {ctx.model}"


# --- OpenAI ------------------------------------------------------------------------------


def check_openai_models(ctx: Context) -> str:
    model = ctx.need_model()
    reply = ctx.http.call("GET", "/v1/models")
    expect_ok(reply, "GET /v1/models")
    body = reply.object("GET /v1/models")
    ids = [dig(m, "id") for m in items(body.get("data"))]
    if body.get("object") != "list" or latest(model) not in {latest(str(i)) for i in ids}:
        raise Failed(
            f'{{"object": "list", "data": [... {{"id": "{model}"}} ...]}}',
            short(reply.text),
            "The OpenAI API needs Ollama 0.1.24 or later.",
        )
    return f"{len(ids)} model(s) listed"


def check_openai_model(ctx: Context) -> str:
    model = ctx.need_model()
    reply = ctx.http.call("GET", "/v1/models/" + urllib.parse.quote(model, safe=":/"))
    expect_ok(reply, f"GET /v1/models/{model}")
    body = reply.object(f"GET /v1/models/{model}")
    if body.get("object") != "model" or latest(str(body.get("id"))) != latest(model):
        raise Failed(f'{{"id": "{model}", "object": "model", ...}}', short(reply.text))
    return f"id {short(body['id'], 100)}, owned_by {short(body.get('owned_by'), 100)}"


def chat_request(model: str, **extra) -> dict:
    return {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 64,
        "temperature": 0,
        **extra,
    }


def check_openai_chat(ctx: Context) -> str:
    model = ctx.need_model()
    reply = ctx.http.call("POST", "/v1/chat/completions", chat_request(model, stream=False))
    expect_ok(reply, "POST /v1/chat/completions")
    body = reply.object("POST /v1/chat/completions")
    message = dig(body, "choices", 0, "message")
    missing = [f for f in ("id", "choices", "usage") if f not in body]
    if body.get("object") != "chat.completion" or missing or dig(message, "role") != "assistant":
        raise Failed(
            "a chat.completion with id, choices[0].message (role assistant) and usage",
            short(reply.text) + (f" (missing: {', '.join(missing)})" if missing else ""),
        )
    text = text_of(dig(message, "content")) or text_of(dig(message, "reasoning"))
    if not text.strip():
        raise Failed("some reply text", short(reply.text), "Try another model with --model.")
    return f"replied {short(text, 60)!r}"


def stream_chunks(reply: Reply) -> tuple[list[dict], bool]:
    """The JSON chunks of an OpenAI stream and whether it ended with `data: [DONE]`."""
    events = [data for _name, data in sse_events(reply.text)]
    chunks = []
    for data in events:
        if data == "[DONE]":
            continue
        try:
            chunk = json.loads(data)
        except ValueError:
            raise Failed("JSON in every data: line", short(data)) from None
        if not isinstance(chunk, dict):
            raise Failed("a JSON object in every data: line", short(data))
        chunks.append(chunk)
    return chunks, bool(events) and events[-1] == "[DONE]"


def check_openai_stream(ctx: Context) -> str:
    model = ctx.need_model()
    reply = ctx.http.call("POST", "/v1/chat/completions", chat_request(model, stream=True))
    expect_ok(reply, "POST /v1/chat/completions (stream)")
    chunks, done = stream_chunks(reply)
    if not chunks or any(c.get("object") != "chat.completion.chunk" for c in chunks):
        raise Failed("data: lines holding chat.completion.chunk objects", short(reply.text))
    choices = [ch for c in chunks for ch in items(c.get("choices"))]
    if not any(dig(ch, "finish_reason") for ch in choices):
        raise Failed("a chunk with a finish_reason", f"{len(chunks)} chunks, none finished")
    if not done:
        raise Failed(
            "the stream to end with `data: [DONE]`",
            f"{len(chunks)} chunks, last line {short(reply.text.strip().splitlines()[-1], 100)!r}",
            "OpenAI clients wait for [DONE]; check for a proxy cutting the stream.",
        )
    text = "".join(text_of(dig(ch, "delta", "content")) for ch in choices)
    return f"{len(chunks)} chunks, text {short(text, 60)!r}"


def check_openai_usage(ctx: Context) -> str:
    model = ctx.need_model()
    body = chat_request(model, stream=True, stream_options={"include_usage": True})
    reply = ctx.http.call("POST", "/v1/chat/completions", body)
    expect_ok(reply, "POST /v1/chat/completions (stream, include_usage)")
    chunks, _done = stream_chunks(reply)
    usages = [c["usage"] for c in chunks if isinstance(c.get("usage"), dict)]
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    if not usages or not all(isinstance(usages[-1].get(k), int) for k in keys):
        raise Failed(
            "a final chunk with usage {prompt_tokens, completion_tokens, total_tokens}",
            f"{len(chunks)} chunks, usage: {short(usages[-1]) if usages else 'none'}",
            "stream_options.include_usage needs Ollama 0.5.x or later.",
        )
    return "usage " + ", ".join(f"{k}={usages[-1][k]}" for k in keys)


def check_openai_json(ctx: Context) -> str:
    model = ctx.need_model()
    body = chat_request(
        model, stream=False, max_tokens=128, response_format={"type": "json_object"}
    )
    body["messages"] = [
        {"role": "system", "content": "You reply only with JSON."},
        {"role": "user", "content": 'Return a JSON object with key "ok" set to true.'},
    ]
    reply = ctx.http.call("POST", "/v1/chat/completions", body)
    expect_ok(reply, "POST /v1/chat/completions (json_object)")
    content = text_of(dig(reply.object("chat completions"), "choices", 0, "message", "content"))
    try:
        parsed = json.loads(content)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise Failed(
            "message content that parses as a JSON object",
            short(content) or "(empty)",
            "The model may ignore JSON mode; try another model with --model.",
        )
    return f"content {short(content, 60)}"


# --- Anthropic ---------------------------------------------------------------------------

MESSAGE_FIELDS = ("id", "type", "role", "content", "model", "stop_reason", "usage")


def messages_request(model: str, **extra) -> dict:
    return {
        "model": model,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": PROMPT}],
        **extra,
    }


def anthropic_error(reply: Reply):
    """The Anthropic error object of a reply ({"type": "error", "error": {...}}), or None."""
    try:
        body = json.loads(reply.text)
    except ValueError:
        return None
    error = dig(body, "error")
    return error if dig(body, "type") == "error" and isinstance(error, dict) else None


def route_missing(ctx: Context, reply: Reply) -> None:
    """Say once, with what to do, when POST /v1/messages is not there at all."""
    if reply.status not in (404, 405) or anthropic_error(reply) is not None:
        return
    ctx.messages_route = False
    version = ctx.version or "unknown"
    if ctx.version and version_tuple(ctx.version) < MIN_VERSION:
        hint = (
            f"Ollama {version} is too old: /v1/messages came in 0.14.0. Upgrade it "
            "(set `ollama_version` and converge, or `brew upgrade ollama`)."
        )
    else:
        hint = (
            f"The server says it is Ollama {short(version, 40)}, which has /v1/messages, yet the "
            "route is missing: a proxy in front of Ollama does not pass it on. Let the proxy pass "
            "/v1/messages, or point --server (and the clients) at Ollama itself."
        )
    raise Failed(
        "POST /v1/messages to exist (the Anthropic API, Ollama 0.14.0 and later)",
        f"HTTP {reply.status}: {short(reply.text, 120)}",
        hint,
    )


def validate_message(ctx: Context, reply: Reply, what: str) -> str:
    route_missing(ctx, reply)
    expect_ok(reply, what)
    body = reply.object(what)
    missing = [f for f in MESSAGE_FIELDS if body.get(f) is None]
    usage = body.get("usage")
    missing += [
        f"usage.{k}"
        for k in ("input_tokens", "output_tokens")
        if not isinstance(dig(usage, k), int)
    ]
    if missing or body.get("type") != "message" or body.get("role") != "assistant":
        raise Failed(
            f"a message with {', '.join(MESSAGE_FIELDS)} (type message, role assistant)",
            f"missing {', '.join(missing) or 'nothing'} in {short(reply.text)}",
            "Claude Code needs every one of these fields; upgrade Ollama.",
        )
    texts = [text_of(dig(b, "text")) for b in items(body["content"]) if dig(b, "type") == "text"]
    return f"stop_reason {short(body['stop_reason'], 40)}, text {short(''.join(texts), 60)!r}"


def check_anthropic_plain(ctx: Context) -> str:
    model = ctx.need_anthropic()
    reply = ctx.http.call("POST", "/v1/messages", messages_request(model))
    return validate_message(ctx, reply, "POST /v1/messages")


def event_order_problem(names: list[str]) -> str | None:
    """Where the events leave message_start (block_start delta* block_stop)+ message_delta
    message_stop, as a sentence, or None when they follow it."""
    state = "start"
    allowed = {
        "start": {"message_start"},
        "message": {"content_block_start"},
        "block": {"content_block_delta", "content_block_stop"},
        "between": {"content_block_start", "message_delta"},
        "delta": {"message_stop"},
        "stop": set(),
    }
    after = {
        "message_start": "message",
        "content_block_start": "block",
        "content_block_delta": "block",
        "content_block_stop": "between",
        "message_delta": "delta",
        "message_stop": "stop",
    }
    for i, name in enumerate(names):
        if name not in allowed[state]:
            want = " or ".join(sorted(allowed[state])) or "nothing"
            return f"event {i + 1} is {name}, expected {want}"
        state = after[name]
    return None if state == "stop" else f"stream ended before message_stop (after {names[-1:]})"


def compress(names: list[str]) -> str:
    out: list[str] = []
    for name in names:
        if out and out[-1].split(" x")[0] == name:
            count = int(out[-1].split(" x")[1]) + 1 if " x" in out[-1] else 2
            out[-1] = f"{name} x{count}"
        else:
            out.append(name)
    return " -> ".join(out) or "(no events)"


def check_anthropic_stream(ctx: Context) -> str:
    model = ctx.need_anthropic()
    reply = ctx.http.call("POST", "/v1/messages", messages_request(model, stream=True))
    route_missing(ctx, reply)
    expect_ok(reply, "POST /v1/messages (stream)")
    names = []
    for name, data in sse_events(reply.text):
        try:
            event = json.loads(data)
        except ValueError:
            raise Failed("JSON in every data: line", short(data)) from None
        kind = dig(event, "type")
        if not isinstance(kind, str):
            raise Failed('a JSON object with a "type" in every data: line', short(data))
        if kind == "error":
            raise Failed("a stream without error events", short(data))
        if name and name != kind:
            raise Failed(
                "event: names matching each data's type",
                f"event {short(name)} with type {short(kind)}",
            )
        if kind != "ping":
            names.append(short(kind, 40))
    problem = event_order_problem(names)
    if problem:
        raise Failed(
            "message_start -> content_block_start -> content_block_delta* -> "
            "content_block_stop -> message_delta -> message_stop",
            f"{compress(names)} ({problem})",
            "Claude Code relies on this order; upgrade Ollama or remove any proxy.",
        )
    return compress(names)


def check_anthropic_system(ctx: Context) -> str:
    model = ctx.need_anthropic()
    body = messages_request(model, system="You are a terse assistant. Answer in lowercase.")
    reply = ctx.http.call("POST", "/v1/messages", body)
    return validate_message(ctx, reply, "POST /v1/messages (system prompt)")


def check_anthropic_unknown(ctx: Context) -> str:
    ctx.need_anthropic()
    reply = ctx.http.call("POST", "/v1/messages", messages_request(UNKNOWN_MODEL))
    expected = (
        f'HTTP 404 {{"type": "error", "error": {{"type": "not_found_error"}}}} for {UNKNOWN_MODEL}'
    )
    error = anthropic_error(reply)
    if reply.status == 200:
        raise Failed(
            expected,
            f"HTTP 200: {short(reply.text)}",
            "The server answers for models it does not have; is a proxy mapping names?",
        )
    if reply.status != 404 or error is None or error.get("type") != "not_found_error":
        raise Failed(
            expected,
            f"HTTP {reply.status}: {short(reply.text)}",
            "Claude Code shows this error to users; upgrade Ollama.",
        )
    return f"HTTP 404 not_found_error: {short(text_of(error.get('message')), 80)}"


# --- client ------------------------------------------------------------------------------


def read_env_file(path: Path) -> tuple[list[str], dict[str, str], list[str]]:
    """(keys in order, values, problems) of an env file of `export KEY=VALUE` lines."""
    lines = path.read_text().splitlines()
    keys, values, problems = [], {}, []
    if not lines or lines[0] != ENV_HEADER:
        problems.append(f"first line is {lines[0] if lines else '(empty file)'!r}, not the header")
    for number, line in enumerate(lines[1:], start=2):
        match = re.fullmatch(r"export ([A-Z_][A-Z0-9_]*)=(\S*)", line)
        if not match:
            problems.append(f"line {number} is not `export KEY=VALUE`: {line!r}")
            continue
        if match.group(1) in values:
            problems.append(f"{match.group(1)} is set twice")
        keys.append(match.group(1))
        values[match.group(1)] = match.group(2)
    return keys, values, problems


def check_env_file(ctx: Context) -> str:
    path = ctx.home / ENV_FILE
    if not path.is_file():
        raise Failed(
            f"the file ~/{ENV_FILE}",
            "no such file",
            "Converge this client with the client deploy (it writes the file).",
        )
    keys, values, problems = read_env_file(path)
    ctx.env = values
    wanted = [k for k in ENV_KEYS if k != "AIDER_MODEL" or "AIDER_MODEL" in values]
    if keys != wanted:
        problems.append(f"keys are {', '.join(keys) or 'none'}")
    if problems:
        raise Failed(
            f"the header line, then export lines for exactly {', '.join(wanted)}",
            "; ".join(problems),
            "Converge this client again; the file is managed.",
        )
    return ", ".join(keys)


def check_ollama_base(ctx: Context) -> str:
    base = ctx.need_env().get("OLLAMA_API_BASE", "")
    if not re.fullmatch(r"https?://[^/\s]+:\d+", base):
        raise Failed(
            "OLLAMA_API_BASE=http://<server>:<port> (no path, no /v1, no trailing /)",
            f"OLLAMA_API_BASE={base}",
            "Aider adds /api/... itself; set the server URL without a path and converge.",
        )
    if ctx.http is not None and not same_server(base, ctx.http.base):
        raise Failed(
            f"OLLAMA_API_BASE to name the server being checked, {ctx.http.base}",
            f"OLLAMA_API_BASE={base}",
            f"This client's tools use {base}, so the checks above say nothing about it. Run "
            "`remote-ollama check` without --server (and OLLAMA_API_BASE unset) to check that "
            f"server, or converge this client to point it at {ctx.http.base}.",
        )
    return base


def addresses(host: str, seconds: float = 3.0) -> set:
    """The addresses a host name resolves to; empty if it does not within ``seconds``."""
    found: set = set()

    def look() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            found.update(info[4][0] for info in socket.getaddrinfo(host, None))

    worker = threading.Thread(target=look, daemon=True)
    worker.start()
    worker.join(seconds)
    return set(found)


def same_server(one: str, other: str) -> bool:
    """Whether two base URLs reach the same server: same scheme and port, and the same
    host name or an address in common."""
    try:
        a, b = split_url(one), split_url(other)
    except HttpProblem:
        return False
    if (a[0], a[2]) != (b[0], b[2]):
        return False
    return a[1].lower() == b[1].lower() or bool(addresses(a[1]) & addresses(b[1]))


def check_openai_base(ctx: Context) -> str:
    env = ctx.need_env()
    want = env.get("OLLAMA_API_BASE", "") + "/v1"
    if env.get("OPENAI_API_BASE") != want:
        raise Failed(
            f"OPENAI_API_BASE={want}",
            f"OPENAI_API_BASE={env.get('OPENAI_API_BASE')}",
            "OPENAI_API_BASE must be OLLAMA_API_BASE plus /v1; converge this client.",
        )
    return want


def check_api_key(ctx: Context) -> str:
    env = ctx.need_env()
    problems = []
    if env.get("OPENAI_API_KEY") != "ollama":
        problems.append(f"OPENAI_API_KEY={env.get('OPENAI_API_KEY')}")
    if env.get("LITELLM_LOCAL_MODEL_COST_MAP") != "True":
        problems.append(f"LITELLM_LOCAL_MODEL_COST_MAP={env.get('LITELLM_LOCAL_MODEL_COST_MAP')}")
    if problems:
        raise Failed(
            "OPENAI_API_KEY=ollama and LITELLM_LOCAL_MODEL_COST_MAP=True",
            ", ".join(problems),
            "Converge this client again.",
        )
    return "OPENAI_API_KEY=ollama, LITELLM_LOCAL_MODEL_COST_MAP=True"


def check_aider_model(ctx: Context) -> str:
    env = ctx.need_env()
    if "AIDER_MODEL" not in env:
        raise Skipped("no AIDER_MODEL (no default model set)")
    value = env["AIDER_MODEL"]
    if not value.startswith("ollama_chat/") or len(value) == len("ollama_chat/"):
        raise Failed(
            "AIDER_MODEL=ollama_chat/<model>",
            f"AIDER_MODEL={value}",
            "Aider needs the ollama_chat/ prefix to use /api/chat; converge again.",
        )
    model = value[len("ollama_chat/") :]
    if ctx.server_models is not None and latest(model) not in {
        latest(m) for m in ctx.server_models
    }:
        raise Failed(
            f"{model} among the server's models",
            ", ".join(ctx.server_models) or "none",
            "Add it to `models` on the server and converge, or change default_model.",
        )
    return value


def check_profile_block(ctx: Context) -> str:
    found = []
    for name in PROFILE_FILES:
        path = ctx.home / name
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")  # any bytes: the user's file
            lines = [line.strip() for line in text.split("\n")]
            starts, ends = lines.count(PROFILE_START), lines.count(PROFILE_END)
            if starts or ends:
                ordered = starts == ends == 1 and lines.index(PROFILE_START) < lines.index(
                    PROFILE_END
                )
                sources = ordered and any(
                    ENV_FILE in line
                    for line in lines[lines.index(PROFILE_START) : lines.index(PROFILE_END)]
                )
                found.append((name, starts, ends, sources))
    expected = f"one `{PROFILE_START}` ... `{PROFILE_END}` block sourcing ~/{ENV_FILE}, in ~/.zshrc or ~/.bashrc"
    hint = "Converge this client again; it rewrites the block."
    if not found:
        raise Failed(expected, "no block in ~/.zshrc or ~/.bashrc", hint)
    if len(found) > 1 or found[0][1] != 1 or found[0][2] != 1 or not found[0][3]:
        got = "; ".join(
            f"~/{n}: {s} start and {e} end marker(s)" + ("" if ok else ", not sourcing the env")
            for n, s, e, ok in found
        )
        raise Failed(expected, got, hint)
    return f"once, in ~/{found[0][0]}"


# --- the plan and the run ----------------------------------------------------------------

SERVER_CHECKS = (
    ("native", "server version is at least 0.14.0", check_version),
    ("native", "at least one model is present", check_models),
    ("openai", "GET /v1/models lists the model", check_openai_models),
    ("openai", "GET /v1/models/{model}", check_openai_model),
    ("openai", "chat completion", check_openai_chat),
    ("openai", "chat completion, streaming", check_openai_stream),
    ("openai", "streaming with stream_options.include_usage", check_openai_usage),
    ("openai", "JSON mode (response_format json_object)", check_openai_json),
    ("anthropic", "/v1/messages has the required fields", check_anthropic_plain),
    ("anthropic", "/v1/messages streaming event order", check_anthropic_stream),
    ("anthropic", "/v1/messages with a system prompt", check_anthropic_system),
    ("anthropic", "/v1/messages unknown model gives not_found_error", check_anthropic_unknown),
)
CLIENT_CHECKS = (
    ("client", f"~/{ENV_FILE} has exactly the contract's lines", check_env_file),
    ("client", "OLLAMA_API_BASE is the server URL without /v1", check_ollama_base),
    ("client", "OPENAI_API_BASE is OLLAMA_API_BASE + /v1", check_openai_base),
    ("client", "OPENAI_API_KEY and LITELLM_LOCAL_MODEL_COST_MAP", check_api_key),
    ("client", "AIDER_MODEL uses ollama_chat/ and a served model", check_aider_model),
    ("client", "profile block is present exactly once", check_profile_block),
)


def env_file_value(home: Path, key: str) -> str | None:
    try:
        return read_env_file(home / ENV_FILE)[1].get(key)
    except (OSError, ValueError):
        return None


def resolve_server(server: str | None, home: Path, client: bool) -> str:
    """--server, else $OLLAMA_API_BASE, else (on a client) the env file's, else loopback."""
    url = (
        server
        or os.environ.get("OLLAMA_API_BASE")
        or (env_file_value(home, "OLLAMA_API_BASE") if client else None)
        or DEFAULT_SERVER
    )
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url[:-3] if url.endswith("/v1") else url


def run_checks(
    server=None,
    model=None,
    *,
    skip_anthropic=False,
    client=None,
    home=None,
    timeout=120.0,
    deadline=DEFAULT_DEADLINE,
    on_result=None,
) -> dict:
    """Run every check; return {"server", "model", "version", "client", "checks": [...],
    "summary": {"passed", "failed", "skipped"}, "ok"}. on_result(index, total, check) is
    called after each check, for progress output. ``timeout`` bounds each request and
    ``deadline`` the whole run, in seconds; checks left when it passes are skipped."""
    home = Path(home) if home else Path.home()
    if client is None:
        client = (home / ENV_FILE).exists()
    base = resolve_server(server, home, client)
    end = time.monotonic() + deadline
    ctx = Context(Client(base, timeout, end), model, skip_anthropic, home)
    plan = SERVER_CHECKS + (CLIENT_CHECKS if client else ())
    results = []
    for index, (group, name, func) in enumerate(plan, start=1):
        ctx.http.exchanges = []
        result = {"group": group, "name": name}
        try:
            if group != "client" and time.monotonic() >= end:
                raise Skipped(f"the run's deadline ({deadline:g}s, --deadline) has passed")
            result.update(status=PASS, detail=func(ctx))
        except Failed as err:
            result.update(status=FAIL, expected=err.expected, got=err.got, hint=err.hint)
        except Skipped as err:
            result.update(status=SKIP, detail=str(err))
        except Unreachable as err:
            result.update(
                status=FAIL,
                expected="an answer from the server",
                got=str(err),
                hint=NO_ANSWER_HINTS.get(err.kind, "")
                + " The server answered the earlier checks; look at its log.",
            )
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as err:
            last = (ctx.http.exchanges[-1:] or [{}])[0].get("response", {})
            result.update(
                status=FAIL,
                expected="an answer shaped as the API documents",
                got=f"{short(last.get('body', ''), 200)} ({type(err).__name__}: {short(err, 100)})",
                hint="Is this really an Ollama server? --verbose shows the exchange.",
            )
        result["exchanges"] = ctx.http.exchanges
        results.append(result)
        if on_result:
            on_result(index, len(plan), result)
    summary = {
        key: sum(r["status"] == status for r in results)
        for key, status in (("passed", PASS), ("failed", FAIL), ("skipped", SKIP))
    }
    return {
        "server": base,
        "model": ctx.model,
        "version": ctx.version,
        "client": client,
        "checks": results,
        "summary": summary,
        "ok": summary["failed"] == 0,
    }


# --- command line ------------------------------------------------------------------------

EXAMPLES = """examples:
  remote-ollama check                                  # $OLLAMA_API_BASE or 127.0.0.1:11434
  remote-ollama check --server http://ai-server:11434 --model qwen2.5-coder:7b
  remote-ollama check --skip-anthropic --json > report.json
  python3 contract.py --server http://127.0.0.1:11434  # the same, as a standalone file

exit code 0 only when no check failed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        metavar="URL",
        help="Ollama base URL (default: $OLLAMA_API_BASE, else " + DEFAULT_SERVER + ")",
    )
    parser.add_argument("--model", help="model to test with (default: the first in /api/tags)")
    parser.add_argument(
        "--skip-anthropic", action="store_true", help="skip the /v1/messages checks"
    )
    parser.add_argument(
        "--client",
        dest="client",
        action="store_true",
        default=None,
        help=f"also check this client's env file and profile (default: when ~/{ENV_FILE} exists)",
    )
    parser.add_argument(
        "--no-client", dest="client", action="store_false", help="never run the client checks"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show request and response bodies"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=120.0,
        help="seconds one request may take, start to finish (default 120; a cold model can "
        "take a while)",
    )
    parser.add_argument(
        "--deadline",
        type=seconds,
        default=DEFAULT_DEADLINE,
        help=f"seconds the whole run may take (default {DEFAULT_DEADLINE:g}); checks left "
        "then are skipped",
    )


def seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def print_result(index: int, total: int, result: dict, verbose: bool, state: dict) -> None:
    if state.get("group") != result["group"]:
        state["group"] = result["group"]
        print(result["group"])
    width = len(str(total))
    label = {PASS: "pass", FAIL: "FAIL", SKIP: "skip"}[result["status"]]
    line = f"  [{index:>{width}}/{total}] {label}  {result['name']}"
    print(line + (f": {result['detail']}" if result.get("detail") else ""))
    pad = " " * (width * 2 + 12)
    if result["status"] == FAIL:
        print(f"{pad}expected: {result['expected']}")
        print(f"{pad}got:      {result['got']}")
        if result.get("hint"):
            print(f"{pad}try:      {result['hint']}")
    if verbose:
        for exchange in result["exchanges"]:
            req, resp = exchange["request"], exchange.get("response", {})
            print(
                f"{pad}> {req['method']} {req['url']}"
                + (f" {json.dumps(req['body'])}" if req["body"] is not None else "")
            )
            text = resp.get("body", resp.get("error", ""))
            print(f"{pad}< {resp.get('status', 'no answer')} " + short(text, 2000))
    sys.stdout.flush()


def run_cli(args: argparse.Namespace) -> int:
    state: dict = {}
    client = (Path.home() / ENV_FILE).exists() if args.client is None else args.client
    server = resolve_server(args.server, Path.home(), client)
    try:
        split_url(server)
    except HttpProblem as err:
        print(f"remote-ollama check: error: {err}. {NO_ANSWER_HINTS['url']}", file=sys.stderr)
        return 2
    if not args.json:
        print(f"remote-ollama check: {server}")

    def progress(index, total, result):
        if not args.json:
            print_result(index, total, result, args.verbose, state)

    report = run_checks(
        args.server,
        args.model,
        skip_anthropic=args.skip_anthropic,
        client=client,
        timeout=args.timeout,
        deadline=args.deadline,
        on_result=progress,
    )
    if args.json:
        if not args.verbose:
            for result in report["checks"]:
                result.pop("exchanges", None)
        print(json.dumps(report, indent=2))
    else:
        s = report["summary"]
        print(f"{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped")
    return 0 if report["ok"] else 1


def command_line(argv, prog: str, description: str, epilog: str, add_options, run) -> int:
    """The ``main()`` of each shipped tool (this file, warm.py): ``add_options`` fills an
    argparse parser, whose parse of ``argv`` (None: sys.argv) ``run`` is given."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser)
    return run(parser.parse_args(argv))


def exit_as_script(main) -> None:
    """``sys.exit(main())`` for a shipped tool run as a script. A reader that left early
    (``python3 contract.py | head -3``) ends it quietly, with SIGPIPE's exit code 141."""
    try:
        sys.exit(main())
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def main(argv: list[str] | None = None) -> int:
    return command_line(
        argv,
        "contract.py",
        "Check an Ollama server (and this client) against the remote-ollama contract.",
        EXAMPLES,
        add_arguments,
        run_cli,
    )


if __name__ == "__main__":
    exit_as_script(main)
