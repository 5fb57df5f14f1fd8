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
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
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


class Failed(Exception):
    """A check failed: what it expected, what came back, and what to try."""

    def __init__(self, expected: str, got: str, hint: str = ""):
        super().__init__(got)
        self.expected, self.got, self.hint = expected, got, hint


class Skipped(Exception):
    """A check cannot run here; the message says why."""


# --- HTTP ------------------------------------------------------------------------------


class Reply:
    def __init__(self, status: int, text: str):
        self.status, self.text = status, text

    def json(self, what: str):
        try:
            return json.loads(self.text)
        except ValueError:
            raise Failed(f"JSON from {what}", f"HTTP {self.status}: {short(self.text)}") from None


class Client:
    """Talks to the server, keeping every exchange for --verbose."""

    def __init__(self, base: str, timeout: float):
        self.base, self.timeout = base, timeout
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
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        exchange = {"request": {"method": method, "url": url, "body": body}}
        self.exchanges.append(exchange)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = Reply(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as err:
            reply = Reply(err.code, err.read().decode("utf-8", "replace"))
        except (TimeoutError, urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            exchange["response"] = {"error": str(reason)}
            raise Unreachable(f"{method} {url}: {reason}") from None
        exchange["response"] = {"status": reply.status, "body": reply.text}
        return reply


class Unreachable(Exception):
    pass


def short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
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
    return tuple(int(n) for n in re.findall(r"\d+", version.split("-")[0])[:3])


# --- the context shared by checks ---------------------------------------------------------


class Context:
    def __init__(self, client: Client, model: str | None, skip_anthropic: bool, home: Path):
        self.http = client
        self.wanted_model = model
        self.model: str | None = None
        self.server_models: list[str] | None = None
        self.version: str | None = None
        self.reachable: bool | None = None
        self.skip_anthropic = skip_anthropic
        self.home = home
        self.env: dict[str, str] | None = None

    def need_server(self) -> None:
        if self.reachable is False:
            raise Skipped("server did not answer (see the version check)")

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
            f"no answer: {err}",
            "Is Ollama running and listening on that address? On the server: `ollama -v`, "
            "`lsof -iTCP:11434 -sTCP:LISTEN`; from a client: `tailscale ping <server>`. "
            "Pass --server URL or set OLLAMA_API_BASE.",
        ) from None
    ctx.reachable = True
    expect_ok(reply, "GET /api/version")
    version = str(reply.json("GET /api/version").get("version", ""))
    ctx.version = version or None
    if not version_tuple(version):
        raise Failed("a version like 0.14.2", repr(version), "Is this really an Ollama server?")
    if version_tuple(version) < MIN_VERSION:
        raise Failed(
            ">= 0.14.0 (the first with the Anthropic API /v1/messages)",
            version,
            "Upgrade Ollama on the server: set `ollama_version` and converge, or `brew upgrade ollama`.",
        )
    return f"Ollama {version}"


def check_models(ctx: Context) -> str:
    ctx.need_server()
    reply = ctx.http.call("GET", "/api/tags")
    expect_ok(reply, "GET /api/tags")
    names = [m.get("name") or m.get("model") for m in reply.json("GET /api/tags").get("models", [])]
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
    body = reply.json("GET /v1/models")
    ids = [m.get("id") for m in body.get("data") or [] if isinstance(m, dict)]
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
    body = reply.json("GET /v1/models/{model}")
    if body.get("object") != "model" or latest(str(body.get("id"))) != latest(model):
        raise Failed(f'{{"id": "{model}", "object": "model", ...}}', short(reply.text))
    return f"id {body['id']}, owned_by {body.get('owned_by')}"


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
    body = reply.json("POST /v1/chat/completions")
    choices = body.get("choices") or [{}]
    message = choices[0].get("message") or {}
    missing = [f for f in ("id", "choices", "usage") if f not in body]
    if body.get("object") != "chat.completion" or missing or message.get("role") != "assistant":
        raise Failed(
            "a chat.completion with id, choices[0].message (role assistant) and usage",
            short(reply.text) + (f" (missing: {', '.join(missing)})" if missing else ""),
        )
    text = message.get("content") or message.get("reasoning") or ""
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
            chunks.append(json.loads(data))
        except ValueError:
            raise Failed("JSON in every data: line", short(data)) from None
    return chunks, bool(events) and events[-1] == "[DONE]"


def check_openai_stream(ctx: Context) -> str:
    model = ctx.need_model()
    reply = ctx.http.call("POST", "/v1/chat/completions", chat_request(model, stream=True))
    expect_ok(reply, "POST /v1/chat/completions (stream)")
    chunks, done = stream_chunks(reply)
    if not chunks or any(c.get("object") != "chat.completion.chunk" for c in chunks):
        raise Failed("data: lines holding chat.completion.chunk objects", short(reply.text))
    finished = [ch.get("finish_reason") for c in chunks for ch in c.get("choices") or []]
    if not any(finished):
        raise Failed("a chunk with a finish_reason", f"{len(chunks)} chunks, none finished")
    if not done:
        raise Failed(
            "the stream to end with `data: [DONE]`",
            f"{len(chunks)} chunks, last line {short(reply.text.strip().splitlines()[-1], 100)!r}",
            "OpenAI clients wait for [DONE]; check for a proxy cutting the stream.",
        )
    text = "".join(
        (ch.get("delta") or {}).get("content") or ""
        for c in chunks
        for ch in c.get("choices") or []
    )
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
            f"{len(chunks)} chunks, usage: {usages[-1] if usages else 'none'}",
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
    message = ((reply.json("chat completions").get("choices") or [{}])[0]).get("message") or {}
    content = message.get("content") or ""
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


def validate_message(reply: Reply, what: str) -> str:
    expect_ok(reply, what)
    body = reply.json(what)
    missing = [f for f in MESSAGE_FIELDS if body.get(f) is None]
    usage = body.get("usage") or {}
    missing += [
        f"usage.{k}" for k in ("input_tokens", "output_tokens") if not isinstance(usage.get(k), int)
    ]
    if missing or body.get("type") != "message" or body.get("role") != "assistant":
        raise Failed(
            f"a message with {', '.join(MESSAGE_FIELDS)} (type message, role assistant)",
            f"missing {', '.join(missing) or 'nothing'} in {short(reply.text)}",
            "Claude Code needs every one of these fields; upgrade Ollama.",
        )
    texts = [
        b.get("text", "")
        for b in body["content"]
        if isinstance(b, dict) and b.get("type") == "text"
    ]
    return f"stop_reason {body['stop_reason']}, text {short(''.join(texts), 60)!r}"


def check_anthropic_plain(ctx: Context) -> str:
    model = ctx.need_anthropic()
    return validate_message(
        ctx.http.call("POST", "/v1/messages", messages_request(model)), "POST /v1/messages"
    )


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
    expect_ok(reply, "POST /v1/messages (stream)")
    names = []
    for name, data in sse_events(reply.text):
        try:
            kind = json.loads(data).get("type")
        except ValueError:
            raise Failed("JSON in every data: line", short(data)) from None
        if kind == "error":
            raise Failed("a stream without error events", short(data))
        if name and name != kind:
            raise Failed("event: names matching each data's type", f"event {name} with type {kind}")
        if kind != "ping":
            names.append(kind)
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
    return validate_message(
        ctx.http.call("POST", "/v1/messages", body), "POST /v1/messages (system prompt)"
    )


def check_anthropic_unknown(ctx: Context) -> str:
    ctx.need_anthropic()
    reply = ctx.http.call("POST", "/v1/messages", messages_request(UNKNOWN_MODEL))
    expected = (
        f'HTTP 404 {{"type": "error", "error": {{"type": "not_found_error"}}}} for {UNKNOWN_MODEL}'
    )
    try:
        body = json.loads(reply.text)
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if reply.status == 200:
        raise Failed(
            expected,
            f"HTTP 200: {short(reply.text)}",
            "The server answers for models it does not have; is a proxy mapping names?",
        )
    if (
        reply.status != 404
        or body.get("type") != "error"
        or not isinstance(error, dict)
        or error.get("type") != "not_found_error"
    ):
        raise Failed(
            expected,
            f"HTTP {reply.status}: {short(reply.text)}",
            "Claude Code shows this error to users; upgrade Ollama.",
        )
    return f"HTTP 404 not_found_error: {short(error.get('message', ''), 80)}"


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
    return base


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
    except OSError:
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
    on_result=None,
) -> dict:
    """Run every check; return {"server", "model", "version", "client", "checks": [...],
    "summary": {"passed", "failed", "skipped"}, "ok"}. on_result(index, total, check) is
    called after each check, for progress output."""
    home = Path(home) if home else Path.home()
    if client is None:
        client = (home / ENV_FILE).exists()
    base = resolve_server(server, home, client)
    ctx = Context(Client(base, timeout), model, skip_anthropic, home)
    plan = SERVER_CHECKS + (CLIENT_CHECKS if client else ())
    results = []
    for index, (group, name, func) in enumerate(plan, start=1):
        ctx.http.exchanges = []
        result = {"group": group, "name": name}
        try:
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
                hint="The server stopped answering during the checks; look at its log.",
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
        type=float,
        default=120.0,
        help="seconds per request (default 120; a cold model can take a while)",
    )


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
    if not args.json:
        print(f"remote-ollama check: {resolve_server(args.server, Path.home(), client)}")

    def progress(index, total, result):
        if not args.json:
            print_result(index, total, result, args.verbose, state)

    report = run_checks(
        args.server,
        args.model,
        skip_anthropic=args.skip_anthropic,
        client=client,
        timeout=args.timeout,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="contract.py",
        description="Check an Ollama server (and this client) against the remote-ollama contract.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
