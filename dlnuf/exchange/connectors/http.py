"""One pooled HTTP client per connector per process: connections are kept alive and reused."""

import atexit
import threading

import httpx

POOL_SIZE = 64
KEEPALIVE_POOL_SIZE = 32

_clients: dict[str, httpx.Client] = {}
_lock = threading.Lock()


def pooled_client(name: str) -> httpx.Client:
    client = _clients.get(name)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(name)
        if client is None:
            client = httpx.Client(
                limits=httpx.Limits(
                    max_connections=POOL_SIZE, max_keepalive_connections=KEEPALIVE_POOL_SIZE
                ),
                follow_redirects=False,
            )
            _clients[name] = client
        return client


def pooled_clients_close() -> None:
    """Close every pooled client (process shutdown, tests that restart providers)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


# Connections kept alive are closed cleanly when the process ends.
atexit.register(pooled_clients_close)
