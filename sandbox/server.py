"""HTTP/1.1 front end (keep-alive, threads) over :class:`sandbox.app.App`."""

from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.app import App
from sandbox.routing import Response


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes. With Nagle's algorithm on, the body waits for
    # the client's ACK of the headers, which Linux delays by 40 ms: every call would take
    # 40 ms longer than the app needs. Node's HTTP server (Express) sets TCP_NODELAY too.
    disable_nagle_algorithm = True
    server_version = "sandbox"
    sys_version = ""
    app: App  # set on the subclass created by make_server

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _headers_dict(self) -> dict[str, str]:
        # Node lower-cases names, trims values and joins duplicates with ", ".
        out: dict[str, str] = {}
        for name in {k.lower() for k in self.headers}:
            values = [v.strip() for v in self.headers.get_all(name) or []]
            out[name] = values[0] if name == "authorization" else ", ".join(values)
        return out

    def _dispatch(self) -> None:
        body = self._read_body()
        try:
            response = self.app.handle(self.command, self.path, self._headers_dict(), body)
        except Exception as exc:  # noqa: BLE001 - never kill the connection thread silently
            response = Response(500, f'{{"message":"sandbox crash: {type(exc).__name__}"}}'.encode())
            print(f"sandbox: unhandled {exc!r}", file=sys.stderr)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Powered-By", "Express")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    verbose = False


def make_server(app: App, host: str, port: int, *, verbose: bool = False) -> SandboxServer:
    handler = type("BoundSandboxHandler", (SandboxHandler,), {"app": app})
    server = SandboxServer((host, port), handler)
    server.verbose = verbose
    return server
