"""Authenticated encryption of personal data held at rest (``cryptography``'s Fernet).

``DRGREEN_DATA_KEYS`` is a comma-separated list of Fernet keys, newest first: the newest
encrypts, every one of them decrypts (``MultiFernet``), so a new key is put in front, the
rows are re-encrypted (``manage.py drgreen_rotate_data_keys``) and the old key is dropped.

With no key set, a key is derived from ``SECRET_KEY`` (HKDF-SHA256, its own purpose
label): still authenticated encryption, but tied to the Django key, so
``manage.py check --deploy`` refuses it (``drgreen.E105``) and production sets real keys.
No Django model imports here: the model field and the services both use this module.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from integration.conf import drgreen_settings

# Every token Fernet makes starts with its version byte 0x80, i.e. "gAAAAA" in base64.
TOKEN_PREFIX = "gAAAAA"
_HKDF_INFO = b"drgreen-store data keys v1"


class DataKeyError(Exception):
    """A held value cannot be decrypted with the configured keys (or a key is malformed)."""


def configured_keys() -> list[str]:
    return [k.strip() for k in drgreen_settings.operations.data_keys.split(",") if k.strip()]


def derived_dev_key() -> str:
    """The fallback key when ``DRGREEN_DATA_KEYS`` is empty (development and tests)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        str(settings.SECRET_KEY).encode()
    )
    return base64.urlsafe_b64encode(material).decode()


_cache: tuple[tuple[str, ...], MultiFernet] | None = None


def data_cipher() -> MultiFernet:
    """The ``MultiFernet`` of the configured keys (or the derived one); cached per key list."""
    global _cache
    keys = tuple(configured_keys() or [derived_dev_key()])
    if _cache is not None and _cache[0] == keys:
        return _cache[1]
    try:
        cipher = MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        # Never the key in the message.
        raise DataKeyError("DRGREEN_DATA_KEYS holds a value that is not a Fernet key") from exc
    _cache = (keys, cipher)
    return cipher


def seal_json(value: Any) -> str:
    """``value`` as JSON, encrypted with the newest key (a Fernet token, text)."""
    data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return data_cipher().encrypt(data).decode()


def open_json(token: str) -> Any:
    """The value ``seal_json`` sealed. Raises ``DataKeyError`` when no configured key opens it."""
    try:
        return json.loads(data_cipher().decrypt(token.encode()))
    except InvalidToken as exc:
        raise DataKeyError("a held value cannot be decrypted with DRGREEN_DATA_KEYS") from exc


def reseal(token: str) -> str:
    """The same value encrypted with the newest key (``MultiFernet.rotate``)."""
    try:
        return data_cipher().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DataKeyError("a held value cannot be decrypted with DRGREEN_DATA_KEYS") from exc


def is_sealed(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(TOKEN_PREFIX)
