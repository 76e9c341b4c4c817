"""A real HTTP receiver for webhook tests: a threaded ``http.server`` on 127.0.0.1.

Nothing is mocked: our sender opens a TCP connection to it and POSTs. Each request is
kept (headers, body); ``statuses`` scripts the answers (default 200), and ``verify``
checks one with the Standard Webhooks reference library.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> dict:
        """The parsed body if ``secret`` signed it (raises ``WebhookVerificationError``)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()
        self.default_status = 200
        self.decide = None  # optional callable(Received) -> status
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                with receiver._lock:
                    if receiver.decide is not None:
                        status = receiver.decide(got)
                    else:
                        status = receiver.statuses.popleft() if receiver.statuses else receiver.default_status
                    receiver.received.append(got)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._handler = Handler
        self.port = 0
        self.start()

    def start(self) -> None:
        """Listen (again, on the same port after a ``stop``)."""
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """An outage: nothing listens, connections are refused."""
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stop()
