"""The State observatory's measure of « Dites-le-nous une fois » for a procedure.

The observatory counts the items a procedure still asks for although they could have been
pre-filled (or avoided) with data another administration holds: 0 or 1 is optimal, 2 to 4
partial, 5 or more weak. Here an item counts when the catalogue replaces it with a sure or likely
match; possible matches are listed for the agent to check but do not count.

Documents avoided per year count only the people the data answers for: a dataset covering 55 %
of a procedure's public spares 55 % of the documents, the others still provide theirs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dlnuf.procedures.models import Confidence, ScoreLevel

PARTIAL_FROM = 2
WEAK_FROM = 5
REPLACEABLE = frozenset({Confidence.SURE, Confidence.LIKELY})

ADVICE = {
    ScoreLevel.OPTIMAL: (
        "La démarche ne redemande presque rien que l'administration détient déjà. Vérifiez "
        "l'élément restant, le cas échéant, et gardez ce niveau quand le formulaire évolue."
    ),
    ScoreLevel.PARTIAL: (
        "Plusieurs éléments pourraient être obtenus directement auprès des administrations qui "
        "les détiennent. Demandez l'accès aux jeux de données proposés ci-dessous, puis retirez "
        "ces pièces du formulaire."
    ),
    ScoreLevel.WEAK: (
        "La démarche redemande beaucoup d'informations déjà détenues par l'administration. "
        "Commencez par les jeux de données qui remplacent le plus de pièces, demandez-en l'accès "
        "en une fois ci-dessous, et faites-vous accompagner par le guichet si besoin."
    ),
}


def score_level(replaceable_count: int) -> ScoreLevel:
    if replaceable_count >= WEAK_FROM:
        return ScoreLevel.WEAK
    if replaceable_count >= PARTIAL_FROM:
        return ScoreLevel.PARTIAL
    return ScoreLevel.OPTIMAL


FULL_SHARE = Decimal(100)


@dataclass(frozen=True)
class ItemOutcome:
    confidence: str
    still_asked: bool
    covered_share: Decimal = FULL_SHARE  # percent of the public the matched data answers for


@dataclass(frozen=True)
class Score:
    items_count: int
    replaceable_count: int  # still asked, replaceable: what the observatory counts
    prefilled_count: int  # replaceable and no longer asked
    to_check_count: int  # still asked, only a possible match
    level: ScoreLevel
    documents_avoidable_per_year: int
    documents_avoided_per_year: int


def documents_per_year(yearly_volume: int, covered_share: Decimal) -> int:
    """Documents one item spares each year: dossiers per year × the share covered, rounded to
    the nearest whole document."""
    exact = Decimal(yearly_volume) * covered_share / FULL_SHARE
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def procedure_score(outcomes: Iterable[ItemOutcome], *, yearly_volume: int) -> Score:
    """Counts and level; documents per year add, for each replaceable item, the dossiers per
    year × the share of people the data answers for (one item, one document or one answer asked
    of each person)."""
    listed = list(outcomes)
    replaceable = sum(1 for o in listed if o.still_asked and o.confidence in REPLACEABLE)
    prefilled = sum(1 for o in listed if not o.still_asked and o.confidence in REPLACEABLE)
    to_check = sum(1 for o in listed if o.still_asked and o.confidence == Confidence.POSSIBLE)
    avoidable = sum(
        documents_per_year(yearly_volume, o.covered_share)
        for o in listed
        if o.still_asked and o.confidence in REPLACEABLE
    )
    avoided = sum(
        documents_per_year(yearly_volume, o.covered_share)
        for o in listed
        if not o.still_asked and o.confidence in REPLACEABLE
    )
    return Score(
        items_count=len(listed),
        replaceable_count=replaceable,
        prefilled_count=prefilled,
        to_check_count=to_check,
        level=score_level(replaceable),
        documents_avoidable_per_year=avoidable,
        documents_avoided_per_year=avoided,
    )
