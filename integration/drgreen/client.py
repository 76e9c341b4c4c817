"""The Dr Green partner API client: signing core plus one mixin per resource area."""

from __future__ import annotations

from .core import BaseClient
from .resources import CartsMixin, ClientsMixin, OrdersMixin, ReportsMixin, SalesMixin, StrainsMixin

__all__ = ["DrGreenClient"]


class DrGreenClient(
    ClientsMixin, OrdersMixin, CartsMixin, StrainsMixin, SalesMixin, ReportsMixin, BaseClient
):
    """Signed client for ``https://api.drgreennft.com/api/v1`` (or the sandbox).

    ``DrGreenClient(base_url, api_key, secret_key, *, connect_timeout=5.0, read_timeout=30.0,
    get_retries=3, on_call=None, session=None, accept_empty_detail_signature=None)``; see
    :meth:`BaseClient.__init__` for the options and :meth:`BaseClient.request` for raw calls.
    Resource methods return ``data`` (dicts), :class:`Page` for lists, and raise
    :class:`DrGreenError` subclasses. Only GETs are retried.
    """
