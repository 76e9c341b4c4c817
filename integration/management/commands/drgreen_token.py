"""Create, list and revoke API tokens for the storefront API.

    manage.py drgreen_token create --name web-shop --kind storefront
    manage.py drgreen_token create --name ops --kind staff --user alice   # an active staff user
    manage.py drgreen_token create --name app --kind customer --user 42
    manage.py drgreen_token list [--all]
    manage.py drgreen_token revoke <id or prefix>

``create`` prints the clear token once (``--quiet``: only the token, for scripts); only its
SHA-256 hash is stored, so a lost token is revoked and replaced, never recovered. ``list``
shows prefixes, never tokens or hashes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from integration.models import ApiToken, TokenKind


def _user(ref: str):
    users = get_user_model().objects
    query = Q(username=ref)
    if ref.isdigit():
        query |= Q(pk=int(ref))
    found = list(users.filter(query)[:2])
    if len(found) != 1:
        raise CommandError(f"no single user matches {ref!r} (give a username or id)")
    return found[0]


class Command(BaseCommand):
    help = "Create, list or revoke storefront API tokens (the clear token is shown once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token and print it once")
        create.add_argument("--name", required=True)
        create.add_argument("--kind", required=True, choices=TokenKind.values)
        create.add_argument("--user", help="username or id (required for customer and staff tokens)")
        create.add_argument("--quiet", action="store_true", help="print only the token")
        listing = sub.add_parser("list", help="list tokens (prefixes only)")
        listing.add_argument("--all", action="store_true", help="include revoked tokens")
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="token id, or the prefix shown by list")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _create(self, options) -> None:
        user = _user(options["user"]) if options.get("user") else None
        try:
            token, clear = ApiToken.issue(name=options["name"], kind=options["kind"], user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["quiet"]:
            self.stdout.write(clear)
            return
        self.stdout.write(f"created token #{token.pk} {token.name!r} ({token.kind}, prefix {token.prefix})")
        self.stdout.write("store it now, it is not shown again:")
        self.stdout.write(clear)

    def _list(self, options) -> None:
        qs = ApiToken.objects.select_related("user").order_by("pk")
        if not options["all"]:
            qs = qs.filter(revoked_at__isnull=True)
        rows = list(qs)
        if not rows:
            self.stdout.write("no tokens")
            return
        for token in rows:
            revoked = f" REVOKED {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else ""
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            user = f" user={token.user}" if token.user_id else ""
            self.stdout.write(
                f"#{token.pk} {token.prefix}… {token.kind} {token.name!r}{user} last used {used}{revoked}"
            )

    def _revoke(self, options) -> None:
        ref = options["token"].rstrip("…")
        qs = ApiToken.objects.filter(pk=int(ref)) if ref.isdigit() else ApiToken.objects.filter(prefix=ref)
        tokens = list(qs[:2])
        if len(tokens) != 1:
            raise CommandError(f"no single token matches {ref!r}")
        token = tokens[0]
        if token.revoked_at is not None:
            self.stdout.write(f"token #{token.pk} was already revoked")
            return
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.stdout.write(f"revoked token #{token.pk} {token.name!r}")
