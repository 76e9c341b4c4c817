"""The console's two groups, defined in code.

* "Store staff": *view* on every integration model except API tokens. Viewing a record also
  allows the console's queued actions on it (refresh, recover, re-send): those only ask a
  worker to do the work, with the same rules as the background sync.
* "Store admin": every permission on every integration model, tokens included, plus viewing
  users (to pick a token's owner).

Neither group makes anyone staff: an account still needs ``is_staff`` to log in to /admin/.
"""

from __future__ import annotations

import logging

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

logger = logging.getLogger("integration.admin")

STAFF_GROUP = "Store staff"
ADMIN_GROUP = "Store admin"

# Models whose rows only "Store admin" may see (they grant access to the store's API, or
# say where the store's events go).
ADMIN_ONLY_MODELS = frozenset({"apitoken", "webhookendpoint", "webhookevent", "webhookattempt"})


def group_permissions() -> dict[str, list[Permission]]:
    integration = Permission.objects.filter(content_type__app_label="integration").select_related(
        "content_type"
    )
    staff = [
        p
        for p in integration
        if p.codename.startswith("view_") and p.content_type.model not in ADMIN_ONLY_MODELS
    ]
    admin = list(integration) + list(
        Permission.objects.filter(content_type__app_label="auth", codename="view_user")
    )
    return {STAFF_GROUP: staff, ADMIN_GROUP: admin}


@transaction.atomic
def groups_ensure() -> dict[str, int]:
    """Create or update both groups so that each holds exactly its permissions (idempotent);
    returns the number of permissions per group."""
    result = {}
    for name, permissions in group_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        result[name] = len(permissions)
    return result


def ensure_groups_after_migrate(sender, app_config=None, using="default", apps=global_apps, **kwargs) -> None:
    """``post_migrate`` receiver: after the integration app migrates, bring the groups up
    to date so a new model's permissions reach them without anyone remembering a command."""
    if app_config is None or app_config.label != "integration":
        return
    if not global_apps.is_installed("django.contrib.auth"):
        return
    # Auth creates permissions in its own post_migrate receiver, which may run after this
    # one (the admin is listed before auth); creating them here first is idempotent.
    create_permissions(app_config, verbosity=0, using=using)
    counts = groups_ensure()
    logger.debug("console groups ensured: %s", counts)
