"""Dr Green key pairs: base64 of a whole PEM (SPKI public / PKCS8 private), secp256k1.

The server mints keys with Node's ``generateKeyPairSync("ec", {namedCurve: "secp256k1"})``,
exports PEM and base64-encodes each PEM *including* its header lines and newlines (facts §2.1).
The api key is sent untouched in ``x-auth-apikey`` and looked up verbatim, so it must never be
re-encoded or stripped of its PEM armour.

Error messages here end up in Django system-check output and logs: they describe the problem,
never the key material.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "KeyFormatError",
    "generate_key_pair",
    "load_api_key",
    "load_secret_key",
    "validate_key_pair",
]

CHECK_NOT_BASE64 = "drgreen.E003"
CHECK_NOT_PEM = "drgreen.E004"
CHECK_WRONG_CURVE = "drgreen.E005"
CHECK_NOT_A_PAIR = "drgreen.E006"

_API = "the API key (DRGREEN_API_KEY)"
_SECRET = "the secret key (DRGREEN_SECRET_KEY)"


class KeyFormatError(ValueError):
    """A key is malformed; ``check_id`` is the stable Django system-check id for the problem."""

    def __init__(self, message: str, check_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.check_id = check_id


def generate_key_pair() -> tuple[str, str]:
    """Make a new ``(api_key, secret_key)`` pair in Dr Green's format (232 / 316 characters)."""
    private_key = ec.generate_private_key(ec.SECP256K1())
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(public_pem).decode("ascii"), base64.b64encode(private_pem).decode("ascii")


def _decode_pem_text(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not value.strip():
        raise KeyFormatError(f"{what} is empty.", CHECK_NOT_BASE64)
    text = value.strip()
    if text.startswith("-----BEGIN"):
        raise KeyFormatError(
            f"{what} is a raw PEM; Dr Green keys are the base64 encoding of the whole PEM text.",
            CHECK_NOT_BASE64,
        )
    try:
        pem = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{what} is not valid base64.", CHECK_NOT_BASE64) from None
    if b"-----BEGIN " not in pem:
        raise KeyFormatError(f"{what} does not decode to a PEM key.", CHECK_NOT_PEM)
    return pem


def _require_secp256k1(key: object, what: str) -> None:
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        raise KeyFormatError(f"{what} is not an elliptic-curve key (secp256k1 expected).", CHECK_WRONG_CURVE)
    if not isinstance(key.curve, ec.SECP256K1):
        raise KeyFormatError(
            f"{what} uses curve {key.curve.name}; Dr Green keys are secp256k1.", CHECK_WRONG_CURVE
        )


def load_api_key(api_key: str) -> ec.EllipticCurvePublicKey:
    """Decode an api key (base64 of a PEM SPKI public key) into a secp256k1 public key."""
    pem = _decode_pem_text(api_key, _API)
    if b"PRIVATE KEY-----" in pem:
        raise KeyFormatError(f"{_API} decodes to a private key PEM; expected the public key.", CHECK_NOT_PEM)
    if b"-----BEGIN PUBLIC KEY-----" not in pem:
        raise KeyFormatError(f"{_API} does not decode to a PEM public key.", CHECK_NOT_PEM)
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise KeyFormatError(
            f"{_API} decodes to a PEM public key that cannot be parsed.", CHECK_NOT_PEM
        ) from None
    except Exception:  # UnsupportedAlgorithm for key types this cryptography build cannot load
        raise KeyFormatError(
            f"{_API} decodes to a PEM public key of an unsupported type.", CHECK_WRONG_CURVE
        ) from None
    _require_secp256k1(key, _API)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def load_secret_key(secret_key: str) -> ec.EllipticCurvePrivateKey:
    """Decode a secret key (base64 of a PEM PKCS8 private key) into a secp256k1 private key."""
    pem = _decode_pem_text(secret_key, _SECRET)
    if b"-----BEGIN PUBLIC KEY-----" in pem:
        raise KeyFormatError(
            f"{_SECRET} decodes to a public key PEM; expected the private key.", CHECK_NOT_PEM
        )
    if b"PRIVATE KEY-----" not in pem:
        raise KeyFormatError(f"{_SECRET} does not decode to a PEM private key.", CHECK_NOT_PEM)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise KeyFormatError(
            f"{_SECRET} is an encrypted PEM; Dr Green secret keys are unencrypted.", CHECK_NOT_PEM
        ) from None
    except ValueError:
        raise KeyFormatError(
            f"{_SECRET} decodes to a PEM private key that cannot be parsed.", CHECK_NOT_PEM
        ) from None
    except Exception:  # cryptography raises UnsupportedAlgorithm for exotic key types
        raise KeyFormatError(
            f"{_SECRET} decodes to a PEM private key of an unsupported type.", CHECK_WRONG_CURVE
        ) from None
    _require_secp256k1(key, _SECRET)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def validate_key_pair(api_key: str, secret_key: str) -> None:
    """Raise :class:`KeyFormatError` unless both keys are well-formed and belong together."""
    public_key = load_api_key(api_key)
    private_key = load_secret_key(secret_key)
    if private_key.public_key().public_numbers() != public_key.public_numbers():
        raise KeyFormatError(
            "The API key and the secret key are not a pair (the secret key's public half differs).",
            CHECK_NOT_A_PAIR,
        )
