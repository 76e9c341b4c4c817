"""Status history and the customer notifications it triggered."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html

from integration.models import Notification, StatusChange

from . import task_refs
from .base import ReadOnlyAdmin
from .display import admin_link, badge, pretty_json
from .orders import changes_html
from .privacy import AccessLoggedChangelist


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("detected_at", "order_link", "sequence", "what_changed", "after", "source")
    list_display_links = ("detected_at",)
    list_filter = ("source", "detected_at")
    search_fields = ("order__invoice_number", "order__client__email", "order__client__last_name")
    uuid_search_fields = ("order__drgreen_id",)
    date_hierarchy = "detected_at"
    list_select_related = ("order",)
    ordering = ("-detected_at", "-pk")
    fields = (
        "order_link",
        "sequence",
        "what_changed",
        "after",
        ("fingerprint_before", "fingerprint_after"),
        "fields_changed_json",
        "source",
        ("observed_at", "detected_at"),
    )
    readonly_fields = ("order_link", "what_changed", "after", "fields_changed_json")

    @admin.display(description="order", ordering="order__invoice_number")
    def order_link(self, obj):
        return admin_link(obj.order)

    @admin.display(description="what changed")
    def what_changed(self, obj):
        return changes_html(obj)

    @admin.display(description="after (order / approval / payment)")
    def after(self, obj):
        return format_html(
            "{} {} {}", badge(obj.order_status), badge(obj.admin_approval), badge(obj.payment_status)
        )

    @admin.display(description="fields changed (raw)")
    def fields_changed_json(self, obj):
        return pretty_json(obj.fields_changed)


@admin.register(Notification)
class NotificationAdmin(AccessLoggedChangelist, ReadOnlyAdmin):
    # The recipient is the client's email address.
    access_log_view = "notification"

    def logged_clients(self, objects):
        orders = [n.status_change.order for n in objects]
        return [(o.client_id, o.client_drgreen_id) for o in orders if o.client_id]

    list_display = (
        "created_at",
        "order_link",
        "change",
        "channel",
        "state_badge",
        "recipient",
        "attempts",
        "sent_at",
    )
    list_display_links = ("created_at",)
    list_filter = ("state", "channel", "template")
    search_fields = ("recipient", "status_change__order__invoice_number")
    date_hierarchy = "created_at"
    list_select_related = ("status_change__order",)
    ordering = ("-created_at", "-pk")
    actions = ("resend",)
    fields = (
        "order_link",
        "change",
        ("channel", "template"),
        "state_badge",
        "recipient",
        ("attempts", "claimed_until"),
        "last_error",
        ("created_at", "sent_at", "updated_at"),
    )
    readonly_fields = ("order_link", "change", "state_badge")

    @admin.display(description="order", ordering="status_change__order__invoice_number")
    def order_link(self, obj):
        return admin_link(obj.status_change.order)

    @admin.display(description="status change")
    def change(self, obj):
        return format_html(
            "{} {}",
            admin_link(obj.status_change, f"#{obj.status_change.sequence}"),
            changes_html(obj.status_change),
        )

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return badge(obj.state)

    @admin.action(description="Re-send selected notifications (asks for confirmation)", permissions=["queue"])
    def resend(self, request, queryset):
        """Re-sending emails the customer again, so the first click only shows what would
        go out; the second (``confirm=yes``) queues one task per notification."""
        if request.POST.get("confirm") != "yes":
            rows = list(queryset.select_related("status_change__order")[:101])
            return TemplateResponse(
                request,
                "integration/admin/confirm_action.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Re-send notifications?",
                    "subtitle": None,
                    "opts": self.model._meta,
                    "action": "resend",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "objects": rows[:100],
                    "too_many": len(rows) > 100,
                    "already_sent": sum(1 for n in rows if n.state == Notification.STATE_SENT),
                    "question": "Each customer below gets the notification again, including those who "
                    "already received it.",
                    "confirm_label": "Yes, re-send",
                    "select_across": request.POST.get("select_across", "0"),
                },
            )
        self.queue_task(
            request,
            queryset,
            ref=task_refs.NOTIFICATION_RESEND,
            what="notifications",
            done="a re-send",
            by_user_id=request.user.pk,
        )
        return None
