"""`fast_symbols`: TTL за джерелом, seed завжди присутній, час лише з аргументів."""

from __future__ import annotations

import pytest

from aione.config.config import FAST_SYMBOLS_TTL_AUTO, FAST_SYMBOLS_TTL_MANUAL, MANUAL_FAST_SYMBOLS_SEED
from aione.data.fast_symbols import FastSymbols
from aione.data.unified_store import UnifiedDataStore

T0 = 1_700_000_000_000


def test_seed_always_present_and_first() -> None:
    store = UnifiedDataStore()
    assert store.get_fast_symbols(T0) == list(MANUAL_FAST_SYMBOLS_SEED)
    store.set_fast_symbols(["SOLUSDT", "BTCUSDT", "XRPUSDT"], source="auto", now_ms=T0)
    got = store.get_fast_symbols(T0)
    assert got[: len(MANUAL_FAST_SYMBOLS_SEED)] == list(MANUAL_FAST_SYMBOLS_SEED)
    assert got[len(MANUAL_FAST_SYMBOLS_SEED) :] == ["SOLUSDT", "XRPUSDT"]


def test_ttl_per_source() -> None:
    fast = FastSymbols(seed=())
    fast.set(["AUTO1"], source="auto", now_ms=T0)
    fast.set(["MAN1"], source="manual", now_ms=T0)
    just_before_auto = T0 + FAST_SYMBOLS_TTL_AUTO * 1000 - 1
    assert fast.get(just_before_auto) == ["MAN1", "AUTO1"]
    assert fast.get(T0 + FAST_SYMBOLS_TTL_AUTO * 1000) == ["MAN1"]
    assert fast.get(T0 + FAST_SYMBOLS_TTL_MANUAL * 1000) == []


def test_set_replaces_only_its_source() -> None:
    fast = FastSymbols(seed=("BTCUSDT",))
    fast.set(["A", "B"], source="auto", now_ms=T0)
    fast.set(["M"], source="manual", now_ms=T0)
    fast.set(["C"], source="auto", now_ms=T0 + 1000)
    assert fast.get(T0 + 2000) == ["BTCUSDT", "M", "C"]
    assert fast.expiry("C") == T0 + 1000 + FAST_SYMBOLS_TTL_AUTO * 1000
    assert fast.expiry("BTCUSDT") is None


def test_roundtrip_and_bad_source() -> None:
    fast = FastSymbols()
    fast.set(["X"], source="manual", now_ms=T0)
    other = FastSymbols()
    other.load_dict(fast.to_dict() | {"weird": {"Y": 1}})
    assert other.get(T0) == fast.get(T0)
    with pytest.raises(ValueError):
        fast.set(["X"], source="robot", now_ms=T0)  # type: ignore[arg-type]
