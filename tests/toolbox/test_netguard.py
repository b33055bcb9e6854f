"""The toolbox fetches public addresses only: no tool may reach the server's own network."""

import socket

import pytest

from dlnuf.toolbox.netguard import AddressRefused, check_public_url


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 — an address to refuse, not one to bind
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    _resolving_to(monkeypatch, address)
    with pytest.raises(AddressRefused, match="adresse interne"):
        check_public_url("https://service.example.fr/accueil")


def test_a_public_address_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "185.24.184.1")
    assert check_public_url(" https://service.example.fr/a ") == "https://service.example.fr/a"


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("185.24.184.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(AddressRefused):
        check_public_url("https://mixte.example.fr/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "http:// et https://"),
        ("ftp://example.fr/x", "http:// et https://"),
        ("gopher://example.fr/", "http:// et https://"),
        ("https://user:secret@example.fr/", "identifiant"),
        ("https:///sans-hote", "nom de serveur"),
        ("http://[::1", "URL valable"),
    ],
)
def test_other_schemes_credentials_and_broken_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(AddressRefused, match=message):
        check_public_url(url)


def test_literal_loopback_addresses_are_refused_without_any_lookup() -> None:
    for url in ("http://127.0.0.1:8000/", "http://[::1]/", "http://2130706433/"):
        with pytest.raises(AddressRefused):
            check_public_url(url)


def test_an_unknown_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(AddressRefused, match="ne se résout pas"):
        check_public_url("https://inconnu.invalid/")


def test_the_operators_allow_list_admits_a_loopback_test_server(settings) -> None:
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1"]
    assert check_public_url("http://127.0.0.1:8123/page") == "http://127.0.0.1:8123/page"
    with pytest.raises(AddressRefused):
        check_public_url("http://localhost:8123/page")


def test_allow_listed_hosts_are_pinned_when_they_resolve(settings, monkeypatch) -> None:
    from dlnuf.toolbox.netguard import checked_addresses

    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1", "miroir.interne"]
    assert checked_addresses("http://127.0.0.1:8123/x") == ("127.0.0.1", 8123, ["127.0.0.1"])

    def fail(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert checked_addresses("https://miroir.interne/depot.git") == ("miroir.interne", 443, [])
