"""Erase a customer's personal data (right to erasure).

    manage.py drgreen_erase_customer <user id or email>

Keeps the commercial facts (orders, invoice numbers, amounts, lines, statuses, dates),
records the erasure, is safe to run again, and exits non-zero for an unknown customer.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integration.services.errors import ServiceError
from integration.services.privacy.erasure import customer_erase, customer_find


class Command(BaseCommand):
    help = "Erase a customer's personal data from every table (user id or email)."

    def add_arguments(self, parser):
        parser.add_argument("customer", help="local user id, or the customer's email")

    def handle(self, *args, **options):
        try:
            subject = customer_find(ref=options["customer"])
            record, created = customer_erase(subject=subject, requested_by="command", source="command")
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        verb = "erased" if created else "already erased (checked again)"
        ids = ", ".join(record.client_drgreen_ids) or "none"
        self.stdout.write(f"{verb}: erasure #{record.pk}, user {record.user_id}, Dr Green clients: {ids}")
