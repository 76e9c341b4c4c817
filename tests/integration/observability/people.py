"""One synthetic person (invented name, reserved .test domain, Ofcom drama-range number)."""

from __future__ import annotations

import secrets
from typing import Any

FIRST = "Quillon"
LAST = "Marchbanks"
EMAIL = "quillon.marchbanks@example.test"
PHONE_CODE = "+44"
CONTACT = "7700900123"
PHONE_INTL = "+44 7700 900123"


def create_client_body(**overrides: Any) -> dict[str, Any]:
    """A valid CreateClientDto body for the sandbox; a random email tag keeps it unique."""
    tag = secrets.token_hex(3)
    body: dict[str, Any] = {
        "firstName": FIRST,
        "lastName": LAST,
        "email": EMAIL.replace("@", f".{tag}@"),
        "phoneCode": PHONE_CODE,
        "phoneCountryCode": "GB",
        "contactNumber": str(7_700_900_000 + secrets.randbelow(999)),
        "shipping": {
            "address1": "12 Lanternfield Row",
            "address2": "",
            "landmark": "",
            "city": "Exampleton",
            "state": "Testshire",
            "country": "United Kingdom",
            "countryCode": "GBR",
            "postalCode": "EX1 1AA",
        },
        "medicalRecord": {
            "dob": "1990-01-01",
            "gender": "Female",
            **{f"medicalHistory{i}": False for i in (0, 1, 2, 3, 4, 8, 9, 10, 12)},
            "medicalHistory5": ["none"],
            "medicalHistory13": "never",
            "medicalHistory14": ["never"],
        },
    }
    body.update(overrides)
    return body
