"""Every page of the portal passes axe-core's automated checks, as each role (RGAA tags reported).

The crawler starts from the home page and follows every link a person in that role sees, on the
demonstration data, so a new page is checked as soon as something links to it.
"""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import DEMO_PASSWORD, DEMO_USERS
from tests.www.browser import crawl, route_name, sign_in

TOOLS = ("mareva", "costing", "code_quality", "accessibility", "tech_review")

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_pass_axe(page: Any, live_server: Any) -> None:
    catalogue_load()
    report = crawl(page, live_server.url, ["/", "/connexion/"], per_route=2)
    assert live_server.url + "/" in report.visited
    assert {"www:catalogue", "www:dataset_detail", "www:login", "www:support_follow_link"} <= {
        route_name(url) for url in report.visited
    }
    assert not report.failures(), report.failures()
    assert all(status == 200 for status in report.statuses.values()), report.statuses


@pytest.fixture
def demonstration() -> None:
    catalogue_load()
    call_command("load_demo_data", stdout=StringIO())


@pytest.mark.parametrize("email", [user.email for user in DEMO_USERS])
def test_every_page_a_role_can_reach_passes_axe(
    email: str, demonstration: None, page: Any, live_server: Any
) -> None:
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    report = crawl(page, live_server.url, ["/"], per_route=1)
    routes = {route_name(url) for url in report.visited}
    # Signed in, everyone reaches their account and the dashboard, besides the public pages.
    assert {"www:home", "www:account", "www:catalogue", "www:support_new"} <= routes, routes
    # The guichet's experts reach every page of the desk through its links.
    desk_routes = {
        "www:desk",
        "www:desk_request",
        "www:desk_missions",
        "www:desk_mission",
        "www:desk_mission_action",
        "www:desk_mission_framing",
        "www:desk_experts",
        "www:desk_inbound_mail",
        "www:experience_list",
        "www:experience_similar",
        "www:irritants",
        "www:irritant_new",
        "www:irritant_detail",
        "www:irritant_edit",
        "www:guichet_reporting",
    }
    if email in {"expert@demo.dlnuf.fr", "admin@demo.dlnuf.fr"}:
        assert desk_routes <= routes, desk_routes - routes
    else:
        assert not desk_routes & routes, desk_routes & routes
    # Only administrators reach the outbox of e-mails.
    assert ("www:outbox" in routes) is (email == "admin@demo.dlnuf.fr"), routes
    # Everyone signed in reaches the toolbox's forms, and the reports they may read.
    toolbox_forms = {f"www:{tool}_new" for tool in TOOLS}
    assert {"www:toolbox", *toolbox_forms} <= routes, toolbox_forms - routes
    readable = {
        "agent.lyon@demo.dlnuf.fr": {"www:mareva_report"},
        "expert@demo.dlnuf.fr": {
            "www:mareva_report",
            "www:costing_report",
            "www:tech_review_report",
        },
    }.get(email, set())
    assert readable <= routes, readable - routes
    assert not report.failures(), report.failures()
    errors = {url: status for url, status in report.statuses.items() if status >= 400}
    assert not errors, errors
