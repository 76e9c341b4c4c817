"""The benchmarks' load generator reads whole responses (length-delimited or chunked), counts
statuses, and follows the server's and its own connection choice."""

from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import _parse, run_load


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", None),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", (200, False)),
        (b"HTTP/1.1 404 Not Found\r\ncontent-length:2\r\nConnection: close\r\n\r\n{}", (404, True)),
        (b"HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", (204, False)),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", None),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", (200, False)),
        (b"HTTP/1.1 200 OK\r\nContent-Le", None),
    ],
)
def test_a_response_is_complete_only_once_its_body_is_in(raw, expected):
    assert _parse(bytearray(raw)) == expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        status = 404 if self.path.endswith("/missing") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("keepalive", [False, True])
@pytest.mark.parametrize("prefix", ["/plain", "/chunked"])
def test_it_drives_a_server_and_counts_statuses(server, keepalive, prefix):
    def make(rng: random.Random) -> bytes:
        path = f"{prefix}/missing" if rng.random() < 0.5 else f"{prefix}/ok"
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    result = run_load(
        host="127.0.0.1",
        port=server,
        make_request=make,
        concurrency=4,
        duration_s=0.5,
        warmup_s=0.1,
        keepalive=keepalive,
    )
    assert result.errors == 0
    assert set(result.statuses) == {200, 404}
    assert len(result.latencies_ms) == sum(result.statuses.values()) > 20
