"""The audit in the real browser, on pages served on loopback."""

from typing import Any

import pytest

from dlnuf.toolbox.accessibility.audit import BrowserUnavailable, audit_pages
from dlnuf.toolbox.accessibility.fetching import SamplePage
from dlnuf.toolbox.accessibility.scoring import NOT_COMPLIANT, automatic_statuses
from tests.toolbox.accessibility.pages import BAD_PAGE, GOOD_PAGE
from tests.toolbox.accessibility.served import Site

KNOWN_FAILURES = {"1.1", "11.1", "3.2", "8.3", "6.2"}


def _png(site: Site) -> None:
    site.pages["/plan.png"] = (200, {"Content-Type": "image/png"}, "")


def test_known_failures_map_to_their_criteria(site: Site, chromium: str) -> None:
    site.pages["/bad"] = (200, {}, BAD_PAGE)
    site.pages["/good"] = (200, {}, GOOD_PAGE)
    _png(site)
    done: list[int] = []

    run = audit_pages(
        [SamplePage("Mauvaise", site.url("/bad")), SamplePage("Bonne", site.url("/good"))],
        lambda index, page: done.append(index),
    )

    assert done == [0, 1]
    assert run.axe_version == "4.14.1"
    assert run.browser_version.startswith("Chromium ")
    bad, good = (automatic_statuses([page]) for page in run.pages)
    failed = {number for number, verdict in bad.items() if verdict["status"] == NOT_COMPLIANT}
    assert failed == KNOWN_FAILURES
    assert not {n for n, verdict in good.items() if verdict["status"] == NOT_COMPLIANT}
    assert run.pages[1]["violations"] == []
    image = next(rule for rule in run.pages[0]["violations"] if rule["rule"] == "image-alt")
    assert image["impact"] == "critical"
    assert image["nodes"][0]["html"].startswith("<img")
    assert image["nodes"][0]["target"] == "img"


def test_redirects_and_requests_to_internal_addresses_are_aborted_and_noted(
    site: Site, internal_site: Site, chromium: str
) -> None:
    internal_site.pages["/secret"] = (200, {}, "<html><body>interne</body></html>")
    internal_site.pages["/image.png"] = (200, {"Content-Type": "image/png"}, "")
    site.pages["/page"] = (
        200,
        {},
        GOOD_PAGE.replace("/plan.png", internal_site.url("/image.png")),
    )
    site.pages["/vers-interne"] = (302, {"Location": internal_site.url("/secret")}, "")
    site.pages["/accueil"] = (301, {"Location": "/page"}, "")

    run = audit_pages(
        [
            SamplePage("Image interne", site.url("/page")),
            SamplePage("Redirection interne", site.url("/vers-interne")),
            SamplePage("Redirection permise", site.url("/accueil")),
        ]
    )

    assert internal_site.hits == []
    refused = {entry["url"] for entry in run.refused}
    assert refused == {internal_site.url("/image.png"), internal_site.url("/secret")}
    assert all("adresse interne" in entry["reason"] for entry in run.refused)
    image_page, redirected, followed = run.pages
    assert image_page["error"] == ""
    assert redirected["error"].startswith("La page n'a pas pu être chargée")
    assert followed["error"] == "", followed["error"]
    assert followed["final_url"] == site.url("/page")
    assert followed["error"] == ""


def test_a_missing_chromium_is_told_in_french(settings: Any) -> None:
    settings.DLNUF_CHROMIUM_PATH = "/nonexistent/chromium"

    with pytest.raises(BrowserUnavailable, match="Chromium est introuvable"):
        audit_pages([SamplePage("Accueil", "https://example.org/")])
