"""``manage.py drgreen_setup_groups``: create or update the console's groups.

The same code runs after every ``migrate`` (a ``post_migrate`` receiver, so a fresh database
or a new model never leaves the groups behind); this command is for running it on demand, e.g.
after someone edited the groups by hand. Idempotent: each group ends with exactly its
permissions (see ``integration.admin.groups``).
"""

from django.core.management.base import BaseCommand

from integration.admin.groups import groups_ensure


class Command(BaseCommand):
    help = 'Create or update the groups "Store staff" and "Store admin" with their permissions.'

    def handle(self, *args, **options):
        for name, count in groups_ensure().items():
            self.stdout.write(f"{name}: {count} permissions")
