"""What « Mes données » reads of the journal: only the viewer's entries, filtered, with deferred
ones hidden until their delay ends, each described in plain French."""

from datetime import UTC, date, datetime, timedelta

import pytest

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.people.accesses import (
    UNDESCRIBED_FIELD_LABEL,
    AccessFilters,
    AccessOutcome,
    AccessSummary,
    access_filter_choices,
    accesses_deferred_count,
    accesses_described,
    accesses_filtered,
    accesses_summary,
    accesses_visible,
)
from tests.habilitations.factories import UserFactory
from tests.people.access_world import (
    LYON,
    MARIE,
    PARIS,
    PAUL,
    UNKNOWN_SIRET,
    habilitation,
    organisations,
    person,
    record,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def catalogue() -> None:
    catalogue_load()


def indexes(entries) -> list[int]:
    return [entry.index for entry in entries]


def test_a_viewer_never_reads_another_subjects_entries() -> None:
    lyon, paris = organisations()
    mine = record(MARIE, occurred_at=NOW - timedelta(days=3), grant=habilitation(lyon))
    # Paul's entries: one by an administration that never consulted Marie's data.
    record(PAUL, occurred_at=NOW - timedelta(days=2), grant=habilitation(lyon))
    record(PAUL, occurred_at=NOW - timedelta(days=1), grant=habilitation(paris))
    marie = person(MARIE)

    assert indexes(accesses_visible(marie, now=NOW)) == [mine]
    # Filtering on the administration that only consulted Paul gives nothing, not his entries.
    only_paris = AccessFilters(consumer_siret=PARIS)
    assert indexes(accesses_filtered(marie, only_paris, now=NOW)) == []
    administrations, datasets = access_filter_choices(marie, now=NOW)
    assert [choice.value for choice in administrations] == [LYON]
    assert [choice.value for choice in datasets] == ["quotient-familial"]


def test_filters_by_paris_day_administration_and_dataset_newest_first() -> None:
    _lyon, paris = organisations()
    # 23:30 UTC on 1 March is 00:30 on 2 March in Paris: it belongs to 2 March.
    late_evening = record(MARIE, occurred_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    march_first = record(MARIE, occurred_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    by_paris = record(
        MARIE,
        occurred_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        grant=habilitation(paris, "prime-activite"),
        provider="cnav",
        fields_returned=("est_beneficiaire",),
    )
    marie = person(MARIE)

    def found(**filters) -> list[int]:
        return indexes(accesses_filtered(marie, AccessFilters(**filters), now=NOW))

    assert found() == [by_paris, march_first, late_evening]
    assert found(start=date(2026, 3, 2)) == [by_paris, late_evening]
    assert found(end=date(2026, 3, 1)) == [march_first]
    assert found(start=date(2026, 3, 2), end=date(2026, 3, 2)) == [late_evening]
    assert found(consumer_siret=PARIS) == [by_paris]
    assert found(dataset_slug="quotient-familial") == [march_first, late_evening]
    assert found(consumer_siret=LYON, dataset_slug="prime-activite") == []
    administrations, datasets = access_filter_choices(marie, now=NOW)
    assert [(choice.value, choice.label) for choice in administrations] == [
        (LYON, "Ville de Lyon (SIRET 216 901 231 00011)"),
        (PARIS, "Ville de Paris (SIRET 217 500 016 00019)"),
    ]
    assert [(choice.value, choice.label) for choice in datasets] == [
        ("prime-activite", "Prime d'activité"),
        ("quotient-familial", "Quotient familial CAF et MSA"),
    ]


def test_deferred_entries_are_hidden_until_their_delay_ends_and_only_counted() -> None:
    lyon, paris = organisations()
    investigation = habilitation(
        paris,
        subject_visibility_delay_days=30,
        subject_visibility_delay_reference="Code de la sécurité sociale, article L114-19",
    )
    plain = habilitation(lyon)
    still_hidden = record(MARIE, occurred_at=NOW - timedelta(days=29), grant=investigation)
    delay_over = record(MARIE, occurred_at=NOW - timedelta(days=31), grant=investigation)
    exactly_due = record(MARIE, occurred_at=NOW - timedelta(days=30), grant=investigation)
    recent_plain = record(MARIE, occurred_at=NOW - timedelta(hours=1), grant=plain)
    without_habilitation = record(MARIE, occurred_at=NOW - timedelta(hours=2))
    # Paul's deferred entry is not Marie's to count.
    record(PAUL, occurred_at=NOW - timedelta(days=1), grant=investigation)
    marie = person(MARIE)

    shown = indexes(accesses_visible(marie, now=NOW))
    assert still_hidden not in shown
    assert set(shown) == {delay_over, exactly_due, recent_plain, without_habilitation}
    assert accesses_deferred_count(marie, now=NOW) == 1
    # A day later the delay is over: it appears, and nothing is deferred any more.
    tomorrow = NOW + timedelta(days=1, seconds=1)
    assert still_hidden in indexes(accesses_visible(marie, now=tomorrow))
    assert accesses_deferred_count(marie, now=tomorrow) == 0
    # Deferred entries give no filter choice either: Paul's only consultation is deferred.
    administrations, _ = access_filter_choices(person(PAUL), now=NOW)
    assert administrations == []


def test_fields_are_named_with_the_catalogues_scope_labels_never_values() -> None:
    lyon, _ = organisations()
    grant = habilitation(lyon)
    record(
        MARIE,
        occurred_at=NOW,
        grant=grant,
        fields_returned=(
            "adresse.code_postal_ville",
            "quotient_familial.valeur",
            "quotient_familial.annee",
            "enfants",
        ),
    )
    record(MARIE, occurred_at=NOW, grant=grant, fields_returned=("colonne_ajoutee",))
    record(MARIE, occurred_at=NOW, grant=grant, fields_returned=(), status=404, code="x")
    newest_first = accesses_described(accesses_visible(person(MARIE), now=NOW))

    nothing, undescribed, described = (access.fields_transmitted for access in newest_first)
    # In the catalogue's order of scopes; an empty list of children still names its scope.
    assert described == ("Quotient familial", "Enfants", "Adresse")
    assert undescribed == (UNDESCRIBED_FIELD_LABEL,)
    assert nothing == ()


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (200, "ok", AccessOutcome.TRANSMITTED),
        (404, "subject_not_found", AccessOutcome.NOT_FOUND),
        (403, "scope_not_granted", AccessOutcome.REFUSED),
        (429, "rate_limited", AccessOutcome.REFUSED),
        (502, "provider_unavailable", AccessOutcome.FAILED),
        (500, "internal_error", AccessOutcome.FAILED),
    ],
)
def test_outcome_in_the_persons_terms(status: int, code: str, outcome: AccessOutcome) -> None:
    record(MARIE, occurred_at=NOW, status=status, code=code)
    (access,) = accesses_described(accesses_visible(person(MARIE), now=NOW))
    assert access.outcome is outcome


def test_case_reference_only_when_the_habilitation_shows_it() -> None:
    lyon, paris = organisations()
    shown = habilitation(lyon, subject_sees_case_reference=True)
    hidden = habilitation(paris)
    record(MARIE, occurred_at=NOW - timedelta(hours=2), grant=shown, object="CANTINE-2026-17")
    record(MARIE, occurred_at=NOW - timedelta(hours=1), grant=hidden, object="ENQUETE-44")
    record(MARIE, occurred_at=NOW, object="SANS-HABILITATION")

    without, from_paris, from_lyon = accesses_described(accesses_visible(person(MARIE), now=NOW))
    assert from_lyon.case_reference == "CANTINE-2026-17"
    assert from_paris.case_reference == ""
    assert without.case_reference == ""
    assert (from_lyon.consumer_name, from_lyon.consumer_siret_display) == (
        "Ville de Lyon",
        "216 901 231 00011",
    )


def test_legal_basis_from_the_decided_request_else_the_catalogue_else_nothing() -> None:
    lyon, paris = organisations()
    requested = habilitation(lyon)
    AuthorizationRequest.objects.create(
        organisation=lyon,
        dataset=requested.dataset,
        created_by=UserFactory(),
        state=RequestState.VALIDATED,
        habilitation=requested,
        legal_basis_nature="crpa_l114_8",
        legal_basis_article="Article L114-8",
        legal_basis_url="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000044422741",
    )
    catalogue_only = habilitation(paris)
    nothing_known = habilitation(paris, "prime-activite")
    Dataset.objects.get(slug="prime-activite").legal_bases.clear()
    record(MARIE, occurred_at=NOW - timedelta(hours=3), grant=requested)
    record(MARIE, occurred_at=NOW - timedelta(hours=2), grant=catalogue_only)
    record(MARIE, occurred_at=NOW - timedelta(hours=1), grant=nothing_known, provider="cnav")

    absent, general, checked = accesses_described(accesses_visible(person(MARIE), now=NOW))
    assert checked.legal_basis == (
        "CRPA, articles L114-8 et R114-9-3 (échanges sur les particuliers) — Article L114-8"
    )
    assert checked.legal_basis_url.startswith("https://www.legifrance.gouv.fr/")
    assert not checked.legal_basis_from_catalogue
    assert general.legal_basis_from_catalogue
    assert "Échange de données entre administrations pour les particuliers" in general.legal_basis
    assert absent.legal_basis == ""
    assert (absent.dataset_title, absent.provider_name) == (
        Dataset.objects.get(slug="prime-activite").title,
        Dataset.objects.get(slug="prime-activite").provider.name,
    )


def test_summary_figures_match_a_hand_count() -> None:
    lyon, paris = organisations()
    # Prime d'activité stands for no supporting document in this catalogue.
    Dataset.objects.get(slug="prime-activite").supporting_documents.clear()
    for hours in (1, 2, 3):
        record(MARIE, occurred_at=NOW - timedelta(hours=hours), grant=habilitation(lyon))
    record(MARIE, occurred_at=NOW, grant=habilitation(paris), status=404, code="subject_not_found")
    record(
        MARIE,
        occurred_at=NOW,
        grant=habilitation(paris, "prime-activite"),
        fields_returned=("est_beneficiaire",),
    )
    record(MARIE, occurred_at=NOW, consumer_siret=UNKNOWN_SIRET)
    record(PAUL, occurred_at=NOW, grant=habilitation(lyon))
    marie = person(MARIE)

    # By hand: six consultations of Marie's data by Lyon, Paris and an unknown SIRET; documents
    # spared by the three Lyon ones and the unknown SIRET's (all quotient familial, transmitted),
    # not by the refused one nor by the prime d'activité.
    everything = accesses_summary(accesses_filtered(marie, AccessFilters(), now=NOW))
    assert everything == AccessSummary(consultations=6, administrations=3, documents_spared=4)
    from_paris = accesses_summary(
        accesses_filtered(marie, AccessFilters(consumer_siret=PARIS), now=NOW)
    )
    assert from_paris == AccessSummary(consultations=2, administrations=1, documents_spared=0)
