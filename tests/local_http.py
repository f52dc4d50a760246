"""A local HTTP server on 127.0.0.1 for the tests of the network sources."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# (the request's path and query, its headers): (status, body, content type)
Answer = Callable[[str, http.server.BaseHTTPRequestHandler], tuple[int, bytes, str]]


@contextmanager
def local_server(answer: Answer) -> Iterator[str]:
    """Serve GETs with `answer` until the block ends; yields the server's base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            status, body, kind = answer(self.path, self)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
