#!/usr/bin/env python3
"""A stand-in for `ollama serve`: the Ollama HTTP API, answered with short fixed replies.

TEST-ONLY CODE. It lets the testbed, the unit tests and real clients (Aider, Claude Code)
talk to "Ollama" where the real binary cannot be downloaded. Stdlib only, Python 3.10+,
so it runs unchanged inside the Debian test hosts and on loopback in unit tests.

Formats follow the documented sources (each handler cites its own):
  [API]  ollama/ollama docs/api.md                          native /api/* endpoints
  [OAI]  ollama/ollama docs/openai.md and openai/openai.go  /v1/models, /v1/chat/completions
  [ANT]  ollama/ollama docs/api/anthropic-compatibility.mdx and anthropic/anthropic.go,
         plus Anthropic's Messages API docs ("Streaming Messages": event flow
         message_start, content_block_start, content_block_delta*, content_block_stop,
         message_delta, message_stop)
  [ENV]  ollama/ollama envconfig/config.go                  OLLAMA_HOST parsing, defaults

Environment
  OLLAMA_HOST            bind address: 1.2.3.4 | 1.2.3.4:1234 | :1234 | [::1]:1234 |
                         http://x:1234 (a scheme with no port means 80). Default
                         127.0.0.1:11434. An address that is not up fails like Ollama:
                         "Error: listen tcp ...: bind: can't assign requested address", exit 1.
  OLLAMA_MODELS          model store (default ~/.ollama/models). A pulled model is a small
                         manifest file at manifests/<registry>/<namespace>/<model>/<tag>,
                         the real layout: it survives restarts; deleting it deletes the model.
  OLLAMA_KEEP_ALIVE      default keep_alive of loaded models (default 5m).
  OLLAMA_CONTEXT_LENGTH  context of a model loaded without options.num_ctx (0/unset = 4096).
  OLLAMA_STANDIN_VERSION version to report; else the file `ollama.version` next to the
                         executable; else 0.14.2.
  STANDIN_REQUEST_LOG    request log (default $OLLAMA_MODELS/../standin-requests.jsonl).
  STANDIN_FAULTS         fault file (default $OLLAMA_MODELS/.standin-faults.json).
Every OLLAMA_* variable is reported by GET /standin/env and in the log's "start" record.

Request log: one JSON object per line. {"event": "start", "env": {...}, ...} at startup,
then per request {"time", "method", "path", "query", "client", "body"}; body is the
parsed JSON (or text), so tests can read e.g. body.options.num_ctx of an Aider chat.

Fault file: JSON, re-read on every request, so faults switch at runtime with no restart
(delete the file or write {} to clear them). Keys, all optional:
  "fail_pull": ["m:tag", ...] or {"m:tag": "message"}
        /api/pull of these models streams a few status lines, then {"error": msg} on
        HTTP 200 (as Ollama does once the stream started); with "stream": false, HTTP 500.
  "version": "0.13.5"
        reported by /api/version; below 0.14.0 /v1/messages is absent (404), as it was.
  "messages_stream_events": ["message_start", "content_block_delta", "message_stop"]
        the event types /v1/messages streams, in this order (default: the documented
        order); a type listed once emits all of its events, e.g. every delta.
  "omit_fields": {"/v1/messages": ["stop_reason"], "/v1/chat/completions": ["usage"]}
        top-level fields dropped from that path's non-streaming reply.
  "http_500": ["/v1/chat/completions", "/api/*"]
        these paths answer HTTP 500 {"error": "..."} (a trailing * matches a prefix).
  "drop_done_marker": true      streaming chat completions end without "data: [DONE]".
  "ignore_include_usage": true  stream_options.include_usage sends no usage chunk.
  "json_mode_text": true        response_format json_object replies with plain text.
  "accept_unknown_models": true chat endpoints answer for models that are not pulled.
  "reply": "text"               the assistant's reply (default below).
  "pull_delay_seconds": 0.5     pause between pull status lines.

Stand-in extras (not Ollama's): GET /standin/env (environment, user, bind address) and
GET /standin/state (loaded models, their num_ctx and how often each was (re)loaded).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_VERSION = "0.14.2"
DEFAULT_REPLY = "Hello from the Ollama stand-in."
DEFAULT_REGISTRY = "registry.ollama.ai"
MIN_ANTHROPIC_VERSION = (0, 14, 0)
MODEL_CONTEXT_LENGTH = 32768  # what /api/show reports as the model's trained context
FOREVER = "2318-11-26T01:59:25.000000+00:00"  # the far-future expiry Ollama shows for -1

# --- configuration from the environment -----------------------------------------------


def parse_ollama_host(value: str | None) -> tuple[str, int]:
    """OLLAMA_HOST -> (host, port), after envconfig.Host() [ENV]. '' host = all interfaces."""
    value = (value or "").strip()
    default_port = 11434
    scheme, sep, hostport = value.partition("://")
    if not sep:
        hostport = value
    elif scheme == "http":
        default_port = 80
    elif scheme == "https":
        default_port = 443
    hostport = hostport.split("/", 1)[0]
    match = re.fullmatch(r"\[([^\]]*)\]:(\d+)|([^:\[\]]*):(\d+)", hostport)
    if match:  # host:port, [v6]:port, :port
        host = match.group(1) if match.group(1) is not None else match.group(3)
        return host, int(match.group(2) or match.group(4))
    bare = hostport.strip("[]")
    return (bare or "127.0.0.1"), default_port


def standin_version(executable: str | None = None) -> str:
    """OLLAMA_STANDIN_VERSION, else `ollama.version` beside the executable, else default."""
    if os.environ.get("OLLAMA_STANDIN_VERSION"):
        return os.environ["OLLAMA_STANDIN_VERSION"].strip()
    exe = executable or sys.argv[0] or __file__
    for folder in {Path(exe).absolute().parent, Path(exe).resolve().parent}:
        version_file = folder / "ollama.version"
        if version_file.is_file():
            return version_file.read_text().strip()
    return DEFAULT_VERSION


def models_dir() -> Path:
    return Path(os.environ.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models")


def request_log_path() -> Path:
    return Path(
        os.environ.get("STANDIN_REQUEST_LOG") or models_dir().parent / "standin-requests.jsonl"
    )


def faults_path() -> Path:
    return Path(os.environ.get("STANDIN_FAULTS") or models_dir() / ".standin-faults.json")


def read_faults() -> dict:
    try:
        faults = json.loads(faults_path().read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return faults if isinstance(faults, dict) else {}


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split("-")[0])[:3])


def parse_go_duration(value) -> float | None:
    """keep_alive as Ollama's api.Duration reads it [API]: a number is seconds, a string is a
    Go duration ("5m", "1h30m", "0"). Negative = forever (None). A string with no unit,
    such as "-1", is an error in Go's time.ParseDuration, so it raises here too."""
    if isinstance(value, bool):
        raise ValueError(f"invalid keep_alive {value!r}")
    if isinstance(value, int | float):
        return None if value < 0 else float(value)
    text = str(value).strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    match = re.fullmatch(r"([+-]?)((?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+)", text)
    if not match:
        raise ValueError(f'time: missing unit in duration "{text}"')
    seconds = sum(
        float(num) * units[unit]
        for num, unit in re.findall(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)", text)
    )
    return None if match.group(1) == "-" else seconds


def now_rfc3339(timestamp: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(timestamp if timestamp is not None else time.time())
    return moment.astimezone().isoformat()


# --- the model store: manifest files under OLLAMA_MODELS ------------------------------

NAME_RE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}(:[A-Za-z0-9_][A-Za-z0-9._-]*)?$"
)


class ModelName:
    """A model name split like Ollama's types/model.ParseName: host/namespace/model:tag."""

    def __init__(self, raw: str):
        raw = (raw or "").strip()
        if not NAME_RE.match(raw):
            raise ValueError("invalid model name")
        path, _, tag = raw.rpartition(":") if ":" in raw.rsplit("/", 1)[-1] else (raw, "", "")
        parts = path.split("/")
        host, namespace = DEFAULT_REGISTRY, "library"
        if len(parts) == 3:
            host, namespace, model = parts
        elif len(parts) == 2:
            namespace, model = parts
        else:
            model = parts[0]
        self.host, self.namespace, self.model, self.tag = host, namespace, model, tag or "latest"

    @property
    def display(self) -> str:
        """The short form Ollama lists: 'qwen2.5-coder:7b', 'user/m:tag', 'host/ns/m:tag'."""
        if self.host != DEFAULT_REGISTRY:
            return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"
        if self.namespace != "library":
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"

    def manifest(self, root: Path) -> Path:
        return root / "manifests" / self.host / self.namespace / self.model / self.tag


def fake_layer(name: ModelName) -> tuple[str, int]:
    """A deterministic digest and size (1-5 GB) for a model's weights layer."""
    digest = hashlib.sha256(name.display.encode()).hexdigest()
    return f"sha256:{digest}", 1_000_000_000 + int(digest[:8], 16) % 4_000_000_000


class ModelStore:
    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()

    def names(self) -> list[ModelName]:
        base = self.root / "manifests"
        found = []
        for manifest in sorted(base.glob("*/*/*/*")):
            if manifest.is_file():
                host, namespace, model, tag = manifest.relative_to(base).parts
                found.append(ModelName(f"{host}/{namespace}/{model}:{tag}"))
        return found

    def find(self, raw: str) -> ModelName | None:
        try:
            name = ModelName(raw)
        except ValueError:
            return None
        return name if name.manifest(self.root).is_file() else None

    def add(self, name: ModelName) -> None:
        digest, size = fake_layer(name)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": "sha256:" + hashlib.sha256(digest.encode()).hexdigest(),
                "size": 485,
            },
            "layers": [
                {"mediaType": "application/vnd.ollama.image.model", "digest": digest, "size": size}
            ],
            "standin": True,
        }
        path = name.manifest(self.root)
        with self.lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(manifest))
            tmp.replace(path)

    def remove(self, name: ModelName) -> None:
        with self.lock:
            name.manifest(self.root).unlink(missing_ok=True)

    def describe(self, name: ModelName) -> dict:
        """One entry of GET /api/tags [API]."""
        path = name.manifest(self.root)
        size = sum(layer["size"] for layer in json.loads(path.read_text()).get("layers", []))
        return {
            "name": name.display,
            "model": name.display,
            "modified_at": now_rfc3339(path.stat().st_mtime),
            "size": size,
            "digest": hashlib.sha256(path.read_bytes()).hexdigest(),
            "details": details(name),
        }


def details(name: ModelName) -> dict:
    family_match = re.match(r"[a-z]+\d*", name.model.lower())
    family = family_match.group(0) if family_match else "llama"
    size_tag = re.match(r"(\d+(?:\.\d+)?)b", name.tag.lower())
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": f"{float(size_tag.group(1)):.1f}B" if size_tag else "8.0B",
        "quantization_level": "Q4_K_M",
    }


# --- loaded models (GET /api/ps) ------------------------------------------------------


class Runners:
    """Which models are "in memory", with what context and until when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.loaded: dict[str, dict] = {}
        self.load_counts: dict[str, int] = {}

    def use(self, name: ModelName, keep_alive, num_ctx: int | None) -> None:
        ctx = int(num_ctx or env_int("OLLAMA_CONTEXT_LENGTH") or 4096)
        seconds = parse_go_duration(keep_alive if keep_alive is not None else env_keep_alive())
        with self.lock:
            self._expire()
            current = self.loaded.get(name.display)
            if seconds == 0:
                self.loaded.pop(name.display, None)
                return
            if current is None or current["num_ctx"] != ctx:
                # Ollama reloads the runner whenever num_ctx differs (REFERENCE section 2).
                self.load_counts[name.display] = self.load_counts.get(name.display, 0) + 1
            self.loaded[name.display] = {
                "name": name,
                "num_ctx": ctx,
                "expires": None if seconds is None else time.time() + seconds,
            }

    def unload(self, name: ModelName) -> None:
        with self.lock:
            self.loaded.pop(name.display, None)

    def _expire(self) -> None:
        for key, run in list(self.loaded.items()):
            if run["expires"] is not None and run["expires"] <= time.time():
                del self.loaded[key]

    def snapshot(self) -> list[dict]:
        with self.lock:
            self._expire()
            return [dict(run) for run in self.loaded.values()]


def env_keep_alive():
    """OLLAMA_KEEP_ALIVE as envconfig reads it [ENV]: an integer is seconds, else a duration."""
    value = (os.environ.get("OLLAMA_KEEP_ALIVE") or "5m").strip()
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def env_int(key: str) -> int:
    try:
        return int(os.environ.get(key) or 0)
    except ValueError:
        return 0


# --- the HTTP handler ------------------------------------------------------------------


class HTTPError(Exception):
    def __init__(self, status: int, body: dict | str):
        super().__init__(status)
        self.status, self.body = status, body


def approx_tokens(value) -> int:
    return max(1, len(json.dumps(value)) // 4)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as Go's net package sets on every TCP connection (pkg.go.dev/net
    # TCPConn.SetNoDelay: "The default is true"). Without it a kept-alive connection's
    # second response (headers and body are two writes) waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server_version = "ollama-standin"
    sys_version = ""
    # set by make_server()
    store: ModelStore
    runners: Runners
    version: str

    # -- plumbing --

    def log_message(self, fmt, *args):  # gin-style access log on stderr, like Ollama
        sys.stderr.write(f"[GIN] {time.strftime('%Y/%m/%d - %H:%M:%S')} | {fmt % args}\n")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        text = raw.decode("utf-8", "replace")
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            return text

    def log_request_body(self, method: str, path: str, query: str, body) -> None:
        record = {
            "time": now_rfc3339(),
            "method": method,
            "path": path,
            "query": query,
            "client": self.client_address[0],
            "body": body,
        }
        append_log(record)

    def dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        body = self.read_body() if method in ("POST", "DELETE") else {}
        self.log_request_body(method, path, url.query, body)
        self.faults = read_faults()
        try:
            if any(
                p == path or (p.endswith("*") and path.startswith(p[:-1]))
                for p in self.faults.get("http_500", [])
            ):
                raise HTTPError(500, {"error": f"stand-in fault: HTTP 500 on {path}"})
            route = self.route(method, path)
            if route is None:
                raise HTTPError(404, "404 page not found")  # gin's default [API]
            if isinstance(body, str):
                raise HTTPError(400, {"error": "invalid JSON in request body"})
            route(body)
        except HTTPError as err:
            if path.startswith("/v1/messages") and isinstance(err.body, dict):
                err.body = anthropic_error(err.status, err.body.get("error", ""))
            elif path.startswith("/v1/") and isinstance(err.body, dict):
                err.body = openai_error(err.status, err.body.get("error", ""))
            self.send_json(err.status, err.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, method: str, path: str):
        if method == "HEAD" or (method == "GET" and path == "/"):
            return self.h_root
        if method == "GET" and path.startswith("/v1/models/") and len(path) > len("/v1/models/"):
            return self.h_openai_model
        return {
            ("GET", "/api/version"): self.h_version,
            ("GET", "/api/tags"): self.h_tags,
            ("GET", "/api/ps"): self.h_ps,
            ("POST", "/api/pull"): self.h_pull,
            ("POST", "/api/show"): self.h_show,
            ("DELETE", "/api/delete"): self.h_delete,
            ("POST", "/api/chat"): self.h_chat,
            ("POST", "/api/generate"): self.h_generate,
            ("GET", "/v1/models"): self.h_openai_models,
            ("POST", "/v1/chat/completions"): self.h_chat_completions,
            ("POST", "/v1/messages"): self.h_messages,
            ("GET", "/standin/env"): self.h_standin_env,
            ("GET", "/standin/state"): self.h_standin_state,
        }.get((method, path))

    def send_json(self, status: int, body) -> None:
        if isinstance(body, str):
            data, ctype = body.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def send_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def ndjson(self, record: dict) -> None:
        self.send_chunk(json.dumps(record) + "\n")

    def sse(self, data, event: str | None = None) -> None:
        payload = data if isinstance(data, str) else json.dumps(data)
        self.send_chunk((f"event: {event}\n" if event else "") + f"data: {payload}\n\n")

    # -- helpers shared by chat endpoints --

    def reply_text(self) -> str:
        return str(self.faults.get("reply") or DEFAULT_REPLY)

    def require_model(self, raw: str) -> ModelName:
        """The pulled model, or the 404 Ollama gives for one that is not [API]."""
        if not raw:
            raise HTTPError(400, {"error": "model is required"})
        try:
            name = ModelName(raw)
        except ValueError as exc:
            raise HTTPError(400, {"error": "invalid model name"}) from exc
        if not self.store.find(raw) and not self.faults.get("accept_unknown_models"):
            raise HTTPError(404, {"error": f'model "{raw}" not found, try pulling it first'})
        return name

    def load(self, name: ModelName, body: dict) -> None:
        options = body.get("options") or {}
        try:
            self.runners.use(name, body.get("keep_alive"), options.get("num_ctx"))
        except ValueError as exc:
            raise HTTPError(400, {"error": str(exc)}) from exc

    def omit(self, path: str, reply: dict) -> dict:
        for field in (self.faults.get("omit_fields") or {}).get(path, []):
            reply.pop(field, None)
        return reply

    # -- native API [API] --

    def h_root(self, _body):
        self.send_json(200, "Ollama is running")

    def h_version(self, _body):
        self.send_json(200, {"version": self.reported_version()})

    def reported_version(self) -> str:
        return str(self.faults.get("version") or self.version)

    def h_tags(self, _body):
        self.send_json(200, {"models": [self.store.describe(n) for n in self.store.names()]})

    def h_ps(self, _body):
        models = []
        for run in self.runners.snapshot():
            name = run["name"]
            entry = (
                self.store.describe(name)
                if self.store.find(name.display)
                else {
                    "name": name.display,
                    "model": name.display,
                    "size": 0,
                    "digest": "",
                    "details": details(name),
                }
            )
            entry.pop("modified_at", None)
            entry["expires_at"] = FOREVER if run["expires"] is None else now_rfc3339(run["expires"])
            entry["size_vram"] = entry["size"]
            entry["context_length"] = run["num_ctx"]
            models.append(entry)
        self.send_json(200, {"models": models})

    def h_show(self, body):
        raw = body.get("model") or body.get("name") or ""
        name = self.store.find(raw)
        if not name:
            raise HTTPError(404, {"error": f"model '{raw}' not found"})
        info = details(name)
        self.send_json(
            200,
            {
                "modelfile": f"# Modelfile generated by the Ollama stand-in\nFROM {name.display}\n",
                "parameters": 'stop                           "<|im_end|>"',
                "template": "{{- if .Messages }}{{ range .Messages }}{{ .Content }}{{ end }}{{ end }}",
                "details": info,
                "model_info": {
                    "general.architecture": info["family"],
                    "general.parameter_count": 7_615_616_512,
                    f"{info['family']}.context_length": MODEL_CONTEXT_LENGTH,
                    f"{info['family']}.embedding_length": 3584,
                },
                "capabilities": ["completion", "tools"],
                "modified_at": self.store.describe(name)["modified_at"],
            },
        )

    def h_delete(self, body):
        raw = body.get("model") or body.get("name") or ""
        name = self.store.find(raw)
        if not name:
            raise HTTPError(404, {"error": f"model '{raw}' not found"})
        self.store.remove(name)
        self.runners.unload(name)
        self.send_json(200, "")

    def h_pull(self, body):
        """NDJSON status lines ending in {"status": "success"} [API "Pull a Model"]."""
        raw = body.get("model") or body.get("name") or ""
        try:
            name = ModelName(raw)
        except ValueError as exc:
            raise HTTPError(400, {"error": "invalid model name"}) from exc
        fail = self.faults.get("fail_pull") or []
        failure = None
        if name.display in fail or raw in fail:
            failure = (
                fail.get(name.display) or fail.get(raw) if isinstance(fail, dict) else None
            ) or (f"pull model manifest: stand-in fault: pulling {name.display} fails")
        digest, size = fake_layer(name)
        steps = [
            {"status": "pulling manifest"},
            {
                "status": f"pulling {digest[7:19]}",
                "digest": digest,
                "total": size,
                "completed": size // 2,
            },
            {
                "status": f"pulling {digest[7:19]}",
                "digest": digest,
                "total": size,
                "completed": size,
            },
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
        if body.get("stream") is False:
            if failure:
                raise HTTPError(500, {"error": failure})
            self.store.add(name)
            self.send_json(200, {"status": "success"})
            return
        self.start_stream("application/x-ndjson")
        delay = float(self.faults.get("pull_delay_seconds") or 0)
        for step in steps:
            if failure and step["status"] == "verifying sha256 digest":
                # An error after the stream started is a line on HTTP 200 (REFERENCE section 2).
                self.ndjson({"error": failure})
                break
            if step["status"] == "success":
                self.store.add(name)
            self.ndjson(step)
            time.sleep(delay)
        self.end_stream()

    def h_chat(self, body):
        """POST /api/chat [API "Generate a chat completion"]: NDJSON unless stream is false."""
        name = self.require_model(body.get("model", ""))
        messages = body.get("messages") or []
        self.load(name, body)
        if not messages:  # an empty chat only loads the model [API "Load a model"]
            self.send_json(
                200,
                {
                    "model": name.display,
                    "created_at": now_rfc3339(),
                    "message": {"role": "assistant", "content": ""},
                    "done_reason": "load",
                    "done": True,
                },
            )
            return
        text = json_reply(self.reply_text()) if body.get("format") else self.reply_text()
        self.native_reply(
            name,
            body,
            text,
            lambda t: {"message": {"role": "assistant", "content": t}},
            approx_tokens(messages),
            "/api/chat",
        )

    def h_generate(self, body):
        """POST /api/generate [API "Generate a completion"]; no prompt = load/unload."""
        name = self.require_model(body.get("model", ""))
        self.load(name, body)
        if not body.get("prompt"):
            unload = (
                body.get("keep_alive") is not None and parse_go_duration(body["keep_alive"]) == 0
            )
            self.send_json(
                200,
                {
                    "model": name.display,
                    "created_at": now_rfc3339(),
                    "response": "",
                    "done": True,
                    "done_reason": "unload" if unload else "load",
                },
            )
            return
        text = json_reply(self.reply_text()) if body.get("format") else self.reply_text()
        self.native_reply(
            name,
            body,
            text,
            lambda t: {"response": t},
            approx_tokens(body.get("prompt")),
            "/api/generate",
        )

    def native_reply(self, name, body, text, content, prompt_tokens, path):
        words = chunks(text)
        final = {
            "model": name.display,
            "created_at": now_rfc3339(),
            "done": True,
            "done_reason": "stop",
            "total_duration": 120_000_000,
            "load_duration": 10_000_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 20_000_000,
            "eval_count": len(words),
            "eval_duration": 90_000_000,
        }
        if body.get("stream") is False:
            self.send_json(200, self.omit(path, {**final, **content(text)}))
            return
        self.start_stream("application/x-ndjson")
        for word in words:
            self.ndjson(
                {"model": name.display, "created_at": now_rfc3339(), **content(word), "done": False}
            )
        self.ndjson({**final, **content("")})
        self.end_stream()

    # -- OpenAI compatibility [OAI] --

    def h_openai_models(self, _body):
        self.send_json(
            200,
            {"object": "list", "data": [openai_model(self.store, n) for n in self.store.names()]},
        )

    def h_openai_model(self, _body):
        raw = self.path.split("?")[0][len("/v1/models/") :]
        name = self.store.find(raw)
        if not name:
            raise HTTPError(404, {"error": f"model '{raw}' not found"})
        self.send_json(200, {**openai_model(self.store, name), "id": raw})

    def h_chat_completions(self, body):
        raw = body.get("model", "")
        name = self.require_model(raw)
        self.load(name, body)
        fmt = (body.get("response_format") or {}).get("type")
        text = self.reply_text()
        if fmt in ("json_object", "json_schema") and not self.faults.get("json_mode_text"):
            text = json_reply(text)
        cid = f"chatcmpl-{uuid.uuid4().int % 1000}"
        usage = {
            "prompt_tokens": approx_tokens(body.get("messages")),
            "completion_tokens": len(chunks(text)),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        base = {
            "id": cid,
            "created": int(time.time()),
            "model": raw,
            "system_fingerprint": "fp_ollama",
        }
        if not body.get("stream"):
            self.send_json(
                200,
                self.omit(
                    "/v1/chat/completions",
                    {
                        **base,
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": usage,
                    },
                ),
            )
            return
        self.start_stream("text/event-stream")
        chunk = {**base, "object": "chat.completion.chunk"}
        for word in chunks(text):
            self.sse(
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": word},
                            "finish_reason": None,
                        }
                    ],
                }
            )
        self.sse(
            {
                **chunk,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "finish_reason": "stop",
                    }
                ],
            }
        )
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if wants_usage and not self.faults.get("ignore_include_usage"):
            self.sse({**chunk, "choices": [], "usage": usage})
        if not self.faults.get("drop_done_marker"):
            self.sse("[DONE]")
        self.end_stream()

    # -- Anthropic compatibility [ANT] --

    def h_messages(self, body):
        if version_tuple(self.reported_version()) < MIN_ANTHROPIC_VERSION:
            raise HTTPError(404, "404 page not found")  # the route did not exist before 0.14.0
        raw = body.get("model", "")
        if not isinstance(body.get("messages"), list) or not body.get("max_tokens"):
            raise HTTPError(400, {"error": "messages and max_tokens are required"})
        name = self.require_model(raw)
        self.load(name, body)
        text = self.reply_text()
        msg_id = f"msg_{uuid.uuid4().hex[:24]}"
        usage = {
            "input_tokens": approx_tokens([body.get("system"), body["messages"]]),
            "output_tokens": len(chunks(text)),
        }
        if not body.get("stream"):
            self.send_json(
                200,
                self.omit(
                    "/v1/messages",
                    {
                        "id": msg_id,
                        "type": "message",
                        "role": "assistant",
                        "model": raw,
                        "content": [{"type": "text", "text": text}],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": usage,
                    },
                ),
            )
            return
        events = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": msg_id,
                        "type": "message",
                        "role": "assistant",
                        "model": raw,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 0},
                    },
                },
            ),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
        ]
        events += [
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word},
                },
            )
            for word in chunks(text)
        ]
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": usage,
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        order = self.faults.get("messages_stream_events")
        if order:
            events = [event for kind in order for event in events if event[0] == kind]
        self.start_stream("text/event-stream")
        for kind, data in events:
            self.sse(data, event=kind)
        self.end_stream()

    # -- stand-in extras --

    def h_standin_env(self, _body):
        self.send_json(200, standin_env(self.server, self.version))

    def h_standin_state(self, _body):
        loaded = [
            {
                "model": r["name"].display,
                "num_ctx": r["num_ctx"],
                "expires_at": None if r["expires"] is None else now_rfc3339(r["expires"]),
            }
            for r in self.runners.snapshot()
        ]
        self.send_json(200, {"loaded": loaded, "load_counts": dict(self.runners.load_counts)})


def chunks(text: str) -> list[str]:
    """Split a reply into streaming pieces that join back to the exact text."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def json_reply(text: str) -> str:
    return json.dumps({"reply": text})


def openai_model(store: ModelStore, name: ModelName) -> dict:
    """A /v1/models entry: id, object, created, owned_by = namespace [OAI ToListCompletion]."""
    created = int(name.manifest(store.root).stat().st_mtime)
    return {"id": name.display, "object": "model", "created": created, "owned_by": name.namespace}


def openai_error(status: int, message: str) -> dict:
    """[OAI NewError]: {"error": {"message", "type", "param", "code"}}."""
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def anthropic_error(status: int, message: str) -> dict:
    """[ANT NewError]: {"type": "error", "error": {"type", "message"}, "request_id"}."""
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        503: "overloaded_error",
    }.get(status, "api_error")
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }


# --- log and startup -------------------------------------------------------------------

LOG_LOCK = threading.Lock()


def append_log(record: dict) -> None:
    path = request_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with LOG_LOCK, path.open("a") as log:
            log.write(json.dumps(record) + "\n")
    except OSError as exc:
        sys.stderr.write(f"stand-in: cannot write request log {path}: {exc}\n")


def standin_env(server, version: str) -> dict:
    host, port = server.server_address[:2]
    try:
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        user = os.environ.get("USER", "")
    return {
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("OLLAMA_")},
        "pid": os.getpid(),
        "uid": os.getuid(),
        "user": user,
        "home": str(Path.home()),
        "listen": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "version": version,
        "models_dir": str(models_dir()),
        "request_log": str(request_log_path()),
        "faults_file": str(faults_path()),
    }


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Go's net.Listen uses the kernel's somaxconn (src/net/sock_linux.go maxListenerBacklog);
    # socketserver's default backlog of 5 drops the SYNs of a fleet's clients arriving
    # together, and each dropped one retries a second later.
    request_queue_size = socket.SOMAXCONN


def make_server(version: str | None = None) -> StandinServer:
    """Bind as `ollama serve` would; raise OSError on a bad address."""
    host, port = parse_ollama_host(os.environ.get("OLLAMA_HOST"))
    handler = type(
        "BoundHandler",
        (Handler,),
        {
            "store": ModelStore(models_dir()),
            "runners": Runners(),
            "version": version or standin_version(),
        },
    )
    cls = type(
        "Server",
        (StandinServer,),
        {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET},
    )
    return cls((host if host else "0.0.0.0", port), handler)


BIND_ERRORS = {
    errno.EADDRNOTAVAIL: "bind: can't assign requested address",
    errno.EADDRINUSE: "bind: address already in use",
    errno.EACCES: "bind: permission denied",
}


def serve(version: str | None = None) -> int:
    host, port = parse_ollama_host(os.environ.get("OLLAMA_HOST"))
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        server = make_server(version)
    except OSError as exc:
        reason = BIND_ERRORS.get(exc.errno, f"bind: {exc.strerror or exc}")
        print(f"Error: listen tcp {shown}: {reason}", file=sys.stderr)
        return 1
    models_dir().mkdir(parents=True, exist_ok=True)
    info = standin_env(server, server.RequestHandlerClass.version)
    append_log({"event": "start", "time": now_rfc3339(), **info})
    stamp = dt.datetime.now().astimezone().isoformat(timespec="milliseconds")
    print(
        f'time={stamp} level=INFO source=routes.go msg="server config" env="{info["env"]}"',
        file=sys.stderr,
    )
    print(
        f'time={stamp} level=INFO source=routes.go msg="Listening on {shown} '
        f'(version {info["version"]})"',
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
