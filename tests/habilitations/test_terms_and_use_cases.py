"""Terms of use accepted with a request, and requests started from a use-case template."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dlnuf.catalogue.models import LegalBasis, TermsVersion, UseCaseTemplate
from dlnuf.habilitations import services
from dlnuf.habilitations.models import RequestState
from dlnuf.habilitations.use_cases import use_case_changes
from tests.exchange.factories import OrganisationFactory, person_dataset
from tests.habilitations.factories import applicant, complete_values
from tests.habilitations.workflow import cast

pytestmark = pytest.mark.django_db


def _publish(dataset, number: int, published_on: date) -> TermsVersion:
    return TermsVersion.objects.create(
        dataset=dataset, number=number, published_on=published_on, text=f"Version {number}."
    )


def test_submission_is_refused_until_the_current_terms_are_accepted():
    people = cast()
    version = _publish(people.dataset, 1, date(2026, 3, 2))
    draft = people.draft(accept_terms=False)

    with pytest.raises(services.TransitionRefused) as refused:
        services.authorization_request_submit(request=draft, actor=people.applicant)

    assert refused.value.problems == [
        f"Acceptez les conditions d'utilisation de « {people.dataset.title} » (version 1 du "
        "2 mars 2026) pour soumettre la demande."
    ]
    accepted = services.authorization_request_accept_terms(
        request=draft, actor=people.applicant, version=version
    )
    assert accepted.terms_version == version
    assert accepted.terms_accepted_by == people.applicant
    assert accepted.terms_accepted_at is not None
    submitted = services.authorization_request_submit(request=accepted, actor=people.applicant)
    assert submitted.state == RequestState.SUBMITTED


def test_a_new_version_published_while_the_draft_is_open_must_be_accepted_again():
    people = cast()
    first = _publish(people.dataset, 1, date(2026, 3, 2))
    draft = services.authorization_request_accept_terms(
        request=people.draft(), actor=people.applicant, version=first
    )
    second = _publish(people.dataset, 2, date(2026, 11, 16))

    with pytest.raises(services.TransitionRefused) as refused:
        services.authorization_request_submit(request=draft, actor=people.applicant)

    assert refused.value.problems == [
        f"Les conditions d'utilisation de « {people.dataset.title} » ont changé (version 2 du "
        "16 novembre 2026) : lisez la nouvelle version et acceptez-la pour soumettre la demande."
    ]
    # The version the applicant read before is no longer enough, even ticked again.
    with pytest.raises(ValidationError):
        services.authorization_request_accept_terms(
            request=draft, actor=people.applicant, version=first
        )
    draft = services.authorization_request_accept_terms(
        request=draft, actor=people.applicant, version=second
    )
    assert services.authorization_request_submit(request=draft, actor=people.applicant).state == (
        RequestState.SUBMITTED
    )


def test_unticking_withdraws_the_acceptance():
    people = cast()
    version = _publish(people.dataset, 1, date(2026, 3, 2))
    draft = services.authorization_request_accept_terms(
        request=people.draft(), actor=people.applicant, version=version
    )

    draft = services.authorization_request_accept_terms(
        request=draft, actor=people.applicant, version=None
    )

    assert draft.terms_version is None
    assert draft.terms_accepted_by is None
    with pytest.raises(services.TransitionRefused):
        services.authorization_request_submit(request=draft, actor=people.applicant)


def test_a_dataset_without_terms_needs_no_acceptance():
    people = cast()
    assert people.submitted().state == RequestState.SUBMITTED


def _cantine(dataset) -> UseCaseTemplate:
    basis = LegalBasis.objects.create(
        slug="crpa-test",
        title="Échange de données entre administrations",
        reference="Articles L114-8 et R114-9-3 du code des relations entre le public et "
        "l'administration",
        url="https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000031366350",
    )
    return UseCaseTemplate.objects.create(
        dataset=dataset,
        slug="cantine-scolaire",
        name="cantine scolaire",
        request_title="Tarification de la cantine scolaire",
        purpose="Appliquer le tarif de cantine selon le quotient familial.",
        scope_slugs=["qf"],
        legal_basis=basis,
        legal_basis_nature="crpa_l114_8",
        retention_months=12,
    )


def test_a_template_prefills_the_draft_and_records_what_it_proposed():
    dataset = person_dataset()
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    template = _cantine(dataset)

    draft = services.authorization_request_create(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=[],
        created_by=agent,
        use_case=template,
    )

    assert draft.title == "Tarification de la cantine scolaire"
    assert draft.purpose == "Appliquer le tarif de cantine selon le quotient familial."
    assert list(draft.requested_scopes.values_list("slug", flat=True)) == ["qf"]
    assert draft.legal_basis_nature == "crpa_l114_8"
    assert draft.legal_basis_article.startswith("Articles L114-8 et R114-9-3")
    assert draft.legal_basis_url == template.legal_basis.url
    assert draft.retention_months == 12
    assert draft.use_case == template
    assert draft.use_case_name == "cantine scolaire"
    assert use_case_changes(draft) == []


def test_the_changes_from_the_template_are_listed_with_both_values():
    dataset = person_dataset()
    organisation = OrganisationFactory()
    agent = applicant(organisation)
    draft = services.authorization_request_create(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=[],
        created_by=agent,
        use_case=_cantine(dataset),
    )
    values = complete_values(retention_months=24)
    for prefilled in ("title", "purpose", "legal_basis_nature", "legal_basis_article"):
        values.pop(prefilled)
    values.pop("legal_basis_url")
    # Line breaks typed in a browser come back as CRLF: that alone is not a change.
    values["purpose"] = "Appliquer le tarif de cantine\r\nselon le quotient familial."

    updated = services.authorization_request_update(
        request=draft, actor=agent, values=values, scope_slugs=["qf", "enfants"]
    )

    labels = dict(dataset.scopes.values_list("slug", "label"))
    changes = [(c.label, c.proposed, c.submitted) for c in use_case_changes(updated)]
    assert changes == [
        ("Données demandées", labels["qf"], f"{labels['enfants']}, {labels['qf']}"),
        ("Durée de conservation", "12 mois", "24 mois"),
    ]


def test_a_template_of_another_dataset_is_refused():
    dataset = person_dataset()
    other = person_dataset(slug="autre-donnee")
    organisation = OrganisationFactory()

    with pytest.raises(ValidationError) as refused:
        services.authorization_request_create(
            organisation=organisation,
            dataset=other,
            scope_slugs=[],
            created_by=applicant(organisation),
            use_case=_cantine(dataset),
        )

    assert "ne concerne pas" in refused.value.messages[0]
