"""The DRGREEN settings namespace, read at call time so tests can override it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class DrGreenSettings:
    api_url: str
    api_key: str
    secret_key: str
    connect_timeout: float
    read_timeout: float
    get_retries: int
    order_body_mode: str
    console_url: str

    def __repr__(self) -> str:  # never print the secret key
        return (
            f"DrGreenSettings(api_url={self.api_url!r}, api_key=<{len(self.api_key)} chars>, "
            "secret_key=<hidden>)"
        )


def drgreen_settings() -> DrGreenSettings:
    raw = getattr(settings, "DRGREEN", {})
    return DrGreenSettings(
        api_url=raw.get("API_URL", ""),
        api_key=raw.get("API_KEY", ""),
        secret_key=raw.get("SECRET_KEY", ""),
        connect_timeout=float(raw.get("CONNECT_TIMEOUT", 5.0)),
        read_timeout=float(raw.get("READ_TIMEOUT", 30.0)),
        get_retries=int(raw.get("GET_RETRIES", 3)),
        order_body_mode=raw.get("ORDER_BODY_MODE", "cart"),
        console_url=raw.get("CONSOLE_URL", "https://dapp.drgreennft.com"),
    )
