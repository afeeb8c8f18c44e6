"""The address a request comes from, for everything that counts clients (the API's throttle, the
admin's sign-in lockout).

X-Forwarded-For is whatever the sender wrote, so it is believed only when the connection itself
(REMOTE_ADDR) comes from one of the proxies in the setting TRUSTED_PROXIES. Through such a proxy
the client is the NUM_PROXIES-th address from the right (the REST_FRAMEWORK setting, from
API_NUM_PROXIES): the proxy appends the address it saw, so entries further left are the client's
own claim. Anyone else is counted by the address they connect from, whatever header they send.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(entries: list[str]) -> list[Network]:
    """Addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`); a typo is refused rather than
    silently trusting nothing or the wrong machine."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                "(e.g. TRUSTED_PROXIES=127.0.0.1,::1 for a proxy on this machine)."
            ) from None
    return networks


def bind_is_loopback(bind: str) -> bool:
    """Whether the web server's BIND (empty: its default, 127.0.0.1:$PORT) accepts connections only
    from this machine. A unix socket counts as not: its REMOTE_ADDR is no IP address anyway."""
    if not bind:
        return True
    host = bind.rpartition(":")[0] if ":" in bind else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a unix socket's empty address, or anything odd: not a proxy we know
    return any(ip in network for network in parse_trusted_proxies(settings.TRUSTED_PROXIES))


def proxy_count() -> int:
    """How many proxies stand before the web server: DRF's own setting, so API_NUM_PROXIES keeps its
    documented meaning; at least one, since REMOTE_ADDR is one when the header is believed."""
    return max(1, settings.REST_FRAMEWORK.get("NUM_PROXIES") or 1)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the client it names."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    if not forwarded or not _is_trusted_proxy(remote_addr):
        return remote_addr
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote_addr
    return hops[-min(proxy_count(), len(hops))]
