"""The throttle's one-round-trip Redis counter keeps DRF's sliding-window rule: same
decisions and same ``Retry-After`` as DRF's get-then-set on any other cache, atomic across
processes, and the API's 429 contract unchanged."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from rest_framework.test import APIRequestFactory

from integration.api import throttle_redis
from integration.api.throttling import PrincipalScopedThrottle

from .conftest import error_of

REDIS_URL = os.environ.get("DRGREEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")


def _redis_up() -> bool:
    url = urlsplit(REDIS_URL)
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS_URL}")


@pytest.fixture
def redis_cache(settings):
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "drgreen_store.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    }
    cache = caches["default"]
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def _rate(settings, scope: str, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate},
    }


def _decisions(times: list[float], ip: str) -> list[tuple[bool, float | None]]:
    """One throttle per request, as DRF makes them; the clock is ``times``."""
    request = APIRequestFactory().get("/api/v1/probe", REMOTE_ADDR=ip)
    view = SimpleNamespace(throttle_scope="probe")
    out = []
    for now in times:
        throttle = PrincipalScopedThrottle()
        throttle.timer = lambda now=now: now
        allowed = throttle.allow_request(request, view)
        out.append((allowed, None if allowed else throttle.wait()))
    return out


# Bursts, the exact edge of the window (an entry exactly one window old has expired, as in
# DRF), refusals that must not count, and a long pause.
BASE = 1_764_000_000.25
TIMES = [BASE + t for t in (0, 0.5, 1, 1.5, 2, 30, 59.999, 60, 60.5, 61, 61, 61.2, 62, 120, 200, 200.1)]


@pytest.mark.parametrize("rate", ["3/min", "1/s", "5/min"])
def test_decisions_and_waits_match_drf_on_a_plain_cache(settings, rate):
    _rate(settings, "probe", rate)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert throttle_redis.counter_for(caches["default"]) is None  # DRF's own code path
    expected = _decisions(TIMES, ip=f"10.0.0.{len(rate)}")
    assert any(not allowed for allowed, _ in expected) and any(allowed for allowed, _ in expected)

    settings.CACHES = {
        "default": {
            "BACKEND": "drgreen_store.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    assert throttle_redis.counter_for(caches["default"]) is not None
    got = _decisions(TIMES, ip=f"10.0.0.{len(rate)}")  # its keys expire with their window
    assert [a for a, _ in got] == [a for a, _ in expected]
    assert [w for _, w in got] == pytest.approx([w for _, w in expected], abs=1e-6, nan_ok=True)


def test_the_count_is_atomic_across_concurrent_callers(redis_cache):
    counter = throttle_redis.counter_for(redis_cache)
    allowed = []

    def hit():
        for _ in range(20):
            allowed.append(counter.hit("burst", now=BASE, duration=60, limit=25).allowed)

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 25 and len(allowed) == 120


def test_the_window_expires_with_the_key(redis_cache):
    counter = throttle_redis.counter_for(redis_cache)
    assert counter.hit("ttl", now=BASE, duration=2, limit=1).allowed
    client = redis_cache._cache.get_client(write=True)
    ttl_ms = client.pttl(redis_cache.make_and_validate_key("ttl:window"))
    assert 0 < ttl_ms <= 2000


def test_a_list_drf_left_under_the_plain_key_does_not_break_it(redis_cache):
    redis_cache.set("drgreen-api-throttle:probe:ip:10.9.9.9", [BASE - 1, BASE - 2], 60)
    counter = throttle_redis.counter_for(redis_cache)
    assert counter.hit("drgreen-api-throttle:probe:ip:10.9.9.9", now=BASE, duration=60, limit=1).allowed


def test_the_api_answers_429_throttled_with_retry_after(redis_cache, settings, as_customer):
    _rate(settings, "profile", "2/min")
    codes = [as_customer.get("/api/v1/me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = as_customer.get("/api/v1/me")
    error = error_of(r)
    assert error["code"] == "throttled"
    assert 0 < int(r["Retry-After"]) == error["details"]["retryAfter"] <= 61  # ceil(wait), +1 (exceptions.py)


@pytest.fixture
def no_script_cache(settings):
    """A Redis user refused Lua scripts, as some managed services configure it (ACL)."""
    admin = __import__("redis").Redis.from_url(REDIS_URL)
    user = f"noscript-{uuid.uuid4().hex[:8]}"
    admin.acl_setuser(user, enabled=True, nopass=True, keys=["*"], commands=["+@all", "-@scripting"])
    url = urlsplit(REDIS_URL)
    settings.CACHES = {
        "default": {
            "BACKEND": "drgreen_store.cache.RedisCache",
            "LOCATION": f"redis://{user}@{url.hostname}:{url.port or 6379}{url.path}",
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    yield caches["default"]
    admin.acl_deluser(user)


def test_a_server_refusing_scripts_falls_back_to_drfs_get_and_set(no_script_cache, settings):
    _rate(settings, "probe", "3/min")
    got = _decisions([BASE, BASE + 1, BASE + 2, BASE + 3], ip="10.0.0.77")
    assert [allowed for allowed, _ in got] == [True, True, True, False]
    assert got[3][1] == pytest.approx(57.0)  # DRF's wait: the oldest leaves the window in 57 s
    assert throttle_redis.counter_for(no_script_cache) is None  # refused once, not asked again
