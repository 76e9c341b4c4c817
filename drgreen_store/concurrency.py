"""How many web processes serve: ``WEB_CONCURRENCY``, else gunicorn's rule of thumb used by
``gunicorn_conf`` (2 × CPUs + 1, never fewer than 4). No Django imports: gunicorn's config
reads it too."""

import os


def web_concurrency() -> int:
    raw = (os.environ.get("WEB_CONCURRENCY") or "").strip()
    if raw.isascii() and raw.isdigit():
        return int(raw)
    return max(4, 2 * (os.cpu_count() or 1) + 1)
