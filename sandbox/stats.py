"""Request counters for assertions (retry policy, call budgets) and benchmarks."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_method: Counter[str] = Counter()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_route_status: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.dropped = 0

    def record(self, method: str, route: str, status: int | str) -> None:
        with self._lock:
            self.total += 1
            self.by_method[method] += 1
            self.by_route[route] += 1
            self.by_status[str(status)] += 1
            self.by_route_status[route][str(status)] += 1
            if status == "dropped":
                self.dropped += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_method": dict(self.by_method),
                "by_route": dict(self.by_route),
                "by_status": dict(self.by_status),
                "by_route_status": {k: dict(v) for k, v in self.by_route_status.items()},
                "dropped": self.dropped,
            }
