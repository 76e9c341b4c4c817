"""Signal receivers of the integration app (imported by ``IntegrationConfig.ready()``).

``integration.signals.order_status_changed`` is sent once per new ``StatusChange`` after
its transaction commits, with ``status_change_id``, ``order_id`` and ``source``. Project
code can connect its own receivers the same way::

    from django.dispatch import receiver
    from integration.signals import order_status_changed

    @receiver(order_status_changed, dispatch_uid="myproject.on_order_status")
    def on_order_status(sender, *, status_change_id, order_id, source, **kwargs):
        ...  # read StatusChange(pk=status_change_id); queue work by id, keep it quick

Receivers run through ``send_robust``: an exception is logged and never undoes the change
or stops other receivers. They run in the process that detected the change (a sync
worker), so anything slow belongs in a task.
"""

from __future__ import annotations

from django.dispatch import receiver

from integration.models import Notification
from integration.services import notify
from integration.signals import order_status_changed


@receiver(order_status_changed, dispatch_uid="integration.notify_customer")
def notify_customer(sender, *, status_change_id: int, **kwargs) -> None:
    """Create the change's notification rows and queue a send for each new pending one.

    A repeated signal creates nothing new and so queues nothing. Rows created here but
    whose task never runs are sent by the beat sweep.
    """
    result = notify.notifications_create_for_change(status_change_id=status_change_id)
    for row in result.created:
        if row.state == Notification.STATE_PENDING:
            notify.notification_enqueue(notification_id=row.pk)
