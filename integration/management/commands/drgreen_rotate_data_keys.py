"""Re-encrypt held personal data with the newest ``DRGREEN_DATA_KEYS`` key.

    manage.py drgreen_rotate_data_keys

Rotation: put the new key first in ``DRGREEN_DATA_KEYS`` (keep the old one after it),
deploy, run this command, then remove the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integration.crypto import DataKeyError
from integration.services.privacy.key_rotation import data_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt held registration payloads with the newest DRGREEN_DATA_KEYS key."

    def handle(self, *args, **options):
        try:
            count = data_keys_rotate()
        except DataKeyError as exc:
            raise CommandError(f"{exc}: keep the old key in DRGREEN_DATA_KEYS until rotation ends") from None
        self.stdout.write(f"re-encrypted {count} registration payloads with the newest key")
