"""A dataset's live status for its catalogue page: recent exchanges from the journal, counted by
outcome with the definition the dashboards use (``dlnuf.journal.outcomes``), and the state of
the circuit breaker in front of its provider."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from dlnuf.catalogue.selectors import dataset_with_rules
from dlnuf.exchange.breakers import breaker_state
from dlnuf.exchange.connectors.base import resolve_target
from dlnuf.journal.models import EPOCH, JournalEntry
from dlnuf.journal.outcomes import (
    OUTCOME_KINDS,
    OutcomeCounts,
    OutcomeKind,
    outcome_aggregates,
    outcome_counts_from,
)

# The counts scan the journal; a minute-old figure is fresh enough for a public page.
_CACHE_SECONDS = 60

BREAKER_LABELS = {
    "closed": "normale",
    "open": "interrompue : le fournisseur ne répond plus, les appels sont suspendus",
    "half_open": "en cours de rétablissement : un appel d'essai est autorisé",
}


@dataclass(frozen=True)
class WindowCounts:
    label: str
    outcomes: OutcomeCounts


@dataclass(frozen=True)
class BreakerStatus:
    target: str
    state: str

    @property
    def label(self) -> str:
        return BREAKER_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class LiveStatus:
    windows: tuple[WindowCounts, ...]
    breakers: tuple[BreakerStatus, ...]

    @property
    def outcome_kinds(self) -> tuple[OutcomeKind, ...]:
        return OUTCOME_KINDS


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _window_counts(slug: str, now: datetime) -> tuple[WindowCounts, ...]:
    # The version changes with the shape of what is cached, which a shared cache keeps across
    # deployments.
    key = f"dlnuf:catalogue-status:v2:{slug}"
    cached = cache.get(key)
    if cached is not None:
        return tuple(cached)
    last_day = Q(occurred_at_us__gte=_microseconds(now - timedelta(days=1)))
    totals = JournalEntry.objects.filter(
        dataset_slug=slug, occurred_at_us__gte=_microseconds(now - timedelta(days=7))
    ).aggregate(**outcome_aggregates("day_", last_day), **outcome_aggregates("week_"))
    windows = (
        WindowCounts("24 dernières heures", outcome_counts_from(totals, "day_")),
        WindowCounts("7 derniers jours", outcome_counts_from(totals, "week_")),
    )
    cache.set(key, list(windows), _CACHE_SECONDS)
    return windows


def _breakers(slug: str) -> tuple[BreakerStatus, ...]:
    rules = dataset_with_rules(slug)
    if rules is None:
        return ()
    production = resolve_target(rules.connector, sandbox_credential=False)
    statuses = [
        BreakerStatus(
            "Liaison avec le bac à sable intégré (aucune adresse de production configurée)"
            if production.is_sandbox
            else "Liaison avec l'API du fournisseur",
            breaker_state(production.breaker_name),
        )
    ]
    if not production.is_sandbox and rules.connector.sandbox_path:
        sandbox = resolve_target(rules.connector, sandbox_credential=True)
        statuses.append(
            BreakerStatus(
                "Liaison avec le bac à sable intégré", breaker_state(sandbox.breaker_name)
            )
        )
    return tuple(statuses)


def dataset_live_status(slug: str, *, now: datetime | None = None) -> LiveStatus:
    return LiveStatus(
        windows=_window_counts(slug, now or timezone.now()),
        breakers=_breakers(slug),
    )
