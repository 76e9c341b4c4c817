"""DRF's sliding-window throttle in one Redis round trip.

DRF's ``SimpleRateThrottle`` keeps a list of request times under the key: a cache ``get``,
then a ``set`` of the whole (pickled) list on every allowed request. Here the same list is a
sorted set (score = request time) and a Lua script does, atomically and in one call, what
DRF does in two: drop the times older than the window, refuse when ``limit`` remain
(a refused request is not counted), else add this one and renew the key's expiry. ``wait``
answers exactly as DRF's. The key gets a ``:window`` suffix: a list DRF left under the plain
key (before a deploy) is another Redis type. Used only when Django's cache is Redis (``drgreen_store.cache``);
other caches keep DRF's own code.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from dataclasses import dataclass

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ResponseError

logger = logging.getLogger("integration.api")

# KEYS[1]: the sorted set; ARGV: now, cutoff (now - window), limit, member, expiry in ms.
# Times travel as Python's repr and stay strings in Lua, so no precision is lost on the way.
_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, count + 1, false}
"""
# A member per request: two requests in the same microsecond must count twice.
_sequence = itertools.count()


@dataclass(frozen=True)
class Window:
    """One throttle decision: ``count`` requests in the window (this one included when
    allowed), ``oldest`` the time of the oldest of them when refused."""

    allowed: bool
    count: int
    oldest: float | None

    def wait(self, *, now: float, duration: float, limit: int) -> float | None:
        # DRF's SimpleRateThrottle.wait, with the count and oldest time from Redis.
        remaining = duration - (now - self.oldest) if self.oldest is not None else duration
        available = limit - self.count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class ScriptingRefused(Exception):
    """The Redis server refuses Lua scripts (some managed services do): use DRF's path."""


class RedisWindowCounter:
    def __init__(self, cache: RedisCache) -> None:
        self._cache = cache
        self._script = None
        self.refused = False

    def hit(self, key: str, *, now: float, duration: float, limit: int) -> Window:
        client = self._cache._cache.get_client(key, write=True)
        if self._script is None:  # EVALSHA, loading the script on a server that lacks it
            self._script = client.register_script(_SCRIPT)
        member = f"{now!r}:{os.getpid()}:{next(_sequence)}"
        expiry_ms = max(1, math.ceil(duration * 1000))
        args = [repr(now), repr(now - duration), limit, member, expiry_ms]
        try:
            allowed, count, oldest = self._script(
                keys=[self._cache.make_and_validate_key(f"{key}:window")], args=args, client=client
            )
        except ResponseError as exc:  # NOPERM, unknown command: never a 500 for a throttle
            self.refused = True
            logger.warning("api throttle: Redis refused its script (%s); using DRF's get and set", exc)
            raise ScriptingRefused from exc
        return Window(bool(allowed), int(count), None if oldest is None else float(oldest))


def counter_for(cache) -> RedisWindowCounter | None:
    """The counter over Django's ``cache`` (kept on it), or ``None`` when it is not Redis
    or its server refused the script."""
    if not isinstance(cache, RedisCache):
        return None
    counter = getattr(cache, "_drgreen_window_counter", None)
    if counter is None:
        counter = cache._drgreen_window_counter = RedisWindowCounter(cache)
    return None if counter.refused else counter
