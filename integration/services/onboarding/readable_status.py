"""What to tell a customer about their Dr Green account (clients.md, "Surfacing approval
status to the customer")."""

from __future__ import annotations

from integration.models import Client, ClientRegistration, RegistrationState

ACCOUNT_DISABLED = "Account disabled"
REJECTED = "Application rejected"
PENDING_REVIEW = "Pending review by Dr Green"
KYC_REQUIRED = "KYC verification required"
VERIFIED = "Verified — can place orders"


def client_readable_status(*, client: Client) -> str:
    """The docs' ``readableStatus`` with one reordering: the docs test ``isActive`` first,
    but Dr Green creates every client inactive until an admin approves it (facts §6.1, wart
    19), so a brand-new customer would read "Account disabled". Approval is checked first;
    "disabled" is left for a client that is approved and KYC-verified yet switched off."""
    approval = (client.admin_approval or "").upper()
    if approval == "REJECTED":
        return REJECTED
    if approval != "VERIFIED":
        return PENDING_REVIEW
    if not client.is_kyc_verified:
        return KYC_REQUIRED
    if not client.is_active:
        return ACCOUNT_DISABLED
    return VERIFIED


_REGISTRATION_STATUS = {
    RegistrationState.PENDING: "Registration received — sending it to Dr Green shortly",
    RegistrationState.SUBMITTING: "Sending your registration to Dr Green",
    RegistrationState.UNKNOWN: "Checking your registration with Dr Green",
    RegistrationState.FOREIGN: "These details are already registered through another store",
    RegistrationState.INVALID: "Dr Green could not accept these details",
    RegistrationState.PROOF_REQUIRED: "Check your email to confirm this address",
    RegistrationState.EXPIRED: "Never sent; the details were deleted after the retention period",
}


def registration_readable_status(*, registration: ClientRegistration) -> str:
    """The account status once a client exists, else where the registration stands."""
    if registration.client_id is not None:
        return client_readable_status(client=registration.client)
    return _REGISTRATION_STATUS.get(registration.state, registration.state)
