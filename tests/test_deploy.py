"""Production settings: ``manage.py check --deploy`` is clean, and the settings it vouches
for really behave (HTTPS redirect behind the proxy header, HSTS, secure cookies, probes
exempt). Each case runs in a fresh process because settings are read from the
environment at import time."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from integration.drgreen import generate_key_pair

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture
def production_env(tmp_path, key_pair) -> dict[str, str]:
    """What an operator sets (see .env.example), and nothing inherited from this shell."""
    api_key, secret_key = key_pair
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT")}
    return {
        **keep,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "store.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://store.example.com",
        "DRGREEN_VAR_DIR": str(tmp_path / "var"),
        "DRGREEN_API_URL": "https://api.example.com/api/v1",
        "DRGREEN_API_KEY": api_key,
        "DRGREEN_SECRET_KEY": secret_key,
        # Several web processes share throttles through it (compose: redis://redis:6379/1);
        # the checks never connect to it.
        "CACHE_URL": "redis://127.0.0.1:6379/9",
        "DRGREEN_DATA_KEYS": Fernet.generate_key().decode(),
        # Tests may run on PostgreSQL; the checks do not touch the database either way.
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}"),
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(production_env):
    result = check_deploy(production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "drgreen.E101"),  # falls back to the embedded dev key
        ({"DRGREEN_DEMO": "true"}, "drgreen.E102"),
        ({"DRGREEN_METRICS_ALLOWED_IPS": "10.0.0.0/8,not-an-ip"}, "drgreen.E103"),
        ({"DRGREEN_DATA_KEYS": ""}, "drgreen.E105"),  # would derive the key from SECRET_KEY
        ({"DRGREEN_DATA_KEYS": "not-a-fernet-key"}, "drgreen.E008"),
        ({"DRGREEN_WEBHOOKS_ALLOW_PRIVATE": "true"}, "drgreen.E106"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SESSION_COOKIE_SECURE": "false"}, "security.W012"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, "security.W008"),
    ],
)
def test_check_deploy_catches_each_unsafe_setting(production_env, override, check_id):
    env = {**production_env, **override}
    if override.get("DJANGO_SECRET_KEY") == "":
        del env["DJANGO_SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert check_id in result.stdout + result.stderr


PROBE = r"""
import json, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="store.example.com")
plain = c.get("/admin/login/")
proxied = c.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
health = Client(HTTP_HOST="10.1.2.3:8000").get("/livez")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": proxied.status_code,
    "hsts": proxied.get("Strict-Transport-Security", ""),
    "cookies": {k: {"secure": bool(v["secure"])} for k, v in proxied.cookies.items()},
    "frame": proxied.get("X-Frame-Options", ""),
    "nosniff": proxied.get("X-Content-Type-Options", ""),
    "health": health.status_code,
}))
"""


def test_production_settings_behave_behind_a_tls_proxy(production_env):
    env = {**production_env, "DJANGO_SETTINGS_MODULE": "drgreen_store.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Plain HTTP is sent to HTTPS; what the proxy marks as HTTPS is served.
    assert seen["plain"] == [301, "https://store.example.com/admin/login/"]
    assert seen["proxied"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["cookies"]["csrftoken"]["secure"] is True
    assert seen["frame"] == "DENY" and seen["nosniff"] == "nosniff"
    # A probe on the container's own address, over plain HTTP, with an unlisted Host: answered.
    assert seen["health"] == 200


# --- Production guards: every entry point, not only `check --deploy` -------------------------


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# What `celery -A drgreen_store worker|beat` sends first (sender: the worker or beat service).
CELERY_START = (
    "from drgreen_store.celery import app; from celery import signals; "
    "signals.{signal}.send(sender=type('Service', (), {{'app': app}})())"
)
ENTRY_POINTS = {
    "check": ("manage.py", "check"),
    "migrate": ("manage.py", "migrate", "--noinput"),
    "runserver": ("manage.py", "runserver", "--noreload", "127.0.0.1:0"),
    "wsgi": ("-c", "import drgreen_store.wsgi"),
    "asgi": ("-c", "import drgreen_store.asgi"),
    "celery worker": ("-c", CELERY_START.format(signal="worker_init")),
    "celery beat": ("-c", CELERY_START.format(signal="beat_init")),
}


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"DJANGO_SECRET_KEY": None}, "drgreen.E101"),  # missing: the embedded dev key
        ({"DJANGO_SECRET_KEY": "dev-insecure-drgreen-store-change-me-" + "x" * 24}, "drgreen.E101"),
        ({"DRGREEN_DEMO": "true"}, "drgreen.E102"),
        ({"CACHE_URL": None, "WEB_CONCURRENCY": "3"}, "drgreen.E104"),
        ({"CACHE_URL": None}, "drgreen.E104"),  # gunicorn's default is at least 4 processes
        ({"CACHE_URL": "dummycache://", "WEB_CONCURRENCY": "2"}, "drgreen.E104"),
    ],
)
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_refuses_to_start(production_env, override, check_id, entry):
    env = {k: v for k, v in {**production_env, **override}.items() if v is not None}
    result = _run(env, *ENTRY_POINTS[entry])
    assert result.returncode != 0, (entry, result.stdout[-500:], result.stderr[-500:])
    assert check_id in result.stdout + result.stderr


@pytest.mark.parametrize("entry", ["check", "wsgi", "celery worker"])
def test_entry_points_start_with_production_settings(production_env, entry):
    result = _run(production_env, *ENTRY_POINTS[entry])
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr[-1000:]


def test_one_web_process_may_keep_its_own_cache(production_env):
    env = {k: v for k, v in production_env.items() if k != "CACHE_URL"}
    assert _run({**env, "WEB_CONCURRENCY": "1"}, *ENTRY_POINTS["check"]).returncode == 0


def test_debug_is_off_unless_asked_for(production_env):
    env = {k: v for k, v in production_env.items() if k != "DJANGO_DEBUG"}
    probe = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env["DJANGO_SETTINGS_MODULE"] = "drgreen_store.settings"
    result = _run(env, "-c", probe)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
    # The dev configuration (DEBUG on, as dev.py up sets it) starts on the embedded key.
    dev = {k: v for k, v in env.items() if k not in ("DJANGO_SECRET_KEY", "CACHE_URL")}
    assert _run({**dev, "DJANGO_DEBUG": "true"}, "-c", "import drgreen_store.wsgi").returncode == 0
