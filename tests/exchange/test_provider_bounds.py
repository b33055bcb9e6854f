"""Provider calls are bounded: one total deadline, a maximum answer size, and a saturated provider
told apart from a failing one. Real upstreams on loopback sockets misbehave on purpose."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import orjson
import pytest
from django.test import Client

from dlnuf.journal.models import JournalEntry
from tests.exchange.factories import QUOTIENT_DATA, credential_for, person_dataset, person_query
from tests.exchange.providers import envelope

pytestmark = pytest.mark.django_db

TIMEOUT_SECONDS = 1.0
# Scheduling slack on a busy two-core machine; the old behaviour took several seconds more.
MARGIN_SECONDS = 0.6
HUGE_ANSWER_BYTES = 60 * 1024 * 1024

Behaviour = Callable[[socket.socket, "Upstream"], None]


class Upstream:
    """A raw HTTP/1.1 upstream on loopback: each connection runs ``behaviour``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.bytes_sent = 0
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(10)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                request += chunk
            self.requests += 1
            # The gateway hanging up on a misbehaving upstream is what these tests want.
            with suppress(OSError):
                self.behaviour(connection, self)

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.bytes_sent += len(data)


@contextmanager
def upstream_running(behaviour: Behaviour) -> Iterator[Upstream]:
    upstream = Upstream(behaviour)
    upstream._thread.start()
    try:
        yield upstream
    finally:
        upstream.stop.set()
        upstream._thread.join()
        upstream._listener.close()


def trickled_body(connection: socket.socket, upstream: Upstream) -> None:
    """A valid answer, 20 bytes at a time, each well within the per-read timeout."""
    body = orjson.dumps(envelope(QUOTIENT_DATA))
    upstream.send(
        connection,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode(),
    )
    for start in range(0, len(body), 20):
        if upstream.stop.wait(0.4):
            return
        upstream.send(connection, body[start : start + 20])


def trickled_headers(connection: socket.socket, upstream: Upstream) -> None:
    for line in [b"HTTP/1.1 200 OK\r\n", *(b"X-Slow-%d: x\r\n" % n for n in range(30))]:
        if upstream.stop.wait(0.4):
            return
        upstream.send(connection, line)


def huge_chunked_answer(connection: socket.socket, upstream: Upstream) -> None:
    upstream.send(
        connection,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    block = b"[" + b"0," * (512 * 1024 - 1)
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    while upstream.bytes_sent < HUGE_ANSWER_BYTES:
        upstream.send(connection, chunk)


def huge_declared_answer(connection: socket.socket, upstream: Upstream) -> None:
    upstream.send(
        connection,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {HUGE_ANSWER_BYTES}\r\n\r\n".encode(),
    )
    block = b" " * (1024 * 1024)
    while upstream.bytes_sent < HUGE_ANSWER_BYTES:
        upstream.send(connection, block)


def rate_limited_text(connection: socket.socket, upstream: Upstream) -> None:
    body = b"Too Many Requests"
    upstream.send(
        connection,
        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nRetry-After: 7\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )


@pytest.fixture
def ask(client: Client, monkeypatch: pytest.MonkeyPatch) -> Callable[[Upstream], Any]:
    monkeypatch.setenv("DLNUF_TEST_PROVIDER_TOKEN", "jeton-amont")
    consumers: dict[str, tuple[str, dict[str, object]]] = {}

    def call(upstream: Upstream) -> Any:
        if upstream.url not in consumers:
            dataset = person_dataset(base_url=upstream.url, timeout_seconds=TIMEOUT_SECONDS)
            secret, credential = credential_for(dataset, ["qf"])
            consumers[upstream.url] = (
                secret,
                person_query(credential.habilitation.organisation.siret),
            )
        secret, query = consumers[upstream.url]
        return client.get(
            "/api/v1/data/quotient-test", query, headers={"Authorization": f"Bearer {secret}"}
        )

    return call


def journaled(response: Any) -> JournalEntry:
    return JournalEntry.objects.get(exchange_id=response.json()["exchange_id"])


@pytest.mark.parametrize("behaviour", [trickled_body, trickled_headers])
def test_a_trickling_upstream_is_cut_at_the_total_deadline(
    ask: Callable[[Upstream], Any], behaviour: Behaviour
) -> None:
    with upstream_running(behaviour) as upstream:
        response = ask(upstream)

    assert (response.status_code, response.json()["code"]) == (504, "provider_timeout")
    entry = journaled(response)
    assert (entry.status, entry.code) == (504, "provider_timeout")
    # The exchange's own duration, as journaled: the first request of a test process also pays
    # for loading the application, which is not the provider call.
    assert entry.latency_ms / 1000 < TIMEOUT_SECONDS + MARGIN_SECONDS


@pytest.mark.parametrize("behaviour", [huge_chunked_answer, huge_declared_answer])
def test_an_answer_larger_than_the_limit_is_refused_without_being_read_whole(
    ask: Callable[[Upstream], Any], behaviour: Behaviour, settings: Any
) -> None:
    settings.DLNUF_PROVIDER_TIMEOUT_SECONDS = 30.0
    with upstream_running(behaviour) as upstream:
        response = ask(upstream)
        # What the upstream managed to push before the gateway hung up: the limit plus what
        # the loopback socket buffers hold, far from the 60 MB offered.
        time.sleep(0.2)
        sent = upstream.bytes_sent

    assert (response.status_code, response.json()["code"]) == (502, "provider_malformed_answer")
    assert "taille permise" in response.json()["detail"]
    assert sent < 16 * 1024 * 1024
    entry = journaled(response)
    assert (entry.status, entry.code) == (502, "provider_malformed_answer")


def test_a_rate_limited_upstream_without_json_is_a_503_that_keeps_the_breaker_closed(
    ask: Callable[[Upstream], Any], settings: Any
) -> None:
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 1
    with upstream_running(rate_limited_text) as upstream:
        answers = [ask(upstream) for _ in range(3)]
        reached = upstream.requests

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (503, "provider_rate_limited")
    ] * 3
    assert all(answer["Retry-After"] == "7" for answer in answers)
    assert reached == 3
    assert journaled(answers[0]).code == "provider_rate_limited"


def test_timeouts_count_for_the_circuit_breaker(
    ask: Callable[[Upstream], Any], settings: Any
) -> None:
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 2
    with upstream_running(trickled_body) as upstream:
        codes = [ask(upstream).json()["code"] for _ in range(3)]
        reached = upstream.requests

    assert codes == ["provider_timeout", "provider_timeout", "circuit_open"]
    assert reached == 2
