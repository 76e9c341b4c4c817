"""Key generation and validation in Dr Green's format; sign → verify as the server does."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from integration.drgreen import (
    KeyFormatError,
    generate_key_pair,
    load_api_key,
    load_secret_key,
    validate_key_pair,
)
from integration.drgreen.signing import sign


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _pair_on(curve: ec.EllipticCurve) -> tuple[str, str]:
    key = ec.generate_private_key(curve)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _b64(public_pem), _b64(private_pem)


def test_generated_pair_has_dr_green_format(key_pair):
    api_key, secret_key = key_pair
    assert (len(api_key), len(secret_key)) == (232, 316)
    public_pem = base64.b64decode(api_key).decode("ascii")
    private_pem = base64.b64decode(secret_key).decode("ascii")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert public_pem.endswith("\n-----END PUBLIC KEY-----\n")
    assert len(public_pem.strip().splitlines()) == 4  # header, two base64 lines, footer
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert isinstance(load_secret_key(secret_key).curve, ec.SECP256K1)
    assert isinstance(load_api_key(api_key).curve, ec.SECP256K1)
    validate_key_pair(api_key, secret_key)


def test_each_generation_is_a_new_pair():
    assert generate_key_pair()[0] != generate_key_pair()[0]


def _check_id(api_key: str, secret_key: str) -> tuple[str, str]:
    with pytest.raises(KeyFormatError) as info:
        validate_key_pair(api_key, secret_key)
    return info.value.check_id, str(info.value)


def test_not_base64_is_e003(key_pair):
    api_key, secret_key = key_pair
    assert _check_id("not base64 at all!", secret_key)[0] == "drgreen.E003"
    assert _check_id(api_key, secret_key[:-3] + "@@@")[0] == "drgreen.E003"
    assert _check_id(api_key, "")[0] == "drgreen.E003"


def test_raw_pem_is_reported_as_not_base64(key_pair):
    api_key, secret_key = key_pair
    raw_pem = base64.b64decode(api_key).decode("ascii")
    check_id, message = _check_id(raw_pem, secret_key)
    assert check_id == "drgreen.E003"
    assert "raw PEM" in message


def test_base64_of_something_else_is_e004(key_pair):
    api_key, secret_key = key_pair
    assert _check_id(_b64(b"hello world"), secret_key)[0] == "drgreen.E004"
    broken_pem = _b64(b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
    assert _check_id(api_key, broken_pem)[0] == "drgreen.E004"


def test_swapped_keys_say_which_kind_is_wrong(key_pair):
    api_key, secret_key = key_pair
    check_id, message = _check_id(secret_key, secret_key)
    assert check_id == "drgreen.E004"
    assert "API key" in message and "private" in message
    check_id, message = _check_id(api_key, api_key)
    assert check_id == "drgreen.E004"
    assert "secret key" in message and "public" in message


def test_wrong_curve_is_e005():
    api_key, secret_key = _pair_on(ec.SECP256R1())
    check_id, message = _check_id(api_key, secret_key)
    assert check_id == "drgreen.E005"
    assert "secp256k1" in message
    with pytest.raises(KeyFormatError) as info:
        load_secret_key(secret_key)
    assert info.value.check_id == "drgreen.E005"


def test_mismatched_pair_is_e006(key_pair):
    other_api_key, _ = generate_key_pair()
    assert _check_id(other_api_key, key_pair[1])[0] == "drgreen.E006"


def test_messages_never_contain_key_material(key_pair):
    api_key, secret_key = key_pair
    other_api_key, _ = generate_key_pair()
    cases = [
        (secret_key, secret_key),
        (api_key, api_key),
        (other_api_key, secret_key),
        (api_key, secret_key[:-3] + "@@@"),
    ]
    for a, s in cases:
        _, message = _check_id(a, s)
        for key in (a, s, base64.b64decode(api_key).decode("ascii")):
            for start in range(0, len(key) - 16, 8):
                assert key[start : start + 16] not in message


def test_sign_verifies_with_the_decoded_pem_like_the_server(key_pair):
    api_key, secret_key = key_pair
    canonical = '{"items":[{"strainId":"s1","quantity":2}],"clientCartId":"cart"}'
    signature = sign(load_secret_key(secret_key), canonical)
    der = base64.b64decode(signature, validate=True)
    assert der[0] == 0x30  # DER SEQUENCE, not raw r||s
    # The server: PEM = base64decode(apiKey); createVerify("SHA256").verify(pem, sig).
    public_key = serialization.load_pem_public_key(base64.b64decode(api_key))
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, canonical.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public_key.verify(der, b"{}", ec.ECDSA(hashes.SHA256()))
