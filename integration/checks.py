"""System checks with stable ids: bad Dr Green configuration fails at start-up, not at the first call."""

from django.core import checks

from .conf import drgreen_settings


@checks.register(checks.Tags.security, deploy=False)
def check_drgreen_keys(app_configs=None, **kwargs):
    from .drgreen.keys import KeyFormatError, validate_key_pair

    conf = drgreen_settings.client
    errors = []
    if not conf.api_url:
        errors.append(checks.Error("DRGREEN_API_URL is empty.", id="drgreen.E001"))
    if not conf.api_key or not conf.secret_key:
        errors.append(
            checks.Error(
                "DRGREEN_API_KEY and DRGREEN_SECRET_KEY must both be set.",
                hint="Use the key pair from dapp.drgreennft.com (or the sandbox's POST /__sandbox__/keys).",
                id="drgreen.E002",
            )
        )
        return errors
    try:
        validate_key_pair(conf.api_key, conf.secret_key)
    except KeyFormatError as exc:
        # The message names the problem (not base64, not a PEM, wrong curve, mismatch),
        # never the key material itself.
        errors.append(checks.Error(f"Dr Green key pair rejected: {exc}", id=exc.check_id))
    if conf.order_body_mode not in ("cart", "docs"):
        errors.append(checks.Error("DRGREEN_ORDER_BODY_MODE must be 'cart' or 'docs'.", id="drgreen.E007"))
    return errors


@checks.register(checks.Tags.security, deploy=False)
def check_data_keys(app_configs=None, **kwargs):
    """A malformed DRGREEN_DATA_KEYS entry fails at start-up (never echoing the key)."""
    from .crypto import DataKeyError, data_cipher

    try:
        data_cipher()
    except DataKeyError as exc:
        return [checks.Error(str(exc), hint="Each key: Fernet.generate_key().", id="drgreen.E008")]
    return []
