"""A hostile HTTP server on 127.0.0.1, for testing the network clients (TEST-ONLY CODE).

It answers like a small Ollama (enough for `check`'s first requests, `warm` and the
pulls) except where it is told to misbehave: a *behaviour* (see BEHAVIOURS) applied to
every request, or only to requests whose path or body contains a marker (a model name,
say), so that one bad model can sit between good ones.

Everything is bounded: each connection is served by a daemon thread that checks a stop
event between writes, and `stop()` (or leaving the `with` block) closes the listener and
every connection, so a client stuck on it gets an error at once and a test ends by itself.

The second listener, `elsewhere`, is where redirects point ("another port"). It records
every connection and request it receives; nothing should ever arrive there.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading

NORMAL_VERSION = "0.14.2"


def _response(status: str, body: bytes, headers: dict | None = None) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _json(value, status: str = "200 OK") -> bytes:
    return _response(status, json.dumps(value).encode(), {"Content-Type": "application/json"})


def normal_answer(method: str, path: str, body: bytes) -> bytes:
    """What a healthy Ollama with one model says, in brief (ollama/ollama docs/api.md)."""
    if path == "/api/version":
        return _json({"version": NORMAL_VERSION})
    if path == "/api/tags":
        return _json({"models": [{"name": "good:1b", "model": "good:1b", "digest": "0" * 64}]})
    if path == "/api/show":
        return (
            _json({"error": "model not found"}, "404 Not Found")
            if b"missing" in body
            else (_json({"modelfile": "", "details": {}}))
        )
    if path == "/api/pull":
        lines = [
            {"status": "pulling manifest"},
            {
                "status": "pulling 0123456789ab",
                "digest": "sha256:" + "1" * 64,
                "total": 1000,
                "completed": 1000,
            },
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
        text = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return _response("200 OK", text, {"Content-Type": "application/x-ndjson"})
    if path == "/api/generate":
        return _json({"model": "good:1b", "response": "", "done": True, "done_reason": "load"})
    return _response("404 Not Found", b"404 page not found", {"Content-Type": "text/plain"})


# A JSON object with every key the clients read, each of a wrong type.
WRONG_TYPES = {
    "version": 14, "models": "all", "object": 1, "data": 2, "choices": "x", "id": [],
    "type": {}, "role": 3, "content": 5, "model": [], "stop_reason": {}, "usage": "none",
    "status": [], "digest": 1, "total": "big", "completed": -1, "done": "yes", "error": 0,
}  # fmt: skip


class HostileServer:
    """``HostileServer(behaviour, marker=None)``: misbehave on the requests ``marker``
    picks, ``(path, text)``: that path, with ``text`` in the body (on all requests when
    None); answer the others like Ollama."""

    def __init__(self, behaviour: str, marker: tuple[str, str] | None = None):
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.marker = marker
        self.stopping = threading.Event()
        self.requests: list[dict] = []  # {"method", "path", "headers", "body"} per request
        self.elsewhere_hits: list[bytes] = []  # raw bytes that reached the redirect target
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = self._listen(self._serve)
        self._elsewhere = self._listen(self._record_elsewhere)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.elsewhere_url = f"http://127.0.0.1:{self._elsewhere.getsockname()[1]}"

    # --- plumbing ---

    def _listen(self, handler) -> socket.socket:
        sock = socket.create_server(("127.0.0.1", 0))
        sock.settimeout(0.2)
        threading.Thread(target=self._accept, args=(sock, handler), daemon=True).start()
        return sock

    def _accept(self, listener: socket.socket, handler) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._guarded, args=(handler, conn), daemon=True).start()

    def _guarded(self, handler, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            handler(conn)
        except OSError:
            pass  # the client gave up, or stop() closed the socket
        finally:
            conn.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for sock in (self._listener, self._elsewhere):
            sock.close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def wait(self, seconds: float) -> bool:
        """Sleep in a behaviour; False once the server stops."""
        return not self.stopping.wait(seconds)

    @staticmethod
    def _read_request(conn: socket.socket) -> dict | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk or len(data) > 1 << 20:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = ([*lines[0].split(" "), "", ""])[:2]
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", "0") or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return {"method": method, "path": path, "headers": headers, "body": body}

    def _record_elsewhere(self, conn: socket.socket) -> None:
        with self._lock:
            self.elsewhere_hits.append(b"(connection)")
        data = conn.recv(65536)
        with self._lock:
            self.elsewhere_hits.append(data)
        conn.sendall(normal_answer("GET", "/api/version", b""))

    def _serve(self, conn: socket.socket) -> None:
        request = self._read_request(conn)
        if request is None:
            return
        with self._lock:
            self.requests.append(request)
        targeted = self.marker is None or (
            request["path"] == self.marker[0] and self.marker[1].encode() in request["body"]
        )
        if not targeted:
            conn.sendall(normal_answer(request["method"], request["path"], request["body"]))
            return
        BEHAVIOURS[self.behaviour][1](self, conn, request)


# --- behaviours: (what it does, function(server, conn, request)) ---


def _trickle(server: HostileServer, conn, request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{")  # fmt: skip
    while server.wait(0.05):
        conn.sendall(b" ")


def _slow_headers(server: HostileServer, conn, request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while server.wait(0.05):
        conn.sendall(b"X")  # one header line that never ends


def _silent(server: HostileServer, conn, request) -> None:
    while server.wait(0.1):
        pass


def _forever(head: bytes, block: bytes):
    """Sends ``head``, then ``block`` again and again as fast as the client reads, until
    the server stops."""

    def send(server: HostileServer, conn, request) -> None:
        conn.sendall(head)
        while not server.stopping.is_set():
            conn.sendall(block)

    return send


PULL_LINES = (json.dumps({"status": "pulling manifest"}).encode() + b"\n") * 100
ENDLESS = _forever(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n",
                   b"%x\r\n%s\r\n" % (len(PULL_LINES), PULL_LINES))  # fmt: skip
HUGE_BODY = _forever(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000000000\r\n\r\n[", b"0," * 32768)  # fmt: skip
HUGE_LINE = _forever(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                     b"Content-Length: 100000000000\r\n\r\n", b"x" * 65536)  # fmt: skip


def _body(text: bytes, content_type: str = "application/json"):
    def send(server: HostileServer, conn, request) -> None:
        conn.sendall(_response("200 OK", text, {"Content-Type": content_type}))

    return send


def _wrong_types(server: HostileServer, conn, request) -> None:
    text = json.dumps(WRONG_TYPES).encode()
    if request["path"] == "/api/pull":
        text += b"\n"
    conn.sendall(_response("200 OK", text, {"Content-Type": "application/json"}))


def _redirect(server: HostileServer, conn, request) -> None:
    location = server.elsewhere_url + request["path"]
    conn.sendall(_response("302 Found", b"", {"Location": location}))


def _raw(data: bytes):
    def send(server: HostileServer, conn, request) -> None:
        conn.sendall(data)

    return send


def _truncated(server: HostileServer, conn, request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b'Content-Length: 1000\r\n\r\n{"version": "0.14.')  # fmt: skip


def _truncated_chunked(server: HostileServer, conn, request) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b'400\r\n{"status": "pulling manifest"}\n')  # fmt: skip


def _escapes(server: HostileServer, conn, request) -> None:
    text = json.dumps({"version": "\x1b[2J\x1b[31m0.14.2", "error": "\x1b]0;pwned\x07",
                       "status": "\x1b[2Jhi"}).encode()  # fmt: skip
    conn.sendall(_response("500 Internal Server Error", text, {"Content-Type": "application/json"}))


BEHAVIOURS = {
    "slow trickle": ("sends the body one byte every 50 ms, forever", _trickle),
    "slow headers": ("sends one header byte every 50 ms, forever", _slow_headers),
    "silent": ("reads the request and never answers", _silent),
    "endless stream": ("a chunked body of valid status lines that never ends", ENDLESS),
    "huge body": ("announces 100 GB and sends it as fast as it can", HUGE_BODY),
    "huge line": ("an NDJSON line that never ends", HUGE_LINE),
    "garbage JSON": ("a body that is not JSON", _body(b"{not json at all")),
    "non-object JSON": ("a JSON array where an object belongs", _body(b"[1, 2, 3]")),
    "JSON null": ("the JSON literal null", _body(b"null")),
    "wrong types": ("an object whose every field has the wrong type", _wrong_types),
    "redirect to another port": ("HTTP 302 to another port on 127.0.0.1", _redirect),
    "bad status line": ("a status line that is not HTTP", _raw(b"ICY 200 OK\r\n\r\n{}")),
    "empty answer": ("closes the connection without a byte", _raw(b"")),
    "truncated body": ("Content-Length 1000, then 18 bytes and the end", _truncated),
    "truncated chunks": ("a chunk announced at 1 KiB, cut short", _truncated_chunked),
    "huge header": (
        "a header line of 100 KB",
        _raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n{}"),
    ),
    "too many headers": (
        "200 header lines",
        _raw(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n{}"),
    ),
    "terminal escapes": ("HTTP 500 whose strings hold terminal escape sequences", _escapes),
}
