"""Reads on the journal: tree heads and proofs for any size, entries by consumer or subject.

Every hash a proof needs is a stored perfect block (an entry's leaf hash or a row of the node
table), so a proof costs two queries for O(log² n) rows whatever the size asked for.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from dlnuf.journal.errors import JournalIntegrityError, ProofRequestError
from dlnuf.journal.merkle import (
    EMPTY_ROOT,
    Block,
    blocks_of_range,
    consistency_path_ranges,
    fold_blocks,
    hashes_of_ranges,
    inclusion_path_ranges,
    node_id,
)
from dlnuf.journal.models import JournalEntry, MerkleNode, TreeHead
from dlnuf.journal.subjects import subject_key

_SUBJECT_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TreeState:
    size: int
    root_hash: bytes


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]


def tree_head_current() -> TreeState:
    row = TreeHead.objects.filter(pk=TreeHead.SINGLETON_ID).values_list("size", "root_hash").first()
    if row is None:
        return TreeState(size=0, root_hash=EMPTY_ROOT)
    return TreeState(size=row[0], root_hash=bytes(row[1]))


def stored_blocks(blocks: set[Block]) -> dict[Block, bytes]:
    """The stored hashes of these perfect blocks; raises when one is missing."""
    leaves = [index for level, index in blocks if level == 0]
    nodes = {node_id(level, index): (level, index) for level, index in blocks if level > 0}
    found: dict[Block, bytes] = {}
    if leaves:
        rows = JournalEntry.objects.filter(index__in=leaves).values_list("index", "leaf_hash")
        found.update(((0, index), bytes(digest)) for index, digest in rows)
    if nodes:
        rows = MerkleNode.objects.filter(position__in=list(nodes)).values_list("position", "hash")
        found.update((nodes[position], bytes(digest)) for position, digest in rows)
    if len(found) != len(blocks):
        raise JournalIntegrityError("Des empreintes de l'arbre manquent ; lancez journal_verify.")
    return found


def _check_size(parameter: str, value: int, current: int, *, minimum: int) -> None:
    if value < minimum:
        raise ProofRequestError(
            parameter=parameter,
            code="invalid_parameter",
            detail=f"« {parameter} » doit être un entier supérieur ou égal à {minimum}.",
        )
    if value > current:
        raise ProofRequestError(
            parameter=parameter,
            code="tree_size_beyond_head",
            detail=(
                f"« {parameter} » vaut {value} mais l'arbre ne compte que {current} entrées ; "
                "demandez d'abord la tête de l'arbre."
            ),
        )


def tree_root_at(size: int) -> bytes:
    """The root hash the tree had when it held ``size`` entries (0 ≤ size ≤ current size)."""
    _check_size("tree_size", size, tree_head_current().size, minimum=0)
    blocks = blocks_of_range(0, size)
    stored = stored_blocks(set(blocks))
    return fold_blocks([stored[block] for block in blocks])


def inclusion_proof(*, leaf_index: int, tree_size: int | None = None) -> InclusionProof:
    """RFC 9162 audit path of entry ``leaf_index`` in the tree of ``tree_size`` (default: now)."""
    current = tree_head_current().size
    size = current if tree_size is None else tree_size
    _check_size("tree_size", size, current, minimum=1)
    if leaf_index < 0 or leaf_index >= size:
        raise ProofRequestError(
            parameter="leaf_index",
            code="invalid_parameter",
            detail=f"« leaf_index » doit être compris entre 0 et {size - 1} pour cet arbre.",
        )
    path_ranges = inclusion_path_ranges(leaf_index, size)
    ranges = [(leaf_index, leaf_index + 1), *path_ranges, (0, size)]
    leaf, *path, root = hashes_of_ranges(ranges, stored_blocks)
    return InclusionProof(
        leaf_index=leaf_index, tree_size=size, leaf_hash=leaf, audit_path=path, root_hash=root
    )


def consistency_proof(*, first: int, second: int | None = None) -> ConsistencyProof:
    """RFC 9162 consistency path from tree ``first`` to tree ``second`` (default: now)."""
    current = tree_head_current().size
    new_size = current if second is None else second
    _check_size("second", new_size, current, minimum=1)
    _check_size("first", first, current, minimum=1)
    if first > new_size:
        raise ProofRequestError(
            parameter="first",
            code="invalid_parameter",
            detail=f"« first » ({first}) ne peut pas dépasser « second » ({new_size}).",
        )
    ranges = [(0, first), *consistency_path_ranges(first, new_size), (0, new_size)]
    first_root, *path, second_root = hashes_of_ranges(ranges, stored_blocks)
    return ConsistencyProof(
        first=first, second=new_size, first_root=first_root, second_root=second_root, path=path
    )


def journal_entry_for_consumer(*, index: int, consumer_siret: str) -> JournalEntry | None:
    """Entry ``index`` when it records an exchange of ``consumer_siret``; None otherwise."""
    return JournalEntry.objects.filter(index=index, consumer_siret=consumer_siret).first()


def journal_entries_for_subject(
    identity_or_key: str | Mapping[str, str | Sequence[str]],
) -> QuerySet[JournalEntry]:
    """Every access about one subject, newest first, by identity or by subject key."""
    if isinstance(identity_or_key, str):
        if not _SUBJECT_KEY.fullmatch(identity_or_key):
            raise ValueError("A subject key is 64 lowercase hexadecimal digits.")
        key = identity_or_key
    else:
        key = subject_key(identity_or_key)
    return JournalEntry.objects.filter(subject_key=key).order_by("-index")
