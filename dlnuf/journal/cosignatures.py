"""Witnesses' cosignatures of the journal's checkpoints: accepted from known witnesses only.

A witness (``manage.py journal_witness URL --submit``, or any C2SP witness) sends the checkpoint
it cosigned as a signed note: the journal's checkpoint text, the journal's signature line, and its
own ``tlog-cosignature`` line. The journal stores a cosignature only when:

- the note carries the journal's own valid signature, for the journal's origin;
- the tree it names is the journal's: the size is not beyond the current tree and the root is the
  one the journal's tree had at that size (so a witness fed a forged or forked checkpoint is
  caught here too);
- a cosignature line is by a witness of ``settings.DLNUF_JOURNAL_WITNESSES`` (verifier keys of
  type 0x04) and its Ed25519 signature checks. Lines by other keys are never trusted.
"""

import time
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from dlnuf.journal.errors import JournalIntegrityError, ProofRequestError
from dlnuf.journal.models import WitnessCosignature
from dlnuf.journal.notes import (
    COSIGNATURE_TYPE,
    KEY_ID_SIZE,
    Checkpoint,
    NoteError,
    checkpoint_parse,
    cosignature_message,
    note_parse,
    note_verify,
    verifier_parse,
)
from dlnuf.journal.selectors import tree_root_at
from dlnuf.journal.tlog import journal_origin, journal_verifier_key

# Eight bytes of time and a 64-byte Ed25519 signature follow the key id.
COSIGNATURE_SIZE = KEY_ID_SIZE + 8 + 64
# A witness's clock may run a little ahead of the journal's; beyond this its time is refused.
CLOCK_SKEW_SECONDS = 300
# A witness normally cosigns every minute; after this long without news it is shown late.
WITNESS_LATE_AFTER_SECONDS = 15 * 60


class CosignatureRefused(Exception):
    """A submitted cosignature the journal does not store; ``code`` is the API's problem code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Witness:
    """A configured witness: the name and Ed25519 key of its cosignatures (type 0x04)."""

    name: str
    key_id: bytes
    public_key: bytes
    vkey: str


def witness_parse(vkey: str) -> Witness:
    """Read a witness's verifier key ``<name>+<key id>+<base64(0x04 ‖ public key)>``."""
    try:
        verifier = verifier_parse(vkey, COSIGNATURE_TYPE)
    except NoteError as error:
        raise ValueError(str(error)) from error
    return Witness(
        name=verifier.name,
        key_id=verifier.key_id,
        public_key=verifier.public_key,
        vkey=vkey.strip(),
    )


@cache
def _witnesses_of(vkeys: tuple[str, ...]) -> tuple[Witness, ...]:
    witnesses = []
    for vkey in vkeys:
        try:
            witnesses.append(witness_parse(vkey))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"DLNUF_JOURNAL_WITNESSES: {vkey!r} is not a witness verifier key ({error}); "
                "use the key `manage.py journal_witness` prints."
            ) from error
    return tuple(witnesses)


def witnesses_configured() -> tuple[Witness, ...]:
    return _witnesses_of(tuple(settings.DLNUF_JOURNAL_WITNESSES))


def _journal_checkpoint(note: str) -> Checkpoint:
    """The checkpoint of ``note`` once it is known to be one the journal signed, of its tree."""
    try:
        text = note_verify(note, verifier_parse(journal_verifier_key()))
        checkpoint = checkpoint_parse(text)
    except NoteError as error:
        raise CosignatureRefused(
            "checkpoint_unknown", f"Point de contrôle refusé : {error}"
        ) from error
    if checkpoint.origin != journal_origin():
        raise CosignatureRefused(
            "checkpoint_unknown",
            f"Origine « {checkpoint.origin} » : ce journal est « {journal_origin()} ».",
        )
    try:
        own_root = tree_root_at(checkpoint.size)
    except ProofRequestError as error:
        raise CosignatureRefused(
            "checkpoint_unknown", f"Le journal n'a jamais compté {checkpoint.size} entrées."
        ) from error
    except JournalIntegrityError as error:
        raise CosignatureRefused("checkpoint_unknown", str(error)) from error
    if own_root != checkpoint.root_hash:
        raise CosignatureRefused(
            "checkpoint_unknown",
            f"La racine cosignée n'est pas celle du journal à {checkpoint.size} entrées.",
        )
    return checkpoint


@dataclass(frozen=True)
class _VerifiedCosignature:
    witness: Witness
    timestamp: int


def _witness_cosignature(
    witness: Witness, raw: bytes, text: str, now: float
) -> _VerifiedCosignature:
    if len(raw) != COSIGNATURE_SIZE:
        raise CosignatureRefused(
            "cosignature_malformed",
            f"La cosignature de « {witness.name} » ne fait pas {COSIGNATURE_SIZE} octets.",
        )
    timestamp = int.from_bytes(raw[KEY_ID_SIZE : KEY_ID_SIZE + 8], "big")
    try:
        Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
            raw[KEY_ID_SIZE + 8 :], cosignature_message(text, timestamp)
        )
    except InvalidSignature as error:
        raise CosignatureRefused(
            "cosignature_unverified", f"La cosignature de « {witness.name} » est fausse."
        ) from error
    if timestamp > now + CLOCK_SKEW_SECONDS:
        raise CosignatureRefused(
            "cosignature_unverified",
            f"La cosignature de « {witness.name} » est datée du futur ({timestamp}).",
        )
    return _VerifiedCosignature(witness=witness, timestamp=timestamp)


def cosignatures_submit(*, note: str, now: float | None = None) -> list[WitnessCosignature]:
    """Check a cosigned checkpoint and store each configured witness's cosignature it carries.

    Returns the cosignatures newly stored (a repeated submission stores nothing more). Raises
    ``CosignatureRefused`` and stores nothing when any check fails.
    """
    moment = time.time() if now is None else now
    try:
        parsed = note_parse(note)
    except NoteError as error:
        raise CosignatureRefused(
            "cosignature_malformed", f"Note signée illisible : {error}"
        ) from error
    checkpoint = _journal_checkpoint(note)
    witnesses = {(witness.name, witness.key_id): witness for witness in witnesses_configured()}
    verified = [
        _witness_cosignature(witnesses[name, raw[:KEY_ID_SIZE]], raw, parsed.text, moment)
        for name, raw in parsed.signatures
        if (name, raw[:KEY_ID_SIZE]) in witnesses
    ]
    if not verified:
        raise CosignatureRefused(
            "cosignature_unverified",
            "Aucune cosignature n'est d'un témoin connu de ce journal : seules les clés de "
            "DLNUF_JOURNAL_WITNESSES sont acceptées.",
        )
    stored = []
    received_at = timezone.now()
    for cosignature in verified:
        row = WitnessCosignature(
            witness_name=cosignature.witness.name,
            witness_key_id=cosignature.witness.key_id.hex(),
            tree_size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            cosigned_at_s=cosignature.timestamp,
            received_at=received_at,
            note=note,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # the same cosignature, already stored
        stored.append(row)
    return stored


@dataclass(frozen=True)
class WitnessStatus:
    witness: Witness
    latest: WitnessCosignature | None
    late: bool


def witness_statuses(*, now: float | None = None) -> list[WitnessStatus]:
    """Each configured witness with its latest stored cosignature; late when none is recent."""
    moment = time.time() if now is None else now
    statuses = []
    for witness in witnesses_configured():
        latest = (
            WitnessCosignature.objects.filter(
                witness_name=witness.name, witness_key_id=witness.key_id.hex()
            )
            .order_by("-cosigned_at_s", "-tree_size")
            .first()
        )
        late = latest is None or moment - latest.cosigned_at_s > WITNESS_LATE_AFTER_SECONDS
        statuses.append(WitnessStatus(witness=witness, latest=latest, late=late))
    return statuses
