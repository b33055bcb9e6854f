"""The one classification of an exchange's outcome: each answer code, the database filters that
count them, and the rates checked by hand on a known mix of calls."""

from decimal import Decimal

import pytest

from dlnuf.exchange.errors import PROBLEMS
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.outcomes import (
    OUTCOME_KINDS,
    Outcome,
    OutcomeCounts,
    exchange_outcome,
    outcome_aggregates,
    outcome_counts_from,
)
from dlnuf.journal.services import journal_record
from tests.journal.factories import ExchangeRecordFactory

PROVIDER_FAILURES = {
    "provider_error",
    "provider_malformed_answer",
    "provider_partial_answer",
    "provider_access_denied",
    "provider_unavailable",
    "provider_rate_limited",
    "provider_timeout",
    "circuit_open",
}
GATEWAY_FAILURES = {"internal_error", "journal_unavailable", "shared_state_unavailable"}


def expected_outcome(code: str) -> Outcome:
    if code in PROVIDER_FAILURES:
        return Outcome.PROVIDER_FAILURE
    if code in GATEWAY_FAILURES:
        return Outcome.GATEWAY_FAILURE
    return Outcome.REFUSED


@pytest.mark.parametrize("code", sorted(PROBLEMS))
def test_every_answer_code_has_the_outcome_people_expect(code: str) -> None:
    kind = PROBLEMS[code]
    assert exchange_outcome(status=kind.status, code=code) is expected_outcome(code)


def test_a_subject_not_found_is_a_refusal_not_a_failure() -> None:
    assert exchange_outcome(status=404, code="subject_not_found") is Outcome.REFUSED
    assert exchange_outcome(status=200, code="ok") is Outcome.SUCCEEDED
    # A 5xx the table does not know yet is the gateway's own failure, never the provider's.
    assert exchange_outcome(status=500, code="unheard_of") is Outcome.GATEWAY_FAILURE


@pytest.mark.django_db
def test_the_database_counts_agree_with_the_classification_of_each_entry() -> None:
    answers = [(200, "ok"), *((kind.status, kind.code) for kind in PROBLEMS.values())]
    for status, code in answers:
        journal_record(ExchangeRecordFactory(status=status, code=code))

    counted = outcome_counts_from(JournalEntry.objects.aggregate(**outcome_aggregates()))

    by_entry = OutcomeCounts()
    for status, code in answers:
        outcome = exchange_outcome(status=status, code=code)
        by_entry += OutcomeCounts(**{_field(outcome): 1})
    assert counted == by_entry
    assert counted.calls == len(answers)


def _field(outcome: Outcome) -> str:
    return {
        Outcome.SUCCEEDED: "succeeded",
        Outcome.REFUSED: "refused",
        Outcome.PROVIDER_FAILURE: "provider_failures",
        Outcome.GATEWAY_FAILURE: "gateway_failures",
    }[outcome]


@pytest.mark.django_db
def test_rates_of_a_known_mix_match_a_hand_calculation() -> None:
    mix = [
        (200, "ok"),
        (200, "ok"),
        (200, "ok"),
        (404, "subject_not_found"),
        (400, "invalid_parameter"),
        (504, "provider_timeout"),
        (500, "internal_error"),
    ]
    for status, code in mix:
        journal_record(ExchangeRecordFactory(status=status, code=code))

    counts = outcome_counts_from(JournalEntry.objects.aggregate(**outcome_aggregates()))

    assert counts == OutcomeCounts(succeeded=3, refused=2, provider_failures=1, gateway_failures=1)
    # 3/7 = 42.857…, 2/7 = 28.571…, 1/7 = 14.285… (rounded half up to one decimal).
    assert [(figure.kind.label, figure.count, figure.percent) for figure in counts.figures] == [
        ("Réussis", 3, Decimal("42.9")),
        ("Refus côté appelant", 2, Decimal("28.6")),
        ("Défaillances fournisseur", 1, Decimal("14.3")),
        ("Défaillances de la passerelle", 1, Decimal("14.3")),
    ]
    assert counts.failures == 2


def test_no_call_has_no_rate_rather_than_zero_percent() -> None:
    assert [figure.percent for figure in OutcomeCounts().figures] == [None] * len(OUTCOME_KINDS)
