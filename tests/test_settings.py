"""Settings read from the environment: the cache that throttles and refresh de-duplication
share across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_CACHE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.CACHES['default']))"
)


def _cache_config(cache_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "drgreen_store.settings"
    if cache_url is not None:
        env["CACHE_URL"] = cache_url
    out = subprocess.run(
        [sys.executable, "-c", PRINT_CACHE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("cache_url", [None, ""])
def test_without_cache_url_each_process_has_its_own_memory_cache(cache_url):
    assert _cache_config(cache_url)["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_cache_url_selects_a_shared_redis_cache():
    config = _cache_config("redis://127.0.0.1:6379/9")
    assert config["BACKEND"] == "drgreen_store.cache.RedisCache"  # Django's, one client per pool
    assert config["LOCATION"] == "redis://127.0.0.1:6379/9"


PRINT_DB_OPTIONS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


@pytest.mark.parametrize(
    ("database_url", "threshold", "expected"),
    [
        ("postgres://u@127.0.0.1:5432/db", None, {}),  # off unless asked: PgBouncer transaction mode
        ("postgres://u@127.0.0.1:5432/db", "0", {}),
        ("postgres://u@127.0.0.1:5432/db", "5", {"server_side_binding": True, "prepare_threshold": 5}),
        ("sqlite:////tmp/x.sqlite3", "5", None),  # SQLite keeps its own options, nothing added
    ],
)
def test_prepared_statements_are_opt_in_and_postgresql_only(database_url, threshold, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_PREPARE_THRESHOLD")}
    env.update({"DJANGO_SETTINGS_MODULE": "drgreen_store.settings", "DATABASE_URL": database_url})
    if threshold is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = threshold
    out = subprocess.run(
        [sys.executable, "-c", PRINT_DB_OPTIONS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    options = json.loads(out.stdout.strip().splitlines()[-1])
    if expected is None:
        assert "server_side_binding" not in options and "prepare_threshold" not in options
    else:
        assert options == expected
