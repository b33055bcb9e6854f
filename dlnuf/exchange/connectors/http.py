"""One pooled HTTP client per connector per process: connections are kept alive and reused.

Every socket operation of a call is bounded by the call's total deadline (``call_deadline``):
httpx's own timeouts apply to each operation, so an upstream trickling a few bytes just before
each read timeout would otherwise hold a call for as long as it likes.
"""

import atexit
import contextvars
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

POOL_SIZE = 64
KEEPALIVE_POOL_SIZE = 32

_clients: dict[str, httpx.Client] = {}
_lock = threading.Lock()
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "provider_call_deadline", default=None
)


@contextmanager
def call_deadline(seconds: float) -> Iterator[float]:
    """Bound every network operation made in this block to ``seconds`` from now, in total."""
    deadline = time.monotonic() + seconds
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("Délai total de l'appel au fournisseur dépassé.")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(
                ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._backend.connect_tcp(
                host,
                port,
                _bounded(timeout, httpcore.ConnectTimeout),
                local_address,
                socket_options,
            )
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx takes no network backend, so its pool is replaced by the same pool with ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=POOL_SIZE,
        max_keepalive_connections=KEEPALIVE_POOL_SIZE,
        keepalive_expiry=5.0,
        network_backend=_DeadlineBackend(),
    )
    return transport


def pooled_client(name: str) -> httpx.Client:
    client = _clients.get(name)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(name)
        if client is None:
            client = httpx.Client(transport=_transport(), follow_redirects=False)
            _clients[name] = client
        return client


@contextmanager
def pooled_client_replaced(name: str, client: httpx.Client) -> Iterator[None]:
    """Serve the calls of connector ``name`` with ``client`` within this block: the demonstration
    data reaches the built-in sandbox in-process, before any server runs."""
    with _lock:
        previous = _clients.get(name)
        _clients[name] = client
    try:
        yield
    finally:
        with _lock:
            if previous is None:
                _clients.pop(name, None)
            else:
                _clients[name] = previous


def pooled_clients_close() -> None:
    """Close every pooled client (process shutdown, tests that restart providers)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


# Connections kept alive are closed cleanly when the process ends.
atexit.register(pooled_clients_close)
