import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drgreen_store.settings")
application = get_wsgi_application()

# Django's command runner checks; a WSGI/ASGI server does not: refuse to serve when DEBUG is
# off and the production guards fail (integration.checks).
from integration.checks import production_guard  # noqa: E402

production_guard()
