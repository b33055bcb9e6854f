"""Reads behind the catalogue pages: search and filters, live status, call examples."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dlnuf.catalogue.examples import call_examples
from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.selectors import (
    CatalogueQuery,
    catalogue_entries,
    catalogue_facets,
    catalogue_search,
    contact_links,
)
from dlnuf.catalogue.status import dataset_live_status
from dlnuf.exchange.breakers import breaker_failure, breaker_permit
from dlnuf.journal.outcomes import Outcome, OutcomeCounts
from dlnuf.journal.services import journal_record
from dlnuf.sandbox.cases import sandbox_identities
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(loaded_catalogue):
    return catalogue_entries()


def _slugs(entries, **query):
    return [entry.slug for entry in catalogue_search(entries, CatalogueQuery(**query))]


def test_entries_are_served_datasets_then_other_public_apis(entries):
    assert len(entries) == 186
    assert all(entry.served for entry in entries[:16])
    assert not any(entry.served for entry in entries[16:])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quotient familial", "quotient-familial"),  # title
        ("QUOTIENT FAMILIAL", "quotient-familial"),  # case
        ("echelon", "etudiant-boursier"),  # scope label « Échelon de la bourse », accents
        ("Kbis", "unite-legale"),  # supporting document replaced
        ("urssaf", "attestation-vigilance"),  # provider
        ("hydrométrie", "api_hubeau_hydrometrie"),  # public API title
        ("piézomètre", None),  # nothing
    ],
)
def test_text_search_covers_titles_providers_documents_and_keywords(entries, text, expected):
    found = _slugs(entries, text=text)
    if expected is None:
        assert found == []
    else:
        assert expected in found


def test_keywords_of_public_apis_are_searched(entries):
    # « Revenu Fiscal de Référence » is a keyword of API Impôt particulier, not in its title.
    assert "impot-particulier" in _slugs(entries, text="revenu fiscal")


def test_every_word_must_match_and_titles_rank_first(entries):
    assert set(_slugs(entries, text="quotient familial msa caf")) == {
        "quotient-familial",
        "api_quotient_familial_msa_caf",
    }
    assert _slugs(entries, text="quotient cadastre") == []
    # « statut » is in many titles; the served dataset whose title holds both words comes first.
    assert _slugs(entries, text="statut étudiant")[0] == "statut-etudiant"


def test_filters(entries):
    insee = _slugs(entries, provider="insee")
    assert {"unite-legale", "etablissement", "sirene_v3"} <= set(insee)
    assert all(
        entry.provider_key == "insee"
        for entry in catalogue_search(entries, CatalogueQuery(provider="insee"))
    )
    assert set(_slugs(entries, document="avis-imposition")) == {"impot-particulier"}
    served_companies = _slugs(entries, subject_kind="company", served=True)
    assert set(served_companies) == {
        "unite-legale",
        "etablissement",
        "attestation-vigilance",
        "attestation-fiscale",
        "certification-rge",
        "association",
    }
    others = catalogue_search(entries, CatalogueQuery(served=False))
    assert len(others) == 170
    assert not any(entry.served for entry in others)
    # « Entreprise » (api.gouv.fr) and « entreprises » (catalogue) are one theme.
    business = _slugs(entries, theme="entreprise")
    assert "unite-legale" in business
    assert "api-entreprise" in business


def test_facets_offer_only_values_that_lead_somewhere(entries):
    facets = catalogue_facets(entries)
    providers = dict(facets.providers)
    assert providers["dgfip"] == "DGFiP"
    assert providers["hub-eau"]  # a producer the gateway has no provider for
    assert "securite_sociale" not in providers  # merged into the provider it is
    themes = dict(facets.themes)
    assert themes["entreprise"] in {"Entreprise", "Entreprises"}
    assert dict(facets.documents)["extrait-kbis"].startswith("Extrait Kbis")


def test_contact_links():
    assert contact_links("a@x.gouv.fr, b@y.gouv.fr") == [
        ("mailto:a@x.gouv.fr", "a@x.gouv.fr"),
        ("mailto:b@y.gouv.fr", "b@y.gouv.fr"),
    ]
    assert contact_links("https://exemple.gouv.fr/contact") == [
        ("https://exemple.gouv.fr/contact", "https://exemple.gouv.fr/contact")
    ]


def test_live_status_counts_exchanges_of_the_last_day_and_week(loaded_catalogue):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    for delta, status, code in [
        (timedelta(hours=1), 200, "ok"),
        (timedelta(hours=2), 200, "ok"),
        (timedelta(hours=3), 404, "subject_not_found"),
        (timedelta(hours=5), 502, "provider_unavailable"),
        (timedelta(days=2), 200, "ok"),
        (timedelta(days=3), 504, "provider_timeout"),
        (timedelta(days=9), 500, "provider_unavailable"),  # too old
    ]:
        journal_record(ExchangeRecordFactory(occurred_at=now - delta, status=status, code=code))
    journal_record(ExchangeRecordFactory(occurred_at=now, dataset_slug="scolarite"))

    day, week = dataset_live_status("quotient-familial", now=now).windows

    assert day.outcomes == OutcomeCounts(succeeded=2, refused=1, provider_failures=1)
    assert day.outcomes.percent(Outcome.PROVIDER_FAILURE) == Decimal("25.0")
    assert week.outcomes == OutcomeCounts(succeeded=3, refused=1, provider_failures=2)
    assert week.outcomes.percent(Outcome.PROVIDER_FAILURE) == Decimal("33.3")


def test_live_status_without_exchanges_and_with_an_open_breaker(loaded_catalogue, settings):
    settings.DLNUF_API_PARTICULIER_URL = ""
    status = dataset_live_status("statut-etudiant")
    assert all(window.outcomes.calls == 0 for window in status.windows)
    assert status.windows[0].outcomes.percent(Outcome.REFUSED) is None
    assert [breaker.state for breaker in status.breakers] == ["closed"]
    assert status.breakers[0].target.startswith("Liaison avec le bac à sable intégré")

    for _ in range(settings.DLNUF_BREAKER_FAILURE_THRESHOLD):
        breaker_failure(breaker_permit("api-particulier:sandbox"))

    breaker = dataset_live_status("statut-etudiant").breakers[0]
    assert breaker.state == "open"
    assert breaker.label.startswith("interrompue")


def test_call_examples_use_a_sandbox_identity_and_the_trace_parameters(loaded_catalogue):
    dataset = Dataset.objects.get(slug="quotient-familial")
    examples = call_examples(
        dataset,
        sandbox_identities("quotient-familial"),
        site_url="https://guichet.exemple.gouv.fr/",
        recipient="21690123100011",
    )
    assert len(examples) == 1  # one way to ask this dataset
    command = examples[0].command
    assert command.startswith(
        "curl --get https://guichet.exemple.gouv.fr/api/v1/data/quotient-familial"
    )
    assert "--header 'Authorization: Bearer VOTRE_JETON'" in command
    assert "--data-urlencode recipient=21690123100011" in command
    assert "--data-urlencode 'context=Instruction d'\"'\"'un dossier'" in command
    assert "--data-urlencode object=dossier-2026-0001" in command
    assert "--data-urlencode nomNaissance=LEFEBVRE" in command
    assert "--data-urlencode 'prenoms[]=ALEXIS'" in command
    assert "--data-urlencode 'prenoms[]=GÉRÔME'" in command

    student = call_examples(
        Dataset.objects.get(slug="statut-etudiant"),
        sandbox_identities("statut-etudiant"),
        site_url="http://127.0.0.1:8000",
        recipient="X",
    )
    assert {example.path_template for example in student} == {
        "/v3/mesri/statut_etudiant/ine",
        "/v3/mesri/statut_etudiant/identite",
    }
