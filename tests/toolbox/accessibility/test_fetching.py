from typing import Any

import pytest

from dlnuf.toolbox.accessibility.fetching import SampleRefused, parse_sample


@pytest.fixture(autouse=True)
def _allow_loopback_server(settings: Any) -> None:
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1:8123", "autre-site.test"]


def test_a_sample_reads_labels_and_addresses() -> None:
    pages = parse_sample("Accueil | http://127.0.0.1:8123/\n\n  http://127.0.0.1:8123/contact  \n")

    assert [(page.label, page.url) for page in pages] == [
        ("Accueil", "http://127.0.0.1:8123/"),
        ("Page 2", "http://127.0.0.1:8123/contact"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("http://127.0.0.1/", "adresse interne"),  # loopback, not the allowed port
        ("http://10.1.2.3/", "adresse interne"),
        ("http://169.254.169.254/latest/meta-data/", "adresse interne"),
        ("file:///etc/passwd", "http:// et https://"),
        ("http://agent:secret@127.0.0.1:8123/", "identifiant"),
    ],
)
def test_internal_and_non_web_addresses_are_refused(line: str, reason: str) -> None:
    with pytest.raises(SampleRefused, match=reason):
        parse_sample(line)


def test_every_page_must_be_on_the_first_pages_site_at_most_twenty() -> None:
    with pytest.raises(SampleRefused, match="sur le site de la première"):
        parse_sample("http://127.0.0.1:8123/\nhttps://autre-site.test/")
    with pytest.raises(SampleRefused, match="au plus 20 pages"):
        parse_sample("\n".join(f"http://127.0.0.1:8123/{n}" for n in range(21)))
    with pytest.raises(SampleRefused, match="déjà"):
        parse_sample("http://127.0.0.1:8123/\nhttp://127.0.0.1:8123/")
    with pytest.raises(SampleRefused, match="au moins une page"):
        parse_sample("  \n ")
