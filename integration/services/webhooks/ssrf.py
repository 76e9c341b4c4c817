"""Where a webhook may go (server-side request forgery guard), checked at send time.

A receiver URL is resolved when we send, and every address it resolves to must be a public
one: never loopback, private, link-local (which holds the cloud metadata addresses),
shared, reserved, multicast or unspecified, in IPv4 or IPv6 (an IPv4-mapped IPv6 address
is judged as the IPv4 it maps). The request then goes to the address that was checked,
with the URL's host name as ``Host`` and TLS server name, so a second DNS answer cannot
swap in another one. Only ``https`` in production; ``DRGREEN_WEBHOOKS_ALLOW_PRIVATE``
lifts both rules for development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class TargetRefused(Exception):
    """The URL may not be called (the message says why; it holds no secret)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (no brackets)
    port: int
    path: str  # path + query
    address: str  # the checked IP to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def url_check(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """Static checks (no DNS): (scheme, host, port, path). Raises ``TargetRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed:
        raise TargetRefused(f"only {' or '.join(allowed)} URLs are allowed")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def target_resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host now; refuse it if any address it resolves to is
    not public (unless ``allow_private``)."""
    scheme, host, port, path = url_check(url, allow_private=allow_private)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused(f"{host} resolves to no address")
    if not allow_private:
        refused = [a for a in addresses if not address_allowed(a)]
        if refused:
            raise TargetRefused(f"{host} resolves to a non-public address ({refused[0]})")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
