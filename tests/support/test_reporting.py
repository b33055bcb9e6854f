"""The guichet's figures, checked by hand against data placed at fixed dates.

The period is the first quarter of 2026 (local time, Europe/Paris) and "now" is 15 April 2026
at noon. Each expected number is worked out in the comments next to the data that makes it.
"""

import zoneinfo
from datetime import date, datetime, timedelta

import pytest

from dlnuf.catalogue.models import Connector, Dataset, Provider
from dlnuf.habilitations.models import Habilitation
from dlnuf.journal.services import journal_entries_append
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import Diagnostic, Procedure
from dlnuf.support.irritants import irritant_escalate, irritant_open
from dlnuf.support.models import (
    HelpKind,
    Irritant,
    IrritantEvent,
    IrritantKind,
    IrritantState,
    Ministry,
    Mission,
    MissionState,
    RequestState,
)
from dlnuf.support.reporting import (
    Period,
    avoided_figures,
    delay_figures,
    guichet_report,
    irritant_figures,
    mission_figures,
    percentile_90,
    report_tables,
    request_figures,
    satisfaction_figures,
)
from tests.journal.factories import ExchangeRecordFactory
from tests.support.factories import (
    ExpertUserFactory,
    MissionFactory,
    QualifiedRequestFactory,
    SupportRequestFactory,
)

pytestmark = pytest.mark.django_db

PARIS_TZ = zoneinfo.ZoneInfo("Europe/Paris")
Q1 = Period(start=date(2026, 1, 1), end=date(2026, 3, 31))
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=PARIS_TZ)
LYON = "21690123100011"
PARIS = "21750001600019"
DINUM = "13002526500013"


def at(year, month, day, hour=9, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS_TZ)


# --- requests ----------------------------------------------------------------------------------


@pytest.fixture
def requests_q1():
    """Six requests received in the quarter, two just outside it, one redirected."""
    F, E, B = HelpKind.FRAMING, HelpKind.EXPERIENCE, HelpKind.BLOCKING_POINT
    local, economy = Ministry.LOCAL_AUTHORITY, Ministry.ECONOMY

    def make(created, ministry, kinds, answered=None, due=None, **extra):
        return SupportRequestFactory(
            created_at=created,
            ministry=ministry,
            help_kinds=[kind.value for kind in kinds],
            first_answered_at=answered,
            first_answer_due=due or created + timedelta(days=3),
            **extra,
        )

    # First answers: 1.0, 2.5, 0.25 and 4.0 days.
    make(
        at(2026, 1, 5),
        local,
        [F],
        answered=at(2026, 1, 6),
        due=at(2026, 1, 8),
        state=RequestState.CLOSED,
        closed_at=at(2026, 1, 15),  # closed after 10 days
    )
    make(
        at(2026, 1, 10),
        economy,
        [F, E],
        answered=at(2026, 1, 12, 21),  # after its deadline: late
        due=at(2026, 1, 12),
        state=RequestState.CLOSED,
        closed_at=at(2026, 4, 5),  # closed after the period
    )
    make(
        at(2026, 2, 2),
        local,
        [B],
        answered=at(2026, 2, 2, 15),
        due=at(2026, 2, 3),
        state=RequestState.CLOSED,
        closed_at=at(2026, 2, 4),  # 2 days
    )
    make(
        at(2026, 2, 20),
        Ministry.SOCIAL,
        [],
        answered=at(2026, 2, 24),
        due=at(2026, 2, 25),
        state=RequestState.CLOSED,
        closed_at=at(2026, 3, 10),  # 18 days
    )
    # Unanswered, deadline passed before "now": late.
    make(at(2026, 3, 2), local, [E, B], due=at(2026, 3, 5))
    # Received on the last evening of the period; its deadline is after "now".
    make(at(2026, 3, 31, 20), economy, [F], due=at(2026, 4, 20))
    # Outside the period by half an hour each side (local midnight).
    make(
        at(2025, 12, 31, 23, 30),
        local,
        [F],
        answered=at(2026, 1, 1, 10),
        state=RequestState.CLOSED,
        closed_at=at(2026, 1, 2, 23, 30),  # closed in the period, after 2 days
    )
    make(at(2026, 4, 1, 0, 30), Ministry.JUSTICE, [F], answered=at(2026, 4, 1, 1))
    # Redirected in the period: not a closed request.
    make(
        at(2025, 11, 3),
        Ministry.CULTURE,
        [],
        answered=at(2025, 11, 3, 10),
        state=RequestState.REDIRECTED,
        closed_at=at(2026, 1, 20),
    )


def test_requests_per_ministry_and_kind(requests_q1):
    figures = request_figures(Q1)

    assert figures.total == 6
    # Columns: framing, experience, blocking point; then no kind given, then the total.
    assert [
        (row.ministry, row.per_kind, row.unspecified, row.total) for row in figures.by_ministry
    ] == [
        ("Collectivité territoriale", (1, 1, 2), 0, 3),
        ("Économie et finances", (2, 1, 0), 0, 2),
        ("Travail, santé et solidarités", (0, 0, 0), 1, 1),
    ]
    assert figures.per_kind_total == (3, 2, 2)
    assert figures.unspecified_total == 1
    assert figures.by_month == ((date(2026, 1, 1), 2), (date(2026, 2, 1), 2), (date(2026, 3, 1), 2))


def test_first_answer_delays_and_deadlines(requests_q1):
    figures = delay_figures(Q1, now=NOW)

    assert figures.answered == 4
    # Sorted: 0.25, 1.0, 2.5, 4.0 → median (1.0 + 2.5) / 2.
    assert figures.first_answer_median == pytest.approx(1.75)
    # Inclusive method: position 0.9 × (4 − 1) = 2.7 → 2.5 + 0.7 × (4.0 − 2.5).
    assert figures.first_answer_p90 == pytest.approx(3.55)
    assert (figures.on_time, figures.answered_late) == (3, 1)
    assert (figures.unanswered_late, figures.not_yet_due) == (1, 1)
    # 3 on time out of 5 whose deadline has come.
    assert figures.on_time_share == pytest.approx(60.0)


def test_time_to_closure_counts_requests_closed_in_the_period(requests_q1):
    figures = delay_figures(Q1, now=NOW)

    # 10, 2, 18 and 2 days (the one received on 31 December is closed in the period; the
    # redirected one and the one closed in April are not counted) → median (2 + 10) / 2.
    assert figures.closed == 4
    assert figures.closure_median == pytest.approx(6.0)


def test_percentiles_of_small_samples():
    assert percentile_90([]) is None
    assert percentile_90([3.0]) == 3.0
    assert percentile_90([float(value) for value in range(1, 11)]) == pytest.approx(9.1)


def test_an_empty_period_has_no_figures():
    figures = delay_figures(Q1, now=NOW)
    assert figures.first_answer_median is None
    assert figures.on_time_share is None
    assert request_figures(Q1).total == 0


# --- missions and satisfaction -----------------------------------------------------------------


@pytest.fixture
def expert():
    return ExpertUserFactory()


def _mission(expert, state, *, opened, closed=None, satisfaction=None, organisation=None):
    request = QualifiedRequestFactory(
        created_at=at(2025, 6, 1), organisation=organisation, qualified__by=expert
    )
    mission = MissionFactory(request=request, lead_expert=expert)
    Mission.objects.filter(pk=mission.pk).update(
        state=state, opened_at=opened, closed_at=closed, satisfaction=satisfaction
    )
    return mission


@pytest.fixture
def missions(expert):
    closed, cancelled = MissionState.CLOSED, MissionState.CANCELLED
    _mission(expert, closed, opened=at(2025, 12, 1), closed=at(2026, 1, 20), satisfaction=5)
    _mission(expert, closed, opened=at(2026, 1, 10), closed=at(2026, 2, 15), satisfaction=4)
    _mission(expert, closed, opened=at(2026, 1, 15), closed=at(2026, 3, 1), satisfaction=2)
    _mission(expert, closed, opened=at(2026, 2, 1), closed=at(2026, 3, 20))
    # Closed before the period: neither closed in it nor in its satisfaction.
    _mission(expert, closed, opened=at(2025, 10, 1), closed=at(2025, 12, 15), satisfaction=1)
    _mission(expert, cancelled, opened=at(2025, 11, 1), closed=at(2026, 2, 10))
    _mission(expert, MissionState.IN_PROGRESS, opened=at(2026, 3, 5))
    _mission(expert, MissionState.PROPOSED, opened=at(2026, 3, 25))
    _mission(expert, MissionState.SUSPENDED, opened=at(2025, 10, 1))


def test_missions_in_progress_and_ended_in_the_period(missions):
    figures = mission_figures(Q1)

    assert figures.in_progress_by_state == (
        ("Proposées", 1),
        ("Convenues", 0),
        ("En cours", 1),
        ("Suspendues", 1),
    )
    assert figures.in_progress == 3
    assert (figures.opened, figures.closed, figures.cancelled) == (5, 4, 1)


def test_satisfaction_of_missions_closed_in_the_period(missions):
    figures = satisfaction_figures(Q1)

    assert (figures.closed_missions, figures.answers) == (4, 3)
    assert figures.mean == pytest.approx(11 / 3)  # (5 + 4 + 2) / 3
    assert figures.distribution == ((1, 0), (2, 1), (3, 0), (4, 1), (5, 1))
    assert figures.response_rate == pytest.approx(75.0)


# --- irritants ---------------------------------------------------------------------------------


def _irritant(expert, title, *, opened, people, procedures=0):
    irritant = irritant_open(
        actor=expert,
        title=title,
        kind=IrritantKind.MISSING_API,
        description="Blocage.",
        blocked_party="Ville de Lyon",
        blocking_party="MSA",
        procedures_affected=procedures,
        people_affected_per_year=people,
    )
    Irritant.objects.filter(pk=irritant.pk).update(opened_at=opened)
    irritant.refresh_from_db()
    return irritant


@pytest.fixture
def irritants(expert):
    _irritant(expert, "ancien", opened=at(2025, 10, 1), people=5000)
    escalated = _irritant(expert, "escaladé", opened=at(2026, 2, 1), people=20_000)
    irritant_escalate(irritant=escalated, actor=expert, escalated_to="Cabinet")
    resolved = _irritant(expert, "résolu en mars", opened=at(2026, 1, 5), people=1)
    resolved_before = _irritant(expert, "résolu avant", opened=at(2025, 9, 1), people=1)
    Irritant.objects.filter(pk=resolved.pk).update(
        state=IrritantState.RESOLVED, resolved_at=at(2026, 3, 10)
    )
    Irritant.objects.filter(pk=resolved_before.pk).update(
        state=IrritantState.RESOLVED, resolved_at=at(2025, 12, 20)
    )
    abandoned = _irritant(expert, "abandonné", opened=at(2025, 9, 15), people=1)
    Irritant.objects.filter(pk=abandoned.pk).update(state=IrritantState.ABANDONED)
    IrritantEvent.objects.create(
        irritant=abandoned,
        action="abandon",
        from_state="open",
        to_state="abandoned",
        actor=expert,
        comment="Arrêté.",
        occurred_at=at(2026, 2, 1),
    )
    _irritant(expert, "récent", opened=at(2026, 3, 1), people=5000, procedures=2)


def test_irritant_figures(irritants):
    figures = irritant_figures(Q1, now=NOW)

    assert (figures.open, figures.escalated) == (2, 1)
    # Opened in the quarter: "escaladé", "résolu en mars", "récent".
    assert figures.opened == 3
    assert (figures.resolved, figures.abandoned) == (1, 1)
    # By impact: 20 000 people; then 5 000 people with 2 procedures before 5 000 with none.
    assert [row.title for row in figures.active] == ["escaladé", "récent", "ancien"]
    assert figures.active[0].escalated_to == "Cabinet"
    assert figures.oldest is not None
    assert figures.oldest.title == "ancien"
    # From 1 October 2025 to 15 April 2026.
    assert figures.oldest.age_days == 196


# --- documents avoided and exchanges -----------------------------------------------------------


def _diagnostic(procedure, by, run_at, avoided):
    return Diagnostic.objects.create(
        procedure=procedure,
        run_at=run_at,
        run_by=by,
        yearly_volume=procedure.yearly_volume,
        items_count=4,
        replaceable_count=1,
        prefilled_count=1,
        to_check_count=0,
        level="partial",
        documents_avoidable_per_year=procedure.yearly_volume,
        documents_avoided_per_year=avoided,
    )


@pytest.fixture
def helped(expert):
    """Lyon and the DINUM had a mission; Paris only asked (no mission)."""
    lyon = organisation_get_or_create(siret=LYON, name="Ville de Lyon")
    dinum = organisation_get_or_create(siret=DINUM, name="DINUM")
    paris = organisation_get_or_create(siret=PARIS, name="Ville de Paris")
    _mission(expert, MissionState.CLOSED, opened=at(2025, 6, 2), organisation=lyon)
    _mission(expert, MissionState.CANCELLED, opened=at(2025, 6, 2), organisation=dinum)
    QualifiedRequestFactory(created_at=at(2025, 6, 1), organisation=paris, qualified__by=expert)

    def procedure(organisation, name):
        return Procedure.objects.create(
            organisation=organisation, name=name, yearly_volume=1000, created_by=expert
        )

    cantine = procedure(lyon, "Cantine")
    _diagnostic(cantine, expert, at(2025, 6, 1), avoided=100)
    _diagnostic(cantine, expert, at(2026, 1, 10), avoided=300)  # the latest counts
    _diagnostic(procedure(lyon, "Périscolaire"), expert, at(2025, 11, 5), avoided=1200)
    procedure(lyon, "Sans diagnostic")
    _diagnostic(procedure(dinum, "Démarche de la DINUM"), expert, at(2026, 2, 1), avoided=50)
    _diagnostic(procedure(paris, "Démarche de Paris"), expert, at(2026, 2, 1), avoided=9999)

    provider = Provider.objects.create(slug="cnaf-msa", name="CNAF")
    connector = Connector.objects.create(slug="cnaf", name="CNAF", kind="rest")
    dataset = Dataset.objects.create(
        slug="quotient-familial",
        title="Quotient familial",
        provider=provider,
        connector=connector,
        subject_kind="person",
    )

    def habilitation(organisation):
        return Habilitation.objects.create(
            organisation=organisation, dataset=dataset, expires_at=at(2027, 1, 1)
        )

    lyon_first, lyon_second = habilitation(lyon), habilitation(lyon)
    habilitation(dinum)
    paris_one = habilitation(paris)

    def calls(siret, habilitation_id, *moments, status=200):
        return [
            ExchangeRecordFactory.build(
                consumer_siret=siret,
                habilitation_id=habilitation_id,
                occurred_at=moment,
                status=status,
            )
            for moment in moments
        ]

    journal_entries_append(
        records=[
            *calls(LYON, lyon_first.pk, at(2026, 1, 3), at(2026, 3, 31, 23, 59)),
            *calls(LYON, lyon_first.pk, at(2026, 2, 3), status=500),
            *calls(LYON, lyon_first.pk, at(2025, 12, 31, 23, 59)),  # before the period
            *calls(LYON, lyon_second.pk, at(2026, 2, 4), at(2026, 2, 5)),
            *calls(LYON, None, at(2026, 2, 6), status=401),  # refused: no habilitation
            *calls(PARIS, paris_one.pk, *(at(2026, 1, day) for day in range(1, 6))),
        ]
    )


def test_documents_avoided_by_procedures_of_organisations_helped(helped):
    figures = avoided_figures(Q1)

    assert figures.organisations == 2
    assert [
        (row.organisation, row.procedure, row.documents_avoided_per_year, row.diagnosed_on)
        for row in figures.procedures
    ] == [
        ("DINUM", "Démarche de la DINUM", 50, date(2026, 2, 1)),
        ("Ville de Lyon", "Cantine", 300, date(2026, 1, 10)),
        ("Ville de Lyon", "Périscolaire", 1200, date(2025, 11, 5)),
        ("Ville de Lyon", "Sans diagnostic", None, None),
    ]
    assert figures.documents_avoided_per_year == 1550


def test_exchanges_of_those_organisations_in_the_period(helped):
    figures = avoided_figures(Q1)

    assert [
        (row.organisation, row.siret, row.habilitations, row.exchanges, row.successful)
        for row in figures.exchanges
    ] == [("DINUM", DINUM, 1, 0, 0), ("Ville de Lyon", LYON, 2, 5, 4)]
    assert (figures.total_exchanges, figures.total_successful) == (5, 4)


# --- the period and the tables -----------------------------------------------------------------


def test_default_period_is_the_last_twelve_months():
    assert Period.last_twelve_months(date(2026, 4, 15)) == Period(
        date(2025, 4, 16), date(2026, 4, 15)
    )
    assert Period.last_twelve_months(date(2028, 2, 29)) == Period(
        date(2027, 3, 1), date(2028, 2, 29)
    )
    assert Q1.label == "du 1er janvier 2026 au 31 mars 2026"
    assert Q1.slug == "2026-01-01-au-2026-03-31"
    assert Q1.months() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_another_period_gives_other_figures(requests_q1):
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    figures = request_figures(february)

    assert figures.total == 2
    assert figures.by_month == ((date(2026, 2, 1), 2),)
    delays = delay_figures(february, now=NOW)
    # 0.25 and 4.0 days; closed in February: the one closed on 4 February only.
    assert delays.first_answer_median == pytest.approx(2.125)
    assert (delays.closed, delays.closure_median) == (1, pytest.approx(2.0))


def test_tables_hold_the_figures(requests_q1, missions, irritants):
    tables = report_tables(guichet_report(Q1, now=NOW))

    assert list(tables) == [
        "demandes-par-mois",
        "demandes-par-ministere",
        "delais",
        "missions",
        "satisfaction",
        "irritants",
        "irritants-en-cours",
        "pieces-evitees",
        "echanges",
    ]
    ministries = tables["demandes-par-ministere"]
    assert ministries.headers == (
        "Rattachement",
        "Cadrage du projet",
        "Partage d'expérience",
        "Point de blocage",
        "Type non précisé",
        "Total des demandes",
    )
    assert ministries.rows[-1] == ("Ensemble", 3, 2, 2, 1, 6)
    assert "comptée une fois dans chacune" in ministries.note
    delays = dict(tables["delais"].rows)
    assert delays["Délai médian de première réponse (jours calendaires)"] == 1.8
    assert delays["Délai de première réponse du 90e centile (jours calendaires)"] == 3.6
    assert delays["Part des réponses dans le délai (%)"] == 60.0
    assert delays["Délai médian de clôture (jours calendaires)"] == 6.0
    assert dict(tables["satisfaction"].rows)["5 sur 5"] == 1
    assert dict(tables["irritants"].rows)["Escaladés à ce jour"] == 1
    assert tables["irritants-en-cours"].rows[0][:4] == (
        "escaladé",
        "API manquante",
        "Escaladé",
        "Cabinet",
    )
