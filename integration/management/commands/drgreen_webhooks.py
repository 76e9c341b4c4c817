"""Manage webhook endpoints (Standard Webhooks receivers of our events).

    manage.py drgreen_webhooks add URL [--events order.created,order.status_changed] [--description …]
    manage.py drgreen_webhooks list
    manage.py drgreen_webhooks disable ID | enable ID
    manage.py drgreen_webhooks rotate-secret ID
    manage.py drgreen_webhooks test ID

Every action prints one JSON line. ``add`` and ``rotate-secret`` print the secret
(``whsec_…``), once: it is never shown again (after a rotation the old one keeps signing
for 24 h, so receivers can switch). ``test`` sends a ``webhook.test`` event now and prints
what the receiver answered.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from integration.models import WebhookEndpoint
from integration.services import webhooks


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _public(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.types or "all",
        "active": endpoint.is_active,
        "description": endpoint.description,
        "failing_since": _iso(endpoint.failing_since),
        "disabled_reason": endpoint.disabled_reason or None,
    }


class Command(BaseCommand):
    help = "Add, list, enable/disable, rotate and test webhook endpoints (one JSON line per answer)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a receiver URL; prints its secret once")
        add.add_argument("url")
        add.add_argument(
            "--events", default="", help=f"comma-separated, of: {', '.join(webhooks.EVENT_TYPES)}"
        )
        add.add_argument("--description", default="")
        sub.add_parser("list", help="every endpoint (never a secret)")
        for name, text in (
            ("disable", "stop sending to it (events keep accumulating nowhere)"),
            ("enable", "send to it again (its pending events go out)"),
            ("rotate-secret", "a new secret; the old one keeps signing for 24 h"),
            ("test", "send a webhook.test event now"),
        ):
            sub.add_parser(name, help=text).add_argument("id", type=int)

    def handle(self, *args, **options):
        action = options["action"].replace("-", "_")
        try:
            out = getattr(self, f"_{action}")(options)
        except WebhookEndpoint.DoesNotExist:
            raise CommandError(f"no webhook endpoint #{options.get('id')}") from None
        except webhooks.EndpointError as exc:
            raise CommandError(str(exc)) from None
        if isinstance(out, list):
            for row in out:
                self.stdout.write(json.dumps(row))
        else:
            self.stdout.write(json.dumps(out))

    def _add(self, options) -> dict:
        created = webhooks.endpoint_create(
            url=options["url"], event_types=options["events"], description=options["description"]
        )
        return {"id": created.endpoint.pk, "url": created.endpoint.url, "secret": created.secret}

    def _list(self, options) -> list[dict]:
        return [_public(e) for e in WebhookEndpoint.objects.order_by("pk")]

    def _disable(self, options) -> dict:
        return _public(webhooks.endpoint_set_active(endpoint_id=options["id"], active=False))

    def _enable(self, options) -> dict:
        return _public(webhooks.endpoint_set_active(endpoint_id=options["id"], active=True))

    def _rotate_secret(self, options) -> dict:
        rotated = webhooks.endpoint_rotate_secret(endpoint_id=options["id"])
        return {
            "id": rotated.endpoint.pk,
            "url": rotated.endpoint.url,
            "secret": rotated.secret,
            "previous_secret_expires_at": _iso(rotated.endpoint.previous_secret_expires_at),
        }

    def _test(self, options) -> dict:
        event = webhooks.endpoint_test(endpoint_id=options["id"])
        event = webhooks.event_deliver(event_id=event.pk)
        return {
            "id": options["id"],
            "webhook_id": event.msg_id,
            "state": event.state,
            "status": event.last_status,
            "error": event.last_error or None,
        }
