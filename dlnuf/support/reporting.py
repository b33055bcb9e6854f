"""The guichet's figures over a period, for its steering committee.

Every figure is read here and returned as plain dataclasses; ``report_tables`` lays them out as
the tables the page shows and exports, so that a table on the page and its CSV file always hold
the same numbers.

Definitions (the page repeats them under each table):

- a request counts in the period when it was received in it; a request asking for several
  kinds of help counts once under each kind, and once in the total;
- delays are in calendar days, weekends included, measured to the minute and shown to the
  tenth of a day; the median and the 90th percentile come from the ``statistics`` module (the
  percentile with the "inclusive" method: linear interpolation between observed values);
- a request is answered within its deadline when its first answer came before
  ``first_answer_due``; a request still unanswered after its deadline counts as late, one not
  yet due is left out;
- the time to closure is measured on the requests closed in the period (redirected requests
  are not closed requests);
- missions in progress are counted as they are today; closed and cancelled ones when they
  ended in the period; satisfaction is read on the missions closed in the period;
- documents avoided: the procedures of every organisation whose request to the guichet became
  a mission, each with the "documents avoided per year" of its latest diagnostic, and the
  exchanges those organisations' habilitations made through the gateway in the period.
"""

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.formats import date_format

from dlnuf.french import date_fr
from dlnuf.habilitations.models import Habilitation
from dlnuf.journal.models import EPOCH, MICROSECOND, JournalEntry
from dlnuf.journal.outcomes import OUTCOME_FILTERS, Outcome
from dlnuf.organisations.models import Organisation
from dlnuf.procedures.models import Procedure
from dlnuf.procedures.selectors import latest_diagnostics
from dlnuf.support.irritants import ACTIVE_STATES, IMPACT_ORDER, age_in_days
from dlnuf.support.models import (
    HelpKind,
    Irritant,
    IrritantState,
    Ministry,
    Mission,
    MissionState,
    RequestState,
    SupportRequest,
)

SECONDS_PER_DAY = 86_400
# Missions not ended yet, in workflow order, with the plural the tables use.
MISSION_IN_PROGRESS = {
    MissionState.PROPOSED: "Proposées",
    MissionState.AGREED: "Convenues",
    MissionState.IN_PROGRESS: "En cours",
    MissionState.SUSPENDED: "Suspendues",
}


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, in local time."""

    start: date
    end: date

    @classmethod
    def last_twelve_months(cls, today: date) -> "Period":
        try:
            year_before = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            year_before = today.replace(year=today.year - 1, day=28)
        return cls(start=year_before + timedelta(days=1), end=today)

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def label(self) -> str:
        return f"du {date_fr(self.start)} au {date_fr(self.end)}"

    @property
    def slug(self) -> str:
        return f"{self.start:%Y-%m-%d}-au-{self.end:%Y-%m-%d}"

    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.starts_at, f"{field}__lt": self.ends_before})


def month_label(month: date) -> str:
    with translation.override("fr"):
        return date_format(month, "F Y")


# --- statistics helpers ------------------------------------------------------------------------


def days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_DAY


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The 90th percentile, "inclusive" method (a single value is its own percentile)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def plural(count: int, one: str, many: str) -> str:
    """``count`` followed by the word, singular for 0 and 1 as French does."""
    return f"{count} {one if count < 2 else many}"


def share(part: int, whole: int) -> float | None:
    """``part`` out of ``whole``, in percent."""
    return 100 * part / whole if whole else None


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinistryRow:
    ministry: str  # label
    per_kind: tuple[int, ...]  # in HelpKind order
    unspecified: int
    total: int


@dataclass(frozen=True)
class RequestFigures:
    total: int
    by_ministry: tuple[MinistryRow, ...]  # most requests first
    per_kind_total: tuple[int, ...]
    unspecified_total: int
    by_month: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class DelayFigures:
    answered: int
    first_answer_median: float | None
    first_answer_p90: float | None
    on_time: int
    answered_late: int
    unanswered_late: int
    not_yet_due: int
    closed: int
    closure_median: float | None

    @property
    def judged(self) -> int:
        """Requests whose deadline has been met or missed (the ones not yet due are left out)."""
        return self.on_time + self.answered_late + self.unanswered_late

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.judged)


@dataclass(frozen=True)
class MissionFigures:
    in_progress_by_state: tuple[tuple[str, int], ...]  # (state label, count), workflow order
    opened: int
    closed: int
    cancelled: int

    @property
    def in_progress(self) -> int:
        return sum(count for _, count in self.in_progress_by_state)


@dataclass(frozen=True)
class SatisfactionFigures:
    closed_missions: int
    answers: int
    mean: float | None
    distribution: tuple[tuple[int, int], ...]  # (score 1 to 5, answers)

    @property
    def response_rate(self) -> float | None:
        return share(self.answers, self.closed_missions)


@dataclass(frozen=True)
class ActiveIrritant:
    pk: int
    title: str
    kind: str
    state: str
    blocked_party: str
    blocking: str
    people_affected_per_year: int
    procedures_affected: int
    opened_at: datetime
    age_days: int
    escalated_to: str


@dataclass(frozen=True)
class IrritantFigures:
    open: int
    escalated: int
    opened: int
    resolved: int
    abandoned: int
    active: tuple[ActiveIrritant, ...]  # by impact
    oldest: ActiveIrritant | None


@dataclass(frozen=True)
class ProcedureAvoided:
    organisation: str
    procedure: str
    documents_avoided_per_year: int | None  # None: never diagnosed
    diagnosed_on: date | None


@dataclass(frozen=True)
class OrganisationExchanges:
    organisation: str
    siret: str
    habilitations: int
    exchanges: int
    successful: int


@dataclass(frozen=True)
class AvoidedFigures:
    organisations: int
    procedures: tuple[ProcedureAvoided, ...]
    exchanges: tuple[OrganisationExchanges, ...]

    @property
    def documents_avoided_per_year(self) -> int:
        return sum(row.documents_avoided_per_year or 0 for row in self.procedures)

    @property
    def total_exchanges(self) -> int:
        return sum(row.exchanges for row in self.exchanges)

    @property
    def total_successful(self) -> int:
        return sum(row.successful for row in self.exchanges)


@dataclass(frozen=True)
class GuichetReport:
    period: Period
    requests: RequestFigures
    delays: DelayFigures
    missions: MissionFigures
    satisfaction: SatisfactionFigures
    irritants: IrritantFigures
    avoided: AvoidedFigures


def guichet_report(period: Period, *, now: datetime | None = None) -> GuichetReport:
    now = now or timezone.now()
    return GuichetReport(
        period=period,
        requests=request_figures(period),
        delays=delay_figures(period, now=now),
        missions=mission_figures(period),
        satisfaction=satisfaction_figures(period),
        irritants=irritant_figures(period, now=now),
        avoided=avoided_figures(period),
    )


def request_figures(period: Period) -> RequestFigures:
    kinds = list(HelpKind.values)
    per_ministry: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    by_month: Counter[date] = Counter()
    rows = SupportRequest.objects.filter(period.within("created_at")).values_list(
        "ministry", "help_kinds", "created_at"
    )
    for ministry, help_kinds, created_at in rows:
        counts = per_ministry.setdefault(ministry, Counter())
        asked = {kind for kind in help_kinds or () if kind in kinds}
        for kind in asked:
            counts[kind] += 1
        if not asked:
            counts[""] += 1
        counts["total"] += 1
        by_month[timezone.localdate(created_at).replace(day=1)] += 1
    for counts in per_ministry.values():
        totals.update(counts)
    labels = dict(Ministry.choices)
    ministry_rows = sorted(
        (
            MinistryRow(
                ministry=labels.get(ministry, ministry),
                per_kind=tuple(counts[kind] for kind in kinds),
                unspecified=counts[""],
                total=counts["total"],
            )
            for ministry, counts in per_ministry.items()
        ),
        key=lambda row: (-row.total, row.ministry),
    )
    return RequestFigures(
        total=totals["total"],
        by_ministry=tuple(ministry_rows),
        per_kind_total=tuple(totals[kind] for kind in kinds),
        unspecified_total=totals[""],
        by_month=tuple((month, by_month[month]) for month in period.months()),
    )


def delay_figures(period: Period, *, now: datetime) -> DelayFigures:
    first_answers: list[float] = []
    on_time = answered_late = unanswered_late = not_yet_due = 0
    received = SupportRequest.objects.filter(period.within("created_at")).values_list(
        "created_at", "first_answered_at", "first_answer_due"
    )
    for created_at, answered_at, due in received:
        if answered_at is not None:
            first_answers.append(days_between(created_at, answered_at))
            if answered_at <= due:
                on_time += 1
            else:
                answered_late += 1
        elif due < now:
            unanswered_late += 1
        else:
            not_yet_due += 1
    closures = [
        days_between(created_at, closed_at)
        for created_at, closed_at in SupportRequest.objects.filter(
            period.within("closed_at"), state=RequestState.CLOSED
        ).values_list("created_at", "closed_at")
        if closed_at is not None
    ]
    return DelayFigures(
        answered=len(first_answers),
        first_answer_median=median(first_answers),
        first_answer_p90=percentile_90(first_answers),
        on_time=on_time,
        answered_late=answered_late,
        unanswered_late=unanswered_late,
        not_yet_due=not_yet_due,
        closed=len(closures),
        closure_median=median(closures),
    )


def mission_figures(period: Period) -> MissionFigures:
    counts = dict(
        Mission.objects.filter(state__in=list(MISSION_IN_PROGRESS))
        .values("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
        .order_by()
    )
    ended = Mission.objects.filter(period.within("closed_at"))
    return MissionFigures(
        in_progress_by_state=tuple(
            (label, counts.get(state.value, 0)) for state, label in MISSION_IN_PROGRESS.items()
        ),
        opened=Mission.objects.filter(period.within("opened_at")).count(),
        closed=ended.filter(state=MissionState.CLOSED).count(),
        cancelled=ended.filter(state=MissionState.CANCELLED).count(),
    )


def satisfaction_figures(period: Period) -> SatisfactionFigures:
    scores = list(
        Mission.objects.filter(period.within("closed_at"), state=MissionState.CLOSED).values_list(
            "satisfaction", flat=True
        )
    )
    answers = [score for score in scores if score is not None]
    counted = Counter(answers)
    return SatisfactionFigures(
        closed_missions=len(scores),
        answers=len(answers),
        mean=statistics.fmean(answers) if answers else None,
        distribution=tuple((score, counted[score]) for score in range(1, 6)),
    )


def _active_row(irritant: Irritant, now: datetime) -> ActiveIrritant:
    blocking = [str(irritant.blocking_provider)] if irritant.blocking_provider else []
    if irritant.blocking_party:
        blocking.append(irritant.blocking_party)
    return ActiveIrritant(
        pk=irritant.pk,
        title=irritant.title,
        kind=irritant.get_kind_display(),
        state=irritant.get_state_display(),
        blocked_party=irritant.blocked_party,
        blocking=" ; ".join(blocking),
        people_affected_per_year=irritant.people_affected_per_year,
        procedures_affected=irritant.procedures_affected,
        opened_at=irritant.opened_at,
        age_days=age_in_days(irritant, now),
        escalated_to=irritant.escalated_to if irritant.state == IrritantState.ESCALATED else "",
    )


def irritant_figures(period: Period, *, now: datetime) -> IrritantFigures:
    active = [
        _active_row(irritant, now)
        for irritant in Irritant.objects.filter(state__in=ACTIVE_STATES)
        .select_related("blocking_provider")
        .order_by(*IMPACT_ORDER)
    ]
    abandoned = (
        Irritant.objects.filter(
            state=IrritantState.ABANDONED,
            events__action="abandon",
            events__occurred_at__gte=period.starts_at,
            events__occurred_at__lt=period.ends_before,
        )
        .distinct()
        .count()
    )
    return IrritantFigures(
        open=sum(1 for row in active if row.state == IrritantState.OPEN.label),
        escalated=sum(1 for row in active if row.state == IrritantState.ESCALATED.label),
        opened=Irritant.objects.filter(period.within("opened_at")).count(),
        resolved=Irritant.objects.filter(
            period.within("resolved_at"), state=IrritantState.RESOLVED
        ).count(),
        abandoned=abandoned,
        active=tuple(active),
        oldest=min(active, key=lambda row: (row.opened_at, row.pk), default=None),
    )


def _to_journal_time(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def avoided_figures(period: Period) -> AvoidedFigures:
    """Documents avoided per year by the procedures of the organisations the guichet took on
    in a mission, and the exchanges of those organisations' habilitations in the period.

    The journal holds no personal data here: an entry names the habilitation it was made
    under, and the habilitation names its organisation.
    """
    organisations = list(
        Organisation.objects.filter(support_requests__mission__isnull=False)
        .distinct()
        .order_by("name", "siret")
    )
    procedures = list(
        Procedure.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .order_by("organisation__name", "name", "pk")
    )
    latest = latest_diagnostics(procedures)
    procedure_rows = []
    for procedure in procedures:
        diagnostic = latest.get(procedure.pk)
        procedure_rows.append(
            ProcedureAvoided(
                organisation=procedure.organisation.name or procedure.organisation.siret,
                procedure=procedure.name,
                documents_avoided_per_year=diagnostic.documents_avoided_per_year
                if diagnostic
                else None,
                diagnosed_on=timezone.localdate(diagnostic.run_at) if diagnostic else None,
            )
        )
    habilitation_owner = dict(
        Habilitation.objects.filter(organisation__in=organisations).values_list(
            "pk", "organisation_id"
        )
    )
    calls: Counter[int] = Counter()
    successes: Counter[int] = Counter()
    usage = (
        JournalEntry.objects.filter(
            consumer_siret__in=[organisation.siret for organisation in organisations],
            habilitation_id__in=list(habilitation_owner),
            occurred_at_us__gte=_to_journal_time(period.starts_at),
            occurred_at_us__lt=_to_journal_time(period.ends_before),
        )
        .values("habilitation_id")
        .annotate(
            calls=Count("index"),
            successful=Count("index", filter=OUTCOME_FILTERS[Outcome.SUCCEEDED]),
        )
        .order_by()
    )
    for row in usage:
        owner = habilitation_owner[row["habilitation_id"]]
        calls[owner] += row["calls"]
        successes[owner] += row["successful"]
    habilitations = Counter(habilitation_owner.values())
    exchange_rows = tuple(
        OrganisationExchanges(
            organisation=organisation.name or organisation.siret,
            siret=organisation.siret,
            habilitations=habilitations[organisation.pk],
            exchanges=calls[organisation.pk],
            successful=successes[organisation.pk],
        )
        for organisation in organisations
    )
    return AvoidedFigures(
        organisations=len(organisations),
        procedures=tuple(procedure_rows),
        exchanges=exchange_rows,
    )


# --- tables, for the page and the CSV files ----------------------------------------------------

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    slug: str  # the CSV file's name
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


def _row(*cells: Cell) -> tuple[Cell, ...]:
    return cells


def tenth(value: float | None) -> float | None:
    """Rounded to one decimal, halves up, as people round by hand (3.55 gives 3.6)."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


TABLE_SLUGS = (
    "demandes-par-mois",
    "demandes-par-ministere",
    "delais",
    "missions",
    "satisfaction",
    "irritants",
    "irritants-en-cours",
    "pieces-evitees",
    "echanges",
)


def report_tables(report: GuichetReport) -> dict[str, Table]:
    """Every table of the report, by slug (in ``TABLE_SLUGS`` order)."""
    requests = report.requests
    delays = report.delays
    missions = report.missions
    satisfaction = report.satisfaction
    irritants = report.irritants
    avoided = report.avoided
    kinds = tuple(HelpKind.labels)
    tables = (
        Table(
            "demandes-par-mois",
            "Demandes reçues par mois",
            ("Mois", "Demandes reçues"),
            tuple((month_label(month), count) for month, count in requests.by_month),
        ),
        Table(
            "demandes-par-ministere",
            "Demandes par rattachement (ministère ou type d'organisme) et type d'aide",
            ("Rattachement", *kinds, "Type non précisé", "Total des demandes"),
            (
                *(
                    _row(row.ministry, *row.per_kind, row.unspecified, row.total)
                    for row in requests.by_ministry
                ),
                _row(
                    "Ensemble",
                    *requests.per_kind_total,
                    requests.unspecified_total,
                    requests.total,
                ),
            ),
            "Une demande qui sollicite plusieurs types d'aide est comptée une fois dans chacune "
            "des colonnes correspondantes ; la colonne « Total des demandes » compte chaque "
            "demande une seule fois.",
        ),
        Table(
            "delais",
            "Délais de réponse et de clôture",
            ("Indicateur", "Valeur"),
            (
                ("Demandes ayant reçu une première réponse", delays.answered),
                (
                    "Délai médian de première réponse (jours calendaires)",
                    tenth(delays.first_answer_median),
                ),
                (
                    "Délai de première réponse du 90e centile (jours calendaires)",
                    tenth(delays.first_answer_p90),
                ),
                ("Réponses dans le délai", delays.on_time),
                ("Réponses hors délai", delays.answered_late),
                ("Sans réponse, délai dépassé", delays.unanswered_late),
                ("Sans réponse, délai non encore atteint", delays.not_yet_due),
                ("Part des réponses dans le délai (%)", tenth(delays.on_time_share)),
                ("Demandes closes dans la période", delays.closed),
                ("Délai médian de clôture (jours calendaires)", tenth(delays.closure_median)),
            ),
            "Délais en jours calendaires (week-ends compris), de la réception à la première "
            "réponse, puis à la clôture. Première réponse : demandes reçues dans la période. "
            "Le 90e centile est calculé par interpolation linéaire entre les valeurs observées. "
            "La part dans le délai laisse de côté les demandes dont l'échéance n'est pas "
            "encore atteinte. Clôture : demandes closes dans la période, hors réorientations.",
        ),
        Table(
            "missions",
            "Missions",
            ("Missions", "Nombre"),
            (
                *(
                    (f"{label} (à ce jour)", count)
                    for label, count in missions.in_progress_by_state
                ),
                ("Ouvertes dans la période", missions.opened),
                ("Closes dans la période", missions.closed),
                ("Abandonnées dans la période", missions.cancelled),
            ),
        ),
        Table(
            "satisfaction",
            "Satisfaction des demandeurs (missions closes dans la période)",
            ("Note", "Réponses"),
            tuple((f"{score} sur 5", count) for score, count in satisfaction.distribution),
            f"{plural(satisfaction.answers, 'réponse', 'réponses')} pour "
            f"{plural(satisfaction.closed_missions, 'mission close', 'missions closes')} dans la "
            "période.",
        ),
        Table(
            "irritants",
            "Irritants",
            ("Irritants", "Nombre"),
            (
                ("Ouverts à ce jour", irritants.open),
                ("Escaladés à ce jour", irritants.escalated),
                ("Signalés dans la période", irritants.opened),
                ("Résolus dans la période", irritants.resolved),
                ("Abandonnés dans la période", irritants.abandoned),
            ),
        ),
        Table(
            "irritants-en-cours",
            "Irritants en cours, par impact",
            (
                "Irritant",
                "Nature",
                "État",
                "Escaladé auprès de",
                "Administration bloquée",
                "Partie en cause",
                "Usagers touchés par an",
                "Démarches touchées",
                "Âge (jours)",
            ),
            tuple(
                (
                    row.title,
                    row.kind,
                    row.state,
                    row.escalated_to,
                    row.blocked_party,
                    row.blocking,
                    row.people_affected_per_year,
                    row.procedures_affected,
                    row.age_days,
                )
                for row in irritants.active
            ),
            "Classés par usagers touchés par an, puis par démarches touchées, puis par ancienneté.",
        ),
        Table(
            "pieces-evitees",
            "Pièces évitées par an, démarches des organisations accompagnées",
            ("Organisation", "Démarche", "Pièces évitées par an", "Dernier diagnostic"),
            (
                *(
                    (
                        row.organisation,
                        row.procedure,
                        row.documents_avoided_per_year,
                        row.diagnosed_on.strftime("%d/%m/%Y") if row.diagnosed_on else None,
                    )
                    for row in avoided.procedures
                ),
                ("Ensemble", "", avoided.documents_avoided_per_year, None),
            ),
            "Démarches des organisations dont une demande au guichet est devenue une mission ; "
            "pièces déjà évitées par an selon le dernier diagnostic de chaque démarche (les "
            "démarches sans diagnostic comptent pour zéro).",
        ),
        Table(
            "echanges",
            "Échanges réalisés dans la période par les organisations accompagnées",
            ("Organisation", "SIRET", "Habilitations", "Échanges", "Dont réussis"),
            (
                *(
                    (
                        row.organisation,
                        row.siret,
                        row.habilitations,
                        row.exchanges,
                        row.successful,
                    )
                    for row in avoided.exchanges
                ),
                (
                    "Ensemble",
                    "",
                    sum(row.habilitations for row in avoided.exchanges),
                    avoided.total_exchanges,
                    avoided.total_successful,
                ),
            ),
            "Appels passés par la passerelle sous les habilitations de ces organisations, "
            "d'après le journal des accès ; réussis : réponse sans erreur (statut HTTP "
            "inférieur à 400).",
        ),
    )
    return {table.slug: table for table in tables}
