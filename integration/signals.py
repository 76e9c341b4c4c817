"""Signals project code can connect to.

``order_status_changed`` is sent once per new ``StatusChange``, after the transaction that
recorded it commits, with ``status_change_id`` (and ``order_id``, ``source`` for
convenience). Receivers run through ``send_robust``: a failing receiver is logged and never
undoes or repeats the recorded change.
"""

from django.dispatch import Signal

order_status_changed = Signal()
