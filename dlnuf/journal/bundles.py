"""Inclusion-proof bundles: one journal entry with everything needed to prove it offline.

A bundle is one JSON document (UTF-8), format ``dlnuf-journal-inclusion-bundle`` version 1:

- ``format``, ``version``: this identifier and ``1``;
- ``entry.canonical_bytes``: the entry's canonical bytes in base64 (``dlnuf.journal.encoding``),
  whose leaf hash is ``SHA-256(0x00 ‖ bytes)``;
- ``entry.fields``: a readable copy of what those bytes hold, named after the encoding's columns
  (``scopes`` and ``fields_returned`` as lists, plus ``occurred_at`` in ISO 8601 UTC);
- ``leaf_index``, ``tree_size``: the entry's position and the size of the tree it is proven in;
- ``inclusion_proof``: the RFC 9162 audit path, from the leaf upwards, each hash in base64;
- ``checkpoint``: the C2SP signed checkpoint note of that tree size;
- ``verifier_key``: the C2SP ``signed-note`` verifier key of the journal.

The subject key stays in the bundle: the leaf hash covers it, so an entry cannot be proven without
it, and it is an HMAC that nobody can turn back into an identity without the journal's secret.

The case reference (``object``) is part of the canonical bytes too. When the person may not see it
(the habilitation says so), the bytes cannot be handed over: the bundle then carries
``entry.leaf_hash`` instead of ``entry.canonical_bytes``, lists ``object`` in
``entry.withheld_fields`` and leaves it out of the readable copy. Such a bundle proves that the
leaf is in the signed journal, not what the readable copy says.
"""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from dlnuf.journal.encoding import ENTRY_COLUMNS
from dlnuf.journal.errors import JournalIntegrityError
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.notes import checkpoint_parse, note_parse
from dlnuf.journal.selectors import inclusion_proof
from dlnuf.journal.tlog import checkpoint_current, journal_verifier_key

BUNDLE_FORMAT = "dlnuf-journal-inclusion-bundle"
BUNDLE_VERSION = 1
VERIFY_COMMAND = "python -m dlnuf.journal.verify_bundle"

# The canonical array's elements, in order (see dlnuf.journal.encoding), lists named without their
# storage suffix; the last one exists only in format version 2.
READABLE_FIELD_NAMES = ("version", *(column.removesuffix("_json") for column in ENTRY_COLUMNS))
CASE_REFERENCE_FIELD = "object"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _readable_fields(canonical: bytes) -> dict[str, Any]:
    # Read back from the bytes themselves, so the copy says exactly what the leaf hash covers.
    fields = dict(zip(READABLE_FIELD_NAMES, orjson.loads(canonical), strict=False))
    occurred = _EPOCH + timedelta(microseconds=fields["occurred_at_us"])
    fields["occurred_at"] = occurred.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return fields


def inclusion_bundle(entry: JournalEntry, *, withhold_case_reference: bool) -> dict[str, Any]:
    """The bundle proving ``entry`` in the tree of the current signed checkpoint."""
    checkpoint_note = checkpoint_current()
    checkpoint = checkpoint_parse(note_parse(checkpoint_note).text)
    # The proof is taken at the checkpoint's size, not "now": entries appended in between would
    # give a path to a root nobody signed.
    proof = inclusion_proof(leaf_index=entry.index, tree_size=checkpoint.size)
    if proof.root_hash != checkpoint.root_hash:
        raise JournalIntegrityError("La racine recalculée diffère du point de contrôle signé.")
    canonical = entry.canonical_bytes()
    fields = _readable_fields(canonical)
    proven_entry: dict[str, Any]
    if withhold_case_reference:
        del fields[CASE_REFERENCE_FIELD]
        proven_entry = {
            "leaf_hash": _b64(proof.leaf_hash),
            "withheld_fields": [CASE_REFERENCE_FIELD],
            "fields": fields,
        }
    else:
        proven_entry = {"canonical_bytes": _b64(canonical), "fields": fields}
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "description": (
            "Preuve qu'un accès est inscrit au journal des accès signé. "
            f"Vérification hors ligne : {VERIFY_COMMAND} FICHIER"
        ),
        "entry": proven_entry,
        "leaf_index": proof.leaf_index,
        "tree_size": proof.tree_size,
        "inclusion_proof": [_b64(sibling) for sibling in proof.audit_path],
        "checkpoint": checkpoint_note,
        "verifier_key": journal_verifier_key(),
    }


def inclusion_bundle_bytes(entry: JournalEntry, *, withhold_case_reference: bool) -> bytes:
    bundle = inclusion_bundle(entry, withhold_case_reference=withhold_case_reference)
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"
