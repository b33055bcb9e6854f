"""What the journal tests build: exchange records as the gateway hands them to the journal,
batches of entries appended directly, and witnesses' keys."""

import uuid
from datetime import UTC, datetime, timedelta

import factory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dlnuf.journal.notes import COSIGNATURE_TYPE, raw_public_key, verifier_key
from dlnuf.journal.services import ExchangeRecord, journal_entries_append
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


def append(count: int, already: int) -> None:
    """Append ``count`` entries in one batch, numbered after the ``already`` there."""
    journal_entries_append(
        records=[
            ExchangeRecord(
                exchange_id=uuid.UUID(int=already + offset + 1),
                occurred_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
                + timedelta(milliseconds=already + offset),
                consumer_siret="13002526500013",
                habilitation_id=3,
                credential_id=4,
                dataset_slug="quotient-familial",
                scopes=("quotient_familial",),
                fields_returned=("quotient_familial.valeur",),
                recipient="13002526500013",
                context="Tarification de la cantine",
                object=f"Dossier {already + offset}",
                provider="cnaf",
                status=200,
                code="ok",
                latency_ms=12.5,
                subject_key=f"{already + offset:064x}",
            )
            for offset in range(count)
        ]
    )


def private(hex_key: str) -> Ed25519PrivateKey:
    """The Ed25519 key of 32 bytes written in hex."""
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(hex_key))


def witness_vkey(name: str, hex_key: str) -> str:
    """The verifier key a witness of that name and key publishes (cosignature type)."""
    return verifier_key(name, raw_public_key(private(hex_key)), COSIGNATURE_TYPE)
