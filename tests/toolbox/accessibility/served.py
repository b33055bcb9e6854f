"""A small web server on loopback serving the pages an audit test needs, and the browser's
availability (Debian's Chromium; skipped without it unless DLNUF_REQUIRE_BROWSER is set)."""

import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from dlnuf.toolbox.accessibility.audit import BrowserUnavailable, chromium_executable


@dataclass
class Site:
    """Pages by path: (status, headers, body). ``hits`` lists every path requested."""

    host: str
    pages: dict[str, tuple[int, dict[str, str], str]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def _serve(site: Site) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            site.hits.append(self.path)
            status, headers, body = site.pages.get(
                self.path, (404, {"Content-Type": "text/plain"}, "introuvable")
            )
            data = body.encode()
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer((site.host, 0), Handler)
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def site(settings: Any) -> Iterator[Site]:
    """The audited site, on 127.0.0.1, which the test puts on the toolbox's allow-list."""
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1"]
    served = Site(host="127.0.0.1")
    server = _serve(served)
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def internal_site() -> Iterator[Site]:
    """A server standing for the host's own network: 127.0.0.2 is loopback and not allowed."""
    served = Site(host="127.0.0.2")
    server = _serve(served)
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def chromium() -> str:
    try:
        return chromium_executable()
    except BrowserUnavailable as error:
        if os.environ.get("DLNUF_REQUIRE_BROWSER"):
            pytest.fail(str(error))
        pytest.skip(str(error))
