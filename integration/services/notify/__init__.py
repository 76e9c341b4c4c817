"""Customer notifications: at most one email per (status change, channel).

Flow: the sync layer records a ``StatusChange`` and, after commit, sends
``order_status_changed``; ``integration.receivers`` creates the ``Notification`` rows
(:func:`notifications_create_for_change`) and queues ``notification_send`` for each new
pending one. The beat sweep (:func:`notifications_send_pending`) covers lost tasks, and
staff re-send through :func:`notification_resend`. Which message a change earns is in
``messages`` (the transition table); the send-once reasoning is in ``delivery``.
"""

from integration.conf import CHANNEL_EMAIL

from .creation import CreateResult, notifications_create_for_change, order_recipient
from .delivery import notification_enqueue, notification_resend, notification_send
from .messages import RULES, Choice, message_for_change
from .pending import notifications_send_pending
from .rendering import format_amount, notification_email

__all__ = [
    "CHANNEL_EMAIL",
    "RULES",
    "Choice",
    "CreateResult",
    "format_amount",
    "message_for_change",
    "notification_email",
    "notification_enqueue",
    "notification_resend",
    "notification_send",
    "notifications_create_for_change",
    "notifications_send_pending",
    "order_recipient",
]
