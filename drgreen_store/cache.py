"""Django's Redis cache with one ``redis.Redis`` client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call,
and redis-py rebuilds its table of ~170 response callbacks each time: about 0.4 ms of CPU
per call, and every throttled API request makes one (``bench.api``; the throttle's script in
``integration.api.throttle_redis`` runs on this client too). A client over a pool is
thread-safe and redis-py's pool reconnects after a fork, so one per pool is enough.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class _PooledClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _PooledClient
