"""Demonstration people for « Mes données »: fictitious identities of the sandbox, with accesses.

Each person's FranceConnect claims match a sandbox case, so the accesses made about them are
real gateway exchanges (the sandbox credentials of the demonstration data, answered by the
built-in sandbox in-process) and their journal subject keys are the gateway's own. The first
person is the one of the README's ``curl`` example: whoever runs it then sees it on her page.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from io import TextIOBase

import httpx
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from dlnuf.catalogue.models import Dataset
from dlnuf.exchange.connectors.http import pooled_client_replaced
from dlnuf.exchange.services import ExchangeSuccess, exchange_perform
from dlnuf.french import plural
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.services import journal_writer_stop
from dlnuf.people.identity import PivotIdentity, pivot_from_claims, subject_keys_for_pivot


@dataclass(frozen=True)
class DemoAccess:
    recipient: str
    dataset: str
    context: str
    object: str
    # The subject's parameters, as the consumer sends them.
    subject: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DemoPerson:
    slug: str
    # What the demonstration chooser says of the person.
    description: str
    claims: Mapping[str, str]
    accesses: tuple[DemoAccess, ...]

    @property
    def pivot(self) -> PivotIdentity:
        return pivot_from_claims(self.claims)


# The sandbox's nominal quotient familial identity (its own test data): the README's curl example
# asks for her, so whoever runs it sees the call on her page.
SANDBOX_QUOTIENT_IDENTITY = (
    ("nomNaissance", "LEFEBVRE"),
    ("prenoms[]", "ALEXIS"),
    ("prenoms[]", "GÉRÔME"),
    ("prenoms[]", "JEAN-PHILIPPE"),
    ("sexeEtatCivil", "F"),
    ("anneeDateNaissance", "1982"),
    ("moisDateNaissance", "12"),
    ("jourDateNaissance", "27"),
    ("codeCogInseeCommuneNaissance", "08480"),
    ("codeCogInseePaysNaissance", "99100"),
)

DINUM = "13002526500013"
LYON = "21690123100011"
PARIS = "21750001600019"

DEMO_PEOPLE = (
    DemoPerson(
        slug="alexis-lefebvre",
        description="Allocataire de la CAF : son quotient familial est demandé par la DINUM "
        "(l'exemple curl du guide) et par la Ville de Lyon.",
        claims={
            "given_name": "Alexis Gérôme Jean-Philippe",
            "family_name": "Lefebvre",
            "birthdate": "1982-12-27",
            "gender": "female",
            "birthplace": "08480",
            "birthcountry": "99100",
        },
        accesses=(
            DemoAccess(
                DINUM,
                "quotient-familial",
                "Tarification de la restauration",
                "dossier-2025-0001",
                SANDBOX_QUOTIENT_IDENTITY,
            ),
            DemoAccess(
                LYON,
                "quotient-familial",
                "Inscription à la cantine et au périscolaire",
                "cantine-2026-0118",
                (
                    ("nomNaissance", "Lefebvre"),
                    ("prenoms[]", "Alexis Gérôme Jean-Philippe"),
                    ("sexeEtatCivil", "F"),
                    ("anneeDateNaissance", "1982"),
                    ("moisDateNaissance", "12"),
                    ("jourDateNaissance", "27"),
                    ("codeCogInseeCommuneNaissance", "08480"),
                    ("codeCogInseePaysNaissance", "99100"),
                ),
            ),
        ),
    ),
    DemoPerson(
        slug="jacques-martin",
        description="Étudiant : son statut est demandé par la DINUM pour un tarif étudiant.",
        claims={
            "given_name": "Jacques",
            "family_name": "Martin",
            "birthdate": "2004-01-01",
            "gender": "male",
            "birthplace": "75102",
            "birthcountry": "99100",
        },
        accesses=(
            DemoAccess(
                DINUM,
                "statut-etudiant",
                "Tarif étudiant des services numériques",
                "etudiant-2026-0042",
                (
                    ("nomNaissance", "MARTIN"),
                    ("prenoms[]", "Jacques"),
                    ("anneeDateNaissance", "2004"),
                    ("moisDateNaissance", "01"),
                    ("jourDateNaissance", "01"),
                    ("sexeEtatCivil", "M"),
                    ("codeCogInseeCommuneNaissance", "75102"),
                ),
            ),
        ),
    ),
    DemoPerson(
        slug="emma-martin",
        description="Collégienne boursière : sa scolarité est demandée par la Ville de Paris.",
        claims={
            "given_name": "Emma",
            "family_name": "Martin",
            "birthdate": "2012-08-15",
            "gender": "female",
            "birthplace": "13055",
            "birthcountry": "99100",
        },
        accesses=(
            DemoAccess(
                PARIS,
                "scolarite",
                "Aide municipale aux familles des collégiens boursiers",
                "aide-college-2025-0307",
                (
                    ("nomNaissance", "MARTIN"),
                    ("prenoms[]", "EMMA"),
                    ("sexeEtatCivil", "F"),
                    ("anneeDateNaissance", "2012"),
                    ("moisDateNaissance", "8"),
                    ("jourDateNaissance", "15"),
                    ("codeEtablissement", "0132733A"),
                    ("anneeScolaire", "2025"),
                ),
            ),
        ),
    ),
    DemoPerson(
        slug="laura-dupont",
        description="Bénéficiaire de la complémentaire santé solidaire : la Ville de Paris la "
        "vérifie pour la gratuité des transports.",
        claims={
            "given_name": "Laura",
            "family_name": "Dupont",
            "birthdate": "2013-11-15",
            "gender": "female",
            "birthplace": "13103",
            "birthcountry": "99100",
        },
        accesses=(
            DemoAccess(
                PARIS,
                "complementaire-sante-solidaire",
                "Gratuité des transports",
                "transports-2026-0093",
                (
                    ("nomNaissance", "DUPONT"),
                    ("prenoms[]", "LAURA"),
                    ("sexeEtatCivil", "F"),
                    ("anneeDateNaissance", "2013"),
                    ("moisDateNaissance", "11"),
                    ("jourDateNaissance", "15"),
                    ("codeCogInseeCommuneNaissance", "13103"),
                    ("codeCogInseePaysNaissance", "99100"),
                ),
            ),
        ),
    ),
)


def demo_person(slug: str) -> DemoPerson | None:
    return next((person for person in DEMO_PEOPLE if person.slug == slug), None)


def _query(access: DemoAccess) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in (
        *access.subject,
        ("recipient", access.recipient),
        ("context", access.context),
        ("object", access.object),
    ):
        query.setdefault(name, []).append(value)
    return query


def load_demo(*, stdout: TextIOBase, secrets: Mapping[tuple[str, str], str]) -> None:
    """Make the demonstration people's accesses through the gateway, once (idempotent).

    ``secrets`` gives the sandbox credential of each (recipient SIRET, dataset) pair. The
    sandbox answers in-process: no server needs to run while the demonstration data loads."""
    stdout.write("Personnes de démonstration (« Mes données ») :\n")
    connectors = dict(
        Dataset.objects.filter(
            slug__in={access.dataset for person in DEMO_PEOPLE for access in person.accesses}
        ).values_list("slug", "connector__slug")
    )
    sandbox = httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application()))
    try:
        with _sandbox_requests_keep_connections():
            _people_loaded(stdout, secrets, connectors, sandbox)
    finally:
        sandbox.close()
        # The journal's writer thread, if batching started it, must not outlive the command.
        journal_writer_stop()


@contextmanager
def _sandbox_requests_keep_connections() -> Iterator[None]:
    """The sandbox answers in-process, through Django's request handling, whose end closes the
    database connections that look foreign to it: inside a transaction (a test's, or a caller's)
    that would be the caller's own connection. The sandbox reads no database, so its requests
    leave connections alone here, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _people_loaded(
    stdout: TextIOBase,
    secrets: Mapping[tuple[str, str], str],
    connectors: dict[str, str],
    sandbox: httpx.Client,
) -> None:
    for person in DEMO_PEOPLE:
        keys = subject_keys_for_pivot(person.pivot)
        if JournalEntry.objects.filter(subject_key__in=keys).exists():
            stdout.write(f"  {person.pivot.display_name} : déjà présente\n")
            continue
        outcomes = [
            _access_made(access, secrets, connectors[access.dataset], sandbox)
            for access in person.accesses
        ]
        made = plural(sum(outcomes), "consultation faite", "consultations faites")
        stdout.write(f"  {person.pivot.display_name} : {made} sur {len(outcomes)}\n")


def _access_made(
    access: DemoAccess,
    secrets: Mapping[tuple[str, str], str],
    connector_slug: str,
    sandbox: httpx.Client,
) -> bool:
    secret = secrets[(access.recipient, access.dataset)]
    with pooled_client_replaced(connector_slug, sandbox):
        outcome = exchange_perform(dataset_slug=access.dataset, secret=secret, query=_query(access))
    return isinstance(outcome, ExchangeSuccess)
