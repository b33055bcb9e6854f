"""Recompute the whole journal and compare it with what is stored and what was signed.

The entries are read in order (raw cursor, no model instances) in chunks of ``2^CHUNK_LEVEL``
leaves. In each chunk the indices must follow each other with no gap, every leaf hash is
recomputed from the entry's columns and compared with the stored one, and the chunk's perfect
subtrees are rebuilt and compared with the stored nodes. Above the chunks come the upper nodes,
the tree head (size, root, frontier) and every archived signed tree head (root recomputed at its
size, Ed25519 signature by the journal's key). Chunks are independent, so several processes can
share them.

The tree is rebuilt from the recomputed leaves, never from the stored hashes: whatever was
changed, the comparison with the signed heads shows it.

Messages are in French: operators and auditors read them.
"""

import hashlib
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, connections

from dlnuf.french import plural
from dlnuf.journal.encoding import (
    ENTRY_COLUMNS,
    ENTRY_FORMAT_VERSION,
    ENTRY_FORMAT_VERSION_WITH_UNEXPECTED_FIELDS,
    FIELDS_POSITION,
    SCOPES_POSITION,
    entry_canonical_bytes,
)
from dlnuf.journal.merkle import (
    EMPTY_ROOT,
    Block,
    blocks_of_range,
    fold_blocks,
    leaf_hash,
    node_hash,
    node_id,
)
from dlnuf.journal.models import JournalEntry, MerkleNode, SignedTreeHead, TreeHead
from dlnuf.journal.signing import journal_key, verify_tree_head_signature

CHUNK_LEVEL = 16
_FETCH_ROWS = 4096
# One tampering can break thousands of hashes: beyond these many, problems are counted and not
# described, the first ones already say where to look.
MAX_DESCRIBED = 200
_MAX_MOVE_CANDIDATES = 200
_UPPER_QUERY_BATCH = 500


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    index: int | None = None


@dataclass
class VerificationReport:
    tree_size: int = 0
    root_hash: bytes | None = None
    entries_checked: int = 0
    nodes_checked: int = 0
    signed_heads_checked: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    problems_not_described: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problems_not_described

    @property
    def entries_per_second(self) -> float:
        return self.entries_checked / self.seconds if self.seconds > 0 else 0.0

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_DESCRIBED:
            self.problems.append(problem)
        else:
            self.problems_not_described += 1


@dataclass
class _ChunkResult:
    start: int
    end: int
    entries_checked: int = 0
    nodes_checked: int = 0
    complete: bool = True
    root: bytes | None = None
    blocks_at: dict[int, list[bytes]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problems_not_described: int = 0
    altered_indices: list[int] = field(default_factory=list)
    differing_blocks: set[Block] = field(default_factory=set)
    altered_rows: list[tuple[tuple[Any, ...], bytes]] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_DESCRIBED:
            self.problems.append(problem)
        else:
            self.problems_not_described += 1


def verify_journal(*, workers: int = 1, chunk_level: int = CHUNK_LEVEL) -> VerificationReport:
    """Check every entry, node, the head and every signed head; never raises on tampering."""
    began = time.perf_counter()
    report = VerificationReport()
    head = TreeHead.objects.filter(pk=TreeHead.SINGLETON_ID).values_list(
        "size", "root_hash", "frontier"
    )
    head_row = head.first()
    if head_row is None:
        size, head_root, head_frontier = 0, EMPTY_ROOT, b""
    else:
        size, head_root, head_frontier = head_row[0], bytes(head_row[1]), bytes(head_row[2])
    report.tree_size = size
    signed_heads = list(
        SignedTreeHead.objects.order_by("id").values_list(
            "id", "tree_size", "timestamp_ms", "root_hash", "key_id", "signature"
        )
    )
    if head_row is None and JournalEntry.objects.exists():
        report.add(
            Problem(
                "head_missing", "La tête de l'arbre est absente alors que des entrées existent."
            )
        )

    chunk = 1 << chunk_level
    sizes = {size} | {row[1] for row in signed_heads if 0 < row[1] <= size}
    tasks = [
        (start, min(start + chunk, size), sorted(s for s in sizes if start < s < start + chunk))
        for start in range(0, size, chunk)
    ]
    results = _run_chunks(tasks, chunk_level, workers)
    for result in results:
        report.entries_checked += result.entries_checked
        report.nodes_checked += result.nodes_checked
        for problem in result.problems:
            report.add(problem)
        report.problems_not_described += result.problems_not_described
    altered = sorted(index for result in results for index in result.altered_indices)
    _explain_moves(report, [row for result in results for row in result.altered_rows])

    upper = _upper_levels(results, chunk)
    differing_in_chunks = {block for result in results for block in result.differing_blocks}
    _compare_upper_nodes(report, upper, chunk_level, altered, differing_in_chunks)
    _check_rows_outside_the_tree(report)

    def blocks_at(tree_size: int) -> list[bytes] | None:
        hashes: list[bytes | None] = [
            upper[level - chunk_level][index]
            for level, index in blocks_of_range(0, tree_size)
            if level >= chunk_level
        ]
        if tree_size % chunk:
            partial = results[tree_size >> chunk_level].blocks_at.get(tree_size)
            if partial is None:
                return None
            hashes.extend(partial)
        if any(digest is None for digest in hashes):
            return None
        return [digest for digest in hashes if digest is not None]

    _check_head(report, size, head_root, head_frontier, blocks_at(size))
    _check_signed_heads(report, signed_heads, size, blocks_at)
    report.seconds = time.perf_counter() - began
    return report


def _check_head(
    report: VerificationReport,
    size: int,
    stored_root: bytes,
    stored_frontier: bytes,
    frontier: list[bytes] | None,
) -> None:
    if frontier is None:
        report.add(
            Problem("head_unverifiable", "Tête de l'arbre non vérifiable : des entrées manquent.")
        )
        return
    report.root_hash = fold_blocks(frontier)
    if report.root_hash != stored_root:
        report.add(
            Problem(
                "head_altered",
                f"Tête de l'arbre (taille {size}) : la racine enregistrée ne correspond pas aux "
                "entrées.",
            )
        )
    if b"".join(frontier) != stored_frontier:
        report.add(
            Problem(
                "head_altered",
                f"Tête de l'arbre (taille {size}) : la frontière enregistrée ne correspond pas "
                "aux entrées.",
            )
        )


def _check_rows_outside_the_tree(report: VerificationReport) -> None:
    """Entries and nodes the tree head does not account for.

    Each query reads the head in the same statement, hence the same snapshot: entries appended
    while the verification runs come with their head and are never mistaken for forgeries.
    """
    quote = connection.ops.quote_name
    entries, nodes = quote(JournalEntry._meta.db_table), quote(MerkleNode._meta.db_table)
    head_size = (
        f"COALESCE((SELECT {quote('size')} FROM {quote(TreeHead._meta.db_table)} "  # noqa: S608
        f"WHERE id = {TreeHead.SINGLETON_ID}), 0)"
    )
    index = quote("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {index}, {head_size} FROM {entries} "  # noqa: S608
            f"WHERE {index} < 0 OR {index} >= {head_size} ORDER BY {index} LIMIT %s",
            [MAX_DESCRIBED + 1],
        )
        for entry_index, size in cursor.fetchall():
            report.add(
                Problem(
                    "entry_unexpected",
                    f"Entrée {entry_index} : hors de l'arbre (taille {size}), ajoutée sans "
                    "passer par le journal.",
                    entry_index,
                )
            )
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {nodes}), {head_size}")  # noqa: S608
        stored, size = cursor.fetchone()
    extra = stored - (size - size.bit_count())
    if extra > 0:
        report.add(
            Problem("node_unexpected", f"{plural(extra, 'nœud', 'nœuds')} en trop dans l'arbre.")
        )


def _run_chunks(
    tasks: list[tuple[int, int, list[int]]], chunk_level: int, workers: int
) -> list[_ChunkResult]:
    parallel = (
        workers > 1
        and len(tasks) > 1
        and not connection.in_atomic_block
        and not (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]
    )
    if not parallel:
        return [_verify_chunk(start, end, sizes, chunk_level) for start, end, sizes in tasks]
    # Each process opens its own connection: none may be inherited open across the fork.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(_verify_chunk_in_child, start, end, sizes, chunk_level)
            for start, end, sizes in tasks
        ]
        return [future.result() for future in futures]


def _verify_chunk_in_child(
    start: int, end: int, sizes: list[int], chunk_level: int
) -> _ChunkResult:
    try:
        return _verify_chunk(start, end, sizes, chunk_level)
    finally:
        connections.close_all()


def _entry_select_sql() -> str:
    quote = connection.ops.quote_name
    columns = []
    for name in ENTRY_COLUMNS:
        if name == "exchange_id" and connection.features.has_native_uuid_field:
            columns.append(f"replace(CAST({quote(name)} AS text), '-', '')")
        else:
            columns.append(quote(name))
    columns.append(quote("leaf_hash"))
    index = quote("index")
    # Quoted model identifiers only; the values are bound parameters.
    return (
        f"SELECT {', '.join(columns)} FROM {quote(JournalEntry._meta.db_table)} "  # noqa: S608
        f"WHERE {index} >= %s AND {index} < %s ORDER BY {index}"
    )


def _fetch(sql: str, params: Sequence[Any]) -> Iterator[list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield rows


def _verify_chunk(start: int, end: int, sizes: Sequence[int], chunk_level: int) -> _ChunkResult:
    """Check entries ``[start, end)`` (``start`` a multiple of the chunk size) and their nodes."""
    result = _ChunkResult(start=start, end=end)
    leaves: list[bytes] = []
    expected = start
    # The loop below is the hot path of the verification: names are bound locally and the
    # canonical array is built inline (same layout as encoding.entry_canonical_bytes).
    dumps, fragment, sha256 = orjson.dumps, orjson.Fragment, hashlib.sha256
    version, scopes_at, fields_at = ENTRY_FORMAT_VERSION, SCOPES_POSITION, FIELDS_POSITION
    flagged_version = ENTRY_FORMAT_VERSION_WITH_UNEXPECTED_FIELDS
    for rows in _fetch(_entry_select_sql(), (start, end)):
        for row in rows:
            index = row[0]
            # The last two columns are the unexpected-fields flag and the stored leaf hash.
            if row[-2]:
                canonical = dumps(
                    (
                        flagged_version,
                        *row[:scopes_at],
                        fragment(row[scopes_at]),
                        fragment(row[fields_at]),
                        *row[fields_at + 1 : -2],
                        True,
                    )
                )
            else:
                canonical = dumps(
                    (
                        version,
                        *row[:scopes_at],
                        fragment(row[scopes_at]),
                        fragment(row[fields_at]),
                        *row[fields_at + 1 : -2],
                    )
                )
            digest = sha256(b"\x00" + canonical).digest()
            if index != expected:
                result.complete = False
                _report_gap(result, expected, index)
            if digest != row[-1]:
                _report_altered(result, row)
            leaves.append(digest)
            expected = index + 1
    result.entries_checked = len(leaves)
    if expected < end:
        result.complete = False
        _report_gap(result, expected, end)
    if not result.complete:
        return result

    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [node_hash(left, right) for left, right in zip(below[0::2], below[1::2], strict=False)]
        )
    _compare_chunk_nodes(result, levels, chunk_level)
    if end - start == 1 << chunk_level:
        result.root = levels[chunk_level][0]
    for tree_size in sizes:
        result.blocks_at[tree_size] = [
            levels[level][index - (start >> level)]
            for level, index in blocks_of_range(start, tree_size)
        ]
    return result


def _report_gap(result: _ChunkResult, first_missing: int, next_present: int) -> None:
    if next_present - first_missing == 1:
        message = f"Entrée {first_missing} : absente (supprimée)."
    else:
        message = f"Entrées {first_missing} à {next_present - 1} : absentes (supprimées)."
    result.add(Problem("entry_missing", message, first_missing))


def _report_altered(result: _ChunkResult, row: tuple[Any, ...]) -> None:
    index = row[0]
    result.altered_indices.append(index)
    result.add(
        Problem(
            "entry_altered",
            f"Entrée {index} : contenu modifié (l'empreinte recalculée ne correspond pas à "
            "l'empreinte enregistrée).",
            index,
        )
    )
    if len(result.altered_rows) < _MAX_MOVE_CANDIDATES:
        result.altered_rows.append((tuple(row[:-1]), bytes(row[-1])))


def _block_of_position(position: int) -> Block:
    level = ((position + 1) & -(position + 1)).bit_length() - 1
    return level, (position + 1) >> (level + 1)


def _covers_altered(level: int, index: int, altered: Sequence[int]) -> bool:
    first, last = index << level, ((index + 1) << level) - 1
    return any(first <= altered_index <= last for altered_index in altered)


def _describe_node(position: int, what: str) -> Problem:
    level, index = _block_of_position(position)
    first, last = index << level, ((index + 1) << level) - 1
    return Problem(
        "node_altered",
        f"Nœud {position} (niveau {level}, entrées {first} à {last}) : {what}.",
        first,
    )


_LAYOUTS: dict[int, list[tuple[int, int, int]]] = {}


def _chunk_layout(chunk_level: int) -> list[tuple[int, int, int]]:
    """(relative position, level, relative index) of every node of a full chunk, in position
    order, which is the order in which the node table returns them."""
    if chunk_level not in _LAYOUTS:
        layout = []
        for relative in range(1, (2 << chunk_level) - 2, 2):
            level, index = _block_of_position(relative)
            layout.append((relative, level, index))
        _LAYOUTS[chunk_level] = layout
    return _LAYOUTS[chunk_level]


def _compare_chunk_nodes(result: _ChunkResult, levels: list[list[bytes]], chunk_level: int) -> None:
    base = 2 * result.start
    expected = [
        (base + relative, levels[level][index])
        for relative, level, index in _chunk_layout(chunk_level)
        if level < len(levels) and index < len(levels[level])
    ]
    quote = connection.ops.quote_name
    column = quote("position")
    # Quoted model identifiers only; the values are bound parameters.
    sql = (
        f"SELECT {column}, {quote('hash')} FROM {quote(MerkleNode._meta.db_table)} "  # noqa: S608
        f"WHERE {column} > %s AND {column} < %s ORDER BY {column}"
    )
    stored: list[tuple[Any, ...]] = []
    for rows in _fetch(sql, (base, base + (2 << chunk_level) - 1)):
        stored.extend(rows)
    result.nodes_checked = len(expected)
    if stored == expected:
        return
    stored_by_position = {position: bytes(digest) for position, digest in stored}
    differing = []
    for position, digest in expected:
        found = stored_by_position.pop(position, None)
        if found != digest:
            differing.append((position, found))
    result.differing_blocks = _report_differing_nodes(result, differing, result.altered_indices)
    for position in sorted(stored_by_position):
        level, index = _block_of_position(position)
        if level > 0 and (index + 1) << level > result.end:
            continue  # completed by entries appended since the verification began
        result.add(Problem("node_unexpected", f"Nœud {position} : en trop dans l'arbre."))


def _report_differing_nodes(
    sink: "_ChunkResult | VerificationReport",
    differing: list[tuple[int, bytes | None]],
    altered: Sequence[int],
    already_differing: set[Block] | None = None,
) -> set[Block]:
    """Report the stored nodes that differ from the rebuilt tree, except those that differ only
    because something below them does (an altered entry, or a child node already reported):
    one changed hash makes all its ancestors differ, and only the lowest one says where."""
    blocks = {_block_of_position(position): found for position, found in differing}
    below = already_differing or set()
    for (level, index), found in sorted(blocks.items()):
        children = {(level - 1, 2 * index), (level - 1, 2 * index + 1)}
        if _covers_altered(level, index, altered) or children & (blocks.keys() | below):
            continue
        position = node_id(level, index)
        sink.add(_describe_node(position, "absent" if found is None else "empreinte modifiée"))
    return set(blocks)


def _upper_levels(results: list[_ChunkResult], chunk: int) -> list[list[bytes | None]]:
    """The perfect subtrees made of whole chunks: level 0 here is the chunks' roots."""
    roots: list[bytes | None] = [r.root for r in results if r.end - r.start == chunk]
    upper = [roots]
    while len(upper[-1]) > 1:
        below = upper[-1]
        upper.append(
            [
                node_hash(left, right) if left is not None and right is not None else None
                for left, right in zip(below[0::2], below[1::2], strict=False)
            ]
        )
    return upper


def _compare_upper_nodes(
    report: VerificationReport,
    upper: list[list[bytes | None]],
    chunk_level: int,
    altered: Sequence[int],
    differing_below: set[Block],
) -> None:
    """Compare the stored nodes above the chunks."""
    expected = {
        node_id(chunk_level + height, index): digest
        for height in range(1, len(upper))
        for index, digest in enumerate(upper[height])
    }
    positions = sorted(expected)
    stored: dict[int, bytes] = {}
    for offset in range(0, len(positions), _UPPER_QUERY_BATCH):
        batch = positions[offset : offset + _UPPER_QUERY_BATCH]
        rows = MerkleNode.objects.filter(position__in=batch).values_list("position", "hash")
        stored.update((position, bytes(digest)) for position, digest in rows)
    differing = []
    for position in positions:
        digest = expected[position]
        if digest is None:
            continue
        report.nodes_checked += 1
        found = stored.get(position)
        if found != digest:
            differing.append((position, found))
    _report_differing_nodes(report, differing, altered, differing_below)


def _explain_moves(
    report: VerificationReport, altered_rows: list[tuple[tuple[Any, ...], bytes]]
) -> None:
    """Tell moved entries from altered ones: an altered row whose content hashes right at another
    altered position holds that entry (rows swapped, with or without their stored hashes)."""
    stored_leaf = {row[0]: digest for row, digest in altered_rows}
    moved_from: dict[int, int] = {}
    for row, digest in altered_rows:
        for other in stored_leaf:
            if other == row[0]:
                continue
            candidate = leaf_hash(entry_canonical_bytes((other, *row[1:])))
            if candidate in (digest, stored_leaf[other]):
                moved_from[row[0]] = other
                break
    if not moved_from:
        return
    report.problems = [
        Problem(
            "entry_moved",
            f"Entrée {problem.index} : contient l'entrée {moved_from[problem.index]} "
            "(entrées déplacées ou interverties).",
            problem.index,
        )
        if problem.kind == "entry_altered" and problem.index in moved_from
        else problem
        for problem in report.problems
    ]


def _check_signed_heads(
    report: VerificationReport,
    signed_heads: list[tuple[Any, ...]],
    size: int,
    blocks_at: Callable[[int], list[bytes] | None],
) -> None:
    key = journal_key()
    for head_id, tree_size, timestamp_ms, stored_root, key_id, signature in signed_heads:
        report.signed_heads_checked += 1
        root = bytes(stored_root)
        label = f"Tête signée n° {head_id} (taille {tree_size})"
        if key_id != key.key_id:
            report.add(
                Problem("signed_head_unknown_key", f"{label} : signée par une clé inconnue.")
            )
        elif not verify_tree_head_signature(
            public_key=key.public_key,
            tree_size=tree_size,
            timestamp_ms=timestamp_ms,
            root_hash=root,
            signature=bytes(signature),
        ):
            report.add(
                Problem("signed_head_bad_signature", f"{label} : signature invalide (falsifiée).")
            )
        if tree_size > size:
            report.add(
                Problem(
                    "signed_head_beyond_tree",
                    f"{label} : l'arbre ne compte plus que {size} entrées (entrées retirées).",
                )
            )
            continue
        blocks = blocks_at(tree_size)
        if blocks is None:
            report.add(
                Problem(
                    "signed_head_unverifiable", f"{label} : non vérifiable, des entrées manquent."
                )
            )
        elif fold_blocks(blocks) != root:
            report.add(
                Problem(
                    "signed_head_mismatch",
                    f"{label} : la racine signée ne correspond pas aux entrées (journal réécrit).",
                )
            )
