"""Who is looking at « Mes données », and which journal subject keys they may read.

A person signs in with FranceConnect; the portal keeps in their session only what the page needs:
a name to greet them and the subject keys computed from their identity (never the identity
itself). An agent signed in to the portal (ProConnect or local account) looks at the accesses about
the companies of their organisations, keyed by SIREN. The journal is only ever read through
``Viewer.subject_keys``: a viewer never reaches an entry keyed for someone else.
"""

from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest

from dlnuf.journal.subjects import subject_key

_SESSION_KEY = "dlnuf_people_viewer"

ViewerKind = Literal["person", "company"]


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    # How the page greets them: « Marie Dupont », « Mairie de Lyon (SIREN 216 901 231) ».
    display_name: str
    subject_keys: tuple[str, ...]
    # How they signed in, for the page and the logs: "franceconnect", "demo", "portal".
    signed_in_with: str
    # A company viewer's SIREN: what an agent of several organisations picks on the page.
    siren: str = ""


def person_sign_in(
    request: HttpRequest, *, display_name: str, subject_keys: tuple[str, ...], signed_in_with: str
) -> None:
    """Open a person's « Mes données » session (after FranceConnect or the demo's chooser).

    The session key changes, so a session fixed before sign-in is never promoted."""
    request.session.cycle_key()
    request.session[_SESSION_KEY] = {
        "display_name": display_name,
        "subject_keys": list(subject_keys),
        "signed_in_with": signed_in_with,
    }


def person_sign_out(request: HttpRequest) -> None:
    request.session.pop(_SESSION_KEY, None)
    request.session.cycle_key()


def person_viewer(request: HttpRequest) -> Viewer | None:
    stored = request.session.get(_SESSION_KEY)
    if not stored:
        return None
    return Viewer(
        kind="person",
        display_name=stored["display_name"],
        subject_keys=tuple(stored["subject_keys"]),
        signed_in_with=stored["signed_in_with"],
    )


def company_viewers(request: HttpRequest) -> list[Viewer]:
    """One viewer per organisation the signed-in agent belongs to, keyed by its SIREN."""
    user = request.user
    if not user.is_authenticated:
        return []
    organisations = {
        membership.organisation
        for membership in user.memberships.select_related("organisation")
        if membership.organisation is not None
    }
    return [
        Viewer(
            kind="company",
            display_name=organisation.name or organisation.siret,
            subject_keys=(subject_key({"siren": organisation.siret[:9]}),),
            signed_in_with="portal",
            siren=organisation.siret[:9],
        )
        for organisation in sorted(organisations, key=lambda item: item.siret)
    ]
