"""Subject keys: find the accesses about one person or company without storing who they are.

The key is ``HMAC-SHA256(DLNUF_JOURNAL_SUBJECT_SECRET, canonical identity)`` in hexadecimal. The
canonical identity is compact JSON with sorted keys of the identity's parameters, each value
written the same way whatever the spelling the consumer sent:

- Unicode compatibility decomposition (NFKD) with the accents removed, upper case, spaces trimmed
  and collapsed (``"dupônt "`` → ``"DUPONT"``);
- a list (``prenoms``) joined in its order by single spaces;
- day and month of birth without leading zeros (``"03"`` → ``"3"``);
- companies by SIREN: a SIRET is reduced to its first nine digits, and ``siren_or_rna`` becomes
  ``siren`` for a SIREN or SIRET and ``rna`` for an RNA number, so that every dataset about the
  same company gives the same key;
- empty values left out.
"""

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping, Sequence

import orjson
from django.conf import settings

_DAY_AND_MONTH = frozenset({"jourDateNaissance", "moisDateNaissance"})
_COMPANY_KEYS = frozenset({"siren", "siret", "siren_or_rna"})


def _normalise_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(without_accents.upper().split())


def _company_key(name: str, value: str) -> tuple[str, str]:
    compact = value.replace(" ", "")
    if compact.isdigit() and len(compact) in (9, 14):
        return "siren", compact[:9]
    if name == "siren_or_rna":
        return "rna", compact
    return name, compact


def canonical_identity(identity: Mapping[str, str | Sequence[str]]) -> bytes:
    canonical: dict[str, str] = {}
    for name, value in identity.items():
        if isinstance(value, str):
            text = _normalise_text(value)
        else:
            text = " ".join(part for part in map(_normalise_text, value) if part)
        if not text:
            continue
        if name in _COMPANY_KEYS:
            key, text = _company_key(name, text)
            # An explicit SIREN wins over one derived from a SIRET sent alongside it.
            if key == "siren" and name != "siren" and "siren" in identity:
                continue
            canonical[key] = text
            continue
        if name in _DAY_AND_MONTH and text.isdigit():
            text = str(int(text))
        canonical[name] = text
    return orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)


def subject_key(identity: Mapping[str, str | Sequence[str]]) -> str:
    """HMAC-SHA256(DLNUF_JOURNAL_SUBJECT_SECRET, canonical identity), hex."""
    secret = bytes.fromhex(settings.DLNUF_JOURNAL_SUBJECT_SECRET)
    return hmac.new(secret, canonical_identity(identity), hashlib.sha256).hexdigest()
