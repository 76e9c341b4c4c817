"""Celery tasks of client onboarding: send a registration to Dr Green, retry the pending ones.

Neither auto-retries: the service decides from the row's state whether Dr Green is called.
"""

from __future__ import annotations

from celery import shared_task

from integration.services import onboarding as onboarding_services


@shared_task(name="integration.registration_submit", ignore_result=True)
def registration_submit(registration_id: int) -> str:
    return onboarding_services.registration_submit(registration_id=registration_id).state


@shared_task(name="integration.registrations_retry_pending", ignore_result=True)
def registrations_retry_pending() -> dict[str, int]:
    """Beat: send again the registrations Dr Green could not take yet (KYC provider down)."""
    return onboarding_services.registrations_retry_due()
