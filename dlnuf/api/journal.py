"""The journal API: signed tree heads and RFC 9162 proofs (public), and a consumer's own entries.

Hashes and signatures travel in standard base64. What is signed and what a leaf hash covers are
described in ``dlnuf.journal.signing`` and ``dlnuf.journal.encoding`` and in the OpenAPI text.
"""

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import HttpBearer

from dlnuf.api.problems import Problem, problem_response
from dlnuf.habilitations.selectors import grant_for_secret_hash
from dlnuf.habilitations.services import credential_hash
from dlnuf.journal.errors import JournalIntegrityError, ProofRequestError
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.selectors import (
    consistency_proof,
    inclusion_proof,
    journal_entry_for_consumer,
)
from dlnuf.journal.services import tree_head_sign
from dlnuf.journal.signing import journal_key

router = Router(tags=["journal"])

# Indices are 64-bit signed integers in the database; larger numbers cannot name an entry.
_LARGEST_INDEX = 1 << 63


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
        status=503,
        code="journal_unavailable",
        title="Journal indisponible",
        detail="Le journal ne peut pas produire cette preuve pour le moment.",
    )


def _proof_problem(error: ProofRequestError) -> HttpResponse:
    return problem_response(
        status=400,
        code=error.code,
        title="Paramètre invalide",
        detail=error.detail,
        parameter=error.parameter,
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
    response={200: InclusionProofOut, 400: Problem, 503: Problem},
    summary="Preuve d'inclusion d'une entrée",
    description=(
        "Le chemin d'audit (RFC 9162, § 2.1.3) de l'entrée `leaf_index` dans l'arbre de taille "
        "`tree_size` (par défaut la taille actuelle), de la feuille vers la racine."
    ),
)
def proof_inclusion(request: HttpRequest, leaf_index: int, tree_size: int | None = None) -> Any:
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
    response={200: ConsistencyProofOut, 400: Problem, 503: Problem},
    summary="Preuve de cohérence entre deux tailles",
    description=(
        "Le chemin de cohérence (RFC 9162, § 2.1.4) qui prouve que l'arbre de taille `first` "
        "est le début de l'arbre de taille `second` (par défaut la taille actuelle)."
    ),
)
def proof_consistency(request: HttpRequest, first: int, second: int | None = None) -> Any:
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


def _consumer_siret(secret: str) -> str | HttpResponse:
    """The organisation of a valid credential, or the problem to answer."""
    grant = grant_for_secret_hash(credential_hash(secret))
    challenge = {"WWW-Authenticate": 'Bearer realm="dlnuf"'}
    if grant is None:
        return problem_response(
            status=401,
            code="credential_unknown",
            title="Jeton inconnu",
            detail="Ce jeton n'existe pas. Vérifiez qu'il a été copié en entier.",
            headers=challenge,
        )
    if grant.revoked:
        return problem_response(
            status=401,
            code="credential_revoked",
            title="Jeton révoqué",
            detail="Ce jeton ou l'habilitation qui l'a produit a été révoqué.",
            headers=challenge,
        )
    if grant.expires_at <= timezone.now():
        return problem_response(
            status=401,
            code="credential_expired",
            title="Jeton expiré",
            detail="Ce jeton ou l'habilitation qui l'a produit est arrivé à échéance.",
            headers=challenge,
        )
    return grant.organisation_siret


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


class ConsumerBearer(HttpBearer):
    """Passes the credential on; the view tells unknown, revoked and expired ones apart."""

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token or None


@router.get(
    "/entries/{index}",
    response={200: JournalEntryOut, 401: Problem, 404: Problem},
    summary="Une entrée du journal (ses propres échanges)",
    description=(
        "L'entrée d'un échange fait avec un jeton de votre organisation, avec ses octets "
        "canoniques (`canonical`, base64) : SHA-256(0x00 ‖ octets canoniques) doit redonner "
        "`leaf_hash`, que la preuve d'inclusion relie à une tête signée."
    ),
    auth=ConsumerBearer(),
)
def journal_entry(request: HttpRequest, index: int) -> Any:
    consumer_siret = _consumer_siret(str(request.auth))  # type: ignore[attr-defined]
    if isinstance(consumer_siret, HttpResponse):
        return consumer_siret
    entry = (
        journal_entry_for_consumer(index=index, consumer_siret=consumer_siret)
        if 0 <= index < _LARGEST_INDEX
        else None
    )
    if entry is None:
        return problem_response(
            status=404,
            code="journal_entry_not_found",
            title="Entrée introuvable",
            detail=f"Aucune entrée {index} ne concerne un échange de votre organisation.",
        )
    return _entry_out(entry)
