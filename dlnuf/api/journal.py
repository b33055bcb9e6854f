"""The journal API: signed tree heads and RFC 9162 proofs (public), and a consumer's own entries.

Hashes and signatures travel in standard base64. What is signed and what a leaf hash covers are
described in ``dlnuf.journal.signing`` and ``dlnuf.journal.encoding`` and in the OpenAPI text.
"""

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from dlnuf.api.auth import BearerCredential, challenge_for, grant_of
from dlnuf.api.problems import problem_openapi_responses, problem_response
from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.journal.errors import JournalIntegrityError, ProofRequestError
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.selectors import (
    consistency_proof,
    inclusion_proof,
    journal_entry_for_consumer,
    tree_head_current,
)
from dlnuf.journal.services import tree_head_sign
from dlnuf.journal.signing import journal_key

router = Router(tags=["journal"])

# Indices are 64-bit signed integers in the database; larger numbers cannot name an entry.
_LARGEST_INDEX = (1 << 63) - 1


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class TreeHeadOut(Schema):
    tree_size: int
    timestamp: int
    root_hash: str
    signature: str
    signature_algorithm: str
    public_key: str
    key_id: str


class InclusionProofOut(Schema):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    root_hash: str


class ConsistencyProofOut(Schema):
    first: int
    second: int
    consistency_path: list[str]
    first_root_hash: str
    second_root_hash: str


class JournalEntryOut(Schema):
    index: int
    exchange_id: UUID
    occurred_at: datetime
    consumer_siret: str
    habilitation_id: int | None
    credential_id: int | None
    dataset: str
    scopes: list[str]
    fields_returned: list[str]
    recipient: str
    context: str
    object: str
    provider: str
    status: int
    code: str
    latency_ms: float
    subject_key: str
    leaf_hash: str
    canonical: str


def _journal_unavailable() -> HttpResponse:
    return problem_response(
        code="journal_unavailable",
        detail="Le journal ne peut pas produire cette preuve pour le moment.",
    )


def _proof_problem(error: ProofRequestError) -> HttpResponse:
    return problem_response(code=error.code, detail=error.detail, parameter=error.parameter)


_PROOF_PROBLEMS = problem_openapi_responses(
    ("invalid_parameter", "tree_size_beyond_head", "journal_unavailable")
)


@router.get(
    "/tree-head",
    response={200: TreeHeadOut},
    summary="Tête de l'arbre signée",
    description=(
        "La taille et la racine actuelles de l'arbre de Merkle du journal (RFC 9162), signées "
        "en Ed25519. Message signé (58 octets) : « DLNUF-STH » en ASCII, l'octet de version "
        "0x01, la taille (64 bits gros-boutiste), l'horodatage en millisecondes depuis 1970 "
        "(64 bits gros-boutiste), puis les 32 octets de la racine. `key_id` est le SHA-256 "
        "hexadécimal de la clé publique brute."
    ),
    openapi_extra={"responses": problem_openapi_responses(())},
)
def tree_head(request: HttpRequest) -> Any:
    signed = tree_head_sign()
    key = journal_key()
    return {
        "tree_size": signed.tree_size,
        "timestamp": signed.timestamp_ms,
        "root_hash": _b64(bytes(signed.root_hash)),
        "signature": _b64(bytes(signed.signature)),
        "signature_algorithm": "Ed25519",
        "public_key": _b64(key.public_key),
        "key_id": signed.key_id,
    }


@router.get(
    "/proof/inclusion",
    response={200: InclusionProofOut},
    summary="Preuve d'inclusion d'une entrée",
    description=(
        "Le chemin d'audit (RFC 9162, § 2.1.3) de l'entrée `leaf_index` dans l'arbre de taille "
        "`tree_size` (par défaut la taille actuelle), de la feuille vers la racine. "
        "`leaf_index` doit être inférieur à `tree_size`."
    ),
    openapi_extra={"responses": _PROOF_PROBLEMS},
)
def proof_inclusion(
    request: HttpRequest,
    leaf_index: int = Query(..., ge=0),
    tree_size: int | None = Query(None, ge=1),
) -> Any:
    try:
        proof = inclusion_proof(leaf_index=leaf_index, tree_size=tree_size)
    except ProofRequestError as error:
        return _proof_problem(error)
    except JournalIntegrityError:
        return _journal_unavailable()
    return {
        "leaf_index": proof.leaf_index,
        "tree_size": proof.tree_size,
        "leaf_hash": _b64(proof.leaf_hash),
        "audit_path": [_b64(digest) for digest in proof.audit_path],
        "root_hash": _b64(proof.root_hash),
    }


@router.get(
    "/proof/consistency",
    response={200: ConsistencyProofOut},
    summary="Preuve de cohérence entre deux tailles",
    description=(
        "Le chemin de cohérence (RFC 9162, § 2.1.4) qui prouve que l'arbre de taille `first` "
        "est le début de l'arbre de taille `second` (par défaut la taille actuelle). `first` "
        "ne peut pas dépasser `second`."
    ),
    openapi_extra={"responses": _PROOF_PROBLEMS},
)
def proof_consistency(
    request: HttpRequest,
    first: int = Query(..., ge=1),
    second: int | None = Query(None, ge=1),
) -> Any:
    try:
        proof = consistency_proof(first=first, second=second)
    except ProofRequestError as error:
        return _proof_problem(error)
    except JournalIntegrityError:
        return _journal_unavailable()
    return {
        "first": proof.first,
        "second": proof.second,
        "consistency_path": [_b64(digest) for digest in proof.path],
        "first_root_hash": _b64(proof.first_root),
        "second_root_hash": _b64(proof.second_root),
    }


def _entry_out(entry: JournalEntry) -> dict[str, Any]:
    return {
        "index": entry.index,
        "exchange_id": entry.exchange_id,
        "occurred_at": entry.occurred_at,
        "consumer_siret": entry.consumer_siret,
        "habilitation_id": entry.habilitation_id,
        "credential_id": entry.credential_id,
        "dataset": entry.dataset_slug,
        "scopes": list(entry.scopes),
        "fields_returned": list(entry.fields_returned),
        "recipient": entry.recipient,
        "context": entry.context,
        "object": entry.object,
        "provider": entry.provider,
        "status": entry.status,
        "code": entry.code,
        "latency_ms": entry.latency_ms,
        "subject_key": entry.subject_key,
        "leaf_hash": _b64(bytes(entry.leaf_hash)),
        "canonical": _b64(entry.canonical_bytes()),
    }


@router.get(
    "/entries/{index}",
    response={200: JournalEntryOut},
    summary="Une entrée du journal (ses propres échanges)",
    description=(
        "L'entrée d'un échange fait avec un jeton de votre organisation, avec ses octets "
        "canoniques (`canonical`, base64) : SHA-256(0x00 ‖ octets canoniques) doit redonner "
        "`leaf_hash`, que la preuve d'inclusion relie à une tête signée."
    ),
    auth=BearerCredential(),
    openapi_extra={
        "responses": problem_openapi_responses(
            (
                "invalid_parameter",
                "credential_missing",
                "credential_unknown",
                "credential_expired",
                "credential_revoked",
                "journal_entry_not_found",
            )
        )
    },
)
def journal_entry(request: HttpRequest, index: int) -> Any:
    try:
        grant = grant_of(request)
    except ExchangeRefused as refusal:
        return problem_response(code=refusal.code, headers=challenge_for(refusal))
    entry = (
        journal_entry_for_consumer(index=index, consumer_siret=grant.organisation_siret)
        if 0 <= index <= _LARGEST_INDEX
        else None
    )
    if entry is None:
        return problem_response(
            code="journal_entry_not_found",
            detail=f"Aucune entrée {index} ne concerne un échange de votre organisation.",
        )
    return _entry_out(entry)


def journal_openapi_ranges(paths: dict[str, Any], path_prefix: str) -> None:
    """Bounds the proof parameters by the tree's size when the document is produced: larger
    values name entries and trees that do not exist yet."""
    size = tree_head_current().size
    if size < 1:
        return
    bounds = {
        "proof/inclusion": {"leaf_index": size - 1, "tree_size": size},
        "proof/consistency": {"first": size, "second": size},
    }
    for suffix, maxima in bounds.items():
        operation = paths.get(f"{path_prefix}journal/{suffix}", {}).get("get", {})
        for parameter in operation.get("parameters", []):
            if parameter["name"] in maxima:
                _set_maximum(parameter["schema"], maxima[parameter["name"]])


def _set_maximum(schema: dict[str, Any], maximum: int) -> None:
    # An optional parameter's schema is a union with null; bound its integer branch.
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "integer":
            branch["maximum"] = maximum
