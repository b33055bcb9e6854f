from decimal import Decimal

import pytest

from dlnuf.procedures.models import Confidence, ScoreLevel
from dlnuf.procedures.scoring import (
    ItemOutcome,
    documents_per_year,
    procedure_score,
    score_level,
)


@pytest.mark.parametrize(
    ("count", "level"),
    [
        (0, ScoreLevel.OPTIMAL),
        (1, ScoreLevel.OPTIMAL),
        (2, ScoreLevel.PARTIAL),
        (3, ScoreLevel.PARTIAL),
        (4, ScoreLevel.PARTIAL),
        (5, ScoreLevel.WEAK),
        (6, ScoreLevel.WEAK),
        (40, ScoreLevel.WEAK),
    ],
)
def test_the_observatory_thresholds(count, level):
    assert score_level(count) == level


def _outcomes(*pairs):
    return [ItemOutcome(confidence=c, still_asked=asked) for c, asked in pairs]


def test_only_sure_and_likely_items_still_asked_count():
    score = procedure_score(
        _outcomes(
            (Confidence.SURE, True),
            (Confidence.LIKELY, True),
            (Confidence.POSSIBLE, True),
            (Confidence.NONE, True),
            (Confidence.SURE, False),
        ),
        yearly_volume=1200,
    )
    assert score.items_count == 5
    assert score.replaceable_count == 2
    assert score.prefilled_count == 1
    assert score.to_check_count == 1
    assert score.level == ScoreLevel.PARTIAL


def test_documents_per_year_are_volume_times_items():
    score = procedure_score(
        _outcomes(*[(Confidence.SURE, True)] * 5, (Confidence.LIKELY, False)),
        yearly_volume=18_000,
    )
    assert score.level == ScoreLevel.WEAK
    assert score.documents_avoidable_per_year == 90_000
    assert score.documents_avoided_per_year == 18_000


def test_a_procedure_that_stopped_asking_becomes_optimal():
    score = procedure_score(
        _outcomes(*[(Confidence.SURE, False)] * 4, (Confidence.SURE, True)), yearly_volume=10
    )
    assert (score.replaceable_count, score.prefilled_count, score.level) == (
        1,
        4,
        ScoreLevel.OPTIMAL,
    )


def test_documents_avoided_count_only_the_share_of_the_public_covered():
    # 60 000 dossiers a year; the CAF's quotient familial answers for 55 % of the families:
    # 60 000 × 0,55 = 33 000 documents avoided, not 60 000.
    score = procedure_score(
        [ItemOutcome(confidence=Confidence.SURE, still_asked=True, covered_share=Decimal("55"))],
        yearly_volume=60_000,
    )
    assert score.documents_avoidable_per_year == 33_000
    assert score.replaceable_count == 1  # the observatory still counts the item


def test_each_item_counts_its_own_share_rounded_to_whole_documents():
    # 333 × 0,555 = 184,815 → 185; 333 × 1 = 333; the stopped item: 333 × 0,125 = 41,625 → 42.
    score = procedure_score(
        [
            ItemOutcome(Confidence.SURE, True, Decimal("55.5")),
            ItemOutcome(Confidence.LIKELY, True),
            ItemOutcome(Confidence.POSSIBLE, True, Decimal("10")),
            ItemOutcome(Confidence.SURE, False, Decimal("12.5")),
        ],
        yearly_volume=333,
    )
    assert score.documents_avoidable_per_year == 185 + 333
    assert score.documents_avoided_per_year == 42
    assert documents_per_year(333, Decimal(0)) == 0
