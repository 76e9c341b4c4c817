"""gunicorn settings for the ``web`` service: ``gunicorn -c python:drgreen_store.gunicorn_conf``.

Access lines come from the app (``integration.request``, JSON with the correlation id), so
gunicorn's own access log stays off; its error log uses the same JSON formatter.
"""

import os

from drgreen_store.concurrency import web_concurrency

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - in a container
# Processes, not threads, by default: a mirror read is CPU-bound Python, and threads in one
# process queue on the GIL. bench.api on 2 cores, same 6 request slots: 6 × 1 served 666
# req/s at p99 37 ms, 3 × 2 served 677 req/s at p99 72 ms, 2 × 3 511 req/s at p99 86 ms.
# Requests that wait on Dr Green inline (registration) hold a process, hence 2 × cores + 1
# (gunicorn's rule of thumb) and never fewer than 4.
workers = web_concurrency()
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Import the app (Django, the URLconf and every view: see wsgi.py) once, in the master, and
# fork the workers from it: a worker starts, and a recycled one restarts, ready to serve
# instead of spending ~1.5 s of CPU importing the same modules while requests wait
# (bench.api). Nothing connects at import (database, Redis and Dr Green connections open
# lazily, in each worker), so no connection is shared across the fork. New code needs a
# restart, not a HUP.
preload_app = True
# Recycle workers now and then so a slow leak can never grow without bound. Not too often:
# even forked from the master, a new worker opens its connections again.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
accesslog = None
errorlog = "-"
# Unset (or empty): gunicorn's own default. Setting it also tells the app a proxy is in
# front (integration.observability.views.behind_proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
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
