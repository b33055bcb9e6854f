"""A tiny JSON provider on loopback, answering what each test tells it to."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a slow answer closes the socket: nothing to report.
        pass


class FakeProvider:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[ReceivedRequest] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                provider.requests.append(
                    ReceivedRequest(
                        path=parts.path,
                        query=parse_qsl(parts.query, keep_blank_values=True),
                        headers={k.lower(): v for k, v in self.headers.items()},
                    )
                )
                route = provider.routes.get(parts.path) or Route(
                    status=404,
                    body=orjson.dumps(
                        {
                            "errors": [
                                {"code": "99003", "title": "Inconnu", "detail": "", "meta": {}}
                            ]
                        }
                    ),
                )
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header(
                    "Content-Type", route.headers.get("Content-Type", "application/json")
                )
                for name, value in route.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(
        self,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.routes[path] = Route(
            status=status,
            body=raw if raw is not None else orjson.dumps(body),
            headers=headers or {},
            delay=delay,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def fake_provider_running() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def refused_url() -> str:
    """The address of a loopback port nobody listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def envelope(data: Any, links: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"data": data, "links": links or {}, "meta": {}}


def upstream_error(code: str, detail: str = "Détail du fournisseur.") -> dict[str, Any]:
    return {
        "errors": [
            {
                "code": code,
                "title": "Erreur",
                "detail": detail,
                "source": None,
                "meta": {"provider": "TEST"},
            }
        ]
    }
