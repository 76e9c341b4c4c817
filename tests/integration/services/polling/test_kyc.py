"""The KYC sweep against the sandbox over real HTTP.

The sandbox seed makes clients by ``index % 10``: 7 → approval PENDING without KYC,
8 → VERIFIED without KYC, 9 → REJECTED, the rest fully verified.
"""

from __future__ import annotations

import uuid

import pytest

from integration.models import Client
from integration.services.mirror import orders_upsert_from_list
from integration.services.polling.kyc import clients_kyc_sweep

from .holder import Clock, mirror

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = "GET /api/v1/dapp/clients"
CLIENT_DETAIL = "GET /api/v1/dapp/clients/:clientId"


def client(drgreen_id) -> Client:
    return Client.objects.get(drgreen_id=drgreen_id)


def test_pending_clients_are_swept_by_list_and_settle(drgreen_holder):
    clock = Clock(drgreen_holder)
    seeded = mirror(drgreen_holder, clients=10, orders=0, now=clock.now)
    pending, no_kyc, rejected = (seeded["clientIds"][i] for i in (7, 8, 9))
    assert client(rejected).next_kyc_poll_at is None  # settled: never polled
    assert client(pending).next_kyc_poll_at is not None
    drgreen_holder.sandbox.approve_client(pending)
    drgreen_holder.sandbox.kyc_pass(no_kyc)
    drgreen_holder.sandbox.reset_stats()

    outcome = clients_kyc_sweep(now=clock.advance(minutes=6))

    assert outcome.state == "succeeded", outcome.as_dict()
    approved = client(pending)
    assert approved.admin_approval == "VERIFIED" and approved.verified_at is not None
    assert approved.next_kyc_poll_at is not None  # still waiting for its KYC
    passed = client(no_kyc)
    assert passed.is_kyc_verified is True and passed.next_kyc_poll_at is None
    # The approval was found in the list of recent approvals; a KYC pass moves no list
    # sort key, so that client alone needed its detail.
    assert outcome.stats["kyc.decided.VERIFIED.pages"] == 1
    assert drgreen_holder.request_count(CLIENT_DETAIL) == 1
    assert drgreen_holder.request_count(CLIENTS) == 3


def test_no_client_is_polled_more_often_than_every_five_minutes(drgreen_holder):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, clients=10, orders=0, now=clock.now)
    clients_kyc_sweep(now=clock.advance(minutes=6))
    drgreen_holder.sandbox.reset_stats()
    for _ in range(4):  # one tick a minute
        clients_kyc_sweep(now=clock.advance(minutes=1))
    assert drgreen_holder.request_count() == 0
    clients_kyc_sweep(now=clock.advance(minutes=2))
    assert drgreen_holder.request_count(CLIENTS) >= 1


def test_stub_clients_are_fetched_and_unknown_ones_are_not_hammered(drgreen_holder):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, clients=3, orders=0, now=clock.now)
    later = drgreen_holder.seed(clients=1, strains=0)["clientIds"][0]  # exists, never mirrored
    ghost = str(uuid.uuid4())
    for client_id in (later, ghost):
        orders_upsert_from_list(
            items=[
                {
                    "id": str(uuid.uuid4()),
                    "orderStatus": "PENDING",
                    "adminApproval": "PENDING",
                    "paymentStatus": "PENDING",
                    "client": {"id": client_id, "firstName": "Stub"},
                }
            ],
            observed_at=clock.now,
        )
    assert client(later).is_stub and client(ghost).is_stub
    drgreen_holder.sandbox.reset_stats()

    outcome = clients_kyc_sweep(now=clock.advance(seconds=30))

    fetched = client(later)
    assert not fetched.is_stub and fetched.email and fetched.cart_id
    assert client(ghost).is_stub
    assert outcome.stats["kyc.stub.not_found"] == 1
    assert drgreen_holder.request_count(CLIENT_DETAIL) == 2
    drgreen_holder.sandbox.reset_stats()
    clients_kyc_sweep(now=clock.advance(minutes=1))
    assert drgreen_holder.request_count(CLIENT_DETAIL) == 0  # the unknown one waits 5 minutes
