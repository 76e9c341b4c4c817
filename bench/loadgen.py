"""A lean closed-loop HTTP/1.1 load generator (asyncio, one virtual user per coroutine), so
the generator's own CPU stays small next to the server it measures on the same two cores:
each connection is an ``asyncio.Protocol`` that parses the response as bytes arrive (no
stream reader/writer pair per request); ``bench.api`` reports its CPU per request.

By default every request opens its own connection, as many independent clients do. With
keep-alive, gunicorn's gthread workers accept greedily: one worker can end up holding all
16 connections while the others idle, which measures the accept pattern, not the app
(``keepalive=True`` shows it)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed_s: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class _Exchange(asyncio.Protocol):
    """One connection's request/response exchanges, parsed as bytes arrive: no stream reader,
    no per-request task or header decoding beyond what a status and a body length need."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.buffer = bytearray()
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, request: bytes) -> asyncio.Future:
        self.buffer.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        parsed = _parse(self.buffer)
        if parsed is not None and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(parsed)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed before the response"))


def _parse(buffer: bytearray) -> tuple[int, bool] | None:
    """(status, whether the server closes) once a whole response is in ``buffer``, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    if b"\r\ntransfer-encoding: chunked" in head:
        complete = buffer.endswith(b"\r\n0\r\n\r\n")
    else:
        length, at = 0, head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        complete = len(buffer) - end - 4 >= length
    return (int(head[9:12]), b"\r\nconnection: close" in head) if complete else None


async def _user(
    host: str,
    port: int,
    make_request: Callable[[random.Random], bytes],
    deadline: float,
    result: LoadResult,
    rng: random.Random,
    record_after: float,
    keepalive: bool,
) -> None:
    loop = asyncio.get_running_loop()
    exchange: _Exchange | None = None
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            if exchange is None or exchange.closed:
                exchange = (await loop.create_connection(_Exchange, host, port))[1]
            request = make_request(rng)
            if not keepalive:
                request = request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            status, close = await exchange.send(request)
        except (ConnectionError, OSError):
            result.errors += 1
            if exchange is not None:
                exchange.transport.close()
            exchange = None
            continue
        end = time.perf_counter()
        if start >= record_after:
            result.latencies_ms.append((end - start) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        if close or not keepalive:
            exchange.transport.close()
            exchange = None
    if exchange is not None:
        exchange.transport.close()


def run_load(
    *,
    host: str,
    port: int,
    make_request: Callable[[random.Random], bytes],
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    seed: int = 1,
    keepalive: bool = False,
) -> LoadResult:
    """``concurrency`` users send requests back to back for ``warmup_s + duration_s``;
    only the requests started after the warm-up are recorded."""
    result = LoadResult()

    async def main() -> None:
        start = time.perf_counter()
        record_after = start + warmup_s
        deadline = record_after + duration_s
        await asyncio.gather(
            *(
                _user(
                    host,
                    port,
                    make_request,
                    deadline,
                    result,
                    random.Random(seed + i),
                    record_after,
                    keepalive,
                )
                for i in range(concurrency)
            )
        )
        result.elapsed_s = time.perf_counter() - record_after

    asyncio.run(main())
    return result
