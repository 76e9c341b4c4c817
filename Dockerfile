# syntax=docker/dockerfile:1
# drgreen-store: one image for web (gunicorn), the Celery worker, beat and the sandbox.
# Build: docker build -t drgreen-store .     Run: docker compose up (see docker-compose.yml)

# --- build: resolve and install the pinned dependencies into a venv ----------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Every pin ships a manylinux wheel (psycopg[binary], cryptography): no compiler needed.
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt

# --- runtime: the venv and the source, run as an unprivileged user -----------------------
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=drgreen_store.settings \
    DRGREEN_VAR_DIR=/app/var \
    DJANGO_STATIC_ROOT=/app/static \
    DJANGO_DEBUG=false \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=app:app . /app
# Static files are collected at build time (collectstatic runs no Dr Green checks, so no
# key is needed here); gunicorn serves them through WhiteNoise.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-000000 \
    python manage.py collectstatic --noinput >/dev/null \
 && mkdir -p /app/var && chown -R app:app /app/var /app/static
USER app:app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "integration.observability.probe", "web"]
CMD ["gunicorn", "-c", "python:drgreen_store.gunicorn_conf", "drgreen_store.wsgi:application"]
