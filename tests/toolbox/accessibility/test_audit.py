"""The audit in the real browser, on pages served on loopback."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dlnuf.toolbox.accessibility.audit import (
    CHROMIUM_ARGS,
    BrowserUnavailable,
    audit_pages,
    launch_browser,
)
from dlnuf.toolbox.accessibility.fetching import SamplePage
from dlnuf.toolbox.accessibility.scoring import (
    COMPLIANT,
    NOT_COMPLIANT,
    assess,
    automatic_statuses,
)
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
    # The good page passes every rule axe runs on it (title, language, link names included):
    # that makes no criterion conforming, only a person can.
    assert not {n for n, verdict in good.items() if verdict["status"] == COMPLIANT}
    clean = assess({"grid": "full", "pages": [run.pages[1]]})
    assert clean.counts["c"] == 0
    assert clean.level == ""
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


STUN_PROBE = """async (port) => {
  const connection = new RTCPeerConnection({iceServers: [{urls: `stun:127.0.0.1:${port}`}]});
  connection.createDataChannel("probe");
  await connection.setLocalDescription(await connection.createOffer());
  window.keptAlive = connection;
}"""


def _stun_packets_sent(browser: Any, seconds: float = 3.0) -> int:
    """How many UDP packets a page's WebRTC sends to a STUN server listening on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.2)
        page = browser.new_page()
        page.set_content("<p>Page auditée</p>")
        page.evaluate(STUN_PROBE, listener.getsockname()[1])
        received = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                listener.recvfrom(2048)
            except TimeoutError:
                continue
            received += 1
        page.close()
        return received


def _packets_with_and_without_the_policy(chromium: str) -> tuple[int, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright, chromium)
        try:
            guarded = _stun_packets_sent(browser)
        finally:
            browser.close()
        unguarded_browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[arg for arg in CHROMIUM_ARGS if "webrtc" not in arg],
            headless=True,
        )
        try:
            unguarded = _stun_packets_sent(unguarded_browser)
        finally:
            unguarded_browser.close()
    return guarded, unguarded


def test_audited_pages_cannot_send_udp_through_webrtc(chromium: str) -> None:
    # In a thread of its own, as the audit runs the browser (Playwright's event loop).
    with ThreadPoolExecutor(max_workers=1) as executor:
        guarded, unguarded = executor.submit(
            _packets_with_and_without_the_policy, chromium
        ).result()
    assert guarded == 0
    # The same page in a browser without the policy does reach the listener: the probe would
    # have seen the packets.
    assert unguarded > 0
