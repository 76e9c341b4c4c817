"""Key generation and the DualAuthGuard's API-key path, reimplemented independently.

The guard never verifies the bytes on the wire: it rebuilds a canonical string
from what Express parsed (facts §2.2-2.3) and checks an ECDSA secp256k1/SHA-256
DER signature over it with the holder's public key. This module knows nothing
about the client library on purpose, so client<->sandbox tests are a real
cross-check of both implementations.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox import jsjson, qs

NOT_AUTHORIZED = "User is not authorized"
JWT_LOGIN_FIRST = "Oops!, you need to login first"
ACCESS_DENIED = "Unauthorized Access"


def generate_key_pair() -> tuple[str, str]:
    """(apiKey, secretKey) exactly like the server's ``POST /keys``: base64 of whole PEMs."""
    private_key = ec.generate_private_key(ec.SECP256K1())
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(public_pem).decode("ascii"), base64.b64encode(private_pem).decode("ascii")


_B64_JUNK = re.compile(r"[^A-Za-z0-9+/]")


def node_b64decode(text: str) -> bytes:
    """``Buffer.from(text, "base64")``: lenient (URL-safe alphabet, junk skipped, padding optional)."""
    cleaned = text.replace("-", "+").replace("_", "/")
    cleaned = cleaned.split("=", 1)[0]
    cleaned = _B64_JUNK.sub("", cleaned)
    cleaned = cleaned[: len(cleaned) - (len(cleaned) % 4 == 1)]  # a lone trailing sextet is dropped
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def verify_signature(api_key: str, signature: str, message: str) -> bool:
    """Node ``createVerify("SHA256").verify(pem, base64(signature))``; any failure is False."""
    try:
        public_key = serialization.load_pem_public_key(node_b64decode(api_key))
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            return False
        # Node encodes the JS string as UTF-8; lone surrogates cannot occur in our canonical strings.
        public_key.verify(
            node_b64decode(signature), message.encode("utf-8", "replace"), ec.ECDSA(hashes.SHA256())
        )
        return True
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    except Exception:  # noqa: BLE001 - the guard swallows every verification error
        return False


@dataclass(frozen=True)
class ParsedRequest:
    """What Express hands the guard: method, parsed query, route params, parsed body."""

    method: str
    query: dict[str, Any]
    params: dict[str, str]
    body: Any


def canonical_strings(req: ParsedRequest, *, accept_empty_detail: bool = False) -> list[str]:
    """Canonical string(s) a signature may cover; more than one only with the ``{}`` toggle."""
    if req.method == "GET":
        if req.query:
            return [qs.url_search_params(req.query)]
        primary = jsjson.stringify(req.params)
        if accept_empty_detail and req.params:
            return [primary, "{}"]
        return [primary]
    return [jsjson.stringify(req.body)]
