"""Retry policy, timeouts, delivery ambiguity and header hygiene over a real local HTTP server."""

from __future__ import annotations

import pytest
import requests

from integration.drgreen import (
    CallRecord,
    DrGreenClient,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
)

from .scripted_server import Drop, Reply, closed_port, envelope

ENVOY_503 = Reply(503, "upstream connect error or disconnect/reset before headers. reset reason: overflow")
SUMMARY_OK = Reply(200, envelope({"summary": {"PENDING": 1, "VERIFIED": 2, "REJECTED": 0, "totalCount": 3}}))
CREATED = Reply(201, envelope({"id": "order-1", "orderStatus": "PENDING"}, status=201))


class Recorder:
    def __init__(self):
        self.sleeps: list[float] = []
        self.records: list[CallRecord] = []


def make_client(server, key_pair, recorder=None, **kwargs) -> DrGreenClient:
    recorder = recorder or Recorder()
    kwargs.setdefault("get_retries", 3)
    kwargs.setdefault("read_timeout", 5.0)
    return DrGreenClient(
        kwargs.pop("base_url", server.base_url if server else None),
        *key_pair,
        on_call=recorder.records.append,
        sleep=recorder.sleeps.append,
        random=lambda: 1.0,  # full jitter at its ceiling, so delays are predictable
        **kwargs,
    )


def test_get_is_retried_on_503_with_exponential_backoff(server, key_pair):
    rec = Recorder()
    server.script.extend([ENVOY_503, ENVOY_503, SUMMARY_OK])
    client = make_client(server, key_pair, rec)
    assert client.order_summary()["summary"]["totalCount"] == 3
    assert server.count("GET") == 3
    assert rec.sleeps == [0.5, 1.0]
    assert [(r.attempt, r.status, r.error) for r in rec.records] == [
        (1, 503, "ServerError"),
        (2, 503, "ServerError"),
        (3, 200, None),
    ]


def test_get_gives_up_after_the_configured_retries(server, key_pair):
    rec = Recorder()
    server.default = Reply(502, "bad gateway")
    client = make_client(server, key_pair, rec, get_retries=2)
    with pytest.raises(ServerError) as info:
        client.order_summary()
    assert info.value.status == 502 and info.value.retryable
    assert server.count() == 3
    assert len(rec.sleeps) == 2


def test_get_honours_retry_after_on_429(server, key_pair):
    rec = Recorder()
    server.script.extend([Reply(429, "slow down", {"Retry-After": "2"}), SUMMARY_OK])
    client = make_client(server, key_pair, rec)
    client.order_summary()
    assert server.count() == 2
    assert rec.sleeps == [2.0]


def test_long_retry_after_raises_instead_of_sleeping(server, key_pair):
    rec = Recorder()
    server.script.extend([Reply(429, "slow down", {"Retry-After": "120"}), SUMMARY_OK])
    client = make_client(server, key_pair, rec, max_retry_after=30.0)
    with pytest.raises(RateLimited) as info:
        client.order_summary()
    assert info.value.retry_after == 120.0
    assert server.count() == 1
    assert rec.sleeps == []


def test_get_is_not_retried_on_a_client_error(server, key_pair):
    body = {"success": False, "message": "take must not be less than 1", "errorCode": 400}
    server.default = Reply(400, body)
    with pytest.raises(ValidationError):
        make_client(server, key_pair).list_orders(take=0)
    assert server.count() == 1


def test_post_is_never_retried_on_503(server, key_pair):
    rec = Recorder()
    server.script.extend([ENVOY_503, CREATED])
    client = make_client(server, key_pair, rec)
    with pytest.raises(ServerError):
        client.create_order("client-1")
    assert server.count("POST") == 1
    assert rec.sleeps == []


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_patch_and_delete_are_never_retried(server, key_pair, method):
    server.script.extend([ENVOY_503, Reply()])
    with pytest.raises(ServerError):
        make_client(server, key_pair).request(method, "/dapp/clients/c1", json={"firstName": "A"})
    assert server.count(method) == 1


@pytest.mark.parametrize("reset", [False, True])
def test_post_dropped_after_send_is_maybe_delivered_and_not_retried(server, key_pair, reset):
    rec = Recorder()
    server.script.extend([Drop(reset=reset), CREATED])
    client = make_client(server, key_pair, rec)
    with pytest.raises(TransportError) as info:
        client.create_order("client-1")
    assert info.value.maybe_delivered is True
    assert server.count("POST") == 1  # the server did receive it: that is the ambiguity
    assert rec.records[-1].maybe_delivered is True and rec.records[-1].status is None


def test_get_dropped_connection_is_retried(server, key_pair):
    rec = Recorder()
    server.script.extend([Drop(reset=True), SUMMARY_OK])
    client = make_client(server, key_pair, rec)
    assert client.order_summary()["summary"]["VERIFIED"] == 2
    assert server.count() == 2
    assert rec.records[0].error == "TransportError"


def test_a_get_cut_off_mid_body_is_retried(server, key_pair):
    rec = Recorder()
    server.script.extend([Reply(200, SUMMARY_OK.body, truncate=20), SUMMARY_OK])
    client = make_client(server, key_pair, rec)
    assert client.order_summary()["summary"]["VERIFIED"] == 2
    assert server.count() == 2
    assert rec.records[0].error == "TransportError" and rec.records[0].status is None
    assert rec.records[0].maybe_delivered is True  # the server answered: it had the request


def test_a_post_cut_off_mid_body_is_maybe_delivered_and_not_retried(server, key_pair):
    server.script.extend([Reply(201, CREATED.body, truncate=10), CREATED])
    with pytest.raises(TransportError) as info:
        make_client(server, key_pair).create_order("client-1")
    assert info.value.maybe_delivered is True
    assert server.count("POST") == 1


def test_a_body_larger_than_one_read_arrives_whole(server, key_pair):
    # ~2 MB, so the body takes many reads; and the connection goes back to the pool
    # afterwards (the next call reuses it: one TCP connection in all).
    names = [f"strain-{i:07d}-" + "x" * 40 for i in range(40_000)]
    server.script.append(Reply(200, envelope({"names": names})))
    client = make_client(server, key_pair)
    assert client.request("GET", "/dapp/big")["data"]["names"] == names
    client.order_summary()
    assert server.connections == 1


def test_connection_refused_is_not_delivered(key_pair):
    rec = Recorder()
    client = make_client(
        None, key_pair, rec, base_url=f"http://127.0.0.1:{closed_port()}/api/v1", get_retries=1
    )
    with pytest.raises(TransportError) as info:
        client.create_order("client-1")
    assert info.value.maybe_delivered is False
    assert len(rec.records) == 1
    with pytest.raises(TransportError) as info:
        client.order_summary()
    assert info.value.maybe_delivered is False
    assert len(rec.records) == 3  # GET: first attempt + one retry


def test_read_timeout_after_send_is_maybe_delivered(server, key_pair):
    server.script.append(Reply(201, envelope({"id": "late"}), delay=1.0))
    client = make_client(server, key_pair, read_timeout=0.2)
    with pytest.raises(TransportError) as info:
        client.create_order("client-1")
    assert info.value.maybe_delivered is True
    assert server.count("POST") == 1


def test_no_authorization_header_even_with_a_netrc(server, key_pair, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1\nlogin leaked-user\npassword leaked-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.default = SUMMARY_OK

    # Control: a default requests session really would send Basic auth in this environment.
    requests.get(server.base_url + "/control", timeout=5)
    assert (
        server.received[-1].header(
            "Authorization",
        )
        is not None
    )

    session = requests.Session()
    session.auth = ("also", "leaked")  # even an injected session with auth set must not leak
    client = make_client(server, key_pair, session=session)
    client.order_summary()
    client.create_order("client-1")
    for req in server.received[1:]:
        assert req.header("Authorization") is None
        assert req.header("x-auth-apikey") == key_pair[0]
        assert req.header("x-auth-signature")
        assert req.header("Content-Type") == "application/json"


def test_call_records_are_redacted(server, key_pair):
    rec = Recorder()
    server.script.append(ENVOY_503)
    server.default = Reply(200, envelope({"clients": [], "pageMetaDto": None}))
    client = make_client(server, key_pair, rec)
    client.list_clients(search="jane.doe@example.com", admin_approval="PENDING")
    client.request("GET", "/dapp/orders", params={"clientEmail": "x@y.org"}, correlation_id="corr-42")
    first = rec.records[0]
    assert (first.method, first.path, first.status, first.attempt) == ("GET", "/dapp/clients", 503, 1)
    query = dict(first.query)
    assert query["search"] == "[redacted]" and query["adminApproval"] == "PENDING"
    assert dict(rec.records[-1].query)["clientEmail"] == "[redacted]"
    assert rec.records[-1].correlation_id == "corr-42"
    assert server.received[-1].header("X-Correlation-Id") == "corr-42"
    dump = repr(rec.records)
    assert "example.com" not in dump and "y.org" not in dump
    assert key_pair[0][:40] not in dump
    for header_value in (server.received[0].header("x-auth-signature"),):
        assert header_value and header_value[:20] not in dump
    assert all(r.duration_ms >= 0 for r in rec.records)
