"""The canonical bytes of a journal entry: what its leaf hash covers.

Format version 1, for an auditor who wants to recompute a leaf hash:

    leaf_hash = SHA-256(0x00 || canonical bytes)

The canonical bytes are one compact JSON array (RFC 8259, UTF-8, no whitespace at all, non-ASCII
characters written as themselves, only ``"``, ``\\`` and control characters escaped, control
characters other than ``\\b \\f \\n \\r \\t`` as ``\\u00XX`` with lowercase hex), holding in this
order:

 0. ``1`` — the format version;
 1. the entry's index (integer, 0-based position in the tree);
 2. the exchange id: 32 lowercase hexadecimal digits, no dashes;
 3. when the exchange occurred: integer microseconds since 1970-01-01T00:00:00Z;
 4. the consumer organisation's SIRET (string);
 5. the habilitation id (integer or ``null``);
 6. the credential id (integer or ``null``);
 7. the dataset slug (string);
 8. the scope slugs applied (array of strings, in the order recorded);
 9. the names or paths of the fields returned, never their values (array of strings);
10. ``recipient``, 11. ``context``, 12. ``object`` — the trace parameters (strings);
13. the provider slug (string);
14. the HTTP status answered to the consumer (integer);
15. ``"ok"`` or the problem code answered (string);
16. the latency in integer microseconds;
17. the subject key: HMAC-SHA256 of the subject's canonical identity, hexadecimal (string).

Example: ``[1,0,"5f0c…",1767225600000000,"13002526500013",3,4,"quotient-familial",
["quotient_familial"],["quotient_familial.valeur"],"13002526500013","Cantine","Dossier 42",
"cnaf",200,"ok",12500,"9c1d…"]``.

Format version 2 is version 1 with one more element, written only for an exchange whose provider
answer held fields no rule expects (they were removed before the answer left, see
``dlnuf.exchange.minimisation``): the array starts with ``2`` and ends with

18. ``true`` — unexpected fields were removed.

Every other entry keeps the version 1 bytes, so entries written before the flag existed verify as
they always did, and clearing or setting the flag on a stored entry changes its hash.

Integers only (no floats), so that any language reproduces the bytes exactly. The two arrays are
stored as their JSON text and embedded verbatim, which is the same thing for an untouched entry
and makes any change to the stored text change the hash.
"""

from collections.abc import Sequence
from typing import Any

import orjson

ENTRY_FORMAT_VERSION = 1
ENTRY_FORMAT_VERSION_WITH_UNEXPECTED_FIELDS = 2

# Column order of the canonical array after the version; the verification reads them in this order.
ENTRY_COLUMNS = (
    "index",
    "exchange_id",
    "occurred_at_us",
    "consumer_siret",
    "habilitation_id",
    "credential_id",
    "dataset_slug",
    "scopes_json",
    "fields_returned_json",
    "recipient",
    "context",
    "object",
    "provider",
    "status",
    "code",
    "latency_us",
    "subject_key",
    "unexpected_fields_removed",
)
SCOPES_POSITION = ENTRY_COLUMNS.index("scopes_json")
FIELDS_POSITION = ENTRY_COLUMNS.index("fields_returned_json")

_dumps = orjson.dumps
_Fragment = orjson.Fragment


def json_list(values: Sequence[str]) -> str:
    """The stored text of a list of names: compact JSON, as embedded in the canonical bytes."""
    return _dumps(list(values)).decode()


def entry_canonical_bytes(row: Sequence[Any]) -> bytes:
    """The canonical bytes of an entry given its columns in ``ENTRY_COLUMNS`` order."""
    (
        index,
        exchange_id,
        occurred_at_us,
        consumer_siret,
        habilitation_id,
        credential_id,
        dataset_slug,
        scopes_json,
        fields_json,
        recipient,
        context,
        object_,
        provider,
        status,
        code,
        latency_us,
        subject_key,
        unexpected_fields_removed,
    ) = row
    flag = (True,) if unexpected_fields_removed else ()
    return _dumps(
        (
            ENTRY_FORMAT_VERSION_WITH_UNEXPECTED_FIELDS if flag else ENTRY_FORMAT_VERSION,
            index,
            exchange_id,
            occurred_at_us,
            consumer_siret,
            habilitation_id,
            credential_id,
            dataset_slug,
            _Fragment(scopes_json),
            _Fragment(fields_json),
            recipient,
            context,
            object_,
            provider,
            status,
            code,
            latency_us,
            subject_key,
            *flag,
        )
    )
