"""Build Dr Green's client-create body (``CreateClientDto``, facts §6.1) from a storefront form.

The storefront's field names are Dr Green's (camelCase), with a few conveniences: alpha-2
country codes, ``postCode`` for ``postalCode`` (the docs' spelling, which Dr Green would
silently strip and then reject), any-case email. Everything is checked here so the
customer hears about a typo at once, not after a round trip to Dr Green; unknown keys are
dropped, as Dr Green would drop them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from integration.services.errors import ServiceError

from .countries import country_alpha3

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CODE = re.compile(r"^\+?[0-9]{1,4}\Z")  # [0-9], not \d: \d also matches "١" or "４"
_DIGITS = re.compile(r"^[0-9]{4,15}\Z")

HISTORY5 = frozenset({
    "anxiety_disorders_including_generalized_anxiety_disorder_ocd_or_other", "depression",
    "mania_bipolar_disorder", "personality_disorder", "ptsd", "schizophrenia", "none",
})  # fmt: skip
HISTORY7 = frozenset({
    "psychosis", "schizophrenia", "schizoaffective_disorder", "anxiety", "depression",
    "bipolar_manic_depression_mania", "none",
})  # fmt: skip
HISTORY13 = frozenset({"everyday", "every_other_day", "1_2_times_per_week", "never"})
HISTORY14 = frozenset({"smoking_joints", "vaporizing", "ingestion", "topical", "never"})
REQUIRED_BOOLEANS = tuple(f"medicalHistory{i}" for i in (0, 1, 2, 3, 4, 8, 9, 10, 12))
OPTIONAL_BOOLEANS = ("medicalHistory6", "medicalHistory16")
OPTIONAL_STRINGS = (
    "otherMedicalCondition",
    "otherMedicalTreatments",
    "medicalHistory7Relation",
    "medicalHistory11",
    "medicalHistory15",
    "prescriptionsSupplements",
)
_SNAKE = re.compile(r"^[a-z0-9_\-]+$")


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.items()))
            raise ServiceError(
                "invalid_registration",
                f"{first[0]}: {first[1][0]}",
                details={"fields": self.fields},
                status=400,
            )


def _text(
    data: dict,
    key: str,
    errors: _Errors,
    path: str,
    *,
    required: bool = True,
    blank_ok: bool = False,
    max_length: int = 255,
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not blank_ok):
        if required:
            errors.add(path, "is required")
        return "" if blank_ok and required else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.add(path, "must be text")
        return None
    value = value.strip()
    if len(value) > max_length:
        errors.add(path, f"at most {max_length} characters")
    return value


def _address(data: Any, errors: _Errors, path: str, *, business: bool = False) -> dict[str, Any]:
    if not isinstance(data, dict):
        errors.add(path, "is required" if data is None else "must be an object")
        return {}
    out: dict[str, Any] = {}
    # Dr Green requires every shipping string (empty strings pass); business addresses need
    # non-empty ones (facts §6.1).
    for key in ("address1", "address2", "city", "state", "country"):
        blank_ok = key == "address2" and not business
        out[key] = _text(data, key, errors, f"{path}.{key}", blank_ok=blank_ok)
    postal = data.get("postalCode", data.get("postCode"))
    out["postalCode"] = _text(
        {"postalCode": postal}, "postalCode", errors, f"{path}.postalCode", max_length=32
    )
    code = data.get("countryCode")
    alpha3 = country_alpha3(code)
    if alpha3 is None:
        errors.add(f"{path}.countryCode", "must be an ISO 3166-1 country code (GB or GBR)")
    out["countryCode"] = alpha3
    landmark = _text(data, "landmark", errors, f"{path}.landmark", required=False)
    if landmark:
        out["landmark"] = landmark
    if business:
        for key in ("name", "businessType"):
            value = _text(data, key, errors, f"{path}.{key}", required=False)
            if value:
                out[key] = value
    return out


def _choices(
    record: dict, key: str, allowed: frozenset[str], errors: _Errors, *, required: bool
) -> list | None:
    path = f"medicalRecord.{key}"
    value = record.get(key)
    if value is None:
        if required:
            errors.add(path, "is required")
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors.add(path, "must be a non-empty list of options")
        return None
    unknown = [v for v in value if v not in allowed]
    if unknown:
        errors.add(path, f"unknown option(s): {', '.join(unknown)}")
    if any(v in ("never", "none") for v in value) and len(value) > 1:
        errors.add(path, '"Never" or "None" cannot be selected along with other options')
    return list(dict.fromkeys(value))


def _medical_record(data: Any, errors: _Errors) -> dict[str, Any]:
    if not isinstance(data, dict):
        errors.add("medicalRecord", "is required" if data is None else "must be an object")
        return {}
    out: dict[str, Any] = {}
    dob = data.get("dob")
    try:
        born = date.fromisoformat(dob) if isinstance(dob, str) and len(dob) == 10 else None
    except ValueError:
        born = None
    if born is None:
        errors.add("medicalRecord.dob", "must be a date as YYYY-MM-DD")
    else:
        out["dob"] = born.isoformat()
    gender = _text(data, "gender", errors, "medicalRecord.gender")
    if gender:
        out["gender"] = gender
    for key in REQUIRED_BOOLEANS + OPTIONAL_BOOLEANS:
        value = data.get(key)
        if value is None and key in OPTIONAL_BOOLEANS:
            continue
        if not isinstance(value, bool):
            errors.add(f"medicalRecord.{key}", "must be true or false")
        else:
            out[key] = value
    for key, allowed, required in (
        ("medicalHistory5", HISTORY5, True),
        ("medicalHistory7", HISTORY7, False),
        ("medicalHistory14", HISTORY14, True),
    ):
        picked = _choices(data, key, allowed, errors, required=required)
        if picked is not None:
            out[key] = picked
    frequency = data.get("medicalHistory13")
    if frequency not in HISTORY13:
        errors.add("medicalRecord.medicalHistory13", f"must be one of {', '.join(sorted(HISTORY13))}")
    else:
        out["medicalHistory13"] = frequency
    for key in ("medicalConditions", "medicinesTreatments"):
        value = data.get(key)
        if value is None:
            continue
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and _SNAKE.match(v) for v in value)
        ):
            errors.add(f"medicalRecord.{key}", "must be a non-empty list of option codes")
        else:
            out[key] = value
    for key in OPTIONAL_STRINGS:
        value = _text(data, key, errors, f"medicalRecord.{key}", required=False, max_length=2000)
        if value:
            out[key] = value
    if "other_medical_condition" in out.get("medicalConditions", []) and not out.get("otherMedicalCondition"):
        errors.add("medicalRecord.otherMedicalCondition", "is required with other_medical_condition")
    if "other_prescribed_medicines_treatments" in out.get("medicinesTreatments", []) and not out.get(
        "otherMedicalTreatments"
    ):
        errors.add(
            "medicalRecord.otherMedicalTreatments", "is required with other_prescribed_medicines_treatments"
        )
    relatives = out.get("medicalHistory7") or []
    if relatives and "none" not in relatives and not out.get("medicalHistory7Relation"):
        errors.add("medicalRecord.medicalHistory7Relation", "is required when a family history is given")
    return out


def registration_payload_build(*, data: dict[str, Any]) -> dict[str, Any]:
    """Validate the form and return the exact body for ``POST /dapp/clients``.

    Raises ``ServiceError("invalid_registration", details={"fields": {path: [messages]}})``.
    """
    if not isinstance(data, dict):
        raise ServiceError("invalid_registration", "The registration must be an object.", status=400)
    errors = _Errors()
    payload: dict[str, Any] = {}
    payload["firstName"] = _text(data, "firstName", errors, "firstName", max_length=128)
    last = _text(data, "lastName", errors, "lastName", required=False, max_length=128)
    payload["lastName"] = last
    email = _text(data, "email", errors, "email", max_length=254)
    if email is not None:
        # Dr Green rejects mixed case ("Email must be in lowercase.") and compares emails
        # exactly, so the lower-case form is the customer's identity there.
        email = email.lower()
        if not _EMAIL.match(email):
            errors.add("email", "is not a valid email address")
    payload["email"] = email
    phone_code = _text(data, "phoneCode", errors, "phoneCode", max_length=8)
    if phone_code is not None:
        phone_code = phone_code.replace(" ", "")
        if not _PHONE_CODE.match(phone_code):
            errors.add("phoneCode", "must be a dialling code such as +44")
        elif not phone_code.startswith("+"):
            phone_code = "+" + phone_code
    payload["phoneCode"] = phone_code
    number = _text(data, "contactNumber", errors, "contactNumber", max_length=32)
    if number is not None:
        number = re.sub(r"[\s\-().]", "", number)
        if not _DIGITS.match(number):
            errors.add("contactNumber", "must be 4 to 15 digits")
    payload["contactNumber"] = number
    phone_country = data.get("phoneCountryCode")
    if phone_country:
        if not isinstance(phone_country, str) or country_alpha3(phone_country) is None:
            errors.add("phoneCountryCode", "must be a country code such as GB")
        else:
            payload["phoneCountryCode"] = phone_country.strip().upper()
    payload["shipping"] = _address(data.get("shipping"), errors, "shipping")
    if data.get("clientBusiness") is not None:
        payload["clientBusiness"] = _address(data["clientBusiness"], errors, "clientBusiness", business=True)
    payload["medicalRecord"] = _medical_record(data.get("medicalRecord"), errors)
    errors.raise_if_any()
    if not payload["lastName"]:
        payload.pop("lastName")
    return payload
