"""Webhook endpoints, their events and delivery attempts (group "Store admin" only).

A secret is shown once, on the page that answers its creation or rotation, and never again:
no field, column or form holds it. Sending happens in workers: "resend" and "send a test
event" only queue.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.views.decorators.cache import add_never_cache_headers

from integration.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from integration.services import webhooks

from . import task_refs
from .base import ReadOnlyAdmin, ReadOnlyInline
from .display import badge, pretty_json


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.CharField(
        required=False,
        help_text=f"Comma-separated, blank for all: {', '.join(webhooks.EVENT_TYPES)}.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "event_types")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["event_types"] = ",".join(self.instance.types)

    def clean_url(self):
        try:
            return webhooks.endpoint_url_validate(self.cleaned_data["url"])
        except webhooks.EndpointError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_event_types(self):
        try:
            return webhooks.event_types_parse(self.cleaned_data.get("event_types") or "")
        except webhooks.EndpointError as exc:
            raise forms.ValidationError(str(exc)) from None


def _secret_page(modeladmin, request, endpoint, secret: str, *, rotated: bool):
    response = TemplateResponse(
        request,
        "integration/admin/webhook_secret.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Secret rotated" if rotated else "Webhook endpoint created",
            "subtitle": None,
            "opts": modeladmin.model._meta,
            "endpoint": endpoint,
            "secret": secret,
            "rotated": rotated,
        },
    )
    # The secret must not sit in any cache or the browser's back/forward store.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, " + response["Cache-Control"]
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("pk", "url", "description", "types_display", "state", "failing_since", "last_success_at")
    list_display_links = ("pk", "url")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    actions = ("enable", "disable", "rotate_secret", "send_test")
    readonly_fields = (
        "state",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "paused_until",
        "last_success_at",
        "previous_secret_expires_at",
        "created_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("url", "description", "event_types")
        return ("url", "description", "event_types", *self.readonly_fields)

    @admin.display(description="events")
    def types_display(self, obj):
        return ", ".join(obj.types) or "all"

    @admin.display(description="state", ordering="is_active")
    def state(self, obj):
        if not obj.is_active:
            return badge(
                "disabled", label=f"disabled: {obj.disabled_reason}" if obj.disabled_reason else None
            )
        return badge("failing") if obj.failing_since else badge("active")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["url", "description", "event_types", "updated_at"])
            return
        created = webhooks.endpoint_create(
            url=obj.url, event_types=obj.event_types.strip(",").split(","), description=obj.description
        )
        obj.pk, obj.secret, obj.created_at = created.endpoint.pk, "", created.endpoint.created_at
        obj._state.adding, obj._state.db = False, created.endpoint._state.db
        request._drgreen_webhook_secret = created.secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_drgreen_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(self, request, obj, secret, rotated=False)

    @admin.action(description="Enable selected endpoints (pending events go out)", permissions=["change"])
    def enable(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            webhooks.endpoint_set_active(endpoint_id=pk, active=True)
        self.message_user(request, "Enabled.", messages.SUCCESS)

    @admin.action(description="Disable selected endpoints", permissions=["change"])
    def disable(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            webhooks.endpoint_set_active(endpoint_id=pk, active=False, reason=f"disabled by {request.user}")
        self.message_user(request, "Disabled.", messages.SUCCESS)

    @admin.action(
        description="Rotate the secret (one endpoint; the old one signs for 24 h more)",
        permissions=["change"],
    )
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint at a time.", messages.ERROR)
            return None
        rotated = webhooks.endpoint_rotate_secret(endpoint_id=queryset.get().pk)
        return _secret_page(self, request, rotated.endpoint, rotated.secret, rotated=True)

    @admin.action(description="Send a webhook.test event (queued)", permissions=["change"])
    def send_test(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            webhooks.endpoint_test(endpoint_id=pk)
        self.message_user(request, "Queued a webhook.test event; its delivery shows under Webhook events.")


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "http_status", "error", "duration_ms", "manual")
    readonly_fields = fields
    show_change_link = False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "type",
        "msg_id",
        "endpoint",
        "state_badge",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "type", "endpoint")
    search_fields = ("msg_id", "fact")
    uuid_search_fields = ("order_drgreen_id",)
    list_select_related = ("endpoint",)
    ordering = ("-pk",)
    actions = ("resend",)
    inlines = (AttemptInline,)
    fields = (
        ("type", "msg_id"),
        "endpoint",
        "fact",
        "state_badge",
        ("attempts", "last_status", "last_error"),
        ("occurred_at", "created_at", "next_attempt_at", "delivered_at"),
        "data_json",
    )
    readonly_fields = ("state_badge", "data_json")

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return badge(obj.state)

    @admin.display(description="data")
    def data_json(self, obj):
        return pretty_json(obj.data)

    @admin.action(description="Resend selected events (queued; same webhook-id)", permissions=["queue"])
    def resend(self, request, queryset):
        self.queue_task(request, queryset, ref=task_refs.WEBHOOK_RESEND, what="events", done="a resend")
