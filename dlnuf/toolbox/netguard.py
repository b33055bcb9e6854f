"""Addresses the toolbox may fetch: public http(s) only, so that no tool reaches the server's own
network (SSRF).

An address is refused when its scheme is not http or https, when it carries credentials, or when
its host resolves to any address that is not globally routable (loopback, private ranges,
link-local, carrier-grade NAT, multicast, reserved…), unless the host is on
``DLNUF_TOOLBOX_URL_ALLOWLIST`` (an operator's choice; tests list their loopback server there).
Callers check every redirect again, and browsers check every request the page makes. Callers
that hand the address to another program (git) pin the addresses checked here
(``checked_addresses``), so that a second lookup cannot lead somewhere else (DNS rebinding).
"""

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The address is not one the toolbox may fetch; the message says why, in French."""


def allowed_hosts() -> set[str]:
    return {host.lower() for host in getattr(settings, "DLNUF_TOOLBOX_URL_ALLOWLIST", [])}


def _addresses(host: str, port: int) -> Iterable[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"Le nom « {host} » ne se résout pas.") from error
    return {str(info[4][0]) for info in infos}


def check_public_url(url: str) -> str:
    """Return ``url`` when the toolbox may fetch it; raise AddressRefused otherwise."""
    checked_addresses(url)
    return url.strip()


def checked_addresses(url: str) -> tuple[str, int, list[str]]:
    """The host, port and addresses ``url`` resolves to, once checked (AddressRefused otherwise).

    An allow-listed host is resolved too, so that its addresses can be pinned like the others;
    its list is empty when it does not resolve here.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise AddressRefused("Cette adresse n'est pas une URL valable.") from error
    if parts.scheme not in {"http", "https"}:
        raise AddressRefused("Seules les adresses http:// et https:// sont acceptées.")
    if parts.username or parts.password:
        raise AddressRefused("Une adresse ne doit pas contenir d'identifiant ni de mot de passe.")
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused("Cette adresse n'a pas de nom de serveur.")
    if host in allowed_hosts() or f"{host}:{port}" in allowed_hosts():
        # The operator vouches for this host: it is pinned when it resolves here, and left to
        # the caller's own lookup otherwise (a test's made-up name, a mirror behind a proxy).
        try:
            return host, port, sorted(_addresses(host, port))
        except AddressRefused:
            return host, port, []
    addresses = sorted(_addresses(host, port))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        # Multicast ranges count as global for the standard library, not for us.
        if not ip.is_global or ip.is_multicast or ip.is_reserved:
            raise AddressRefused(
                f"« {host} » désigne une adresse interne ({ip}) : la boîte à outils ne lit que des "
                "adresses publiques."
            )
    return host, port, addresses
