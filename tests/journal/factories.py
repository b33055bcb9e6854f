"""Exchange records as the gateway hands them to the journal."""

import uuid
from datetime import UTC, datetime, timedelta

import factory

from dlnuf.journal.services import ExchangeRecord
from dlnuf.journal.subjects import subject_key

CONSUMER_SIRET = "13002526500013"


class ExchangeRecordFactory(factory.Factory):
    class Meta:
        model = ExchangeRecord

    exchange_id = factory.LazyFunction(uuid.uuid4)
    occurred_at = factory.Sequence(
        lambda n: datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(seconds=n, microseconds=n)
    )
    consumer_siret = CONSUMER_SIRET
    habilitation_id = 3
    credential_id = 4
    dataset_slug = "quotient-familial"
    scopes = ("quotient_familial", "allocataires")
    fields_returned = ("quotient_familial.valeur", "allocataires[].nom_naissance")
    recipient = CONSUMER_SIRET
    context = "Tarification de la cantine"
    object = factory.Sequence(lambda n: f"Dossier n° {n}")
    provider = "cnaf"
    status = 200
    code = "ok"
    latency_ms = factory.Sequence(lambda n: 10.5 + n / 8)
    subject_key = factory.Sequence(lambda n: subject_key({"nomNaissance": f"Martin-{n % 7}"}))
