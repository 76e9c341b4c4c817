"""How the staff console is installed: the admin AppConfig and the admin site class.

Both live outside the ``integration/admin/`` package on purpose. Django imports an
AppConfig's module while the app registry is still loading, and resolves ``default_site`` by
importing its module; importing anything inside ``integration.admin`` runs the package's
``__init__`` (which registers every ModelAdmin), so a site class in there would be built while
its own registrations were running and lose them. Everything the site needs from the console
is imported inside its methods.
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.urls import path
from django.utils import timezone


class StoreAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``admin.site`` = :class:`StoreAdminSite`."""

    default_site = "integration.admin_site.StoreAdminSite"

    def ready(self) -> None:
        super().ready()
        # The staff/admin groups follow the code after every migrate (see
        # integration.admin.groups); connected here because the console owns those groups.
        from integration.admin.groups import ensure_groups_after_migrate

        post_migrate.connect(ensure_groups_after_migrate, dispatch_uid="integration.admin.groups")


class StoreAdminSite(admin.AdminSite):
    """Django's admin site plus the dashboard URL and a "needs staff" panel on the index."""

    site_header = "Dr Green store console"
    site_title = "Dr Green store console"
    index_title = "Staff console"
    index_template = "integration/admin/index.html"

    def get_urls(self):
        from integration.admin.dashboard import dashboard_view

        return [
            path(
                "dashboard/",
                self.admin_view(partial(dashboard_view, admin_site=self)),
                name="drgreen_dashboard",
            ),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from integration.admin.attention import attention_context

        context = attention_context(request, now=timezone.now())
        context.update(extra_context or {})
        return super().index(request, context)
