"""Terms of use pages, the dataset's changelog, and requests started from a use case."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.catalogue.models import Dataset, TermsVersion, UseCaseTemplate
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.organisations.models import User
from tests.exchange.factories import OrganisationFactory
from tests.habilitations.factories import applicant, complete_values, instructor

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue() -> None:
    catalogue_load()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_terms_pages_are_public_and_keep_every_version(client: Client, catalogue: None):
    current = client.get(reverse("www:dataset_terms", kwargs={"slug": "quotient-familial"}))
    old = client.get(
        reverse("www:dataset_terms_version", kwargs={"slug": "quotient-familial", "number": 1})
    )

    assert current.status_code == 200
    page = current.content.decode()
    assert "Conditions d&#x27;utilisation de « Quotient familial CAF et MSA »" in page
    assert "Version 2, publiée le 16 novembre 2026." in page
    assert "Version en vigueur" in page
    assert "dans les 24 heures suivant sa" in page
    assert old.status_code == 200
    old_page = old.content.decode()
    assert "Cette version n'est plus en vigueur" in old_page
    assert "dans les meilleurs délais" in old_page
    missing = client.get(
        reverse("www:dataset_terms_version", kwargs={"slug": "quotient-familial", "number": 9})
    )
    assert missing.status_code == 404
    no_terms = client.get(reverse("www:dataset_terms", kwargs={"slug": "unite-legale"}))
    assert no_terms.status_code == 404


def test_the_dataset_page_shows_terms_use_cases_and_history_in_words(
    client: Client, catalogue: None
):
    page = client.get(reverse("www:dataset_detail", kwargs={"slug": "quotient-familial"}))

    content = page.content.decode()
    assert "Historique des changements" in content
    assert "<td>16 novembre 2026</td>" in content
    assert "Nouvelle version des conditions" in content
    assert "Version 2 du 16 novembre 2026</a> — en vigueur" in content
    assert "<strong>Cantine scolaire</strong>" in content
    assert "2026-11-16" not in content


def _new_request(user: User, **data: Any) -> Any:
    return client_for(user).post(reverse("www:request_new"), data)


def test_a_request_started_from_a_use_case_is_prefilled(catalogue: None):
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    cantine = UseCaseTemplate.objects.get(
        dataset__slug="quotient-familial", slug="cantine-scolaire"
    )

    form = client_for(agent).get(reverse("www:request_new") + "?dataset=quotient-familial")
    assert "Partir d&#x27;un cas d&#x27;usage" in form.content.decode()
    assert ">cantine scolaire</option>" in form.content.decode()
    # Coming from the quotient familial page, other datasets' use cases are not offered.
    assert "marchés publics" not in form.content.decode()

    response = _new_request(agent, use_case=str(cantine.pk), organisation=organisation.pk)

    created = AuthorizationRequest.objects.get()
    assert response.status_code == 302
    assert created.dataset.slug == "quotient-familial"
    assert created.title == "Tarification de la cantine scolaire selon le quotient familial"
    assert created.legal_basis_nature == "crpa_l114_8"
    assert created.retention_months == 12
    assert created.use_case_name == "cantine scolaire"
    edit_page = client_for(agent).get(response.url).content.decode()
    assert "Tarification de la cantine scolaire selon le quotient familial" in edit_page


def test_a_use_case_of_another_dataset_is_refused_in_french(catalogue: None):
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    procurement = UseCaseTemplate.objects.get(dataset__slug="attestation-fiscale")
    qf = Dataset.objects.get(slug="quotient-familial")

    response = _new_request(
        agent, use_case=str(procurement.pk), dataset=qf.pk, organisation=organisation.pk
    )

    assert response.status_code == 200
    assert "porte sur « Attestation de régularité fiscale », pas sur" in response.content.decode()
    assert not AuthorizationRequest.objects.exists()


def _form_data(item: AuthorizationRequest, **overrides: Any) -> dict[str, Any]:
    values = complete_values(title=item.title, purpose=item.purpose)
    values.update(
        legal_basis_nature=item.legal_basis_nature,
        legal_basis_article=item.legal_basis_article,
        legal_basis_url=item.legal_basis_url,
        retention_months=item.retention_months,
    )
    data = {name: "" if value is None else value for name, value in values.items()}
    data["go_live_date"] = values["go_live_date"].isoformat()
    data["scopes"] = [str(pk) for pk in item.requested_scopes.values_list("pk", flat=True)]
    data.update(overrides)
    return data


def _drafted_from_cantine() -> tuple[User, AuthorizationRequest]:
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    cantine = UseCaseTemplate.objects.get(
        dataset__slug="quotient-familial", slug="cantine-scolaire"
    )
    _new_request(agent, use_case=str(cantine.pk), organisation=organisation.pk)
    return agent, AuthorizationRequest.objects.get()


def test_submitting_without_ticking_the_terms_is_refused_in_french(catalogue: None):
    agent, item = _drafted_from_cantine()
    edit = reverse("www:request_edit", kwargs={"pk": item.pk})
    page = client_for(agent).get(edit).content.decode()
    assert "J&#x27;ai lu et j&#x27;accepte les conditions d&#x27;utilisation" in page
    assert "(version 2 du 16 novembre 2026)" in page
    assert reverse("www:dataset_terms_version", args=["quotient-familial", 2]) in page

    refused = client_for(agent).post(edit, {**_form_data(item, terms_version=2), "submit": "1"})

    assert refused.status_code == 200
    assert "Acceptez les conditions d&#x27;utilisation de « Quotient familial CAF et MSA »" in (
        refused.content.decode()
    )
    item.refresh_from_db()
    assert item.state == RequestState.DRAFT

    accepted = client_for(agent).post(
        edit, {**_form_data(item, terms_version=2, accept_terms="on"), "submit": "1"}
    )

    assert accepted.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED
    assert item.terms_version.number == 2
    assert item.terms_accepted_by == agent


def test_a_box_ticked_for_a_version_replaced_meanwhile_is_not_an_acceptance(catalogue: None):
    agent, item = _drafted_from_cantine()
    TermsVersion.objects.create(
        dataset=item.dataset,
        number=3,
        published_on=item.dataset.terms_versions.first().published_on,
        text="Troisième version.",
    )
    edit = reverse("www:request_edit", kwargs={"pk": item.pk})

    response = client_for(agent).post(
        edit, {**_form_data(item, terms_version=2, accept_terms="on"), "submit": "1"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "ont changé pendant que vous remplissiez la demande (version 3)" in page
    # Everything typed comes back; the page now offers version 3, unticked.
    assert "Agents du service de la restauration scolaire" in page
    assert 'name="terms_version" value="3"' in page
    item.refresh_from_db()
    assert item.terms_version is None
    assert item.state == RequestState.DRAFT


def test_the_instructor_sees_the_use_case_what_changed_and_the_accepted_version(
    catalogue: None,
):
    agent, item = _drafted_from_cantine()
    edit = reverse("www:request_edit", kwargs={"pk": item.pk})
    client_for(agent).post(
        edit,
        {
            **_form_data(item, terms_version=2, accept_terms="on", retention_months=18),
            "submit": "1",
        },
    )
    cnaf = instructor(item.dataset.provider)

    page = client_for(cnaf).get(reverse("www:request_detail", kwargs={"pk": item.pk}))

    content = page.content.decode()
    assert page.status_code == 200
    assert "Cas d'usage : cantine scolaire" in content
    assert '<th scope="row">Durée de conservation</th>' in content
    assert "<td>12 mois</td>" in content
    assert "<td>18 mois</td>" in content
    assert "Version 2 du 16 novembre 2026" in content
    assert "acceptée par" in content
