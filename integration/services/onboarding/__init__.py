"""Client onboarding: registration (``POST /dapp/clients``) and readable account status."""

from .countries import ALPHA2_TO_ALPHA3, country_alpha3
from .email_proof import client_link_by_staff, link_proof_confirm
from .payload import registration_payload_build
from .readable_status import client_readable_status, registration_readable_status
from .registration import client_register, registration_submit, registrations_retry_due

__all__ = [
    "ALPHA2_TO_ALPHA3",
    "client_link_by_staff",
    "client_readable_status",
    "client_register",
    "country_alpha3",
    "link_proof_confirm",
    "registration_payload_build",
    "registration_readable_status",
    "registration_submit",
    "registrations_retry_due",
]
