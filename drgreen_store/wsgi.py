import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drgreen_store.settings")
application = get_wsgi_application()

# Django's command runner checks; a WSGI/ASGI server does not: refuse to serve when DEBUG is
# off and the production guards fail (integration.checks).
from integration.checks import production_guard  # noqa: E402

production_guard()

# The URLconf (every view, serializer and service they import) now, not on the first
# request: gunicorn's preload_app then forks workers that have it (drgreen_store.gunicorn_conf).
get_resolver().url_patterns  # noqa: B018 - loading it is the point
