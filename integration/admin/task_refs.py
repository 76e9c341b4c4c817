"""The Celery tasks the console's actions queue, by dotted path (resolved at click time).

Each is thin and owned by the feature that does the work: the polling engine refreshes,
checkout recovers placements, notifications re-send. The console only passes ids.
"""

from .enqueue import TaskRef

ORDER_REFRESH = TaskRef("integration.tasks.polling.order_refresh", "order_id")
CLIENT_REFRESH = TaskRef("integration.tasks.polling.client_refresh", "client_id")
PLACEMENT_RECOVER = TaskRef("integration.tasks.checkout.placement_recover", "placement_id")
NOTIFICATION_RESEND = TaskRef("integration.tasks.notify.notification_resend", "notification_id")
SUMMARIES_SNAPSHOT = TaskRef("integration.tasks.console.summaries_snapshot", "requested_by")
WEBHOOK_RESEND = TaskRef("integration.tasks.webhooks.webhook_resend", "event_id")
