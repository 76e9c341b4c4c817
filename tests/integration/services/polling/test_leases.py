"""Database leases: exclusion, expiry, renewal, cool-down, and a real race between threads."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integration.models import SyncLease
from integration.services.polling.leases import lease_acquire, lease_release, lease_renew

TTL = timedelta(minutes=2)


@pytest.mark.django_db
def test_one_holder_at_a_time_until_expiry():
    now = timezone.now()
    assert lease_acquire(name="sweep", holder="a", ttl=TTL, now=now)
    assert not lease_acquire(name="sweep", holder="b", ttl=TTL, now=now + timedelta(minutes=1))
    assert lease_acquire(name="other", holder="b", ttl=TTL, now=now)  # names are independent
    # a died without releasing: once its lease expires, b may take over.
    assert lease_acquire(name="sweep", holder="b", ttl=TTL, now=now + TTL + timedelta(seconds=1))
    assert SyncLease.objects.get(name="sweep").holder == "b"


@pytest.mark.django_db
def test_only_the_holder_renews_or_releases():
    now = timezone.now()
    lease_acquire(name="sweep", holder="a", ttl=TTL, now=now)
    assert not lease_renew(name="sweep", holder="b", ttl=TTL, now=now)
    assert not lease_release(name="sweep", holder="b", now=now)
    assert lease_renew(name="sweep", holder="a", ttl=TTL, now=now + timedelta(minutes=1))
    assert SyncLease.objects.get(name="sweep").expires_at == now + timedelta(minutes=1) + TTL
    assert lease_release(name="sweep", holder="a", now=now + timedelta(minutes=1))
    assert lease_acquire(name="sweep", holder="b", ttl=TTL, now=now + timedelta(minutes=1))


@pytest.mark.django_db
def test_a_lost_lease_cannot_be_renewed():
    now = timezone.now()
    lease_acquire(name="sweep", holder="a", ttl=TTL, now=now)
    lease_acquire(name="sweep", holder="b", ttl=TTL, now=now + TTL + timedelta(seconds=1))
    assert not lease_renew(name="sweep", holder="a", ttl=TTL, now=now + TTL + timedelta(seconds=2))


@pytest.mark.django_db
def test_release_with_a_cooldown_keeps_it_closed_until_then():
    now = timezone.now()
    lease_acquire(name="kyc", holder="a", ttl=TTL, now=now)
    lease_release(name="kyc", holder="a", now=now, cooldown_until=now + timedelta(minutes=5))
    assert not lease_acquire(name="kyc", holder="b", ttl=TTL, now=now + timedelta(minutes=4))
    assert lease_acquire(name="kyc", holder="b", ttl=TTL, now=now + timedelta(minutes=5))


@pytest.mark.parametrize("existing", [False, True], ids=["first-insert", "expired-row"])
def test_racing_workers_get_exactly_one_lease(concurrent_db, existing):
    now = timezone.now()
    if existing:
        lease_acquire(name="race", holder="old", ttl=TTL, now=now - timedelta(hours=1))
    barrier = threading.Barrier(8)
    won: list[str] = []

    def contend(i: int) -> None:
        try:
            barrier.wait()
            if lease_acquire(name="race", holder=f"w{i}", ttl=TTL, now=now):
                won.append(f"w{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert SyncLease.objects.get(name="race").holder == won[0]
