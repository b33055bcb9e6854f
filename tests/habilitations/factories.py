"""People, roles and requests for the habilitation workflow tests."""

from datetime import timedelta
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from dlnuf.catalogue.models import Dataset, Provider
from dlnuf.catalogue.selectors import current_terms
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.habilitations.services import (
    authorization_request_accept_terms,
    authorization_request_create,
    authorization_request_update,
)
from dlnuf.organisations.models import Membership, Organisation, Role, User
from tests.exchange.factories import OrganisationFactory, person_dataset

PASSWORD = "mot-de-passe-des-tests-2026"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"agent{n}@exemple.gouv.fr")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.django.Password(PASSWORD)


def applicant(organisation: Organisation, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Role.APPLICANT, organisation=organisation)
    return user


def instructor(provider: Provider, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Role.INSTRUCTOR, provider=provider)
    return user


def reporter(provider: Provider, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=Role.REPORTER, provider=provider)
    return user


def global_user(role: Role, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=role)
    return user


def pdf_upload(name: str = "decret.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


COMPLETE_VALUES: dict[str, Any] = {
    "title": "Tarification de la cantine",
    "purpose": "Calculer le tarif de la cantine selon le quotient familial.",
    "procedure_names": "Inscription à la cantine scolaire",
    "legal_basis_nature": "crpa_l114_8",
    "legal_basis_article": "Article L114-8",
    "legal_basis_url": "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000044422741",
    "data_recipients": "Agents du service de la restauration scolaire",
    "retention_months": 12,
    "retention_justification": "",
    "business_contact_name": "Camille Métier",
    "business_contact_email": "metier@ville.fr",
    "technical_contact_name": "Dominique Technique",
    "technical_contact_email": "technique@ville.fr",
    "dpo_name": "Alex Dpo",
    "dpo_email": "dpo@ville.fr",
    "controller_name": "Le maire",
    "controller_email": "maire@ville.fr",
    "expected_calls_per_minute": 10,
    "volume_justification": "3 000 familles par an, pics à la rentrée.",
}


def complete_values(**overrides: Any) -> dict[str, Any]:
    return {
        **COMPLETE_VALUES,
        "go_live_date": timezone.localdate() + timedelta(days=30),
        **overrides,
    }


def draft_request(
    *,
    dataset: Dataset | None = None,
    organisation: Organisation | None = None,
    by: User | None = None,
    scopes: list[str] | None = None,
    complete: bool = True,
    accept_terms: bool = True,
) -> AuthorizationRequest:
    dataset = dataset or person_dataset()
    organisation = organisation or OrganisationFactory()
    by = by or applicant(organisation)
    request = authorization_request_create(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=scopes if scopes is not None else ["qf", "allocataires"],
        created_by=by,
        purpose="Tarification sociale",
    )
    if complete:
        request = authorization_request_update(request=request, actor=by, values=complete_values())
        # A complete request has its dataset's current terms of use accepted, when it has some.
        terms = current_terms(dataset)
        if accept_terms and terms is not None:
            request = authorization_request_accept_terms(request=request, actor=by, version=terms)
    return request
