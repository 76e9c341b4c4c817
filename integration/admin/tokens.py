"""API tokens: issued here by a store admin, shown in clear exactly once, then prefix only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import add_never_cache_headers

from integration.models import ApiToken

from .display import badge


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Only the group "Store admin" has permissions on tokens; "Store staff" does not even
    see the list. ``token_hash`` is never displayed (it would let anyone test guesses offline)."""

    list_display = ("name", "kind", "prefix_display", "user", "created_at", "last_used_at", "state")
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at", "-pk")
    raw_id_fields = ("user",)
    actions = ("revoke",)
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "kind", "user")
        return ("name", "kind", "prefix_display", "user", "created_at", "last_used_at", "revoked_at", "state")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Only the label can be edited; who and what a token is for is fixed at issue.
        return ("kind", "prefix_display", "user", "created_at", "last_used_at", "revoked_at", "state")

    @admin.display(description="token", ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj):
        return badge(
            "revoked" if obj.revoked_at else "active", label="revoked" if obj.revoked_at else "active"
        )

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, clear = ApiToken.issue(name=obj.name, kind=obj.kind, user=obj.user)
        # Adopt the issued row so the admin's log entry and redirect point at it; the clear
        # text rides on the request to the one response that shows it (never stored).
        obj.pk = token.pk
        obj.prefix = token.prefix
        obj.token_hash = token.token_hash
        obj.created_at = token.created_at
        obj._state.adding = False
        obj._state.db = token._state.db
        request._drgreen_clear_token = clear

    def response_add(self, request, obj, post_url_continue=None):
        clear = getattr(request, "_drgreen_clear_token", None)
        if clear is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "integration/admin/token_created.html",
            {
                **self.admin_site.each_context(request),
                "title": "Token created",
                "subtitle": None,
                "opts": self.model._meta,
                "token": obj,
                "clear_token": clear,
            },
        )
        # The clear token must not sit in any cache or the browser's back/forward store.
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, " + response["Cache-Control"]
        return response

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request, f"Revoked {count} token(s); they stop working immediately.", messages.SUCCESS
        )
