"""Base classes of the staff console.

* :class:`ReadOnlyAdmin`: records staff may look at but never edit by hand (sync logs,
  placements, notifications). Staff with the *view* permission see every page.
* :class:`MirroredAdmin`: the read-only local copy of a Dr Green resource, with its raw
  payloads pretty-printed, the Dr Green console link and the "refresh from Dr Green" action
  and button (dj-stripe's ``StripeModelAdmin``, anchors §1.2, minus its in-request sync).
* :class:`ReadOnlyInline`: tabular inlines with no add/change/delete.

Actions never call Dr Green: they queue a Celery task after commit (``enqueue``) and say so.
"""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from integration.models import BreakerState
from integration.services.mirror.parsing import payload_redact

from .display import console_link, pretty_json
from .enqueue import MAX_ROWS_PER_ACTION, TaskRef, TaskUnavailable, enqueue


class NoWrites:
    """No add, change or delete, for anyone (view permission still applies)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    """View-only admin: nothing here is edited by hand (the data comes from Dr Green or
    from the integration's own bookkeeping, and a hand edit would hide the truth)."""

    # The count of all rows (next to a filtered count) is one more COUNT over a big table on
    # every filtered page; staff rarely need it.
    show_full_result_count = False
    list_per_page = 50

    # UUID columns searched by exact value when the search term is a UUID (text lookups on
    # a UUID column differ between SQLite, which stores hex without dashes, and PostgreSQL).
    uuid_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            value = uuid.UUID(search_term.strip())
        except ValueError:
            return results, may_have_duplicates
        match = Q()
        for field in self.uuid_search_fields:
            match |= Q(**{field: value})
        if not match:
            return results, may_have_duplicates
        return results | queryset.filter(match), may_have_duplicates

    # Staff who may look at a row may also queue work about it (group "Store staff" is
    # "view + actions"); checked per action through Django's ``allowed_permissions``.
    def has_queue_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def queue_task(self, request, queryset, *, ref: TaskRef, what: str, done: str, **extra) -> int:
        """Queue ``ref`` for each selected row and report back; returns how many were queued.

        ``done`` completes "Queued … for 3 orders" (e.g. "a refresh from Dr Green").
        """
        ids = list(queryset.values_list("pk", flat=True)[: MAX_ROWS_PER_ACTION + 1])
        if len(ids) > MAX_ROWS_PER_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_ROWS_PER_ACTION} {what} at a time (each one is its own Dr Green work).",
                messages.ERROR,
            )
            return 0
        if not ids:
            self.message_user(request, f"Nothing to queue: no {what} qualify.", messages.WARNING)
            return 0
        try:
            result = enqueue(ref, ids, **extra)
        except TaskUnavailable:
            self.message_user(
                request, f"Cannot queue {done}: the task {ref.path} is not installed.", messages.ERROR
            )
            return 0
        if result.queued:
            self.message_user(
                request,
                f"Queued {done} for {result.queued} {what}. The page shows the outcome once a worker has "
                "run it, usually within a minute.",
                messages.SUCCESS,
            )
        if result.failed:
            self.message_user(
                request,
                f"Could not queue {done} for {result.failed} {what}: the task queue is not reachable.",
                messages.ERROR,
            )
        warn_if_breaker_open(self, request)
        return result.queued


def warn_if_breaker_open(modeladmin, request) -> None:
    """Queued Dr Green work waits while the circuit breaker is open; say so, with until when."""
    now = timezone.now()
    breaker = (
        BreakerState.objects.filter(state="open", opened_until__gt=now).order_by("-opened_until").first()
    )
    if breaker is not None:
        modeladmin.message_user(
            request,
            f"Dr Green calls are paused by the circuit breaker until {breaker.opened_until:%H:%M} UTC "
            f"({breaker.last_error[:120] or 'repeated failures'}); queued work runs after that.",
            messages.WARNING,
        )


class MirroredAdmin(ReadOnlyAdmin):
    """A mirrored Dr Green resource: read-only, raw JSON, console link, queued refresh.

    Subclasses set ``fieldsets`` for their own columns; the Dr Green bookkeeping and the raw
    payloads are appended. ``refresh_task`` (a :class:`TaskRef`) enables the refresh action and
    the button on the change page.
    """

    refresh_task: TaskRef | None = None
    refresh_noun: str = "rows"
    uuid_search_fields = ("drgreen_id",)
    change_form_template = "integration/admin/mirrored_change_form.html"

    mirror_readonly = (
        "drgreen_id",
        "console",
        "created_at",
        "updated_at",
        "first_seen_at",
        "last_synced_at",
        "remote_missing_since",
        "raw_pretty",
    )
    mirror_fieldsets = (
        (
            "Dr Green record",
            {
                "fields": (
                    ("drgreen_id", "console"),
                    ("created_at", "updated_at"),
                    ("first_seen_at", "last_synced_at"),
                    "remote_missing_since",
                )
            },
        ),
        ("Raw payloads (last one per endpoint)", {"classes": ("collapse",), "fields": ("raw_pretty",)}),
    )

    actions = ("refresh_from_drgreen",)

    def get_readonly_fields(self, request, obj=None):
        return (*self.mirror_readonly, *super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        if not self.fieldsets:
            return super().get_fieldsets(request, obj)
        return (*self.fieldsets, *self.mirror_fieldsets)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.refresh_task is None:
            actions.pop("refresh_from_drgreen", None)
        return actions

    @admin.display(description="Dr Green console")
    def console(self, obj):
        return console_link(obj)

    @admin.display(description="Raw payloads")
    def raw_pretty(self, obj):
        # raw is stored redacted already; redacting again keeps that true for rows written
        # before a key joined REDACTED_KEYS (medical data must never reach this page).
        return pretty_json(payload_redact(obj.raw))

    @admin.display(description="in Dr Green", boolean=True, ordering="remote_missing_since")
    def present_remotely(self, obj):
        # A tombstoned row (gone from Dr Green after a confirmed reconcile) stays for history.
        return obj.remote_missing_since is None

    @admin.action(description="Refresh selected from Dr Green (queued)", permissions=["queue"])
    def refresh_from_drgreen(self, request, queryset):
        self.queue_task(
            request, queryset, ref=self.refresh_task, what=self.refresh_noun, done="a refresh from Dr Green"
        )

    # --- the refresh button on the change page --------------------------------------------

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name=f"{meta.app_label}_{meta.model_name}_refresh",
            ),
            *super().get_urls(),
        ]

    def refresh_view(self, request, object_id):
        if request.method != "POST":
            raise PermissionDenied("Refreshing is a POST (it queues work).")
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if self.refresh_task is None or not self.has_queue_permission(request, obj):
            raise PermissionDenied
        self.queue_task(
            request,
            self.model._default_manager.filter(pk=obj.pk),
            ref=self.refresh_task,
            what=self.model._meta.verbose_name,
            done="a refresh from Dr Green",
        )
        meta = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        meta = self.model._meta
        context.update(
            refresh_url=(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_refresh", args=[obj.pk])
                if obj is not None
                and self.refresh_task is not None
                and self.has_queue_permission(request, obj)
                else ""
            ),
            console_url=obj.console_url if obj is not None else "",
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


class ReadOnlyInline(NoWrites, admin.TabularInline):
    """An inline that only shows rows; links to the row's own page where it has one."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


def yes_no_unknown(value) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def short_uuid(value) -> str:
    return format_html('<code title="{}">{}…</code>', value, str(value)[:8]) if value else "—"
