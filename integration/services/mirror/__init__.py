"""The mirror: Dr Green JSON in, mirror rows and status changes out. No HTTP in here.

The pollers (``services/polling``), the checkout and the admin's refresh call these with
payloads they fetched and the time they fetched them (``observed_at``).
"""

from .clients import (
    HeldClient,
    client_upsert_from_create,
    client_upsert_from_detail,
    clients_upsert_from_list,
)
from .created import order_record_created
from .orders import (
    order_upsert_from_create,
    order_upsert_from_detail,
    orders_upsert_from_client_orders,
    orders_upsert_from_list,
    orders_upsert_from_recent,
)
from .results import UpsertResult
from .sales import sales_upsert_from_list
from .status import fingerprint
from .strains import strain_upsert_from_detail, strains_upsert_from_list
from .tiers import client_next_kyc_poll_at, order_next_poll_at, order_poll_tier

__all__ = [
    "HeldClient",
    "UpsertResult",
    "client_next_kyc_poll_at",
    "client_upsert_from_create",
    "client_upsert_from_detail",
    "clients_upsert_from_list",
    "fingerprint",
    "order_next_poll_at",
    "order_poll_tier",
    "order_record_created",
    "order_upsert_from_create",
    "order_upsert_from_detail",
    "orders_upsert_from_client_orders",
    "orders_upsert_from_list",
    "orders_upsert_from_recent",
    "sales_upsert_from_list",
    "strain_upsert_from_detail",
    "strains_upsert_from_list",
]
