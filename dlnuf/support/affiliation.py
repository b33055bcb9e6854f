"""Whom a requesting administration reports to, said truthfully.

A request records one ``Ministry`` value, but only some of them are ministries: a local authority,
a social security body or a public operator is not a State department, and showing it as
« Ministère de rattachement : Collectivité territoriale » says something false. Every page that
shows or asks for this value goes through here.
"""

from dataclasses import dataclass

from dlnuf.support.models import Ministry

# Bodies outside the State's ministries, and the value for « not said ».
OTHER_BODIES = (Ministry.LOCAL_AUTHORITY, Ministry.SOCIAL_SECURITY, Ministry.OPERATOR)
STATE_BODIES = tuple(
    ministry for ministry in Ministry if ministry not in (*OTHER_BODIES, Ministry.OTHER)
)

MINISTRY_TERM = "Ministère de rattachement"
BODY_TERM = "Type d'organisme"
UNSAID_TERM = "Rattachement"


@dataclass(frozen=True)
class Affiliation:
    term: str
    value: str


def affiliation(ministry: str) -> Affiliation:
    """The term and the value to show for a request's recorded ``ministry``."""
    if ministry in STATE_BODIES:
        return Affiliation(MINISTRY_TERM, Ministry(ministry).label)
    if ministry in OTHER_BODIES:
        return Affiliation(BODY_TERM, Ministry(ministry).label)
    return Affiliation(UNSAID_TERM, "Non précisé")


def affiliation_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices grouped so that nobody picks a ministry for a body that has none."""
    return [
        (MINISTRY_TERM, [(ministry.value, ministry.label) for ministry in STATE_BODIES]),
        (
            "Autre organisme",
            [
                *((body.value, body.label) for body in OTHER_BODIES),
                (Ministry.OTHER.value, Ministry.OTHER.label),
            ],
        ),
    ]
