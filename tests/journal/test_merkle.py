"""The tree against RFC 9162's definitions and the public Certificate Transparency vectors."""

import pytest

from dlnuf.journal import merkle
from tests.journal.rfc9162 import (
    CT_CONSISTENCY,
    CT_INCLUSION,
    CT_LEAVES,
    CT_ROOTS,
    random_leaves,
    range_hashes,
    rfc_mth,
    rfc_path,
    rfc_subproof,
)


def test_roots_match_the_published_vectors() -> None:
    leaves = [merkle.leaf_hash(data) for data in CT_LEAVES]
    assert merkle.EMPTY_ROOT.hex() == CT_ROOTS[0]
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        merkle.frontier_append(size, frontier, leaf)
        assert merkle.fold_blocks(frontier).hex() == CT_ROOTS[size + 1]
        assert rfc_mth(leaves[: size + 1]).hex() == CT_ROOTS[size + 1]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_inclusion_paths_match_the_published_vectors(
    index: int, size: int, expected: list[str]
) -> None:
    leaves = [merkle.leaf_hash(data) for data in CT_LEAVES[:size]]
    path = range_hashes(leaves, merkle.inclusion_path_ranges(index, size))
    assert [digest.hex() for digest in path] == expected
    root = bytes.fromhex(CT_ROOTS[size])
    assert merkle.verify_inclusion(leaves[index], index, size, path, root)


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_consistency_paths_match_the_published_vectors(
    first: int, second: int, expected: list[str]
) -> None:
    leaves = [merkle.leaf_hash(data) for data in CT_LEAVES[:second]]
    path = range_hashes(leaves, merkle.consistency_path_ranges(first, second))
    assert [digest.hex() for digest in path] == expected
    assert merkle.verify_consistency(
        first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), path
    )


def test_frontier_and_nodes_match_the_rfc_for_every_size() -> None:
    leaves = random_leaves(70, seed=1)
    frontier: list[bytes] = []
    stored: dict[int, bytes] = {}
    for size, leaf in enumerate(leaves):
        for position, digest in merkle.frontier_append(size, frontier, leaf):
            assert position not in stored
            stored[position] = digest
        tree_size = size + 1
        assert merkle.fold_blocks(frontier) == rfc_mth(leaves[:tree_size])
        assert frontier == [
            rfc_mth(leaves[index << level : (index + 1) << level])
            for level, index in merkle.blocks_of_range(0, tree_size)
        ]
    # Every perfect block above the leaves is stored exactly once, under its in-order position.
    assert len(stored) == 70 - (70).bit_count()
    for level in range(1, 7):
        for index in range(70 >> level):
            block = leaves[index << level : (index + 1) << level]
            assert stored[merkle.node_id(level, index)] == rfc_mth(block)


def test_paths_match_the_rfc_definitions_for_every_index_and_size() -> None:
    leaves = random_leaves(33, seed=2)
    for size in range(1, 34):
        root = rfc_mth(leaves[:size])
        for index in range(size):
            path = range_hashes(leaves, merkle.inclusion_path_ranges(index, size))
            assert path == rfc_path(index, leaves[:size])
            assert merkle.verify_inclusion(leaves[index], index, size, path, root)
        for first in range(1, size + 1):
            path = range_hashes(leaves, merkle.consistency_path_ranges(first, size))
            assert path == rfc_subproof(first, leaves[:size], True)
            assert merkle.verify_consistency(first, size, rfc_mth(leaves[:first]), root, path)


def test_tampered_inclusion_proofs_fail() -> None:
    leaves = random_leaves(21, seed=3)
    root = rfc_mth(leaves)
    path = rfc_path(9, leaves)
    assert merkle.verify_inclusion(leaves[9], 9, 21, path, root)
    assert not merkle.verify_inclusion(leaves[8], 9, 21, path, root)
    assert not merkle.verify_inclusion(leaves[9], 8, 21, path, root)
    assert not merkle.verify_inclusion(leaves[9], 9, 40, path, root)
    assert not merkle.verify_inclusion(leaves[9], 9, 21, path[:-1], root)
    assert not merkle.verify_inclusion(leaves[9], 9, 21, [*path, path[0]], root)
    assert not merkle.verify_inclusion(leaves[9], 9, 21, [path[1], path[0], *path[2:]], root)
    assert not merkle.verify_inclusion(leaves[9], 21, 21, path, root)
    assert not merkle.verify_inclusion(leaves[9], -1, 21, path, root)


def test_tampered_consistency_proofs_fail() -> None:
    leaves = random_leaves(21, seed=4)
    old, new = rfc_mth(leaves[:6]), rfc_mth(leaves)
    path = rfc_subproof(6, leaves, True)
    assert merkle.verify_consistency(6, 21, old, new, path)
    forked = [*leaves[:3], merkle.leaf_hash(b"autre"), *leaves[4:]]
    assert not merkle.verify_consistency(6, 21, old, rfc_mth(forked), path)
    assert not merkle.verify_consistency(6, 21, rfc_mth(leaves[:5]), new, path)
    assert not merkle.verify_consistency(5, 21, old, new, path)
    assert not merkle.verify_consistency(6, 21, old, new, path[:-1])
    assert not merkle.verify_consistency(6, 21, old, new, [])
    assert not merkle.verify_consistency(0, 21, old, new, path)
    assert not merkle.verify_consistency(22, 21, old, new, path)
    assert merkle.verify_consistency(21, 21, new, new, [])
    assert not merkle.verify_consistency(21, 21, new, old, [])
