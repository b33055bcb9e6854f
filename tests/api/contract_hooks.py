"""Schemathesis hooks for the API contract test (loaded by ``st run`` through SCHEMATHESIS_HOOKS).

The schema cannot say which credential a dataset needs, which SIRET the credential belongs to,
that a birth date must exist in the calendar, nor that a proof's first size cannot exceed its
second. Valid calls get those right here; each refusal is covered by its own unit test.
"""

import calendar
import json
import os
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.generation.modes import GenerationMode

CREDENTIALS: dict[str, str] = json.loads(os.environ.get("DLNUF_CONTRACT_CREDENTIALS", "{}"))
RECIPIENT = os.environ.get("DLNUF_CONTRACT_RECIPIENT", "")
ANY_CREDENTIAL = "journal"


@schemathesis.auth()
class DatasetCredential:
    """Each dataset has its own habilitation, hence its own credential."""

    def get(self, case: Case, context: Any) -> dict[str, str]:
        return CREDENTIALS

    def set(self, case: Case, data: dict[str, str], context: Any) -> None:
        secret = data.get(case.operation.path, data[ANY_CREDENTIAL])
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}


def _is_positive(case: Case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _existing_birth_date(values: dict[str, Any]) -> None:
    try:
        year = int(values["anneeDateNaissance"])
        month = int(values["moisDateNaissance"])
        day = int(values["jourDateNaissance"])
    except (KeyError, TypeError, ValueError):
        return
    if 1 <= month <= 12 and day > calendar.monthrange(year, month)[1]:
        values["jourDateNaissance"] = calendar.monthrange(year, month)[1]


def _integer(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _at_most(values: dict[str, Any], name: str, bound: str, *, below: bool) -> None:
    value, limit = _integer(values.get(name)), _integer(values.get(bound))
    if value is not None and limit is not None:
        values[name] = min(value, limit - (1 if below else 0))


@schemathesis.hook
def map_case(context: Any, case: Case) -> Case:
    if not _is_positive(case) or not isinstance(case.query, dict):
        return case
    query = case.query
    if "recipient" in query:
        query["recipient"] = RECIPIENT
    for values in (query, *(v for v in query.values() if isinstance(v, dict))):
        _existing_birth_date(values)
    _at_most(query, "leaf_index", "tree_size", below=True)
    _at_most(query, "first", "second", below=False)
    return case
