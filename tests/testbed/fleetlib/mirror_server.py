"""The mirror's HTTP server (stdlib), run by `fleet up` on the controller's tailnet address.

Static files, directory listings (uv and pip read them as find-links pages), and npm
metadata: a directory holding `index.json` is answered with that document as JSON,
without the trailing-slash redirect, so `<registry>/@scope/name` works as on npm.
Usage: python3 mirror_server.py ro-testbed-mirror --bind IP --port N --root DIR
(the first argument is a marker that lets teardown find this process by its cmdline).
"""

from __future__ import annotations

import argparse
import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class MirrorHandler(SimpleHTTPRequestHandler):
    def send_head(self):
        path = self.translate_path(self.path)
        document = os.path.join(path, "index.json")
        if os.path.isdir(path) and os.path.isfile(document):
            with open(document, "rb") as handle:
                body = handle.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return _Body(body)
        return super().send_head()


class _Body:
    """A file-like object for copyfile(), for documents already read."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        chunk, self.data = (self.data, b"") if size < 0 else (self.data[:size], self.data[size:])
        return chunk

    def close(self) -> None:
        pass


class MirrorServer(ThreadingHTTPServer):
    """socketserver's listen backlog is 5: at 64 clients, each installing Aider with uv
    (many downloads at once), connections past the backlog lose their SYN and wait a
    second or more to retry. The kernel caps this at net.core.somaxconn."""

    request_queue_size = 1024


def make_server(bind: str, port: int, root: str) -> MirrorServer:
    return MirrorServer((bind, port), partial(MirrorHandler, directory=root))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("marker")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    make_server(args.bind, args.port, args.root).serve_forever()


if __name__ == "__main__":
    main()
