"""manage.py drgreen_token: create (clear token shown once), list (prefixes only), revoke."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integration.models import ApiToken, hash_token

from .conftest import Api, make_client, make_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("drgreen_token", *args, stdout=out)
    return out.getvalue()


def test_create_list_revoke_round_trip():
    user = make_user()
    make_client(user)
    clear = run("create", "--name", "shop", "--kind", "storefront", "--quiet").strip()
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(clear) and clear.startswith(token.prefix)
    assert Api(token=clear, customer_id=user.pk).get("/api/v1/me").status_code == 200

    listing = run("list")
    assert token.prefix in listing and clear not in listing and token.token_hash not in listing

    assert "revoked" in run("revoke", token.prefix)
    assert Api(token=clear, customer_id=user.pk).get("/api/v1/me").status_code == 401
    assert token.prefix not in run("list")
    assert "REVOKED" in run("list", "--all")
    assert "already revoked" in run("revoke", str(token.pk))


def test_verbose_create_prints_the_token_once():
    staff = make_user(staff=True)
    out = run("create", "--name", "ops", "--kind", "staff", "--user", staff.username)
    clear = out.strip().splitlines()[-1]
    assert out.count(clear) == 1
    assert ApiToken.objects.get().token_hash == hash_token(clear)


def test_customer_tokens_need_a_user_and_storefront_tokens_refuse_one():
    user = make_user()
    with pytest.raises(CommandError):
        run("create", "--name", "x", "--kind", "customer")
    with pytest.raises(CommandError):
        run("create", "--name", "x", "--kind", "storefront", "--user", user.username)
    clear = run("create", "--name", "app", "--kind", "customer", "--user", str(user.pk), "--quiet").strip()
    assert Api(token=clear).get("/api/v1/me").json()["customerId"] == user.pk
    with pytest.raises(CommandError):
        run("revoke", "nope")


def test_staff_tokens_only_for_active_staff_users():
    customer, leaver = make_user(), make_user(staff=True, is_active=False)
    for args in ((), ("--user", customer.username), ("--user", leaver.username)):
        with pytest.raises(CommandError, match="active staff user"):
            run("create", "--name", "ops", "--kind", "staff", *args)
    assert not ApiToken.objects.exists()
