"""The pages of an audit: reading the sample a person typed, and the network guard of the browser.

A sample is one address, or up to 20 (RGAA's sampling), one per line, optionally written
"libellé | URL", all on the site of the first one. Every address the browser then asks for —
the page, its redirects, its frames, images, scripts, web sockets — goes through
``RequestGuard``: only public http(s) addresses (``netguard.check_public_url``) are fetched, so an
audited page cannot make the server reach its own network.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from dlnuf.toolbox.netguard import AddressRefused, check_public_url

MAX_PAGES = 20
MAX_REDIRECTS = 10
# Schemes that never leave the browser.
LOCAL_SCHEMES = ("data:", "blob:", "about:")
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class SampleRefused(Exception):
    """The sample cannot be audited; the message says why, in French."""


@dataclass(frozen=True)
class SamplePage:
    label: str
    url: str

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "url": self.url}


def _site(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").lower()


def parse_sample(text: str) -> list[SamplePage]:
    """The pages of a sample, checked: raises SampleRefused with every problem found."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise SampleRefused("Indiquez au moins une page à auditer.")
    if len(lines) > MAX_PAGES:
        raise SampleRefused(
            f"Un échantillon compte au plus {MAX_PAGES} pages ; vous en avez indiqué {len(lines)}."
        )
    pages: list[SamplePage] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        label, url = label.strip(), url.strip()
        try:
            url = check_public_url(url)
        except AddressRefused as error:
            problems.append(f"Ligne {number} : {error}")
            continue
        if pages and _site(url) != _site(pages[0].url):
            problems.append(
                f"Ligne {number} : toutes les pages doivent être sur le site de la première "
                f"({_site(pages[0].url)})."
            )
            continue
        if any(page.url == url for page in pages):
            problems.append(f"Ligne {number} : cette page figure déjà dans l'échantillon.")
            continue
        pages.append(SamplePage(label=label[:120] or f"Page {number}", url=url))
    if problems:
        raise SampleRefused(" ".join(problems))
    return pages


@dataclass
class RequestGuard:
    """Decides, for every request of the browser, whether it may go out; remembers what it
    refused (shown in the report) and where navigations were redirected."""

    checker: Callable[[str], str] = check_public_url
    refused: list[dict[str, str]] = field(default_factory=list)
    redirected: dict[str, str] = field(default_factory=dict)
    _verdicts: dict[str, str | None] = field(default_factory=dict)

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched, or None when it may. One verdict per origin and audit:
        pages load dozens of resources from the same few servers."""
        if url.startswith(LOCAL_SCHEMES):
            return None
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._verdicts:
            try:
                self.checker(url)
                self._verdicts[origin] = None
            except AddressRefused as error:
                self._verdicts[origin] = str(error)
        return self._verdicts[origin]

    def _refuse(self, url: str, reason: str) -> None:
        if len(self.refused) < 100:
            self.refused.append({"url": url[:500], "reason": reason})

    def handle_route(self, route: Any) -> None:
        """Playwright route handler. The browser follows redirects without asking its route
        handlers again, so the guard fetches each hop itself and checks every ``Location``."""
        request = route.request
        url = request.url
        reason = self.refusal(url)
        if reason is not None:
            self._refuse(url, reason)
            route.abort("blockedbyclient")
            return
        try:
            response = route.fetch(max_redirects=0)
            hops = 0
            while response.status in REDIRECT_STATUSES and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                reason = self.refusal(target)
                if reason is not None:
                    self._refuse(target, f"redirection refusée : {reason}")
                    route.abort("blockedbyclient")
                    return
                hops += 1
                if hops > MAX_REDIRECTS:
                    self._refuse(target, "trop de redirections")
                    route.abort("blockedbyclient")
                    return
                if request.is_navigation_request() and request.frame.parent_frame is None:
                    self.redirected[request.url] = target
                url = target
                response = route.fetch(url=url, max_redirects=0)
        except Exception:  # the page's server did not answer: the browser sees a failed request
            route.abort("failed")
            return
        route.fulfill(response=response)

    def handle_web_socket(self, socket: Any) -> None:
        reason = self.refusal(socket.url.replace("ws", "http", 1))
        if reason is not None:
            self._refuse(socket.url, reason)
            socket.close(code=1008, reason="refused")
            return
        socket.connect_to_server()
