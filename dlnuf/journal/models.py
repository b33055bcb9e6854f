"""The journal of exchanges: append-only entries, the Merkle tree over them, signed tree heads.

Nothing here is ever updated or deleted by the product: ``save()`` on an existing row, ``delete()``
and the queryset's ``update()``/``delete()`` raise. The tree state is written by
``dlnuf.journal.services`` only, in the same transaction as the entries it covers.
"""

from datetime import UTC, datetime, timedelta

import orjson
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from dlnuf.append_only import AppendOnlyModel, AppendOnlyViolation
from dlnuf.journal.encoding import ENTRY_COLUMNS, entry_canonical_bytes

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class JournalWriteForbidden(AppendOnlyViolation):
    """Raised on any attempt to change or remove what the journal holds."""


class PositionField(models.BigIntegerField):
    """A 64-bit primary key that SQLite keeps as the rowid itself.

    SQLite makes a column the rowid only when it is declared exactly ``integer primary key``; the
    rows are then stored in key order, so streaming the journal in order reads the table straight,
    with no separate index. Other databases get a plain ``bigint``.
    """

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class JournalRecord(AppendOnlyModel):
    append_only_error = JournalWriteForbidden
    append_only_name = "Le journal"

    class Meta:
        abstract = True


class JournalEntry(JournalRecord):
    """One exchange. Holds no personal data value; the subject is an HMAC key.

    Values are stored in the form the canonical bytes use (see ``dlnuf.journal.encoding``):
    times and latencies as integer microseconds, lists of names as compact JSON text.
    """

    index = PositionField("position dans l'arbre", primary_key=True)
    exchange_id = models.UUIDField("identifiant d'échange", unique=True)
    occurred_at_us = models.BigIntegerField("horodatage (µs depuis 1970, UTC)")
    consumer_siret = models.CharField("SIRET du consommateur", max_length=14)
    habilitation_id = models.BigIntegerField("habilitation", null=True)
    credential_id = models.BigIntegerField("jeton", null=True)
    dataset_slug = models.TextField("jeu de données")
    scopes_json = models.TextField("périmètres appliqués (JSON)")
    fields_returned_json = models.TextField("champs transmis (JSON)")
    recipient = models.TextField("destinataire (recipient)")
    context = models.TextField("cadre (context)")
    object = models.TextField("objet (object)")
    provider = models.TextField("fournisseur")
    status = models.PositiveSmallIntegerField("statut HTTP")
    code = models.TextField("code de réponse")
    latency_us = models.BigIntegerField("durée (µs)")
    subject_key = models.CharField("clé d'usager", max_length=64)
    unexpected_fields_removed = models.BooleanField("champs inattendus retirés", default=False)
    leaf_hash = models.BinaryField("empreinte de feuille", max_length=32)

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "entrées du journal"
        indexes = [
            models.Index(fields=["subject_key", "index"], name="journal_subject_idx"),
            # The catalogue's live status and the dashboards count by dataset or consumer over
            # a period.
            models.Index(
                fields=["dataset_slug", "occurred_at_us"], name="journal_dataset_time_idx"
            ),
            models.Index(
                fields=["consumer_siret", "occurred_at_us"], name="journal_consumer_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Entrée {self.index} ({self.dataset_slug})"

    def canonical_bytes(self) -> bytes:
        """The bytes its leaf hash covers, from the stored columns."""
        row = [getattr(self, name) for name in ENTRY_COLUMNS]
        row[ENTRY_COLUMNS.index("exchange_id")] = self.exchange_id.hex
        return entry_canonical_bytes(row)

    @property
    def occurred_at(self) -> datetime:
        return EPOCH + self.occurred_at_us * MICROSECOND

    @property
    def latency_ms(self) -> float:
        return self.latency_us / 1000

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(orjson.loads(self.scopes_json))

    @property
    def fields_returned(self) -> tuple[str, ...]:
        return tuple(orjson.loads(self.fields_returned_json))


class MerkleNode(JournalRecord):
    """A perfect subtree above the leaves, stored once complete (it never changes afterwards).

    ``position`` is the in-order number of the block (``dlnuf.journal.merkle.node_id``).
    """

    position = PositionField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = "nœud de l'arbre"
        verbose_name_plural = "nœuds de l'arbre"

    def __str__(self) -> str:
        return f"Nœud {self.position}"


class TreeHead(models.Model):
    """The current state of the tree, one row. Locking it serialises appends across processes.

    ``frontier`` is the concatenation of the hashes of the perfect blocks that cover the tree,
    largest first (one per set bit of ``size``): enough to append without reading anything else.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    size = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    frontier = models.BinaryField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "tête de l'arbre"
        verbose_name_plural = "tête de l'arbre"

    def __str__(self) -> str:
        return f"Arbre de {self.size} entrées"


class SignedTreeHead(JournalRecord):
    """A tree head signed with the journal's Ed25519 key (message: ``dlnuf.journal.signing``)."""

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField("taille")
    timestamp_ms = models.BigIntegerField("horodatage (ms depuis 1970, UTC)")
    root_hash = models.BinaryField("racine", max_length=32)
    key_id = models.CharField("identifiant de clé", max_length=64)
    signature = models.BinaryField("signature", max_length=64)

    class Meta:
        verbose_name = "tête d'arbre signée"
        verbose_name_plural = "têtes d'arbre signées"

    def __str__(self) -> str:
        return f"Tête signée à la taille {self.tree_size}"

    @property
    def signed_at(self) -> datetime:
        return EPOCH + timedelta(milliseconds=self.timestamp_ms)


class WitnessCosignature(JournalRecord):
    """A witness's cosignature (C2SP ``tlog-cosignature``) over a checkpoint the journal signed.

    Only cosignatures that verify against a configured witness key, over a checkpoint whose root
    is the journal's own at that size, are stored (``dlnuf.journal.cosignatures``).
    """

    id = models.BigAutoField(primary_key=True)
    witness_name = models.CharField("nom du témoin", max_length=255)
    witness_key_id = models.CharField("identifiant de clé du témoin (hex)", max_length=8)
    tree_size = models.BigIntegerField("taille cosignée")
    root_hash = models.BinaryField("racine cosignée", max_length=32)
    cosigned_at_s = models.BigIntegerField("horodatage du témoin (s depuis 1970, UTC)")
    received_at = models.DateTimeField("reçue le")
    note = models.TextField("point de contrôle cosigné")

    class Meta:
        verbose_name = "cosignature d'un témoin"
        verbose_name_plural = "cosignatures des témoins"
        constraints = [
            # A witness that submits the same cosignature twice adds nothing.
            models.UniqueConstraint(
                fields=["witness_name", "witness_key_id", "cosigned_at_s", "tree_size"],
                name="journal_cosignature_once",
            )
        ]

    def __str__(self) -> str:
        return f"Cosignature de {self.witness_name} à la taille {self.tree_size}"

    @property
    def cosigned_at(self) -> datetime:
        return EPOCH + timedelta(seconds=self.cosigned_at_s)
