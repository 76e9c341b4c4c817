"""Privacy in the console: the erasure action (store admins only, with a confirmation page),
the erasure records and the access log (both read-only), and the access-log hook that the
client and order pages call."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from integration.models import AccessLogEntry, ErasureRecord
from integration.services.privacy.access_log import access_log_record
from integration.services.privacy.erasure import Subject, customer_erase

from .base import ReadOnlyAdmin
from .groups import ADMIN_GROUP

MAX_ERASE = 20


def is_store_admin(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()))


def log_client_view(request, clients, view: str) -> None:
    """Record that this staff member's page showed these clients' personal data."""
    access_log_record(staff=request.user, clients=clients, view=view, path=request.get_full_path())


class AccessLoggedChangelist:
    """Mixin for a ModelAdmin whose list and change pages show clients' personal data:
    ``logged_clients(objects)`` names the clients a page showed."""

    access_log_view = ""

    def logged_clients(self, objects):
        """The clients a page showed, as instances or ``(pk, drgreen_id)`` pairs. Default:
        each row's own ``client`` foreign key (read from the row, no extra query)."""
        return [(o.client_id, getattr(o.client, "drgreen_id", None)) for o in objects if o.client_id]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and hasattr(cl, "result_list"):
            view = f"admin:{self.access_log_view}_list"
            log_client_view(request, self.logged_clients(cl.result_list), view)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if original is not None:
            log_client_view(request, self.logged_clients([original]), f"admin:{self.access_log_view}_change")
        return response


class EraseCustomersAction:
    """Mixin for ClientAdmin: "Erase selected customers" for the Store admin group."""

    def has_erase_permission(self, request, obj=None) -> bool:
        return is_store_admin(request.user)

    @admin.action(description="Erase selected customers (right to erasure; asks for confirmation)",
                  permissions=["erase"])  # fmt: skip
    def erase_customers(self, request, queryset):
        clients = list(queryset.select_related("user")[: MAX_ERASE + 1])
        if len(clients) > MAX_ERASE:
            self.message_user(request, f"At most {MAX_ERASE} customers at once.", messages.ERROR)
            return None
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "integration/admin/confirm_erase.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase these customers?",
                    "subtitle": None,
                    "opts": self.model._meta,
                    "action": "erase_customers",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "select_across": 0,
                    "confirm_label": "Yes, erase these customers",
                    "objects": clients,
                },
            )
        done = 0
        for client in clients:
            if client.user_id:
                subject = Subject(user=client.user, clients=list(client.user.drgreen_clients.all()))
            else:
                subject = Subject(user=None, clients=[client])
            customer_erase(subject=subject, requested_by=request.user.get_username(), source="admin")
            done += 1
        self.message_user(request, f"Erased {done} customer(s); the erasure records list them.")
        return None


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ("erased_at", "user_id", "client_drgreen_ids", "requested_by", "source")
    fields = ("erased_at", "user_id", "client_drgreen_ids", "requested_by", "source", "counts")
    ordering = ("-erased_at", "-pk")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "staff_username", "client_drgreen_id", "view", "path")
    list_filter = ("view",)
    search_fields = ("staff_username", "view")
    uuid_search_fields = ("client_drgreen_id",)
    date_hierarchy = "at"
    fields = ("at", "staff_username", "staff", "client_id", "client_drgreen_id", "view", "path")
    ordering = ("-at", "-pk")
