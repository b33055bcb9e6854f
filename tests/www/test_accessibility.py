"""Every page of the portal passes axe-core's automated checks (RGAA tags reported)."""

from typing import Any

import pytest

from tests.www.browser import crawl

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_pass_axe(page: Any, live_server: Any) -> None:
    report = crawl(page, live_server.url, ["/", "/connexion/"])
    assert live_server.url + "/" in report.visited
    assert not report.failures(), report.failures()
    assert all(status == 200 for status in report.statuses.values()), report.statuses
