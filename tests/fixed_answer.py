"""A loopback HTTP server that answers every GET with one status and body (TEST-ONLY CODE).

In the tests' process, on a daemon thread: ``with serving(body) as base_url: ...``. Or as a
process of its own over TLS, printing its port on the first line:
``python -m tests.fixed_answer CERT KEY BODY``, run from the repository's root.
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import sys
import threading
from collections.abc import Iterator


def handler(body: bytes | dict[str, bytes], status: int = 200,
            ) -> type[http.server.BaseHTTPRequestHandler]:  # fmt: skip
    """One answer for every path, or ``{path: body}``: those, and 404 for the others."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            found = body.get(self.path) if isinstance(body, dict) else body
            self.send_response(status if found is not None else 404)
            self.send_header("Content-Length", str(len(found or b"")))
            self.end_headers()
            self.wfile.write(found or b"")

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def serving(body: bytes | dict[str, bytes] = b"", status: int = 200) -> Iterator[str]:
    """``http://127.0.0.1:<port>``, answering until the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(body, status))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def serve_tls(cert: str, key: str, body: bytes) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), handler(body))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve_tls(sys.argv[1], sys.argv[2], sys.argv[3].encode())
