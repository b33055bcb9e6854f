"""Copied code: identical token sequences found in two places of the tree.

The tokens come from lizard's readers (every supported language, comments and layout already
dropped); string literals are compared without their quote style, so re-indenting, re-wrapping,
re-commenting or re-quoting a copy does not hide it. Every pair of identical sequences of at
least MIN_CLONE_TOKENS tokens is found: windows of SEED_TOKENS tokens starting every SEED_STEP
tokens are indexed, each window of the tree is looked up there, and a hit is extended both ways
token by token. Any sequence of SEED_TOKENS + SEED_STEP - 1 tokens holds an indexed window, so
no copy of MIN_CLONE_TOKENS tokens or more is missed, repetitive stretches aside (see
MAX_SEED_PLACES, MIN_DISTINCT_TOKENS and the runs below). The measure is the share of the lines
holding code that belong to at least one copy (the original counts too: both places must be
maintained).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MIN_CLONE_TOKENS = 60
SEED_TOKENS = 50
SEED_STEP = MIN_CLONE_TOKENS - SEED_TOKENS + 1
# A window found in more places than this is boilerplate or a data table (a run of zeros, the
# same import block everywhere), not a copy worth showing; looking it up would be quadratic.
MAX_SEED_PLACES = 50
# A window of code names several variables, calls and operators; one made of a handful of
# distinct tokens is a data table or a run of similar lines ("0, 0, 0", "x += 1;"), not a copy.
MIN_DISTINCT_TOKENS = 10
_HASH_BASE = 1_000_003
_HASH_MODULUS = (1 << 61) - 1
_STRING_PREFIX = set("rRbBuUfF@$")


def normalised(token: str) -> str:
    """The token as compared: a string literal without its prefix and quote style."""
    start = 0
    while start < len(token) and token[start] in _STRING_PREFIX:
        start += 1
    body = token[start:]
    for quote in ('"""', "'''", '"', "'", "`"):
        if len(body) >= 2 * len(quote) and body.startswith(quote) and body.endswith(quote):
            return '"' + body[len(quote) : -len(quote)] + '"'
    return token


class TokenRecorder:
    """A lizard extension that keeps each file's tokens and their lines, and passes them on."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.lines: list[int] = []

    def __call__(self, tokens: Iterator[str], reader: Any) -> Iterator[str]:
        for token in tokens:
            self.tokens.append(normalised(token))
            self.lines.append(reader.context.current_line)
            yield token

    def take(self) -> tuple[list[str], list[int]]:
        """The tokens recorded since the last call, and their lines."""
        taken = (self.tokens, self.lines)
        self.tokens, self.lines = [], []
        return taken


@dataclass
class Clones:
    code_lines: int = 0
    duplicated_lines: int = 0
    # Each block: the places holding one same sequence, and its length in lines.
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.duplicated_lines / self.code_lines if self.code_lines else 0.0


class _Tree:
    """Every file's tokens laid end to end as numbers, a distinct negative separator between
    files so that no sequence runs from one file into the next."""

    def __init__(self, files: list[tuple[str, list[str], list[int]]]) -> None:
        numbers: dict[str, int] = {}
        self.tokens: list[int] = []
        self.lines: list[int] = []
        self.file_of: list[int] = []
        self.paths = [path for path, _, _ in files]
        for index, (_, tokens, lines) in enumerate(files):
            self.tokens.extend(numbers.setdefault(token, len(numbers)) for token in tokens)
            self.lines.extend(lines)
            self.file_of.extend([index] * len(tokens))
            self.tokens.append(-1 - index)
            self.lines.append(0)
            self.file_of.append(index)

    def window_hashes(self) -> Iterator[tuple[int, int]]:
        """(start, hash) of every SEED_TOKENS-long window holding no separator."""
        tokens = self.tokens
        top = pow(_HASH_BASE, SEED_TOKENS - 1, _HASH_MODULUS)
        value = 0
        clean = 0  # tokens since the last separator
        for position, token in enumerate(tokens):
            if token < 0:
                value, clean = 0, 0
                continue
            if clean == SEED_TOKENS:
                value = (value - (tokens[position - SEED_TOKENS] + 1) * top) % _HASH_MODULUS
            else:
                clean += 1
            value = (value * _HASH_BASE + token + 1) % _HASH_MODULUS
            if clean == SEED_TOKENS:
                yield position - SEED_TOKENS + 1, value


def find_clones(files: list[tuple[str, list[str], list[int]]]) -> Clones:
    """The copies among ``files`` (path, tokens, lines of the tokens)."""
    tree = _Tree(files)
    tokens = tree.tokens
    hashes = list(tree.window_hashes())
    seeds: dict[int, list[int]] = {}
    for start, value in hashes:
        if start % SEED_STEP == 0:
            seeds.setdefault(value, []).append(start)
    # Found copies by distance between their two places: a window inside a copy already found
    # is not extended again, which keeps a long copy linear to find.
    found: dict[int, list[tuple[int, int]]] = {}
    # Stretches that repeat themselves (a sequence overlapping its own repetition): matches
    # inside one are repetitions of a run, not code copied elsewhere.
    runs: list[tuple[int, int]] = []
    pairs: list[tuple[int, int, int]] = []
    for start, value in hashes:
        candidates = seeds.get(value, ())
        if len(candidates) > MAX_SEED_PLACES:
            continue
        for seed in candidates:
            low, high = sorted((seed, start))
            if low == high or any(
                first <= low < first + length for first, length in found.get(high - low, ())
            ):
                continue
            window = tokens[start : start + SEED_TOKENS]
            if tokens[seed : seed + SEED_TOKENS] != window:
                continue
            if len(set(window)) < MIN_DISTINCT_TOKENS or any(
                run_start <= low and high + SEED_TOKENS <= run_end for run_start, run_end in runs
            ):
                continue
            first, second, length = _extended(tokens, low, high)
            found.setdefault(high - low, []).append((first, length))
            if first + length > second:
                runs.append((first, second + length))
            elif length >= MIN_CLONE_TOKENS:
                pairs.append((first, second, length))
    return _measured(tree, pairs)


def _extended(tokens: list[int], low: int, high: int) -> tuple[int, int, int]:
    """(start of the first copy, start of the second, length) of the longest identical
    sequences around the two matching windows starting at ``low`` and ``high``."""
    before = 0
    # Separators are unique: no extension crosses from one file into the next.
    while low - before > 0 and tokens[low - before - 1] == tokens[high - before - 1]:
        before += 1
    first, second = low - before, high - before
    length = before + SEED_TOKENS
    end = len(tokens)
    while second + length < end and tokens[first + length] == tokens[second + length]:
        length += 1
    return first, second, length


def _measured(tree: _Tree, pairs: list[tuple[int, int, int]]) -> Clones:
    code_lines = {
        (tree.file_of[position], line)
        for position, line in enumerate(tree.lines)
        if tree.tokens[position] >= 0
    }
    duplicated: set[tuple[int, int]] = set()
    blocks: dict[tuple[int, ...], dict[str, Any]] = {}
    for low, high, length in sorted(pairs):
        places = []
        for start in (low, high):
            span = range(start, start + length)
            duplicated.update((tree.file_of[position], tree.lines[position]) for position in span)
            places.append(
                {
                    "file": tree.paths[tree.file_of[start]],
                    "start": tree.lines[start],
                    "end": tree.lines[start + length - 1],
                }
            )
        # A sequence copied three times makes three pairs: one block lists its places once.
        block = blocks.setdefault(
            tuple(tree.tokens[low : low + length]), {"places": [], "tokens": length}
        )
        for place in places:
            if place not in block["places"]:
                block["places"].append(place)
    listed = []
    for block in blocks.values():
        block["lines"] = max(place["end"] - place["start"] + 1 for place in block["places"])
        listed.append(block)
    return Clones(code_lines=len(code_lines), duplicated_lines=len(duplicated), blocks=listed)
