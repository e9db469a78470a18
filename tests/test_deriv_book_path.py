"""Дешевий шлях книги (H16): швидкі гілки розбору рівнів, перевірки книги й глибини в смузі дають
те саме, що поелементний розбір і перевірка по сторонах, на цілих і зіпсованих книгах."""

from __future__ import annotations

import math
import random

import numpy as np

from aione.data.book_checks import book_reason, depth_within
from aione.exchange.deriv_parsers import BookSnapshot, Reject, parse_partial_depth


def _reference_reason(bids: list[list[float]], asks: list[list[float]]) -> str | None:
    """Причина відмови простим Python, як описано в `book_checks`."""
    for side, descending in ((bids, True), (asks, False)):
        if not side:
            return "empty"
        if not all(math.isfinite(v) for level in side for v in level):
            return "non_finite"
        if any(p <= 0 or q < 0 for p, q in side):
            return "bad_value"
        prices = [p for p, _ in side]
        pairs = list(zip(prices, prices[1:], strict=False))
        if any(b >= a for a, b in pairs) if descending else any(b <= a for a, b in pairs):
            return "inverted"
    return "crossed" if bids[0][0] >= asks[0][0] else None


def _book(bids: list[list[float]], asks: list[list[float]]) -> BookSnapshot:
    def arr(side: list[list[float]]) -> np.ndarray:
        return np.array(side, dtype=np.float64).reshape(len(side), 2)

    return BookSnapshot("BTCUSDT", arr(bids), arr(asks), 1, 1, 1, "partial")


def _random_book(rng: random.Random) -> tuple[list[list[float]], list[list[float]]]:
    mid = rng.uniform(0.01, 50_000)
    n_b, n_a = rng.randint(0, 20), rng.randint(0, 20)
    bids = [[mid * (1 - 0.001 * (i + 1)), rng.uniform(0, 10)] for i in range(n_b)]
    asks = [[mid * (1 + 0.001 * (i + 1)), rng.uniform(0, 10)] for i in range(n_a)]
    fault = rng.randrange(8)
    side = bids if rng.random() < 0.5 else asks
    if fault == 1 and side:
        side[rng.randrange(len(side))][rng.randrange(2)] = rng.choice([math.nan, math.inf, -math.inf])
    elif fault == 2 and side:
        side[rng.randrange(len(side))][rng.randrange(2)] = rng.choice([-1.0, 0.0])
    elif fault == 3 and len(side) > 1:
        i = rng.randrange(len(side) - 1)
        side[i], side[i + 1] = side[i + 1], side[i]
    elif fault == 4 and bids and asks:
        bids[0][0] = asks[0][0] * rng.choice([1.0, 1.01])
    elif fault == 5 and len(side) > 1:
        side[1][0] = side[0][0]  # дві однакові ціни
    return bids, asks


def test_book_reason_matches_the_side_by_side_reference_on_random_books() -> None:
    rng = random.Random(22)
    seen: set[str | None] = set()
    for _ in range(5000):
        bids, asks = _random_book(rng)
        expected = _reference_reason(bids, asks)
        assert book_reason(_book(bids, asks)) == expected, (bids, asks)
        seen.add(expected)
    assert seen == {None, "empty", "non_finite", "bad_value", "inverted", "crossed"}


def test_depth_within_equals_the_masked_sum_on_valid_books() -> None:
    rng = random.Random(16)
    checked = 0
    for _ in range(2000):
        bids, asks = _random_book(rng)
        book = _book(bids, asks)
        if book_reason(book) is not None:
            continue
        mid = (book.best_bid + book.best_ask) / 2
        band = rng.choice([0.05, 0.5, 1.0, 5.0])
        for levels, bid_side in ((book.bids, True), (book.asks, False)):
            prices = levels[:, 0]
            mask = prices >= mid * (1 - band / 100) if bid_side else prices <= mid * (1 + band / 100)
            sel = levels[mask]
            assert depth_within(levels, mid, band, bid_side) == float(np.dot(sel[:, 0], sel[:, 1]))
        checked += 1
    assert checked > 300


def test_levels_parse_like_float_and_bad_levels_keep_their_reasons() -> None:
    frame = {
        "e": "depthUpdate", "E": 5, "T": 5, "s": "BTCUSDT", "U": 1, "u": 2, "pu": 0,
        "b": [["100.10", "1.5"], ["100.0", "0"], [99, 2.25]], "a": [["100.2", "3"], ["1e3", "4"]],
    }  # fmt: skip
    book = parse_partial_depth(frame)
    assert isinstance(book, BookSnapshot)
    assert book.bids.tolist() == [[100.1, 1.5], [100.0, 0.0], [99.0, 2.25]]
    assert book.asks.tolist() == [[100.2, 3.0], [1000.0, 4.0]]
    assert not book.bids.flags.writeable
    for bad, reason in (
        ([["100", True]], "b.qty: expected number"),
        ([["100", "-1"]], "b.qty: negative"),
        ([["nan", "1"]], "b.price: non-finite"),
        ([["x", "1"]], "b.price: not a number"),
        ([["100"]], "b: expected [price, qty]"),
        ([["100", "1"], "oops"], "b: expected [price, qty]"),
        ([["100", None]], "b.qty: expected number"),
    ):
        out = parse_partial_depth({**frame, "b": bad})
        assert isinstance(out, Reject) and out.reason == reason, (bad, out)
    # третій елемент рівня (як у деяких джерел) не заважає: беруться ціна й кількість
    three = parse_partial_depth({**frame, "b": [["100", "1", "x"]]})
    assert isinstance(three, BookSnapshot) and three.bids.tolist() == [[100.0, 1.0]]
