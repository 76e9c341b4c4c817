"""Scrub secrets and personal data out of anything on its way to a log line.

Two layers, because neither alone is enough:

- **by key**: a value stored under a key that names a secret (``secret``, ``token``,
  ``authorization``, ``x-auth-signature`` …) or personal data (``email``, ``firstName``,
  ``contactNumber``, ``address1`` …) is replaced whole, however it looks;
- **by shape**: free text (messages, exception text, ``str()`` of objects) is searched for
  what secrets and personal data look like: PEM blocks and their base64 (Dr Green's key
  format), DER signatures, our ``dgs_`` API tokens, ``Authorization``-style header values,
  e-mail addresses, phone numbers, name-bearing query parameters, and the literal values
  of the secrets this process was configured with.

Names in free text have no shape; they reach logs through ``str(model_instance)`` (a
client's ``__str__`` is its name), so :func:`safe_arg` turns model instances into
``<app.Model pk=…>`` before a message is formatted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

# Keys are compared lower-cased with "-" and "_" removed, so ``X-Auth-Signature``,
# ``x_auth_signature`` and ``xAuthSignature`` are the same key.
_SECRET_KEY_PARTS = (
    "secret",
    "password",
    "passwd",
    "token",
    "authorization",
    "signature",
    "apikey",
    "cookie",
    "sessionid",
    "csrf",
    "privatekey",
)
_PERSONAL_KEYS = frozenset(
    {
        "email",
        "emailaddress",
        "firstname",
        "lastname",
        "fullname",
        "clientname",
        "customername",
        "phone",
        "phonenumber",
        "contactnumber",
        "mobile",
        "address",
        "address1",
        "address2",
        "street",
        "postalcode",
        "postcode",
        "zipcode",
        "dateofbirth",
        "dob",
        "rejectionnote",
        "search",
        # Medical answers (facts §6.1): never in a log line, whatever their shape.
        "medicalrecord",
        "gender",
        "othermedicalcondition",
        "othermedicaltreatments",
        "prescriptionssupplements",
        "medicalconditions",
        "medicinestreatments",
    }
)

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S)
# base64("-----BEGIN") — how Dr Green ships keys (base64 of the PEM).
_B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*")
# A DER ECDSA signature in base64 starts with SEQUENCE(0x30) + length 0x44-0x46.
_DER_SIG = re.compile(r"\bME[QUY]C[A-Za-z0-9+/]{40,}={0,2}")
_OUR_TOKEN = re.compile(r"\bdgs_[A-Za-z0-9_\-]{8,}")
# Webhook signing secrets (Standard Webhooks: ``whsec_`` + base64).
_WEBHOOK_SECRET = re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}")
_HEADER_VALUE = re.compile(
    r"(?i)((?:authorization|proxy-authorization|x-auth-signature|x-auth-apikey|x-sandbox-token|"
    r"x-api-key|cookie|set-cookie)[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|token|basic)\s+)?[^\s\"',;}]+"
)
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=\-]{12,}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# International numbers (+44 7700 900123, +1 (555) 010-0199) and bare runs of 9-15 digits;
# ISO dates and times (at most 8 digits between separators a phone would not use) survive.
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d[\d ()\-]{6,}\d(?!\w)")
_PHONE_BARE = re.compile(r"(?<![\w\-.:/])\d{9,15}(?![\w\-.:/])")
_QUERY_PARAM = re.compile(
    r"(?i)([?&](?:search|email|firstName|lastName|name|phone|contactNumber|clientName)=)[^&\s\"']+"
)


def _norm(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def is_secret_key(key: str) -> bool:
    k = _norm(key)
    return any(part in k for part in _SECRET_KEY_PARTS)


def is_personal_key(key: str) -> bool:
    k = _norm(key)
    return k in _PERSONAL_KEYS or k.startswith("medicalhistory")


_secrets_cache: list[str] | None = None


def forget_configured_secrets(**_kwargs: Any) -> None:
    """Drop the cached secret values (connected to Django's ``setting_changed``)."""
    global _secrets_cache
    _secrets_cache = None


def configured_secrets() -> list[str]:
    """Literal values of this process's secrets (longest first). Every log line needs them
    twice, so they are read once and kept until a setting changes (tests override them).
    Short values are skipped: replacing every "x" in a log line would hide more than it
    protects."""
    global _secrets_cache
    if _secrets_cache is not None:
        return _secrets_cache
    values = _read_secrets()
    try:
        from django.apps import apps
    except ImportError:  # Django not importable: nothing configured to cache
        return values
    if apps.ready:  # before that, settings may still be settling: read them again
        _secrets_cache = values
    return values


def _read_secrets() -> list[str]:
    values: list[str] = []
    try:
        from django.conf import settings

        if not settings.configured:
            return values
        from integration.conf import drgreen_settings

        client, operations = drgreen_settings.client, drgreen_settings.operations
        values += [client.secret_key, client.api_key]
        values += [getattr(settings, "SECRET_KEY", ""), getattr(settings, "EMAIL_HOST_PASSWORD", "")]
        values += [operations.metrics_token, getattr(settings, "SANDBOX_CONTROL_TOKEN", "")]
        values += [k.strip() for k in operations.data_keys.split(",")]
        for db in getattr(settings, "DATABASES", {}).values():
            values.append(db.get("PASSWORD", "") or "")
    except Exception:  # noqa: BLE001 - redaction must never break logging
        return []
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 8}, key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """Replace everything in ``text`` that looks like a secret or personal data."""
    if not text:
        return text
    for value in configured_secrets() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _B64_PEM.sub(REDACTED, text)
    text = _DER_SIG.sub(REDACTED, text)
    text = _OUR_TOKEN.sub("dgs_" + REDACTED, text)
    text = _WEBHOOK_SECRET.sub("whsec_" + REDACTED, text)
    text = _HEADER_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SCHEME_TOKEN.sub(lambda m: m.group(1) + " " + REDACTED, text)
    text = _QUERY_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE_INTL.sub("[phone]", text)
    text = _PHONE_BARE.sub("[phone]", text)
    return text


def safe_arg(value: Any) -> Any:
    """A log-message argument with personal data taken out of how it prints."""
    try:
        from django.db.models import Model
    except Exception:  # noqa: BLE001 - Django not importable: nothing model-shaped to hide
        Model = ()  # noqa: N806
    if Model and isinstance(value, Model):
        return f"<{value._meta.label} pk={value.pk}>"
    return value


def redact(value: Any, *, key: str | None = None, secrets: list[str] | None = None, depth: int = 0) -> Any:
    """A copy of ``value`` (JSON-like data) with secret and personal entries replaced.

    Anything that is not a str/number/bool/None/mapping/sequence is turned into its
    scrubbed ``str()``, so the result is always JSON-serialisable.
    """
    if secrets is None:
        secrets = configured_secrets()
    if key is not None and (is_secret_key(key) or is_personal_key(key)) and value not in (None, "", [], {}):
        return REDACTED
    if depth > 8:
        return "[…]"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, Mapping):
        return {str(k): redact(v, key=str(k), secrets=secrets, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, secrets=secrets, depth=depth + 1) for v in value]
    return scrub_text(str(safe_arg(value)), secrets)
