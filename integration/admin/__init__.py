"""The staff console: Django admin classes for the mirror, placements and sync health.

Importing this package registers every admin (Django's autodiscovery imports it). The site
itself is :class:`integration.admin_site.StoreAdminSite`, installed as the default admin
site by ``integration.admin_site.StoreAdminConfig``.
"""

from . import catalogue, clients, history, orders, placements, privacy, sync, tokens, webhooks  # noqa: F401
