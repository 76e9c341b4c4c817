"""Settings for ``python -m bench.api`` only: the app's settings plus a URLconf that adds
the pass-through endpoint the benchmark compares against. Production never loads this."""

from drgreen_store.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
