from collections.abc import Iterator

import pytest

from tests.exchange.providers import FakeProvider, fake_provider_running


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    with fake_provider_running() as provider:
        yield provider
