"""A person finds, from their FranceConnect identity, every access the gateway keyed with it.

Each sandbox civil-status identity is called through the gateway (the live server's sandbox
behind the real exchange code path) and the journal entry's subject key is looked up among the
keys computed from the FranceConnect claims of the same person.
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.connectors.http import pooled_clients_close
from dlnuf.journal.models import JournalEntry
from dlnuf.people.identity import (
    PivotIdentity,
    PivotIdentityInvalid,
    datasets_not_linkable,
    pivot_from_claims,
    subject_keys_for_pivot,
)
from dlnuf.sandbox.cases import SandboxIdentity, sandbox_identities
from tests.exchange.factories import credential_for

PERSON_DATASETS_BY_CIVIL_STATUS = [
    "allocation-adulte-handicape",
    "complementaire-sante-solidaire",
    "etudiant-boursier",
    "impot-particulier",
    "prime-activite",
    "quotient-familial",
    "revenu-solidarite-active",
    "scolarite",
    "statut-etudiant",
]
FULL_DATE = ("anneeDateNaissance", "moisDateNaissance", "jourDateNaissance")
# What FranceConnect gives and a sandbox case may leave out; a case's own value always wins.
PIVOT_DEFAULTS = {
    "sexeEtatCivil": "F",
    "moisDateNaissance": "1",
    "jourDateNaissance": "1",
    "codeCogInseePaysNaissance": "99100",
    "codeCogInseeCommuneNaissance": "75056",
}


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Iterator[None]:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_SANDBOX_SLOW_SECONDS = 0.2
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 1000
    catalogue_load()
    yield
    # Connections kept alive to the live server are closed before it stops.
    pooled_clients_close()


def civil_status_identities(slug: str) -> list[SandboxIdentity]:
    return [i for i in sandbox_identities(slug) if "nomNaissance" in i.params]


def pivot_of(params: dict[str, Any]) -> PivotIdentity:
    """The FranceConnect claims of the person a sandbox case describes, as FranceConnect gives
    them: mixed case, accents, first names in one claim, a date with leading zeros."""
    full = {
        **PIVOT_DEFAULTS,
        **{name: str(value) for name, value in params.items() if name != "prenoms[]"},
    }
    return pivot_from_claims(
        {
            "given_name": " ".join(str(name).title() for name in params["prenoms[]"]),
            "family_name": str(params["nomNaissance"]).title(),
            "birthdate": f"{int(full['anneeDateNaissance']):04d}-"
            f"{int(full['moisDateNaissance']):02d}-{int(full['jourDateNaissance']):02d}",
            "gender": {"M": "male", "F": "female"}[full["sexeEtatCivil"].upper()],
            "birthplace": full["codeCogInseeCommuneNaissance"],
            "birthcountry": full["codeCogInseePaysNaissance"],
        }
    )


def keyed_by_gateway(
    client: Client, slug: str, secret: str, siret: str, params: dict[str, Any]
) -> str:
    """Call the gateway as a consumer would; the subject key its journal entry holds."""
    before = JournalEntry.objects.count()
    query = {**params, "recipient": siret, "context": "Vérification", "object": "dossier-1"}
    response = client.get(
        f"/api/v1/data/{slug}", query, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code != 400, response.content
    entry = JournalEntry.objects.order_by("-index").first()
    assert entry is not None
    assert JournalEntry.objects.count() == before + 1
    return entry.subject_key


def different_person(pivot: PivotIdentity, field: str) -> PivotIdentity:
    changes: dict[str, Any] = {
        "family_name": pivot.family_name + "E",
        "given_names": (pivot.given_names[0] + "E", *pivot.given_names[1:]),
        "birthdate": pivot.birthdate.replace(year=pivot.birthdate.year - 1),
        "sex": "M" if pivot.sex == "F" else "F",
        "birthplace": "2A004" if pivot.birthplace != "2A004" else "75056",
        "birthcountry": "99134",
    }
    return replace(pivot, **{field: changes[field]})


# The civil-status parameters each endpoint by identity takes but does not require.
FAMILY_BENEFITS_OPTIONAL = frozenset({*FULL_DATE, "codeCogInseeCommuneNaissance"})
OPTIONAL_OF = {
    "allocation-adulte-handicape": FAMILY_BENEFITS_OPTIONAL,
    "complementaire-sante-solidaire": FAMILY_BENEFITS_OPTIONAL,
    "prime-activite": FAMILY_BENEFITS_OPTIONAL,
    "quotient-familial": FAMILY_BENEFITS_OPTIONAL,
    "revenu-solidarite-active": FAMILY_BENEFITS_OPTIONAL,
    "etudiant-boursier": frozenset({"sexeEtatCivil", "codeCogInseeCommuneNaissance"}),
    "statut-etudiant": frozenset({"codeCogInseeCommuneNaissance"}),
}
FIELD_OF_PARAMETER = {
    "nomNaissance": "family_name",
    "prenoms[]": "given_names",
    "anneeDateNaissance": "birthdate",
    "sexeEtatCivil": "sex",
    "codeCogInseeCommuneNaissance": "birthplace",
    "codeCogInseePaysNaissance": "birthcountry",
}


@pytest.mark.parametrize("slug", PERSON_DATASETS_BY_CIVIL_STATUS)
def test_every_sandbox_identity_called_through_the_gateway_is_found_from_its_pivot(
    sandbox: None, client: Client, slug: str
) -> None:
    dataset = Dataset.objects.get(slug=slug)
    secret, credential = credential_for(dataset, [dataset.scopes.order_by("position").first().slug])
    siret = credential.habilitation.organisation.siret
    identities = civil_status_identities(slug)
    assert identities

    for identity in identities:
        pivot = pivot_of(identity.params)
        keys = set(subject_keys_for_pivot(pivot))
        if all(name in identity.params for name in FULL_DATE):
            sent = identity.params
        else:
            # The case leaves out part of the date of birth: called that way the access cannot
            # be linked (it would match namesakes); called with the person's full date it is.
            partial = keyed_by_gateway(client, slug, secret, siret, identity.params)
            assert partial not in keys, identity.label
            sent = {
                **identity.params,
                **{
                    name: str(value)
                    for name, value in pivot.parameter_values().items()
                    if name in FULL_DATE
                },
            }

        key = keyed_by_gateway(client, slug, secret, siret, sent)

        assert key in keys, identity.label
        for parameter, field in FIELD_OF_PARAMETER.items():
            if parameter in sent:
                other = subject_keys_for_pivot(different_person(pivot, field))
                assert key not in other, (identity.label, field)

    # A consumer may leave out any optional parameter: the access is still found, as long as
    # the birth name, first names and full date of birth were sent.
    first = next(i for i in identities if all(name in i.params for name in FULL_DATE))
    pivot = pivot_of(first.params)
    keys = set(subject_keys_for_pivot(pivot))
    for left_out in sorted(OPTIONAL_OF.get(slug, ())):
        if left_out in first.params:
            sent = {name: value for name, value in first.params.items() if name != left_out}
            key = keyed_by_gateway(client, slug, secret, siret, sent)
            assert (key in keys) is (left_out not in FULL_DATE), (slug, left_out)


def test_spellings_of_the_same_identity_give_the_same_keys(db: None) -> None:
    catalogue_load()
    claims = {
        "given_name": "Alexis Gérôme Jean-Philippe",
        "family_name": "Lefèbvre",
        "birthdate": "1982-12-07",
        "gender": "female",
        "birthplace": "08480",
        "birthcountry": "99100",
    }
    keys = subject_keys_for_pivot(pivot_from_claims(claims))
    shouted = subject_keys_for_pivot(
        pivot_from_claims(
            {**claims, "given_name": " ALEXIS  GEROME JEAN-PHILIPPE ", "family_name": "LEFEBVRE"}
        )
    )
    assert keys == shouted
    # Two first names of three, or the first alone, are other ways the person was keyed.
    assert len(keys) > 3
    assert set(subject_keys_for_pivot(pivot_from_claims({**claims, "given_name": "Alexis"}))) < set(
        keys
    )
    assert not set(keys) & set(
        subject_keys_for_pivot(pivot_from_claims({**claims, "birthdate": "1982-12-08"}))
    )


def test_a_person_born_abroad_has_no_commune_of_birth(db: None) -> None:
    catalogue_load()
    pivot = pivot_from_claims(
        {
            "given_name": "Ana",
            "family_name": "Silva",
            "birthdate": "1990-05-04",
            "gender": "female",
            "birthplace": "",
            "birthcountry": "99139",
            "preferred_username": "Martin",
        }
    )
    assert pivot.birthplace == ""
    assert pivot.display_name == "Ana Martin"
    assert subject_keys_for_pivot(pivot)
    assert pivot.birthdate == date(1990, 5, 4)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("birthdate", "1982-13-01"),
        ("birthdate", "1982-12"),
        ("gender", "other"),
        ("birthplace", "8480"),
        ("birthcountry", "France"),
        ("family_name", ""),
        ("given_name", 42),
    ],
)
def test_unusable_claims_are_refused(claim: str, value: Any) -> None:
    claims = {
        "given_name": "Marie",
        "family_name": "Dupont",
        "birthdate": "1980-01-02",
        "gender": "female",
        "birthplace": "75056",
        "birthcountry": "99100",
        claim: value,
    }
    with pytest.raises(PivotIdentityInvalid):
        pivot_from_claims(claims)


def test_datasets_identified_otherwise_are_named(db: None) -> None:
    catalogue_load()
    described = datasets_not_linkable()
    by_title = {line.split(" : ")[0]: line for line in described}
    assert "Identifiant France Travail" in by_title["Statut demandeur d'emploi"]
    assert "INE" in by_title["Statut étudiant"]
    assert "sans la date de naissance complète" in by_title["Quotient familial CAF et MSA"]
    # Called with the full civil status the gateway keys, these are always linked.
    assert "Scolarité" not in by_title
    assert "Impôt sur le revenu" not in "".join(by_title)
