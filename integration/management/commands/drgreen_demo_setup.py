"""Prepare the local demo: a staff login, a storefront token, demo customers; print how to use them.

    manage.py drgreen_demo_setup [--base-url http://127.0.0.1:8000] [--customers-per-country 1]

Idempotent: a second run finds the same staff user, the same token (its clear text is
kept in ``var/demo-storefront-token``, because only its hash is in the database) and the
same customers. Runs only with ``DRGREEN_DEMO=true``: it sets a known password on a
superuser, which must never happen in production.

Demo customers are Django users linked to Dr Green clients of the configured account (the
sandbox's seeded clients): the mirror is reconciled first, then one client per shipping
country that may order (verified, KYC done, active) gets a user. When a country has none,
and the sandbox control plane is reachable, one of its clients is approved there.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integration.conf import drgreen_settings
from integration.demo import sandbox_proxy
from integration.demo.accounts import CUSTOMER_PREFIX, STAFF_USERNAME, demo_storefront_token
from integration.demo.webhooks import demo_endpoint_ensure
from integration.models import Client
from integration.services.polling.reconcile import mirror_reconcile
from integration.services.polling.refresh import mirror_refresh
from integration.services.webhooks import EndpointError

logger = logging.getLogger("integration.demo")


def orderable_clients():
    return Client.objects.filter(
        admin_approval="VERIFIED",
        is_kyc_verified=True,
        is_active=True,
        is_stub=False,
        remote_missing_since__isnull=True,
    ).exclude(shipping_country_code="")


class Command(BaseCommand):
    help = "Create the demo staff login, storefront token and customers (DRGREEN_DEMO=true only)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--staff-password", default="demo-staff")
        parser.add_argument("--customers-per-country", type=int, default=1)
        parser.add_argument("--no-reconcile", action="store_true", help="use the mirror as it is")

    def handle(self, *args, **options):
        if not drgreen_settings.operations.demo:
            raise CommandError("drgreen_demo_setup needs DRGREEN_DEMO=true (it creates known logins).")
        if not options["no_reconcile"]:
            self.stdout.write("Mirroring the Dr Green account (clients, strains, orders, sales)…")
            outcome = mirror_reconcile(progress=None, worker="drgreen_demo_setup", use_breaker=False)
            if outcome.skipped:
                raise CommandError(f"could not reconcile the mirror: {outcome.skipped}")
        with transaction.atomic():
            staff = self._staff(options["staff_password"])
            token = demo_storefront_token()
        customers = self._customers(options["customers_per_country"])
        base = options["base_url"].rstrip("/")
        self._print(base, staff, options["staff_password"], token, customers)
        self._webhook_receiver(base)

    def _webhook_receiver(self, base: str) -> None:
        """The demo storefront's own webhook receiver (needs DRGREEN_WEBHOOKS_ALLOW_PRIVATE
        for an http://127.0.0.1 URL, which ``dev.py up`` sets)."""
        try:
            endpoint = demo_endpoint_ensure(base)
        except EndpointError as exc:
            self.stdout.write(f"  Webhooks            demo receiver not registered: {exc}")
            return
        self.stdout.write(f"  Webhooks            endpoint #{endpoint.pk} → {endpoint.url}")

    def _staff(self, password: str):
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=STAFF_USERNAME, defaults={"email": "demo-staff@example.test"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        return user

    def _customers(self, per_country: int) -> list[Client]:
        user_model = get_user_model()
        linked = list(
            Client.objects.filter(user__username__startswith=CUSTOMER_PREFIX).select_related("user")
        )
        countries = sorted(
            set(
                Client.objects.filter(is_stub=False)
                .exclude(shipping_country_code="")
                .values_list("shipping_country_code", flat=True)
            )
        )
        for country in countries:
            have = [c for c in linked if c.shipping_country_code == country and c.can_order]
            for _ in range(per_country - len(have)):
                client = self._orderable_client(country, exclude=[c.pk for c in linked])
                if client is None:
                    break
                user, _ = user_model.objects.get_or_create(
                    username=f"{CUSTOMER_PREFIX}{client.pk}",
                    defaults={"first_name": client.first_name, "last_name": client.last_name},
                )
                user.set_unusable_password()
                user.save()
                client.user = user
                client.save(update_fields=["user"])
                linked.append(client)
        return sorted((c for c in linked if c.can_order), key=lambda c: (c.shipping_country_code, c.pk))

    def _orderable_client(self, country: str, exclude: list[int]) -> Client | None:
        free = orderable_clients().filter(shipping_country_code=country, user__isnull=True)
        client = free.exclude(pk__in=exclude).order_by("pk").first()
        if client is not None:
            return client
        # None ready in this country: play Dr Green's admin on the sandbox for one of them.
        candidate = (
            Client.objects.filter(shipping_country_code=country, user__isnull=True, is_stub=False)
            .exclude(pk__in=exclude)
            .exclude(admin_approval="REJECTED")
            .order_by("pk")
            .first()
        )
        if candidate is None:
            return None
        try:
            for step in ("approve", "kyc-pass"):
                status, _ = sandbox_proxy.control("POST", f"clients/{candidate.drgreen_id}/{step}", {})
                if status != 200:
                    return None
        except sandbox_proxy.SandboxUnavailable:
            logger.warning("demo setup: the sandbox control plane is unreachable")
            return None
        mirror_refresh(drgreen_id=candidate.drgreen_id, kind="client", use_breaker=False)
        candidate.refresh_from_db()
        return candidate if candidate.can_order else None

    def _print(self, base: str, staff, password: str, token: str, customers: list[Client]) -> None:
        w = self.stdout.write
        w(self.style.SUCCESS("\nDemo ready."))
        w(f"  Demo storefront     {base}/demo/")
        w(f"  Play Dr Green       {base}/demo/sandbox/")
        w(f"  Admin               {base}/admin/    login {staff.username} / {password}")
        w(f"  API docs            {base}/api/docs/")
        w(f"  Metrics             {base}/metrics   (from this machine, or a staff login)")
        w(f"  Storefront token    {token}")
        w("      curl -H 'Authorization: Token <token>' -H 'X-Customer-Id: <id>' " + f"{base}/api/v1/orders")
        w(f"  Demo customers ({len(customers)}), X-Customer-Id = user id:")
        for client in customers:
            w(f"      {client.user_id:>4}  {client.full_name:<28} {client.shipping_country_code}")
