"""Catalogue, organisation and habilitation objects for the exchange tests."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from dlnuf.catalogue.models import Connector, Dataset, Endpoint, Provider, Scope
from dlnuf.habilitations.models import Credential, Environment
from dlnuf.habilitations.services import credential_issue, habilitation_grant
from dlnuf.organisations.models import Organisation
from dlnuf.organisations.validators import luhn_valid


def valid_siret(base: str) -> str:
    """The 14-digit SIRET whose first 13 digits are ``base`` (Luhn key added)."""
    for key in "0123456789":
        if luhn_valid(base + key):
            return base + key
    raise AssertionError(base)


def valid_siren(base: str) -> str:
    """The 9-digit SIREN whose first 8 digits are ``base``."""
    for key in "0123456789":
        if luhn_valid(base + key):
            return base + key
    raise AssertionError(base)


CIVIL_STATUS_PARAMETERS = [
    {"name": "nomNaissance", "required": True},
    {"name": "prenoms[]", "required": True},
    {"name": "sexeEtatCivil", "required": True},
    {"name": "anneeDateNaissance", "required": False},
    {"name": "moisDateNaissance", "required": False},
    {"name": "jourDateNaissance", "required": False},
    {"name": "codeCogInseeCommuneNaissance", "required": False},
    {"name": "codeCogInseePaysNaissance", "required": True},
]


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"fournisseur-{n}")
    name = factory.Sequence(lambda n: f"Fournisseur {n}")


class ConnectorFactory(DjangoModelFactory):
    class Meta:
        model = Connector

    slug = factory.Sequence(lambda n: f"connecteur-{n}")
    name = factory.Sequence(lambda n: f"Connecteur {n}")
    kind = "api_particulier"
    base_url = ""
    base_url_env = ""
    sandbox_path = ""
    auth_kind = "bearer"
    auth_secret_env = "DLNUF_TEST_PROVIDER_TOKEN"


class DatasetFactory(DjangoModelFactory):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"jeu-{n}")
    title = factory.Sequence(lambda n: f"Jeu de données {n}")
    provider = factory.SubFactory(ProviderFactory)
    connector = factory.SubFactory(ConnectorFactory)
    subject_kind = "person"
    holds_personal_data = True


class EndpointFactory(DjangoModelFactory):
    class Meta:
        model = Endpoint

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"point-{n}")
    path_template = "/v3/test/identite"
    parameters = factory.LazyFunction(lambda: list(CIVIL_STATUS_PARAMETERS))
    position = factory.Sequence(lambda n: n)


class ScopeFactory(DjangoModelFactory):
    class Meta:
        model = Scope

    dataset = factory.SubFactory(DatasetFactory)
    slug = factory.Sequence(lambda n: f"perimetre_{n}")
    label = factory.Sequence(lambda n: f"Périmètre {n}")
    fields = factory.LazyFunction(lambda: ["*"])
    position = factory.Sequence(lambda n: n)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("siret",)

    siret = factory.Sequence(lambda n: valid_siret(valid_siren(f"{21000000 + n:08d}") + "0001"))
    name = factory.Sequence(lambda n: f"Commune {n}")


def credential_for(
    dataset: Dataset,
    scopes: list[str],
    *,
    siret: str | None = None,
    environment: str = Environment.PRODUCTION,
    expires_in_days: int | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[str, Credential]:
    """A fresh credential of ``siret`` (a new organisation by default) for these scopes."""
    organisation = OrganisationFactory(**({"siret": siret} if siret else {}))
    habilitation = habilitation_grant(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=scopes,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    issued = credential_issue(
        habilitation=habilitation,
        environment=environment,
        expires_in_days=expires_in_days,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    return issued.secret, issued.credential


PERSON_PATH = "/v3/test/quotient_familial/identite"

QUOTIENT_DATA = {
    "allocataires": [
        {"nom_naissance": "LEFEBVRE", "prenoms": "ALEXIS JEAN", "date_naissance": "1982-12-27"}
    ],
    "enfants": [],
    "adresse": {"destinataire": "Madame LEFEBVRE", "code_postal_ville": "75002 PARIS"},
    "quotient_familial": {"fournisseur": "CNAF", "valeur": 2550, "annee": 2023, "mois": 6},
}


PERSON_FIELDS = ("nom_naissance", "nom_usage", "prenoms", "date_naissance", "sexe")
QUOTIENT_SHAPE = [
    *(f"allocataires[].{name}" for name in PERSON_FIELDS),
    *(f"enfants[].{name}" for name in PERSON_FIELDS),
    "adresse.destinataire",
    "adresse.numero_libelle_voie",
    "adresse.code_postal_ville",
    "adresse.pays",
    "quotient_familial.fournisseur",
    "quotient_familial.valeur",
    "quotient_familial.annee",
    "quotient_familial.mois",
]


def person_dataset(
    *,
    base_url: str = "",
    kind: str = "api_particulier",
    slug: str = "quotient-test",
    sandbox_path: str = "",
    cache_seconds: int = 0,
    holds_personal_data: bool = True,
    timeout_seconds: float | None = None,
) -> Dataset:
    """A dataset shaped like the quotient familial, served by the provider at ``base_url``."""
    dataset = DatasetFactory(
        slug=slug,
        provider__slug="cnaf-test",
        connector__kind=kind,
        connector__base_url=base_url,
        connector__sandbox_path=sandbox_path,
        connector__timeout_seconds=timeout_seconds,
        cache_seconds=cache_seconds,
        holds_personal_data=holds_personal_data,
        answer_shape=QUOTIENT_SHAPE,
    )
    EndpointFactory(dataset=dataset, name="identite", path_template=PERSON_PATH)
    ScopeFactory(dataset=dataset, slug="qf", fields=["quotient_familial"], position=1)
    ScopeFactory(dataset=dataset, slug="allocataires", fields=["allocataires"], position=2)
    ScopeFactory(dataset=dataset, slug="enfants", fields=["enfants"], position=3)
    ScopeFactory(dataset=dataset, slug="ville", fields=["adresse.code_postal_ville"], position=4)
    return dataset


COMPANY_PATH = "/v3/test/unites_legales/{siren}"


def company_dataset(*, base_url: str = "", slug: str = "entreprise-test") -> Dataset:
    """A dataset shaped like Sirene's legal units: one endpoint-level scope."""
    dataset = DatasetFactory(
        slug=slug,
        provider__slug="insee-test",
        connector__kind="api_entreprise",
        connector__base_url=base_url,
        subject_kind="company",
        holds_personal_data=False,
    )
    EndpointFactory(
        dataset=dataset,
        name="siren",
        path_template=COMPANY_PATH,
        parameters=[{"name": "siren", "required": True}],
    )
    ScopeFactory(dataset=dataset, slug="unites_legales", fields=["*"])
    return dataset


def person_query(consumer_siret: str, /, **overrides: object) -> dict[str, object]:
    query: dict[str, object] = {
        "nomNaissance": "LEFEBVRE",
        "prenoms[]": ["ALEXIS", "JEAN"],
        "sexeEtatCivil": "F",
        "anneeDateNaissance": "1982",
        "moisDateNaissance": "12",
        "jourDateNaissance": "27",
        "codeCogInseeCommuneNaissance": "08480",
        "codeCogInseePaysNaissance": "99100",
        "recipient": consumer_siret,
        "context": "Tarification de la cantine scolaire",
        "object": "dossier-2024-042",
    }
    query.update(overrides)
    return {name: value for name, value in query.items() if value is not None}
