"""Merkle tree hashing and proofs in the manner of RFC 9162 (Certificate Transparency v2), §2.1.

Everything here is pure: no database. Auditors can use ``verify_inclusion`` and
``verify_consistency`` on what the API serves, without any other part of the product.

- Leaf hash: ``SHA-256(0x00 || entry bytes)``; interior node: ``SHA-256(0x01 || left || right)``.
- The tree head of ``n`` leaves is the RFC's MTH: the empty string's SHA-256 for ``n = 0``, the leaf
  hash for ``n = 1``, otherwise ``node(MTH(D[0:k]), MTH(D[k:n]))`` where ``k`` is the largest power
  of two smaller than ``n``.

Storage vocabulary. A *perfect block* ``(level, index)`` is the complete subtree over the leaves
``[index·2^level, (index+1)·2^level)``; every subtree the RFC's definitions need is either a
perfect block or the right-edge fold of a few of them (``blocks_of_range``). Perfect blocks above
the leaves are stored under their in-order position ``node_id(level, index)``: leaves would sit at
even positions ``2·i`` (they live in the entries themselves), a block of level ``l ≥ 1`` at
``index·2^(l+1) + 2^l − 1``, between the two halves it covers. The *frontier* of a tree of size
``n`` is the list of perfect blocks that cover ``[0, n)``, largest first (one per set bit of ``n``).
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Block = tuple[int, int]
"""A perfect block as ``(level, index)``."""

_sha256 = hashlib.sha256


def leaf_hash(entry_bytes: bytes) -> bytes:
    return _sha256(b"\x00" + entry_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def node_id(level: int, index: int) -> int:
    """In-order position of the perfect block ``(level, index)``; unique across levels."""
    return (index << (level + 1)) + (1 << level) - 1


def largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 9162: the largest power of two strictly smaller than ``n`` (``n ≥ 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def blocks_of_range(start: int, end: int) -> list[Block]:
    """The perfect blocks that tile ``[start, end)``, largest first.

    Valid for the ranges that occur in RFC 9162 trees: ``start`` is a multiple of the smallest power
    of two not below ``end − start`` (every subtree of an MTH has that property), so each set bit of
    the length names one aligned block.
    """
    blocks: list[Block] = []
    position = start
    length = end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            blocks.append((level, position >> level))
            position += 1 << level
    return blocks


def fold_blocks(hashes: Sequence[bytes]) -> bytes:
    """The MTH of a range from its blocks' hashes (largest first): the right edge folds first."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def frontier_append(size: int, frontier: list[bytes], leaf: bytes) -> list[tuple[int, bytes]]:
    """Append ``leaf`` to a tree of ``size`` leaves whose ``frontier`` is updated in place.

    Returns the ``(node_id, hash)`` of every perfect block above the leaves that this leaf
    completes, in order of completion: these are the nodes to store.
    """
    completed: list[tuple[int, bytes]] = []
    current = leaf
    level = 0
    while size >> level & 1:
        current = node_hash(frontier.pop(), current)
        level += 1
        completed.append((node_id(level, size >> level), current))
    frontier.append(current)
    return completed


def inclusion_path_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees ``[start, end)`` whose hashes form RFC 9162's PATH(index, D[0:size]).

    Listed from the leaf upwards, as the RFC orders the audit path.
    """
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_path_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes form RFC 9162's PROOF(first, D[0:second]), 0 < first ≤ second."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, second
    m = first
    whole_old_tree_is_known = True
    while m != end - start:
        k = largest_power_of_two_below(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole_old_tree_is_known = False
    if not whole_old_tree_is_known:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def hashes_of_ranges(
    ranges: Iterable[tuple[int, int]], read_blocks: Callable[[set[Block]], dict[Block, bytes]]
) -> list[bytes]:
    """Hash each range from its perfect blocks, fetched all at once through ``read_blocks``."""
    tiled = [blocks_of_range(start, end) for start, end in ranges]
    stored = read_blocks({block for blocks in tiled for block in blocks})
    return [fold_blocks([stored[block] for block in blocks]) for blocks in tiled]


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove the leaf at ``index`` in the tree ``(size, root)``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    current = leaf_hash
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and current == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``path`` prove that tree ``first`` is a prefix of tree ``second``?"""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_hash = second_hash = nodes[0]
    for sibling in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first_hash = node_hash(sibling, first_hash)
            second_hash = node_hash(sibling, second_hash)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            second_hash = node_hash(second_hash, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first_hash == first_root and second_hash == second_root
