"""Nothing a person types is lost, in headless Chromium (fr-FR): on the procedure's items page,
its diagnostic and the mission's pages, every field is filled (text inputs, text areas, selects,
checkboxes), one section is sent, and each value must then be either saved (shown on the page
reached) or still in its field; a refused submit shows every value back."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from io import StringIO
from typing import Any
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.french import date_fr
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from dlnuf.organisations.models import User
from dlnuf.procedures.demo import load_demo as load_demo_procedures
from dlnuf.procedures.models import Procedure
from dlnuf.procedures.services import diagnostic_run, procedure_create
from tests.support.factories import BusyDesk, busy_desk
from tests.www.browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AGENT = "agent.lyon@demo.dlnuf.fr"
EXPERT = "expert@demo.dlnuf.fr"
# A past date, so that no field refuses it for being in the future.
TYPED_DAY = date(2026, 1, 5)
# Fields that only take numbers get a number written the French way.
NUMBER_FIELDS = {"hours": "1,5", "amount_eur": "1 234,5", "capacity": "3"}

FIELDS = (
    "main input:not([type=hidden]):not([type=file]):not([type=submit]):not([type=button]),"
    " main textarea, main select"
)


@dataclass(frozen=True)
class Typed:
    """One value put in a field: what the field holds, and the text that shows it was saved."""

    selector: str
    kind: str  # "value", "checked" or "selected"
    value: Any
    shown_as: str


def _selector(element: Any) -> str:
    name = element.get_attribute("name")
    if element.get_attribute("type") in {"checkbox", "radio"}:
        return f'main [name="{name}"][value="{element.get_attribute("value")}"]'
    return f'main [name="{name}"]'


def _label(page: Any, element: Any) -> str:
    field_id = element.get_attribute("id")
    return " ".join(page.locator(f'label[for="{field_id}"]').first.inner_text().split())


def type_into_every_field(page: Any, overrides: dict[str, str] | None = None) -> list[Typed]:
    """Fill every field of the page's main content the way a person would, each with its own
    value; one checkbox out of two is ticked (or unticked when it came ticked)."""
    overrides = overrides or {}
    typed: list[Typed] = []
    count = page.evaluate(
        """fields => {
            const found = document.querySelectorAll(fields);
            found.forEach((field, index) => field.setAttribute("data-field-number", index + 1));
            return found.length;
        }""",
        FIELDS,
    )
    for number in range(1, count + 1):
        element = page.query_selector(f'[data-field-number="{number}"]')
        if not element.is_visible() and element.get_attribute("type") != "checkbox":
            continue
        if element.is_disabled():
            continue
        name = element.get_attribute("name") or ""
        tag = element.evaluate("element => element.tagName.toLowerCase()")
        kind = element.get_attribute("type") or tag
        short_name = name.rsplit("-", 1)[-1]
        if name in overrides or short_name in overrides:
            value = overrides.get(name, overrides.get(short_name, ""))
            element.fill(value)
            typed.append(Typed(_selector(element), "value", value, value))
        elif kind == "checkbox":
            if number % 2:
                continue
            checked = not element.is_checked()
            element.set_checked(checked, force=True)
            shown = _label(page, element) if checked else ""
            typed.append(Typed(_selector(element), "checked", checked, shown))
        elif tag == "select":
            options = element.evaluate(
                "select => [...select.options].filter(o => o.value).map(o => [o.value, o.text])"
            )
            if element.get_attribute("multiple") is not None:
                chosen = options[:2]
                element.select_option([value for value, _ in chosen])
                for value, text in chosen:
                    typed.append(
                        Typed(
                            f'{_selector(element)} option[value="{value}"]', "selected", True, text
                        )
                    )
            else:
                value, text = options[-1]
                element.select_option(value)
                typed.append(Typed(_selector(element), "value", value, text))
        elif kind == "date":
            element.fill(TYPED_DAY.isoformat())
            typed.append(
                Typed(_selector(element), "value", TYPED_DAY.isoformat(), date_fr(TYPED_DAY))
            )
        elif short_name in NUMBER_FIELDS:
            element.fill(NUMBER_FIELDS[short_name])
            typed.append(
                Typed(
                    _selector(element),
                    "value",
                    NUMBER_FIELDS[short_name],
                    NUMBER_FIELDS[short_name].split(",")[0],
                )
            )
        elif kind == "email":
            value = f"personne{number}@exemple.fr"
            element.fill(value)
            typed.append(Typed(_selector(element), "value", value, value))
        elif kind == "url":
            value = f"https://exemple.fr/saisie-{number}"
            element.fill(value)
            typed.append(Typed(_selector(element), "value", value, value))
        else:
            value = f"Saisie numéro {number}"
            element.fill(value)
            typed.append(Typed(_selector(element), "value", value, value))
    return typed


def _still_in_field(page: Any, entry: Typed) -> bool:
    field = page.locator(entry.selector)
    if field.count() == 0:
        return False
    if entry.kind == "checked":
        return bool(field.first.is_checked()) == entry.value
    if entry.kind == "selected":
        return bool(field.first.evaluate("option => option.selected"))
    return str(field.first.input_value()).replace("\r\n", "\n") == entry.value


def lost(
    page: Any, typed: list[Typed], proof: Callable[[str], str] = lambda text: text
) -> list[Typed]:
    """What was typed and is now neither in its field nor shown as saved on the page."""
    # The text as written, not as styled: badges are shown in capitals.
    text = " ".join((page.locator("main").text_content() or "").split())
    missing = []
    for entry in typed:
        if _still_in_field(page, entry):
            continue
        if entry.shown_as and " ".join(proof(entry.shown_as).split()) in text:
            continue
        if (
            entry.kind == "checked"
            and not entry.value
            and page.locator(entry.selector).count() == 0
        ):
            continue  # an unticked box that was not sent leaves nothing to keep
        missing.append(entry)
    return missing


def not_kept(page: Any, typed: list[Typed]) -> list[Typed]:
    """What a refused submit failed to show back in its field."""
    return [entry for entry in typed if not _still_in_field(page, entry)]


def _submit(page: Any, form: Any) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def _main_form_with(page: Any, selector: str) -> Any:
    return page.locator("main form", has=page.locator(selector)).first


# --- the procedure's items page ----------------------------------------------------------------


@pytest.fixture
def empty_procedure() -> Procedure:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    agent = User.objects.get(email=AGENT)
    return procedure_create(
        organisation=agent.memberships.first().organisation,
        name="Aide aux vacances",
        url="",
        yearly_volume=2500,
        created_by=agent,
    )


def _items_page(page: Any, live_server: Any, procedure: Procedure) -> None:
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)
    page.goto(
        urljoin(live_server.url, reverse("www:procedure_items_add", kwargs={"pk": procedure.pk}))
    )


def test_ticking_documents_keeps_the_lines_typed_beside(
    page: Any, live_server: Any, empty_procedure: Procedure
) -> None:
    _items_page(page, live_server, empty_procedure)
    typed = type_into_every_field(page, {"labels": "Carnet de vaccination\nAttestation employeur"})
    assert any(entry.kind == "checked" for entry in typed)
    typed = [
        *(entry for entry in typed if entry.kind == "checked"),
        Typed('main [name="labels"]', "value", "Carnet de vaccination", "Carnet de vaccination"),
        Typed('main [name="labels"]', "value", "Attestation employeur", "Attestation employeur"),
    ]

    _submit(page, _main_form_with(page, "input[type=checkbox]"))

    assert not lost(page, typed), lost(page, typed)
    labels = set(empty_procedure.items.values_list("label", flat=True))
    assert {"Carnet de vaccination", "Attestation employeur"} <= labels


def test_a_refused_line_shows_the_ticked_documents_back(
    page: Any, live_server: Any, empty_procedure: Procedure
) -> None:
    _items_page(page, live_server, empty_procedure)
    typed = type_into_every_field(page, {"labels": "RIB\n" + "Très long libellé " * 20})

    _submit(page, _main_form_with(page, "textarea"))

    assert "trop long" in page.inner_text("main")
    assert not not_kept(page, typed), not_kept(page, typed)
    assert not empty_procedure.items.exists()


# --- the diagnostic ----------------------------------------------------------------------------


@pytest.fixture
def diagnosed() -> Procedure:
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    load_demo_procedures(stdout=StringIO())
    agent = User.objects.get(email=AGENT)
    procedure = Procedure.objects.filter(organisation__memberships__user=agent).first()
    diagnostic_run(procedure=procedure, run_by=agent)
    return procedure


def test_the_diagnostic_keeps_the_ticked_requests_and_the_typed_shares(
    page: Any, live_server: Any, diagnosed: Procedure
) -> None:
    latest = diagnosed.diagnostics.order_by("-run_at", "-pk").first()
    sign_in(page, live_server.url, AGENT, DEMO_PASSWORD)
    url = reverse("www:diagnostic_detail", kwargs={"pk": diagnosed.pk, "diagnostic_pk": latest.pk})
    page.goto(urljoin(live_server.url, url))
    shares = dict.fromkeys(
        page.locator("main input[name^=part_]").evaluate_all(
            "inputs => inputs.map(input => input.name)"
        ),
        "42,5",
    )
    typed = type_into_every_field(page, shares)
    assert any(entry.kind == "checked" for entry in typed)

    _submit(page, page.locator("main form").first)

    # A request prepared shows its dataset's title on the procedure's page.
    def dataset_of(label: str) -> str:
        return label.split("«", 1)[1].split("»", 1)[0].strip() if "«" in label else label

    assert not lost(page, typed, dataset_of), lost(page, typed, dataset_of)


# --- the mission -------------------------------------------------------------------------------


@pytest.fixture
def desk(settings: Any, tmp_path: Any) -> BusyDesk:
    settings.MEDIA_ROOT = tmp_path
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    return busy_desk(expert=User.objects.get(email=EXPERT))


def _mission_pages(desk: BusyDesk) -> Iterator[str]:
    """The overview first, then each page it links to for a change."""
    pk = desk.mission.pk
    yield reverse("www:desk_mission", kwargs={"pk": pk})
    for topic in ("budget", "scope"):
        yield reverse("www:desk_mission_framing", kwargs={"pk": pk, "topic": topic})
    for action in ("details", "agreement", "meeting", "decision", "time", "cost"):
        yield reverse("www:desk_mission_action", kwargs={"pk": pk, "action": action})


def test_saving_one_part_of_the_mission_keeps_every_other_part(
    page: Any, live_server: Any, desk: BusyDesk
) -> None:
    sign_in(page, live_server.url, EXPERT, DEMO_PASSWORD)
    sent = []
    for path in _mission_pages(desk):
        response = page.goto(urljoin(live_server.url, path))
        assert response is not None
        assert response.status == 200, path
        typed = type_into_every_field(page)
        if not typed:
            continue  # the overview shows; each of its parts changes on a page of its own
        _submit(page, page.locator("main form").first)
        assert not lost(page, typed), (path, lost(page, typed))
        sent.append(path)
    assert len(sent) == 8


def test_a_refused_mission_page_shows_every_value_back(
    page: Any, live_server: Any, desk: BusyDesk
) -> None:
    sign_in(page, live_server.url, EXPERT, DEMO_PASSWORD)
    overview = reverse("www:desk_mission", kwargs={"pk": desk.mission.pk})
    page.goto(urljoin(live_server.url, overview))
    page.get_by_role("link", name="Noter mon temps passé").click()
    page.wait_for_load_state()
    typed = type_into_every_field(page, {"temps-hours": "30"})

    _submit(page, _main_form_with(page, "[name=temps-hours]"))

    assert "d'un quart d'heure (0,25) à 24 heures" in page.inner_text("main")
    assert not not_kept(page, typed), not_kept(page, typed)

    page.goto(urljoin(live_server.url, overview))
    page.get_by_role("link", name="Estimation budgétaire").click()
    page.wait_for_load_state()
    typed = type_into_every_field(page)
    page.set_input_files(
        "main input[type=file]",
        files=[{"name": "devis.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}],
    )
    _submit(page, page.locator("main form").first)

    assert "son contenu ne correspond pas à son extension" in page.inner_text("main")
    assert not not_kept(page, typed), not_kept(page, typed)
