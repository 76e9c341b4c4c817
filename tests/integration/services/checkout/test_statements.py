"""The checkout's hand-written statements: the first read answers every country exactly
like the country-filtered one, and the claim in SQL claims only a client with nothing in
flight."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from integration.models import (
    Client,
    OrderPlacement,
    PlacementAttempt,
    PlacementState,
    Strain,
    StrainAvailability,
)
from integration.services.checkout.claims import IN_FLIGHT
from integration.services.checkout.statements import (
    placement_insert_claimed,
    placement_key_and_client,
    strain_rows,
)

pytestmark = pytest.mark.django_db


def _strain(name: str, **countries) -> Strain:
    strain = Strain.objects.create(
        drgreen_id=uuid.uuid4(), name=name, retail_price=Decimal("9.50"), is_active=True
    )
    for code, stock in countries.items():
        StrainAvailability.objects.create(
            strain=strain,
            country_code=code,
            is_active=True,
            is_available=stock > 0,
            stock_quantity=Decimal(stock),
            last_synced_at=timezone.now(),
        )
    return strain


def _shape(pair) -> tuple:
    strains, availability = pair
    return (
        sorted(
            (s.drgreen_id, s.pk, s.name, s.retail_price, s.is_active, s.is_available)
            for s in strains.values()
        ),
        sorted(
            (pk, a.pk, a.country_code, a.is_active, a.is_available, a.stock_quantity, a.last_synced_at)
            for pk, a in availability.items()
        ),
    )


def test_the_first_read_answers_every_country_like_the_filtered_read():
    client = Client.objects.create(drgreen_id=uuid.uuid4(), shipping_country_code="PRT")
    strains = [_strain("both", GBR=5, PRT=2), _strain("nowhere"), _strain("germany only", DEU=0)]
    ids = [s.drgreen_id for s in strains] + [uuid.uuid4()]  # one the mirror does not know

    held, row, strains_in = placement_key_and_client(client_id=client.pk, idempotency_key="k", strain_ids=ids)

    assert held is None and row.pk == client.pk and row.shipping_country_code == "PRT"
    for country in ("GBR", "PRT", "DEU", "ZAF"):
        assert _shape(strains_in(country)) == _shape(strain_rows(ids, country)), country
    # Not vacuous: the countries really differ.
    assert (
        len(strains_in("GBR")[1]) == 1 and len(strains_in("ZAF")[1]) == 0 and len(strains_in("GBR")[0]) == 3
    )


def _new(client: Client, key: str) -> OrderPlacement:
    return OrderPlacement(
        client=client, idempotency_key=key, request_hash="0" * 64, lines=[], state=PlacementState.NEW
    )


@pytest.mark.parametrize("other_state", [None, *IN_FLIGHT, PlacementState.PLACED, PlacementState.NEW])
def test_the_claim_in_sql_claims_only_a_client_with_nothing_in_flight(other_state):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    if other_state is not None:
        OrderPlacement.objects.create(
            client=client, idempotency_key="other", request_hash="1" * 64, state=other_state
        )
    now = timezone.now()
    placement = _new(client, "mine")

    with transaction.atomic():
        claimed = placement_insert_claimed(
            placement, now=now, lease_until=now + timedelta(seconds=150), in_flight=IN_FLIGHT
        )

    held = OrderPlacement.objects.get(pk=placement.pk)
    expect = other_state not in IN_FLIGHT
    assert claimed is expect
    assert (held.state, held.attempt_count) == (placement.state, placement.attempt_count)
    if expect:
        assert held.state == PlacementState.SUBMITTING and held.attempt_count == 1
        assert held.submitted_at == now and held.next_recovery_at == now + timedelta(seconds=150)
        attempt = PlacementAttempt.objects.get(placement=held)
        assert (attempt.number, attempt.kind, attempt.started_at, attempt.evidence) == (1, "place", now, {})
    else:
        assert held.state == PlacementState.NEW and held.submitted_at is None
        assert not PlacementAttempt.objects.filter(placement=held).exists()
