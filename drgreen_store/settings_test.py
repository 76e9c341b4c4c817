"""Settings for the test suite (pyproject's ``DJANGO_SETTINGS_MODULE``): the app's settings
with debug-mode defaults, as ``dev.py up`` runs them.

The app defaults to production (``DJANGO_DEBUG`` off: HTTPS redirect, secure cookies, the
production guards). Tests talk plain HTTP through Django's test client, so they read the
settings as a developer's machine does; pytest-django still runs each test with
``DEBUG=False``. Set here in the environment, so the worker and server processes tests
start read the same. Tests of production behaviour start processes with their own
environment (tests/test_deploy.py). Production never loads this module.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from drgreen_store.settings import *  # noqa: E402, F403
