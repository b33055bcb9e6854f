"""The journal served as a tiled transparency log (C2SP ``tlog-tiles``, ``tlog-checkpoint``).

Tiles have height 8: the tile ``N`` of level ``L`` holds, in order, the hashes of the perfect
blocks ``(8·L, N·256 + i)`` for ``i`` from 0 to the tile's width − 1 (256 for a full tile).
Level 0 holds the entries' leaf hashes; every higher level holds blocks the writer stores once
complete (``dlnuf.journal.merkle``, ``MerkleNode``), so a tile is read in one query after the
tree's size. Only hashes are served: the entries themselves hold personal data and there is no
``tile/entries`` resource.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from dlnuf.journal.errors import JournalIntegrityError
from dlnuf.journal.merkle import node_id
from dlnuf.journal.models import JournalEntry, MerkleNode
from dlnuf.journal.notes import Checkpoint, note_sign, verifier_key
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.services import tree_head_sign
from dlnuf.journal.signing import journal_key

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
# Level 63 is the largest the format names; the blocks of a level hold 2^(8·L) leaves.
MAX_TILE_LEVEL = 63

_TILE_INDEX = re.compile(r"(?:x[0-9]{3}/)*[0-9]{3}")


def tile_index_path(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: groups of three digits, all but the last marked ``x``."""
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def tile_index_parse(path: str) -> int:
    """The index a tile path names; only the one spelling ``tile_index_path`` gives is accepted,
    so that each tile has a single address (and a single cached copy)."""
    if not _TILE_INDEX.fullmatch(path):
        raise ValueError(path)
    index = int(path.replace("x", "").replace("/", ""))
    if tile_index_path(index) != path:
        raise ValueError(path)
    return index


@dataclass(frozen=True)
class Tile:
    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def first(self) -> int:
        """Index, among the blocks of height ``8·level``, of the tile's first hash."""
        return self.index * TILE_WIDTH


def tile_hashes(tile: Tile) -> bytes | None:
    """The concatenated hashes of ``tile``, or ``None`` when the tree does not reach it yet."""
    if not 0 <= tile.level <= MAX_TILE_LEVEL or not 1 <= tile.width <= TILE_WIDTH:
        return None
    block_level = TILE_HEIGHT * tile.level
    if tile.first + tile.width > tree_head_current().size >> block_level:
        return None
    end = tile.first + tile.width
    if block_level == 0:
        rows = (
            JournalEntry.objects.filter(index__gte=tile.first, index__lt=end)
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        )
    else:
        # At one level, node ids grow with the block index: ordering by them keeps the tile's order.
        positions = [node_id(block_level, index) for index in range(tile.first, end)]
        rows = (
            MerkleNode.objects.filter(position__in=positions)
            .order_by("position")
            .values_list("hash", flat=True)
        )
    hashes = [bytes(digest) for digest in rows]
    if len(hashes) != tile.width:
        raise JournalIntegrityError("Des empreintes de l'arbre manquent ; lancez journal_verify.")
    return b"".join(hashes)


def journal_origin() -> str:
    return settings.DLNUF_JOURNAL_ORIGIN


def journal_verifier_key() -> str:
    """The signed-note verifier key of the journal: its name is the origin."""
    return verifier_key(journal_origin(), journal_key().public_key)


def checkpoint_current() -> str:
    """The current tree head as a signed checkpoint note.

    The head is first archived as a signed tree head (``tree_head_sign``), so every size ever
    published is re-checked by ``journal_verify``.
    """
    signed = tree_head_sign()
    checkpoint = Checkpoint(
        origin=journal_origin(), size=signed.tree_size, root_hash=bytes(signed.root_hash)
    )
    return note_sign(checkpoint.text, journal_origin(), journal_key().private_key)
