"""Settings for ``python -m bench.checkout_chaos`` only: the app's settings, with the
mirror's client flags and stock counting as fresh for the whole run (steady state: the
pollers keep them fresh, as in ``bench.checkout`` and ``bench.soak``). Production never
loads this."""

from drgreen_store.settings import *  # noqa: F403

DRGREEN_CHECKOUT = {"MIRROR_TTL_S": 24 * 3600}
