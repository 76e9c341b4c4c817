"""A tiny real HTTP server for transport tests: scripted answers, every request recorded.

It is not a Dr Green simulator (that lives in ``sandbox/``); it answers what each test scripts so
retry, timeout and header behaviour can be observed over real sockets.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.raw_path.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.raw_path.split("?", 1)[1] if "?" in self.raw_path else ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    status: int = 200
    body: Any = field(
        default_factory=lambda: {"success": True, "statusCode": 200, "message": "Success", "data": {}}
    )
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Send only this many bytes of the body (its full Content-Length announced), then close:
    # a connection that dies mid-body.
    truncate: int | None = None


class Drop:
    """Read the request, then close the socket without answering (optionally with a RST)."""

    def __init__(self, reset: bool = False) -> None:
        self.reset = reset


Action = Reply | Drop | Callable[[Received], "Reply | Drop"]


def envelope(data: Any, status: int = 200, message: str = "Success") -> dict[str, Any]:
    return {"success": True, "statusCode": status, "message": message, "data": data}


class ScriptedServer:
    """Answers with queued actions, then with ``default``; records every request."""

    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.default: Action = Reply()
        self.received: list[Received] = []
        self.connections = 0  # TCP connections accepted
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                return

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.connections += 1

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Received(self.command, self.path, dict(self.headers.items()), body)
                with server._lock:
                    server.received.append(req)
                    action = server.script.popleft() if server.script else server.default
                if callable(action) and not isinstance(action, Reply | Drop):
                    action = action(req)
                if isinstance(action, Drop):
                    if action.reset:
                        # SO_LINGER 0 turns close() into a TCP RST ("connection reset by peer").
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    self.close_connection = True
                    self.connection.close()
                    return
                assert isinstance(action, Reply)
                if action.delay:
                    time.sleep(action.delay)
                payload = action.body
                if isinstance(payload, bytes):
                    data = payload
                    ctype = "application/octet-stream"
                elif isinstance(payload, str):
                    data = payload.encode("utf-8")
                    ctype = "text/plain"
                else:
                    data = json.dumps(payload).encode("utf-8")
                    ctype = "application/json; charset=utf-8"
                try:
                    self.send_response(action.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in action.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    if action.truncate is not None:
                        self.wfile.write(data[: action.truncate])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (read timeout tests)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def count(self, method: str | None = None) -> int:
        return sum(1 for r in self.received if method is None or r.method == method)

    def start(self) -> ScriptedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
