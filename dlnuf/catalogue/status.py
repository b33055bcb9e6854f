"""A dataset's live status for its catalogue page: recent exchanges from the journal and the
state of the circuit breaker in front of its provider."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from dlnuf.catalogue.selectors import dataset_with_rules
from dlnuf.exchange.breakers import breaker_state
from dlnuf.exchange.connectors.base import resolve_target
from dlnuf.journal.models import EPOCH, JournalEntry

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
    exchanges: int
    succeeded: int
    refused: int  # 4xx: bad request, no right, subject not found…
    failed: int  # 5xx: provider or gateway failure

    @property
    def failure_rate_percent(self) -> float | None:
        if not self.exchanges:
            return None
        return round(100 * self.failed / self.exchanges, 1)


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


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _window_counts(slug: str, now: datetime) -> tuple[WindowCounts, ...]:
    key = f"dlnuf:catalogue-status:{slug}"
    cached = cache.get(key)
    if cached is not None:
        return tuple(cached)
    day = Q(occurred_at_us__gte=_microseconds(now - timedelta(days=1)))
    refused = Q(status__gte=400, status__lt=500)
    failed = Q(status__gte=500)
    succeeded = Q(code="ok")
    totals = JournalEntry.objects.filter(
        dataset_slug=slug, occurred_at_us__gte=_microseconds(now - timedelta(days=7))
    ).aggregate(
        week=Count("index"),
        week_ok=Count("index", filter=succeeded),
        week_refused=Count("index", filter=refused),
        week_failed=Count("index", filter=failed),
        day=Count("index", filter=day),
        day_ok=Count("index", filter=day & succeeded),
        day_refused=Count("index", filter=day & refused),
        day_failed=Count("index", filter=day & failed),
    )
    windows = (
        WindowCounts(
            "24 dernières heures",
            totals["day"],
            totals["day_ok"],
            totals["day_refused"],
            totals["day_failed"],
        ),
        WindowCounts(
            "7 derniers jours",
            totals["week"],
            totals["week_ok"],
            totals["week_refused"],
            totals["week_failed"],
        ),
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
