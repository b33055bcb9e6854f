"""How an exchange ended, in four outcomes: the one definition every page that counts exchanges
uses (the dashboards, a dataset's « État du service »).

A refusal is the gateway doing its job: the call has to be corrected by the caller (invalid
request, no right, person or entity not found, too many calls). Only provider and gateway
failures mean the service did not work, so a 404 « introuvable » is never counted as one.

The rule is written once, as database filters, and the Python classification of a single entry
is derived from the same code sets, so that counts and single entries always agree.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Count, Q


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    REFUSED = "refused"
    PROVIDER_FAILURE = "provider_failure"
    GATEWAY_FAILURE = "gateway_failure"


@dataclass(frozen=True)
class OutcomeKind:
    outcome: Outcome
    label: str
    # "singular,plural" for the French template filter ``pluriel``.
    nouns: str
    definition: str


OUTCOME_KINDS: tuple[OutcomeKind, ...] = (
    OutcomeKind(
        Outcome.SUCCEEDED,
        "Réussis",
        "appel réussi,appels réussis",
        "la donnée a été transmise.",
    ),
    OutcomeKind(
        Outcome.REFUSED,
        "Refus côté appelant",
        "refus,refus",
        "la passerelle a répondu mais l'appel est à corriger par l'appelant : requête "
        "invalide, jeton ou habilitation sans droit sur la donnée, personne ou entité introuvable "
        "(404), trop d'appels par minute.",
    ),
    OutcomeKind(
        Outcome.PROVIDER_FAILURE,
        "Défaillances fournisseur",
        "défaillance fournisseur,défaillances fournisseur",
        "le fournisseur de données n'a pas pu répondre : indisponible, hors délai, en erreur, "
        "réponse illisible ou appels suspendus après plusieurs échecs.",
    ),
    OutcomeKind(
        Outcome.GATEWAY_FAILURE,
        "Défaillances de la passerelle",
        "défaillance de la passerelle,défaillances de la passerelle",
        "la passerelle elle-même a échoué (erreur interne, journal des accès ou limites d'appel "
        "indisponibles).",
    ),
)

# 5xx answers that report the provider's side; every other 5xx is the gateway's own failure.
PROVIDER_FAILURE_CODES = frozenset(
    {
        "provider_error",
        "provider_malformed_answer",
        "provider_partial_answer",
        "provider_access_denied",
        "provider_unavailable",
        "provider_rate_limited",
        "provider_timeout",
        "circuit_open",
    }
)

OUTCOME_FILTERS: dict[Outcome, Q] = {
    Outcome.SUCCEEDED: Q(status__lt=400),
    Outcome.REFUSED: Q(status__gte=400, status__lt=500),
    Outcome.PROVIDER_FAILURE: Q(status__gte=500, code__in=PROVIDER_FAILURE_CODES),
    Outcome.GATEWAY_FAILURE: Q(status__gte=500) & ~Q(code__in=PROVIDER_FAILURE_CODES),
}


def exchange_outcome(*, status: int, code: str) -> Outcome:
    """The outcome of one exchange from its HTTP status and its stable answer code."""
    if status < 400:
        return Outcome.SUCCEEDED
    if status < 500:
        return Outcome.REFUSED
    if code in PROVIDER_FAILURE_CODES:
        return Outcome.PROVIDER_FAILURE
    return Outcome.GATEWAY_FAILURE


_PERCENT_STEP = Decimal("0.1")


@dataclass(frozen=True)
class OutcomeFigure:
    kind: OutcomeKind
    count: int
    # None when there was no call at all: a rate of nothing is not 0 %.
    percent: Decimal | None


@dataclass(frozen=True)
class OutcomeCounts:
    succeeded: int = 0
    refused: int = 0
    provider_failures: int = 0
    gateway_failures: int = 0

    @property
    def calls(self) -> int:
        return self.succeeded + self.refused + self.provider_failures + self.gateway_failures

    @property
    def failures(self) -> int:
        """Calls the service could not answer, whoever failed: what charts draw as errors."""
        return self.provider_failures + self.gateway_failures

    def count(self, outcome: Outcome) -> int:
        return {
            Outcome.SUCCEEDED: self.succeeded,
            Outcome.REFUSED: self.refused,
            Outcome.PROVIDER_FAILURE: self.provider_failures,
            Outcome.GATEWAY_FAILURE: self.gateway_failures,
        }[outcome]

    def percent(self, outcome: Outcome) -> Decimal | None:
        """The share of calls with this outcome, in percent rounded half up to one decimal."""
        if not self.calls:
            return None
        share = Decimal(100 * self.count(outcome)) / Decimal(self.calls)
        return share.quantize(_PERCENT_STEP, rounding=ROUND_HALF_UP)

    @property
    def figures(self) -> tuple[OutcomeFigure, ...]:
        return tuple(
            OutcomeFigure(kind, self.count(kind.outcome), self.percent(kind.outcome))
            for kind in OUTCOME_KINDS
        )

    def __add__(self, other: "OutcomeCounts") -> "OutcomeCounts":
        return OutcomeCounts(
            succeeded=self.succeeded + other.succeeded,
            refused=self.refused + other.refused,
            provider_failures=self.provider_failures + other.provider_failures,
            gateway_failures=self.gateway_failures + other.gateway_failures,
        )


_COUNT_FIELDS = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.REFUSED: "refused",
    Outcome.PROVIDER_FAILURE: "provider_failures",
    Outcome.GATEWAY_FAILURE: "gateway_failures",
}


def outcome_aggregates(prefix: str = "", within: Q | None = None) -> dict[str, Count]:
    """Count expressions of the four outcomes over journal entries, optionally restricted to
    ``within``; their names start with ``prefix`` so that several windows fit in one query."""
    return {
        f"{prefix}{name}": Count(
            "index",
            filter=OUTCOME_FILTERS[outcome] & within if within else OUTCOME_FILTERS[outcome],
        )
        for outcome, name in _COUNT_FIELDS.items()
    }


def outcome_counts_from(row: dict[str, Any], prefix: str = "") -> OutcomeCounts:
    """The counts a query annotated with ``outcome_aggregates(prefix)`` returned."""
    return OutcomeCounts(**{name: row[f"{prefix}{name}"] or 0 for name in _COUNT_FIELDS.values()})
