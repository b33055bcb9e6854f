"""Irritant pages: who may see them, the list by impact and its filters, the form (also from a
request), the page of an irritant with its history, and its POST-only actions."""

import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.french import date_fr
from dlnuf.organisations.models import Membership, Role
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import Procedure
from dlnuf.support.irritants import irritant_escalate, irritant_open, irritant_resolve
from dlnuf.support.models import Irritant, IrritantKind, IrritantState
from tests.support.factories import (
    AdministratorUserFactory,
    ExpertUserFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ACTIONS = {
    "irritant_escalate": {"escalade-escalated_to": "Cabinet du ministre"},
    "irritant_resolve": {"resolution-resolution": "Réglé."},
    "irritant_abandon": {"abandon-comment": "Arrêté."},
    "irritant_reopen": {"reouverture-comment": "Reprise."},
    "irritant_note": {"note-comment": "Appel passé."},
}


@pytest.fixture
def provider():
    return Provider.objects.create(slug="cnaf-msa", name="CNAF et MSA", acronym="CNAF")


@pytest.fixture
def expert():
    return ExpertUserFactory()


@pytest.fixture
def agent():
    user = UserFactory()
    lyon = organisation_get_or_create(siret="21690123100011", name="Ville de Lyon")
    Membership.objects.create(user=user, role=Role.APPLICANT, organisation=lyon)
    return user


@pytest.fixture
def instructor(provider):
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.INSTRUCTOR, provider=provider)
    return user


def _open(expert, **overrides):
    values = {
        "actor": expert,
        "title": "Pas d'API pour le statut boursier",
        "kind": IrritantKind.MISSING_API,
        "description": "Les familles déposent la notification de bourse.",
        "blocked_party": "Département de la Gironde",
        "blocking_party": "Ministère de l'Éducation nationale",
        "procedures_affected": 1,
        "people_affected_per_year": 12_000,
    }
    values.update(overrides)
    return irritant_open(**values)


@pytest.fixture
def irritant(expert):
    return _open(expert)


def _text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _pages(irritant):
    return [
        reverse("www:irritants"),
        reverse("www:irritant_new"),
        reverse("www:irritant_detail", kwargs={"pk": irritant.pk}),
        reverse("www:irritant_edit", kwargs={"pk": irritant.pk}),
    ]


# --- permissions -------------------------------------------------------------------------------


def test_experts_and_administrators_see_every_page(client, irritant, expert):
    for user in (expert, AdministratorUserFactory()):
        client.force_login(user)
        for url in _pages(irritant):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["agent", "instructor"])
def test_other_signed_in_people_get_403_everywhere(client, irritant, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in _pages(irritant):
        assert client.get(url).status_code == 403, url
    for name, data in ACTIONS.items():
        url = reverse(f"www:{name}", kwargs={"pk": irritant.pk})
        assert client.post(url, data).status_code == 403, url
    assert client.post(reverse("www:irritant_new"), {}).status_code == 403
    assert irritant.events.count() == 1


def test_anonymous_people_are_sent_to_sign_in(client, irritant):
    for url in _pages(irritant):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"/connexion/?next={quote(url)}"


def test_unknown_irritants_are_404(client, expert):
    client.force_login(expert)
    assert client.get(reverse("www:irritant_detail", kwargs={"pk": 999_999})).status_code == 404
    assert client.get(reverse("www:irritant_edit", kwargs={"pk": 999_999})).status_code == 404
    for name, data in ACTIONS.items():
        url = reverse(f"www:{name}", kwargs={"pk": 999_999})
        assert client.post(url, data).status_code == 404, url


def test_actions_answer_405_to_get(client, irritant, expert):
    client.force_login(expert)
    for name in ACTIONS:
        url = reverse(f"www:{name}", kwargs={"pk": irritant.pk})
        assert client.get(url).status_code == 405, url


# --- the list ----------------------------------------------------------------------------------


def test_list_shows_irritants_in_progress_by_impact_with_age_and_escalation(
    client, expert, provider
):
    small = _open(expert, title="Petit irritant", people_affected_per_year=50)
    big = _open(expert, title="Gros irritant", people_affected_per_year=90_000)
    Irritant.objects.filter(pk=small.pk).update(opened_at=timezone.now() - timedelta(days=30))
    irritant_escalate(irritant=big, actor=expert, escalated_to="Direction générale")
    done = _open(expert, title="Irritant réglé", people_affected_per_year=10**6)
    irritant_resolve(irritant=done, actor=expert, resolution="Réglé.")
    client.force_login(expert)

    text = _text(client.get(reverse("www:irritants")))

    assert text.index("Gros irritant") < text.index("Petit irritant")
    assert "Irritant réglé" not in text
    assert "escaladé auprès de Direction générale" in text
    assert "30 jours" in text
    assert "Irritants en cours (2)" in text

    resolved = _text(client.get(reverse("www:irritants"), {"etat": "resolved"}))
    assert "Irritant réglé" in resolved
    assert "Gros irritant" not in resolved
    assert f"résolu le {date_fr(timezone.localdate())}" in resolved


def test_list_filters_by_kind_and_provider(client, expert, provider):
    _open(expert, title="Irritant technique", kind=IrritantKind.TECHNICAL)
    _open(expert, title="Irritant de la CNAF", blocking_provider=provider, blocking_party="")
    client.force_login(expert)

    by_kind = _text(client.get(reverse("www:irritants"), {"nature": "technical"}))
    assert "Irritant technique" in by_kind
    assert "Irritant de la CNAF" not in by_kind

    by_provider = _text(client.get(reverse("www:irritants"), {"fournisseur": provider.pk}))
    assert "Irritant de la CNAF" in by_provider
    assert "Irritant technique" not in by_provider

    nothing = _text(
        client.get(reverse("www:irritants"), {"nature": "technical", "fournisseur": provider.pk})
    )
    assert "Aucun irritant ne correspond à ces critères." in nothing


# --- the form ----------------------------------------------------------------------------------


def _form_data(**overrides):
    data = {
        "title": "Lecture juridique bloquante du quotient familial",
        "kind": "legal_reading",
        "description": "Le délégué à la protection des données refuse l'appel.",
        "blocked_party": "Ville de Lyon",
        "blocking_provider": "",
        "blocking_party": "Service juridique de la ville",
        "procedures_outside": "2",
        "people_affected_per_year": "18000",
    }
    data.update(overrides)
    return data


def test_new_irritant_form_errors_are_in_french(client, expert):
    client.force_login(expert)
    response = client.post(
        reverse("www:irritant_new"),
        _form_data(blocking_party="", title="", procedures_outside="-1"),
    )

    assert response.status_code == 400
    text = _text(response)
    assert "Nommez la partie en cause" in text
    assert "Donnez un intitulé à l'irritant." in text
    assert "Le nombre ne peut pas être négatif." in text
    assert not Irritant.objects.exists()


def test_new_irritant_is_recorded_with_linked_procedures(client, expert, provider):
    lyon = organisation_get_or_create(siret="21690123100011", name="Ville de Lyon")
    cantine = Procedure.objects.create(
        organisation=lyon, name="Cantine", yearly_volume=100, created_by=expert
    )
    client.force_login(expert)

    response = client.post(
        reverse("www:irritant_new"),
        _form_data(blocking_provider=provider.pk, procedures=[cantine.pk]),
    )

    irritant = Irritant.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("www:irritant_detail", kwargs={"pk": irritant.pk})
    assert irritant.blocking_provider == provider
    assert list(irritant.procedures.all()) == [cantine]
    assert irritant.procedures_affected == 3  # one linked, two outside the portal
    assert irritant.opened_by == expert
    text = _text(client.get(response.url))
    assert "Irritant enregistré." in text
    assert "3 : 1 décrite dans le portail, 2 hors du portail" in text


def test_new_irritant_from_a_request(client, expert):
    request = SupportRequestFactory(organisation_name="Communauté de communes du Diois")
    client.force_login(expert)
    url = reverse("www:irritant_new") + f"?demande={request.pk}"

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Communauté de communes du Diois"' in page.content.decode()
    assert request.reference in _text(page)

    response = client.post(url, _form_data(blocked_party="Communauté de communes du Diois"))
    assert response.status_code == 302
    assert Irritant.objects.get().request == request
    detail = client.get(response.url).content.decode()
    assert f'href="{reverse("www:desk_request", kwargs={"pk": request.pk})}"' in detail

    assert client.get(reverse("www:irritant_new") + "?demande=999999").status_code == 404
    assert client.get(reverse("www:irritant_new") + "?demande=abc").status_code == 404


def test_edit_changes_the_impact_and_logs_it(client, expert, irritant):
    client.force_login(expert)
    url = reverse("www:irritant_edit", kwargs={"pk": irritant.pk})
    assert 'value="12000"' in client.get(url).content.decode()

    response = client.post(url, _form_data(people_affected_per_year="30000"))

    assert response.status_code == 302
    irritant.refresh_from_db()
    assert irritant.people_affected_per_year == 30_000
    assert "usagers touchés par an 12000 → 30000" in irritant.events.get(action="update").comment


def test_an_ended_irritant_is_not_edited(client, expert, irritant):
    irritant_resolve(irritant=irritant, actor=expert, resolution="Réglé.")
    client.force_login(expert)

    response = client.get(reverse("www:irritant_edit", kwargs={"pk": irritant.pk}), follow=True)

    assert "Rouvrez l'irritant avant de le modifier." in _text(response)


# --- the page of an irritant and its actions ---------------------------------------------------


def test_detail_shows_parties_impact_and_history(client, expert, irritant):
    irritant_escalate(
        irritant=irritant, actor=expert, escalated_to="Rectorat", comment="Sans réponse."
    )
    client.force_login(expert)

    text = _text(client.get(reverse("www:irritant_detail", kwargs={"pk": irritant.pk})))

    assert "Département de la Gironde" in text
    assert "Ministère de l'Éducation nationale" in text
    assert "12 000" in text
    assert "Escaladé auprès de Rectorat" in text
    assert "Irritant ouvert" in text
    assert "Irritant escaladé" in text
    assert "Auprès de : Rectorat Sans réponse." in text
    # Possible now: escalate higher, resolve, abandon, and a note; not reopen.
    assert "Marquer comme résolu" in text
    assert "Rouvrir" not in text


def test_escalate_resolve_and_reopen_through_the_pages(client, expert, irritant):
    client.force_login(expert)
    detail = reverse("www:irritant_detail", kwargs={"pk": irritant.pk})

    response = client.post(
        reverse("www:irritant_escalate", kwargs={"pk": irritant.pk}),
        {"escalade-escalated_to": "Cabinet", "escalade-comment": ""},
    )
    assert response.status_code == 302
    assert response.url == detail + "#historique"
    irritant.refresh_from_db()
    assert (irritant.state, irritant.escalated_to) == (IrritantState.ESCALATED, "Cabinet")

    client.post(
        reverse("www:irritant_resolve", kwargs={"pk": irritant.pk}),
        {"resolution-resolution": "Un arrêté autorise l'échange."},
    )
    irritant.refresh_from_db()
    assert irritant.state == IrritantState.RESOLVED

    client.post(
        reverse("www:irritant_reopen", kwargs={"pk": irritant.pk}),
        {"reouverture-comment": "L'arrêté est annulé."},
    )
    client.post(
        reverse("www:irritant_note", kwargs={"pk": irritant.pk}),
        {"note-comment": "Rendez-vous pris."},
    )
    irritant.refresh_from_db()
    assert irritant.state == IrritantState.OPEN
    assert [event.action for event in irritant.events.order_by("pk")] == [
        "open",
        "escalate",
        "resolve",
        "reopen",
        "note",
    ]


def test_action_errors_come_back_on_the_page(client, expert, irritant):
    client.force_login(expert)

    response = client.post(
        reverse("www:irritant_resolve", kwargs={"pk": irritant.pk}),
        {"resolution-resolution": "  "},
    )
    assert response.status_code == 400
    assert "Décrivez la résolution : ce qui a levé le blocage." in _text(response)

    irritant_escalate(irritant=irritant, actor=expert, escalated_to="Cabinet")
    response = client.post(
        reverse("www:irritant_escalate", kwargs={"pk": irritant.pk}),
        {"escalade-escalated_to": "cabinet"},
    )
    assert response.status_code == 400
    assert "L'irritant est déjà escaladé auprès de Cabinet." in _text(response)

    response = client.post(
        reverse("www:irritant_reopen", kwargs={"pk": irritant.pk}),
        {"reouverture-comment": "Pourquoi pas."},
    )
    assert response.status_code == 400
    assert "L'action « Rouvrir » n'est pas possible dans l'état « Escaladé »." in _text(response)
    assert irritant.events.count() == 2
