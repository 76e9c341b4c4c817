"""Fault injection: what the gateway (Envoy) or an upstream can do to a request.

``latency`` delays, ``status`` answers instead of the app (502/503/504 with an
Envoy-like text body, 429 with optional ``Retry-After``), ``drop_after_commit``
runs and commits the request then closes the connection without a response,
``kyc_unavailable`` makes the FirstAML call of client create/update fail (403).
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("latency", "status", "drop_after_commit", "kyc_unavailable")

ENVOY_BODIES = {
    502: "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
    503: "upstream connect error or disconnect/reset before headers. reset reason: overflow",
    504: "upstream request timeout",
}


@dataclass
class Fault:
    id: int
    kind: str
    method: str | None = None  # None matches any method
    path: str | None = None  # request path as sent, without the query; None matches any
    status: int | None = None
    retry_after: str | None = None
    ms: int = 0
    count: int | None = None  # fire this many times, then disappear
    probability: float | None = None  # fire at random until deleted
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method not in (None, "*") and self.method != method:
            return False
        return self.path in (None, "*") or self.path.rstrip("/") == path.rstrip("/")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random()

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if kind == "status" and not isinstance(spec.get("status"), int):
            raise ValueError("status faults need an integer 'status'")
        count = spec.get("count")
        probability = spec.get("probability")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer")
        if probability is not None and not (isinstance(probability, int | float) and 0 <= probability <= 1):
            raise ValueError("probability must be between 0 and 1")
        method = spec.get("method")
        retry_after = spec.get("retry_after")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            method=method.upper() if isinstance(method, str) else None,
            path=spec.get("path"),
            status=spec.get("status"),
            retry_after=None if retry_after is None else str(retry_after),
            ms=int(spec.get("ms") or 0),
            count=count,
            probability=probability,
        )
        if "seed" in spec:
            self._rng.seed(spec["seed"])
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def fire(self, method: str, path: str) -> list[Fault]:
        """Faults that fire for this request (consuming ``count`` budgets)."""
        fired: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(method, path):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                fired.append(fault)
                if fault.count is not None and fault.fired >= fault.count:
                    self._faults.remove(fault)
        return fired
