"""Copied code found as identical token sequences: the threshold, what is ignored, what is not
a copy, and the time it takes on a large tree."""

import time
from pathlib import Path

from dlnuf.toolbox.code_quality import measures
from dlnuf.toolbox.code_quality.clones import MIN_CLONE_TOKENS, find_clones

ORIGINAL = """def compute_totals(orders, tax_rate, discounts):
    subtotal = 0
    lines = []
    for order in orders:
        price = order["price"]
        quantity = order["quantity"]
        amount = price * quantity
        code = order.get("discount_code")
        if code in discounts:
            amount = amount - discounts[code]
        if amount < 0:
            amount = 0
        lines.append({"id": order["id"], "amount": amount})
        subtotal += amount
    tax = subtotal * tax_rate
    total = subtotal + tax
    summary = {"subtotal": subtotal, "tax": tax, "total": total}
    summary["lines"] = lines
    summary["count"] = len(lines)
    return summary
"""

# The same function re-wrapped, re-commented and re-quoted: the same tokens.
DISGUISED = """def compute_totals(
    orders, tax_rate, discounts
):
    # Totals of an order list.
    subtotal = 0
    lines = []
    for order in orders:
        price = order['price']
        quantity = order['quantity']
        amount = price * quantity
        code = order.get('discount_code')
        if code in discounts:
            amount = amount - discounts[code]  # a fixed rebate
        if amount < 0:
            amount = 0
        lines.append({'id': order['id'], 'amount': amount})
        subtotal += amount
    tax = subtotal * tax_rate
    total = subtotal + tax
    summary = {'subtotal': subtotal, 'tax': tax, 'total': total}
    summary['lines'] = lines
    summary['count'] = len(lines)
    return summary
"""


def _measured(root: Path) -> measures.CodeMeasures:
    return measures.measure_code(measures.source_files(root), lambda done, total: None)


def _stream(path: str, tokens: list[str]) -> tuple[str, list[str], list[int]]:
    return path, tokens, list(range(1, len(tokens) + 1))


def test_a_copy_survives_layout_comments_and_quotes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import math\n\n\n" + ORIGINAL)
    (tmp_path / "b.py").write_text("VERSION = 2\n\n\n" + DISGUISED)
    code = _measured(tmp_path)
    (block,) = code.duplicate_blocks
    assert [(p["file"], p["start"], p["end"]) for p in block["places"]] == [
        ("a.py", 4, 23),
        ("b.py", 4, 26),
    ]
    # Every line of both functions but the comment-only one: 20 + 22 of 1 + 20 + 1 + 22.
    assert (code.duplicated_lines, code.token_lines) == (42, 44)


def test_the_minimum_is_exactly_the_stated_number_of_tokens() -> None:
    shared = [f"name{index}" for index in range(MIN_CLONE_TOKENS)]
    found = find_clones([_stream("a.c", ["x", *shared, "y"]), _stream("b.c", ["z", *shared])])
    assert [block["tokens"] for block in found.blocks] == [MIN_CLONE_TOKENS]
    shorter = shared[:-1]
    missed = find_clones([_stream("a.c", ["x", *shorter, "y"]), _stream("b.c", ["z", *shorter])])
    assert missed.blocks == []
    assert missed.duplicated_lines == 0


def test_a_sequence_copied_three_times_is_one_block_with_three_places() -> None:
    shared = [f"name{index}" for index in range(80)]
    found = find_clones(
        [_stream("a.js", ["a", *shared]), _stream("b.js", ["b", *shared]), _stream("c.js", shared)]
    )
    (block,) = found.blocks
    assert [place["file"] for place in block["places"]] == ["a.js", "b.js", "c.js"]
    assert found.duplicated_lines == 3 * 80


def test_a_repetitive_table_is_not_a_copy() -> None:
    zeros = ["{", *(["0", ","] * 400), "}"]
    assert find_clones([_stream("zeros.c", zeros)]).blocks == []
    # Twenty distinct values over and over: each stretch repeats the one before it.
    cycle = [str(index % 20) for index in range(2_000)]
    found = find_clones([_stream("cycle.c", cycle)])
    assert (found.blocks, found.duplicated_lines) == ([], 0)


def test_a_copy_never_spans_two_files() -> None:
    half = [f"first{index}" for index in range(40)]
    other_half = [f"second{index}" for index in range(40)]
    # a.py ends with the first half, b.py starts with the second: c.py holds both in a row.
    found = find_clones(
        [
            _stream("a.py", ["x", *half]),
            _stream("b.py", [*other_half, "y"]),
            _stream("c.py", [*half, *other_half]),
        ]
    )
    assert found.blocks == []


def test_a_large_copied_tree_is_measured_in_linear_time() -> None:
    # Two files of 200,000 tokens, the second a copy of the first: quadratic work would take
    # hours; the whole search takes well under ten seconds.
    tokens = [f"t{index % 5000}_{index // 5000}" for index in range(200_000)]
    started = time.monotonic()
    found = find_clones([_stream("a.py", tokens), _stream("b.py", tokens)])
    assert time.monotonic() - started < 10
    assert found.duplicated_lines == 400_000
