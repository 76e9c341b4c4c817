"""``manage.py drgreen_webhooks``: one JSON line per answer, the secret shown once."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from integration.models import WebhookEndpoint

from ..services.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("drgreen_webhooks", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def receiver(settings):
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.close()


def test_add_prints_exactly_one_json_line_with_the_secret(receiver):
    out = io.StringIO()
    call_command(
        "drgreen_webhooks",
        "add",
        receiver.url(),
        "--events",
        "order.created",
        "--description",
        "shop",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert set(row) == {"id", "url", "secret"} and row["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get(pk=row["id"])
    assert endpoint.types == ["order.created"] and endpoint.description == "shop"


def test_list_disable_enable_never_show_a_secret(receiver):
    [added] = run("add", receiver.url())
    for rows in (run("list"), run("disable", str(added["id"])), run("enable", str(added["id"]))):
        assert added["secret"] not in json.dumps(rows)
    assert run("disable", str(added["id"]))[0]["active"] is False
    assert run("enable", str(added["id"]))[0]["active"] is True


def test_rotate_secret_prints_the_new_one_and_test_sends_a_signed_test_event(receiver):
    [added] = run("add", receiver.url())
    [rotated] = run("rotate-secret", str(added["id"]))
    assert rotated["secret"] != added["secret"] and rotated["previous_secret_expires_at"]
    [tested] = run("test", str(added["id"]))
    assert (tested["state"], tested["status"]) == ("delivered", 200)
    got = receiver.received[0]
    assert got.verify(added["secret"])["type"] == "webhook.test"
    assert got.verify(rotated["secret"])["data"]["message"]


def test_bad_input_is_a_clear_error(receiver, settings):
    with pytest.raises(CommandError, match="no webhook endpoint #999"):
        run("disable", "999")
    with pytest.raises(CommandError, match="unknown event type"):
        run("add", receiver.url(), "--events", "order.nope")
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="https"):
        run("add", "http://example.com/hook")
