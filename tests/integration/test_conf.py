"""integration.conf: the one reader of DRGREEN_* settings, its defaults, overrides and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integration.conf import CHANNEL_EMAIL, DEFAULT_RETRY_SCHEDULE, drgreen_settings

INTEGRATION = Path(__file__).resolve().parents[2] / "integration"


def test_a_namespace_takes_the_keys_it_names_and_defaults_the_rest(settings):
    settings.DRGREEN_SYNC = {"BREAKER_THRESHOLD": 3, "STRAIN_COUNTRIES": ["PT", "GB"]}
    conf = drgreen_settings.sync
    assert conf.breaker_threshold == 3 and conf.strain_countries == ("PT", "GB")
    assert conf.sweep_take == 500 and conf.sweep_lookahead.total_seconds() == 30.0


@pytest.mark.parametrize("setting", ["DRGREEN_SYNC", "DRGREEN_CHECKOUT", "DRGREEN_NOTIFY", "DRGREEN_API"])
def test_an_unknown_key_is_an_error(settings, setting):
    setattr(settings, setting, {"NO_SUCH_KNOB": 1})
    with pytest.raises(ValueError, match="NO_SUCH_KNOB"):
        getattr(drgreen_settings, setting.removeprefix("DRGREEN_").lower())


def test_values_are_read_at_every_access(settings):
    settings.DRGREEN_API = {"PAGE_SIZE": "7"}
    assert drgreen_settings.api.page_size == 7  # coerced to the field's type
    settings.DRGREEN_API = {}
    assert drgreen_settings.api.page_size == 20


def test_an_unchanged_setting_reuses_its_object_and_any_change_is_seen(settings):
    settings.DRGREEN_CHECKOUT = {"LEASE_S": 30, "MIRROR_TTL_S": 60}
    first = drgreen_settings.checkout
    assert drgreen_settings.checkout is first
    settings.DRGREEN_CHECKOUT["LEASE_S"] = 45  # edited in place
    assert drgreen_settings.checkout.lease_s == 45
    settings.DRGREEN_CHECKOUT = {"LEASE_S": 45, "MIRROR_TTL_S": 60}  # an equal new dict
    assert drgreen_settings.checkout.mirror_ttl_s == 60
    del settings.DRGREEN_CHECKOUT
    assert drgreen_settings.checkout.lease_s != 45


def test_notify_defaults_follow_django_and_celery(settings):
    settings.DRGREEN_NOTIFY = {"REPLY_TO": "help@example.test"}
    settings.DEFAULT_FROM_EMAIL = "shop@example.test"
    settings.CELERY_TASK_TIME_LIMIT = 100
    conf = drgreen_settings.notify
    assert conf.reply_to == ("help@example.test",) and conf.channels == (CHANNEL_EMAIL,)
    assert conf.from_email == "shop@example.test" and conf.claim_s == 160


def test_flat_webhook_and_operations_settings(settings):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5, 60"
    settings.DRGREEN_DATA_KEYS = ["k1", "k2"]
    assert drgreen_settings.webhooks.retry_schedule == (5.0, 60.0)
    assert drgreen_settings.operations.data_keys == "k1,k2"
    del settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE
    assert drgreen_settings.webhooks.retry_schedule == DEFAULT_RETRY_SCHEDULE


def test_the_client_settings_never_show_the_secret(settings):
    settings.DRGREEN = {"API_KEY": "public-key-value", "SECRET_KEY": "very-secret-value"}
    assert "very-secret-value" not in repr(drgreen_settings.client)


def test_no_other_module_reads_drgreen_settings_directly():
    pattern = re.compile(r"settings\s*,\s*[\"']DRGREEN|settings\.DRGREEN")
    readers = [
        str(path.relative_to(INTEGRATION))
        for path in INTEGRATION.rglob("*.py")
        if path.name != "conf.py" and pattern.search(path.read_text())
    ]
    assert readers == []
