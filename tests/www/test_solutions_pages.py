"""Pages of the vendor path: who sees what, the joining form, the instructor's decision."""

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.catalogue.models import TermsVersion
from dlnuf.habilitations.models import AuthorizationRequest, RequestState, SolutionAdhesion
from dlnuf.habilitations.services import authorization_request_revoke
from dlnuf.habilitations.solutions import solution_join
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import PASSWORD, applicant, pdf_upload
from tests.habilitations.test_solutions import World, join_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    return World()


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def join_form(**overrides: Any) -> dict[str, Any]:
    values = join_values()
    return {
        **{name: value for name, value in values.items() if name != "go_live_date"},
        "go_live_date": values["go_live_date"].isoformat(),
        "expected_calls_per_minute": "1 200",
        **overrides,
    }


def test_the_public_list_shows_approved_solutions_only(world, client):
    draft = world.declared()
    approved = world.approved()
    page = client.get(reverse("www:solution_catalogue")).content.decode()
    assert "Éditeur Cantine" in page
    assert page.count("Cantine Facile 4.2") == 1
    # Anonymous people see the solutions, not the joining link.
    assert reverse("www:solution_join", args=[approved.pk]) not in page
    assert reverse("www:solution_join", args=[draft.pk]) not in page
    client_page = signed_in(world.client_agent).get(reverse("www:solution_catalogue"))
    assert reverse("www:solution_join", args=[approved.pk]) in client_page.content.decode()
    vendor_page = signed_in(world.vendor_agent).get(reverse("www:solution_catalogue"))
    assert reverse("www:solution_join", args=[approved.pk]) not in vendor_page.content.decode()


def test_declaring_a_solution_opens_its_request_form(world):
    response = signed_in(world.vendor_agent).post(
        reverse("www:solution_new"),
        {
            "organisation": world.vendor.pk,
            "dataset": world.dataset.pk,
            "name": "Cantine Facile",
            "version": "5.0",
            "use_case": "Facturation de la cantine.",
            "purpose": "Tarif selon le quotient familial.",
            "security_description": "Chiffrement.",
            "hosting": "En France.",
        },
    )
    request = AuthorizationRequest.objects.get(organisation=world.vendor)
    assert response.status_code == 302
    assert response.url == reverse("www:request_edit", args=[request.pk])
    assert request.solution.version == "5.0"
    assert request.purpose == "Tarif selon le quotient familial."


def test_a_refused_declaration_shows_every_typed_value_back(world):
    response = signed_in(world.vendor_agent).post(
        reverse("www:solution_new"),
        {
            "organisation": world.vendor.pk,
            "dataset": world.dataset.pk,
            "name": "Cantine Facile",
            "version": "",
            "use_case": "Facturation de la cantine.",
            "purpose": "Tarif selon le quotient familial.",
            "security_description": "Chiffrement.",
            "hosting": "En France.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez la version de la solution." in page
    assert "Facturation de la cantine." in page
    assert 'value="Cantine Facile"' in page
    assert not AuthorizationRequest.objects.exists()


def test_only_the_vendor_members_manage_the_solution(world):
    solution = world.declared()
    url = reverse("www:solution_detail", args=[solution.pk])
    assert signed_in(world.vendor_agent).get(url).status_code == 200
    # A draft stays with the vendor: the provider's side sees it once submitted.
    assert signed_in(world.client_agent).get(url).status_code == 404
    assert signed_in(world.instructor).get(url).status_code == 404
    edit = reverse("www:solution_edit", args=[solution.pk])
    assert signed_in(world.vendor_agent).get(edit).status_code == 200
    assert signed_in(world.client_agent).post(edit, {"version": "9"}).status_code == 404
    solution.refresh_from_db()
    assert solution.version == "4.2"


def test_a_commune_joins_and_sees_what_it_inherits(world):
    solution = world.approved()
    agent = signed_in(world.client_agent)
    form_page = agent.get(reverse("www:solution_join", args=[solution.pk])).content.decode()
    assert "Solution déjà habilitée" in form_page
    assert "Hébergeur certifié HDS en France." in form_page
    response = agent.post(
        reverse("www:solution_join", args=[solution.pk]),
        {
            **join_form(legal_basis_url=""),
            "organisation": world.client.pk,
            "scopes": ["qf"],
            "legal_basis_upload": pdf_upload("deliberation.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    joined = AuthorizationRequest.objects.get(organisation=world.client)
    assert response.url == reverse("www:adhesion_detail", args=[joined.pk])
    assert joined.state == RequestState.SUBMITTED
    assert joined.expected_calls_per_minute == 1200
    assert joined.legal_basis_document_name == "deliberation.pdf"
    assert set(joined.requested_scopes.values_list("slug", flat=True)) == {"qf"}


def test_a_refused_joining_request_shows_every_typed_value_back(world):
    solution = world.approved()
    response = signed_in(world.client_agent).post(
        reverse("www:solution_join", args=[solution.pk]),
        {
            **join_form(dpo_email="pas-une-adresse", volume_justification="Rentrée scolaire"),
            "organisation": world.client.pk,
            "scopes": ["qf", "allocataires"],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une adresse électronique valide" in page
    assert 'value="pas-une-adresse"' in page
    assert "Rentrée scolaire" in page
    assert 'value="1 200"' in page
    assert "Délibération du conseil municipal n° 2026-14" in page
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()


def test_a_scope_outside_the_solution_cannot_be_posted(world):
    solution = world.approved(granted=("qf",))
    response = signed_in(world.client_agent).post(
        reverse("www:solution_join", args=[solution.pk]),
        {**join_form(), "organisation": world.client.pk, "scopes": ["qf", "enfants"]},
    )
    assert response.status_code == 200
    assert "« enfants » n&#x27;est pas une donnée de la solution." in response.content.decode()
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()


def test_joining_pages_refuse_the_vendor_and_unapproved_solutions(world):
    draft = world.declared()
    assert (
        signed_in(world.client_agent).get(reverse("www:solution_join", args=[draft.pk])).status_code
        == 404
    )
    approved = world.approved()
    url = reverse("www:solution_join", args=[approved.pk])
    assert signed_in(world.vendor_agent).get(url).status_code == 403
    assert signed_in(world.instructor).get(url).status_code == 403


def test_the_instructor_sees_the_approval_and_decides_faster(world):
    solution = world.approved()
    joined = world.join(solution)
    url = reverse("www:adhesion_detail", args=[joined.pk])
    instructor = signed_in(world.instructor)
    page = instructor.get(url).content.decode()
    assert "La solution est habilitée" in page
    assert "Ce que l'organisation ajoute" in page
    assert "dpo@commune.fr" in page
    assert "Valider l'adhésion" in page
    assert (
        reverse("www:adhesion_detail", args=[joined.pk])
        in instructor.get(reverse("www:solutions")).content.decode()
    )

    refused = instructor.post(
        reverse("www:adhesion_decide", args=[joined.pk]),
        {
            "action": "refuse",
            "comment": "",
        },
    )
    assert refused.status_code == 400
    assert "un commentaire" in refused.content.decode()

    decided = instructor.post(
        reverse("www:adhesion_decide", args=[joined.pk]), {"action": "validate", "comment": ""}
    )
    assert decided.status_code == 302
    joined.refresh_from_db()
    assert joined.state == RequestState.VALIDATED
    assert joined.habilitation is not None
    assert joined.habilitation.organisation == world.client


def test_the_vendor_follows_the_state_but_not_the_client_contacts(world):
    solution = world.approved()
    joined = world.join(solution)
    vendor = signed_in(world.vendor_agent)
    page = vendor.get(reverse("www:adhesion_detail", args=[joined.pk])).content.decode()
    assert "soumise" in page
    assert "dpo@commune.fr" not in page
    assert "Délibération du conseil municipal" not in page
    assert reverse("www:request_detail", args=[joined.pk]) not in page
    solution_page = vendor.get(reverse("www:solution_detail", args=[solution.pk]))
    assert "Commune de Saint-Exemple" in solution_page.content.decode()
    # Deciding is the instructors' job; to the vendor the request is not even there.
    posted = vendor.post(
        reverse("www:adhesion_decide", args=[joined.pk]), {"action": "validate", "comment": ""}
    )
    assert posted.status_code == 404
    stranger = signed_in(applicant(OrganisationFactory()))
    assert stranger.get(reverse("www:adhesion_detail", args=[joined.pk])).status_code == 404


def test_the_client_cannot_decide_on_its_own_joining_request(world):
    joined = world.join(world.approved())
    posted = signed_in(world.client_agent).post(
        reverse("www:adhesion_decide", args=[joined.pk]), {"action": "validate", "comment": ""}
    )
    assert posted.status_code == 403
    joined.refresh_from_db()
    assert joined.state == RequestState.SUBMITTED


def test_a_revoked_solution_blocks_the_waiting_joining_requests_on_the_page(world):
    solution = world.approved()
    other = OrganisationFactory()
    waiting = solution_join(
        solution=solution, organisation=other, actor=applicant(other), values=join_values()
    )
    authorization_request_revoke(
        request=solution.request, actor=world.instructor, comment="Faille de sécurité"
    )
    instructor = signed_in(world.instructor)
    page = instructor.get(reverse("www:adhesion_detail", args=[waiting.pk])).content.decode()
    assert "La solution n'est plus habilitée" in page
    assert "Valider l'adhésion" not in page
    posted = instructor.post(
        reverse("www:adhesion_decide", args=[waiting.pk]), {"action": "validate", "comment": ""}
    )
    assert posted.status_code == 400
    assert SolutionAdhesion.objects.get(request=waiting).request.state == RequestState.SUBMITTED


def test_the_client_accepts_the_dataset_terms_itself(world):
    solution = world.approved()
    terms = TermsVersion.objects.create(
        dataset=world.dataset, number=1, published_on=date(2026, 1, 5), text="Article 1."
    )
    agent = signed_in(world.client_agent)
    url = reverse("www:solution_join", args=[solution.pk])
    shown = agent.get(url).content.decode()
    assert "version 1 du 5 janvier 2026" in shown
    posted = {**join_form(), "organisation": world.client.pk, "scopes": ["qf"]}

    refused = agent.post(url, {**posted, "terms_version": terms.pk})
    assert "Acceptez les conditions d&#x27;utilisation" in refused.content.decode()
    assert not AuthorizationRequest.objects.filter(organisation=world.client).exists()

    accepted = agent.post(url, {**posted, "terms_version": terms.pk, "accept_terms": "on"})
    assert accepted.status_code == 302, accepted.content.decode()
    joined = AuthorizationRequest.objects.get(organisation=world.client)
    assert joined.terms_version == terms
    assert joined.terms_accepted_by == world.client_agent
    assert joined.state == RequestState.SUBMITTED
