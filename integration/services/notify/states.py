"""Notification states (``Notification.state`` is a free string; these are ours).

::

    pending ──claim──▶ sending ──▶ sent
       ▲                  │ ├──▶ failed    the mail server refused it (not delivered), or we
       │                  │ │              gave up retrying an unreachable server
       └── not reached ◀──┘ └──▶ unknown   the send may have happened: an ambiguous error, or
           (retry later)                   the worker died between sending and recording it
    skipped: nothing to send (no message for this change, or no usable recipient)

Only ``pending`` is ever sent automatically, and a row leaves ``pending`` by one
conditional UPDATE, so at most one worker sends it. ``failed``, ``unknown`` and
``skipped`` wait for a person: ``notification_resend`` (the admin's "Re-send").
"""

from integration.models import Notification

PENDING = Notification.STATE_PENDING
SENDING = Notification.STATE_SENDING
SENT = Notification.STATE_SENT
FAILED = Notification.STATE_FAILED
SKIPPED = Notification.STATE_SKIPPED
# Same word and badge as a placement whose POST may have landed: "find out before retrying".
UNKNOWN = "unknown"

FINAL_STATES = frozenset({SENT, FAILED, SKIPPED, UNKNOWN})
