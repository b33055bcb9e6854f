"""The tree against RFC 9162's definitions and the public Certificate Transparency vectors."""

import hashlib
import random

import pytest

from dlnuf.journal import merkle

# Leaves and tree heads published with the Certificate Transparency reference implementation.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (0-based leaf index, tree size, audit path)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [  # (first, second, consistency path)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def rfc_mth(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 9162 §2.1.1, as the reference for everything else."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(rfc_mth(leaves[:k]), rfc_mth(leaves[k:]))


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = merkle.largest_power_of_two_below(len(leaves))
    if m < k:
        return [*rfc_path(m, leaves[:k]), rfc_mth(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), rfc_mth(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [rfc_mth(leaves)]
    k = merkle.largest_power_of_two_below(n)
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], whole), rfc_mth(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], False), rfc_mth(leaves[:k])]


def range_hashes(leaves: list[bytes], ranges: list[tuple[int, int]]) -> list[bytes]:
    return [rfc_mth(leaves[start:end]) for start, end in ranges]


def random_leaves(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [merkle.leaf_hash(rng.randbytes(rng.randint(0, 40))) for _ in range(count)]


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
