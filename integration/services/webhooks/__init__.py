"""Outbound webhooks following Standard Webhooks (https://www.standardwebhooks.com/).

- ``facts``: one function per kind of fact (order created, order status changed, placement
  placed/rejected/needs staff, client status changed), called inside the fact's own
  transaction; ``outbox`` writes the event rows (unique per fact and endpoint).
- ``delivery``: Celery workers send them (claim, POST, record, retry with jitter).
- ``endpoints``: create, rotate, enable/disable, test; ``ssrf``: where we may send.
"""

from .delivery import (
    event_body,
    event_deliver,
    event_resend,
    events_deliver_batch,
    events_send_due,
    retry_delay,
)
from .endpoints import (
    EndpointError,
    endpoint_create,
    endpoint_rotate_secret,
    endpoint_set_active,
    endpoint_test,
    endpoint_url_validate,
    event_types_parse,
)
from .facts import EVENT_TYPES
from .outbox import Fact, events_record
from .ssrf import TargetRefused, target_resolve

__all__ = [
    "EVENT_TYPES",
    "EndpointError",
    "Fact",
    "TargetRefused",
    "endpoint_create",
    "endpoint_rotate_secret",
    "endpoint_set_active",
    "endpoint_test",
    "endpoint_url_validate",
    "event_types_parse",
    "event_body",
    "event_deliver",
    "event_resend",
    "events_deliver_batch",
    "events_record",
    "events_send_due",
    "retry_delay",
    "target_resolve",
]
