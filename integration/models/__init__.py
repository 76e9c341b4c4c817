"""The local mirror of Dr Green plus the sync bookkeeping; one module per model group."""

from .base import MONEY, QUANTITY, AddressFields, MirroredModel
from .clients import Client, ShippingAddress
from .email_proof import ClientLinkProof
from .notifications import Notification
from .onboarding import ClientRegistration, RegistrationState
from .orders import (
    PAID_PAYMENT_STATUSES,
    STATUS_FIELDS,
    TERMINAL_ADMIN_APPROVALS,
    TERMINAL_ORDER_STATUSES,
    Order,
    OrderLine,
    OrderQuerySet,
    StatusChange,
)
from .placements import OrderPlacement, PlacementAttempt, PlacementState
from .privacy import AccessLogEntry, ErasureRecord, SealedJSONField
from .sales import Sale
from .strains import Strain, StrainAvailability
from .sync import ApiCall, BreakerState, SyncLease, SyncRun
from .tokens import ApiToken, TokenKind, hash_token
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookEvent

__all__ = [
    "MONEY",
    "PAID_PAYMENT_STATUSES",
    "QUANTITY",
    "STATUS_FIELDS",
    "TERMINAL_ADMIN_APPROVALS",
    "TERMINAL_ORDER_STATUSES",
    "AddressFields",
    "AccessLogEntry",
    "ApiCall",
    "ApiToken",
    "BreakerState",
    "Client",
    "ClientLinkProof",
    "ErasureRecord",
    "ClientRegistration",
    "MirroredModel",
    "Notification",
    "Order",
    "OrderLine",
    "OrderPlacement",
    "OrderQuerySet",
    "PlacementAttempt",
    "PlacementState",
    "RegistrationState",
    "Sale",
    "SealedJSONField",
    "ShippingAddress",
    "StatusChange",
    "Strain",
    "StrainAvailability",
    "SyncLease",
    "SyncRun",
    "TokenKind",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "hash_token",
]
