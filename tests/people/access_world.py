"""Journal entries about known people and companies, written through the journal's own service,
with the organisations and habilitations the « Mes données » lines are described from."""

from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations.models import Habilitation
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.subjects import subject_key
from dlnuf.organisations.models import Organisation
from dlnuf.people.viewers import Viewer, person_sign_in
from tests.journal.factories import ExchangeRecordFactory

LYON = "21690123100011"
PARIS = "21750001600019"
# A SIRET no organisation of the portal holds: shown as the number alone.
UNKNOWN_SIRET = "30000000000011"
MARIE = {"nomNaissance": "Dupont", "prenoms": ["Marie"], "anneeDateNaissance": "1980"}
PAUL = {"nomNaissance": "Martin", "prenoms": ["Paul"], "anneeDateNaissance": "1975"}
QF_FIELDS = ("quotient_familial.valeur", "quotient_familial.annee", "adresse.code_postal_ville")


def person(identity: dict[str, Any], name: str = "Marie Dupont") -> Viewer:
    return Viewer(
        kind="person",
        display_name=name,
        subject_keys=(subject_key(identity),),
        signed_in_with="demo",
    )


def organisations() -> tuple[Organisation, Organisation]:
    lyon = Organisation.objects.create(siret=LYON, name="Ville de Lyon")
    paris = Organisation.objects.create(siret=PARIS, name="Ville de Paris")
    return lyon, paris


def habilitation(
    organisation: Organisation, dataset_slug: str = "quotient-familial", **fields: Any
) -> Habilitation:
    return Habilitation.objects.create(
        organisation=organisation,
        dataset=Dataset.objects.get(slug=dataset_slug),
        expires_at=timezone.now() + timedelta(days=365),
        **fields,
    )


def record(
    identity: dict[str, Any],
    *,
    occurred_at: datetime,
    grant: Habilitation | None = None,
    consumer_siret: str = LYON,
    dataset_slug: str = "quotient-familial",
    provider: str = "cnaf-msa",
    **fields: Any,
) -> int:
    """Append one entry about ``identity`` and return its index."""
    values: dict[str, Any] = {
        "occurred_at": occurred_at,
        "consumer_siret": grant.organisation.siret if grant else consumer_siret,
        "habilitation_id": grant.pk if grant else None,
        "dataset_slug": grant.dataset.slug if grant else dataset_slug,
        "provider": provider,
        "scopes": ("cnaf_quotient_familial", "cnaf_adresse"),
        "fields_returned": QF_FIELDS,
        "context": "Inscription à la cantine",
        "subject_key": subject_key(identity),
        **fields,
    }
    (index,) = journal_entries_append(records=[ExchangeRecordFactory.build(**values)])
    return index


def person_session_key(identity: dict[str, Any], name: str = "Marie Dupont") -> str:
    """A saved session in which ``identity``'s person is signed in to « Mes données », opened
    by the product's own ``person_sign_in``: the cookie value a client or a browser sends."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    person_sign_in(
        request,
        display_name=name,
        subject_keys=(subject_key(identity),),
        signed_in_with="demo",
    )
    request.session.save()
    assert request.session.session_key is not None
    return request.session.session_key


def sign_in_person(client: Client, identity: dict[str, Any], name: str = "Marie Dupont") -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = person_session_key(identity, name)
