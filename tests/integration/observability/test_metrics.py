"""``/metrics``: who may read it, and that the numbers are the database's."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from integration.models import (
    ApiCall,
    ApiToken,
    BreakerState,
    Client,
    Order,
    OrderPlacement,
    SyncRun,
    hash_token,
)

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never in the default loopback allowlist


def samples(body: bytes) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.mark.django_db
class TestAccess:
    def test_refused_from_outside_the_allowlist_without_credentials(self, client):
        r = client.get("/metrics", REMOTE_ADDR=OUTSIDE)
        assert r.status_code == 403 and b"drgreen_" not in r.content

    def test_forwarded_for_does_not_smuggle_an_allowed_address(self, client):
        r = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")
        assert r.status_code == 403

    @pytest.mark.parametrize(
        "proxy",
        [
            {"FORWARDED_ALLOW_IPS": "127.0.0.1"},
            {"FORWARDED_ALLOW_IPS": "10.0.0.5,10.0.0.6"},
            {"REST_FRAMEWORK_NUM_PROXIES": 1},
        ],
    )
    def test_behind_a_proxy_the_address_proves_nothing(self, client, settings, proxy):
        # A reverse proxy on the same host: every request arrives from 127.0.0.1.
        if "REST_FRAMEWORK_NUM_PROXIES" in proxy:
            settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        else:
            settings.FORWARDED_ALLOW_IPS = proxy["FORWARDED_ALLOW_IPS"]
        settings.ALLOWED_HOSTS = ["store.example.com"]
        settings.DRGREEN_METRICS_TOKEN = "scrape-secret-0123456789"
        for host in ("store.example.com", "web:8000"):  # the view, and the scraper's early path
            for extra in ({}, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}, {"HTTP_X_FORWARDED_FOR": OUTSIDE}):
                r = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_HOST=host, **extra)
                assert r.status_code in (400, 403) and b"drgreen_" not in r.content, (host, extra)
            ok = client.get(
                "/metrics",
                REMOTE_ADDR="127.0.0.1",
                HTTP_HOST=host,
                headers={"Authorization": "Bearer scrape-secret-0123456789"},
            )
            assert ok.status_code == 200 and b"drgreen_" in ok.content

    def test_loopback_is_allowed_by_default(self, client):
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200

    def test_configured_allowlist(self, client, settings):
        settings.DRGREEN_METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403

    def test_scraper_bearer_token(self, client, settings):
        settings.DRGREEN_METRICS_TOKEN = "scrape-secret-0123456789"
        ok = client.get(
            "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer scrape-secret-0123456789"}
        )
        wrong = client.get(
            "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer scrape-secret-XXXX"}
        )
        assert ok.status_code == 200 and wrong.status_code == 403

    def test_staff_api_token_but_not_a_storefront_or_revoked_one(self, client):
        ops = get_user_model().objects.create_user("ops-token-user", is_staff=True)
        _, staff = ApiToken.issue(name="ops", kind="staff", user=ops)
        _, storefront = ApiToken.issue(name="shop", kind="storefront")
        revoked_row, revoked = ApiToken.issue(name="old", kind="staff", user=ops)
        revoked_row.revoked_at = timezone.now()
        revoked_row.save()

        def get(token):
            return client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": f"Token {token}"})

        assert get(staff).status_code == 200
        assert get(storefront).status_code == 403
        assert get(revoked).status_code == 403

    @pytest.mark.parametrize("change", [{"is_staff": False}, {"is_active": False}])
    def test_a_staff_token_ends_with_its_users_staff_rights(self, client, change):
        ops = get_user_model().objects.create_user("ops-leaver", is_staff=True)
        _, staff = ApiToken.issue(name="ops", kind="staff", user=ops)
        headers = {"Authorization": f"Token {staff}"}
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers=headers).status_code == 200
        get_user_model().objects.filter(pk=ops.pk).update(**change)
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers=headers).status_code == 403
        # The scraper's early path (before host validation) applies the same rule.
        scrape = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_HOST="web:8000", headers=headers)
        assert scrape.status_code in (400, 403)  # refused early, then the host check refuses

    def test_a_staff_token_from_before_the_rule_without_a_user_is_refused(self, client):
        row = ApiToken.objects.create(
            name="legacy", kind="staff", prefix="dgs_legacy", token_hash=hash_token("legacy")
        )
        assert row.user_id is None
        headers = {"Authorization": "Token legacy"}
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers=headers).status_code == 403

    def test_logged_in_staff_user(self, client):
        user = get_user_model().objects.create_user("ops-person", password="x", is_staff=True)
        client.force_login(user)
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
        user.is_staff = False
        user.save()
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 403


def _client(**kw) -> Client:
    return Client.objects.create(drgreen_id=uuid.uuid4(), **kw)


@pytest.mark.django_db
def test_metrics_report_calls_lag_placements_and_breaker(client):
    now = timezone.now()
    for status, n in ((200, 3), (500, 2), (None, 1)):
        for _ in range(n):
            ApiCall.objects.create(method="GET", route="/dapp/orders", status=status, duration_ms=250)
    ApiCall.objects.create(method="POST", route="/dapp/orders", status=201, duration_ms=400)
    # Outside the window: not counted.
    ApiCall.objects.create(
        method="GET", route="/dapp/orders", status=200, created_at=now - timedelta(hours=3)
    )

    c = _client()
    Order.objects.create(
        drgreen_id=uuid.uuid4(), client=c, order_status="PENDING", next_poll_at=now - timedelta(seconds=90)
    )
    Order.objects.create(
        drgreen_id=uuid.uuid4(), client=c, order_status="PENDING", next_poll_at=now + timedelta(minutes=5)
    )
    # Terminal orders never count as late, however old their poll time.
    Order.objects.create(
        drgreen_id=uuid.uuid4(), client=c, order_status="DELIVERED", next_poll_at=now - timedelta(days=2)
    )
    for state in ("placed", "placed", "unknown"):
        OrderPlacement.objects.create(
            client=c, idempotency_key=uuid.uuid4().hex, request_hash="h", state=state
        )
    BreakerState.objects.create(name="drgreen", state="open", failures=5)
    SyncRun.objects.create(
        kind="sweep",
        state="succeeded",
        started_at=now - timedelta(seconds=70),
        finished_at=now - timedelta(seconds=60),
    )

    s = samples(client.get("/metrics").content)

    def calls(route, method, status):
        return s[("drgreen_api_calls", (("method", method), ("route", route), ("status", status)))]

    assert calls("/dapp/orders", "GET", "200") == 3
    assert calls("/dapp/orders", "GET", "500") == 2
    assert calls("/dapp/orders", "GET", "error") == 1
    assert calls("/dapp/orders", "POST", "201") == 1
    assert s[("drgreen_api_call_duration_seconds_sum", (("method", "GET"), ("route", "/dapp/orders")))] == 1.5
    assert 89 <= s[("drgreen_sweep_lag_seconds", ())] < 120
    assert s[("drgreen_orders_due", ())] == 1
    assert 59 <= s[("drgreen_sync_last_success_age_seconds", (("kind", "sweep"),))] < 90
    assert s[("drgreen_placements", (("state", "placed"),))] == 2
    assert s[("drgreen_placements", (("state", "unknown"),))] == 1
    assert s[("drgreen_placements", (("state", "needs_staff"),))] == 0
    assert s[("drgreen_breaker_state", (("name", "drgreen"), ("state", "open")))] == 1
    assert s[("drgreen_breaker_state", (("name", "drgreen"), ("state", "closed")))] == 0
    assert s[("drgreen_breaker_failures", (("name", "drgreen"),))] == 5


@pytest.mark.django_db
def test_an_empty_store_reports_zeros_and_a_closed_breaker(client):
    s = samples(client.get("/metrics").content)
    assert s[("drgreen_sweep_lag_seconds", ())] == 0
    assert s[("drgreen_breaker_state", (("name", "drgreen"), ("state", "closed")))] == 1


@pytest.mark.django_db
def test_a_scrape_costs_the_same_queries_whatever_the_volume(client, django_assert_max_num_queries):
    c = _client()
    for i in range(30):
        ApiCall.objects.create(method="GET", route=f"/dapp/route{i % 7}", status=200 + i % 3)
        OrderPlacement.objects.create(
            client=c, idempotency_key=f"k{i}", request_hash="h", state=("placed", "unknown", "new")[i % 3]
        )
        Order.objects.create(
            drgreen_id=uuid.uuid4(), client=c, order_status="PENDING", next_poll_at=timezone.now()
        )
    # 14 for the sync and checkout figures, 5 for the webhook ones.
    with django_assert_max_num_queries(19):
        assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_the_scraper_reaches_metrics_by_service_address_not_public_host(client, settings):
    """Prometheus scrapes ``web:8000``, which is no public host name: the token (or the
    allowlist) is enough, host validation does not apply. A browser session still needs a
    real host."""
    settings.ALLOWED_HOSTS = ["store.example.com"]
    settings.DRGREEN_METRICS_TOKEN = "scrape-secret-0123456789"
    auth = {"Authorization": "Bearer scrape-secret-0123456789"}
    assert client.get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR=OUTSIDE, headers=auth).status_code == 200
    assert client.get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR=OUTSIDE).status_code == 400

    user = get_user_model().objects.create_user("ops-person", password="x", is_staff=True)
    client.force_login(user)
    assert client.get("/metrics", HTTP_HOST="store.example.com", REMOTE_ADDR=OUTSIDE).status_code == 200
