"""A lean closed-loop HTTP/1.1 load generator (asyncio, one virtual user per coroutine), so
the generator's own CPU stays small next to the server it measures on the same two cores.

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


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close, chunked = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


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
    reader = writer = None
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            request = make_request(rng)
            if not keepalive:
                request = request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            writer.write(request)
            await writer.drain()
            status, close = await _read_response(reader)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        end = time.perf_counter()
        if start >= record_after:
            result.latencies_ms.append((end - start) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        if close or not keepalive:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


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
