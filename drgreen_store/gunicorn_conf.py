"""gunicorn settings for the ``web`` service: ``gunicorn -c python:drgreen_store.gunicorn_conf``.

Access lines come from the app (``integration.request``, JSON with the correlation id), so
gunicorn's own access log stays off; its error log uses the same JSON formatter.
"""

import os

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - in a container
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Worker heartbeat files in RAM: a container's overlay filesystem can stall them.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for containers
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "integration.logging.JsonFormatter"}},
    "filters": {"redact": {"()": "integration.logging.RedactingFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
