"""The polling tests share the mirror tests' clock and seed fixtures."""

from tests.integration.services.mirror.conftest import later, real_sqlite_param_limit, rng, t0  # noqa: F401
