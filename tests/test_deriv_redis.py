"""Redis-шар деривативних рядів: запис → нове сховище відновлює ті самі ряди; ряд обрізаний до
ємності; зіпсований член пропущено й пораховано; падіння Redis посеред роботи — без винятку, один
рядок журналу, запис відновлюється; parquet — коли Redis ряду не дав; `aione run` з `--redis`
будує `DerivStore` з цим шаром (справжній шлях конструктора проти симулятора)."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import redis.asyncio as aioredis

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, _build
from aione.data import redis_keys
from aione.data.deriv_disk import flush_store
from aione.data.deriv_redis import DerivRedis, decode_row, encode_row
from aione.data.deriv_store import DerivStore, DerivWindows
from aione.exchange.binance_rest import BinanceRestClient
from aione.exchange.deriv_parsers import BookSnapshot, Liquidation, MarkFunding, OpenInterestPoint
from aione.exchange.simulator import BinanceSimulator
from tests.redis_server import RedisServer, free_port

T0 = 1_700_000_000_000
NOW = T0 + 3_600_000
SYM = "BTCUSDT"


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.from_url(redis_url)
    yield c
    await c.aclose()


def _book(t: int, bid: float = 100.0, ask: float = 100.2) -> BookSnapshot:
    b = np.array([[bid, 2.0], [bid - 0.5, 1.0]], dtype=np.float64)
    a = np.array([[ask, 1.0], [ask + 0.5, 3.0]], dtype=np.float64)
    return BookSnapshot(SYM, b, a, t, t)


def _fill(store: DerivStore, n: int = 10) -> None:
    """n хвилин OI, марк-ціни й ліквідацій і n секунд книги до `NOW`."""
    for i in range(n):
        t = NOW - (n - i) * 60_000
        store.apply_open_interest(OpenInterestPoint(SYM, t, 1_000.0 + i, math.nan if i == 0 else 5e6 + i))
        store.apply_mark(MarkFunding(SYM, 100.0 + i, 99.9 + i, 1e-4 * (i - 5), NOW + 8 * 3_600_000, t))
        store.apply_liquidation(Liquidation(SYM, "SELL", 99.0, 99.0, 1.0 + i, 1.0 + i, "FILLED", t, t))
        store.apply_book(_book(NOW - (n - i) * 1_000, bid=100.0 + i * 0.1, ask=100.2 + i * 0.1))


def _cols(store: DerivStore, kind: str) -> dict[str, list[Any]]:
    ring = store.series(SYM, kind)  # type: ignore[arg-type]
    assert ring is not None, kind
    return {k: np.asarray(v).tolist() for k, v in ring.to_columns().items()}


def _same(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> bool:
    """Рівність стовпців з NaN == NaN."""
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64), equal_nan=True)
        for k in a
    )


# ── Кодек ──
def test_row_codec_roundtrip_and_rejects_junk() -> None:
    raw = encode_row(T0, [1.5, math.nan, -2.0])
    ts, vals = decode_row(raw, 3)  # type: ignore[misc]
    assert ts == T0 and vals[0] == 1.5 and math.isnan(vals[1]) and vals[2] == -2.0
    for junk in (b"\x00\xff", b"{}", b"[1,2]", b'["x",1,2,3]', b"[0,1,2,3]", b'[1,"a",2,3]', b"[true,1,2,3]"):
        assert decode_row(junk, 3) is None, junk


# ── Запис → відновлення ──
async def test_write_then_new_store_restores_same_series(redis_url: str, client: aioredis.Redis) -> None:
    store = DerivStore()
    _fill(store)
    layer = DerivRedis(redis_url, store)
    assert await layer.flush()
    assert await client.zcard(redis_keys.deriv_key(SYM, "oi")) == 10
    assert await client.ttl(redis_keys.deriv_key(SYM, "book")) > 0
    # рядок марк-ціни в тому ж кошику замінюється і в Redis (ZREMRANGEBYSCORE кошика + ZADD)
    store.apply_mark(MarkFunding(SYM, 222.0, 221.0, 3e-4, NOW + 8 * 3_600_000, NOW - 60_000 + 30_000))
    assert await layer.flush()
    assert await client.zcard(redis_keys.deriv_key(SYM, "mark")) == 10
    await layer.close()

    fresh = DerivStore()
    layer2 = DerivRedis(redis_url, fresh)
    restored = await layer2.restore(now_ms=NOW)
    assert restored == 40
    for kind in ("oi", "mark", "liq", "book"):
        assert _same(_cols(fresh, kind), _cols(store, kind)), kind
    assert fresh.series(SYM, "mark").last("mark_price") == 222.0  # type: ignore[union-attr]
    # після відновлення нічого не переписується, поки ряд не зміниться
    assert await layer2.flush() and layer2.stats.rows_written == 0
    await layer2.close()


async def test_series_are_bounded_to_the_ram_window(redis_url: str, client: aioredis.Redis) -> None:
    windows = DerivWindows(oi_points=5, liq_window_ms=3 * 60_000)
    store = DerivStore(windows)
    layer = DerivRedis(redis_url, store)
    for i in range(12):
        t = NOW - (12 - i) * 60_000
        store.apply_open_interest(OpenInterestPoint(SYM, t, 1_000.0 + i, 1.0))
        store.apply_liquidation(Liquidation(SYM, "BUY", 99.0, 99.0, 1.0, 1.0, "FILLED", t, t))
        if i % 4 == 3:
            assert await layer.flush()
    key = redis_keys.deriv_key(SYM, "oi")
    assert await client.zcard(key) == 5
    members = await client.zrange(key, 0, -1)
    assert [orjson.loads(m)[1] for m in members] == [1_007.0, 1_008.0, 1_009.0, 1_010.0, 1_011.0]
    liq_times = [
        int(s) for _, s in await client.zrange(redis_keys.deriv_key(SYM, "liq"), 0, -1, withscores=True)
    ]
    assert liq_times == _cols(store, "liq")["ts"] and len(liq_times) == 4  # вікно 3 хв від найновішої
    await layer.close()
    fresh = DerivStore(windows)
    await DerivRedis(redis_url, fresh).restore(now_ms=NOW)
    assert _cols(fresh, "oi")["open_interest"] == [1_007.0, 1_008.0, 1_009.0, 1_010.0, 1_011.0]


async def test_corrupt_entries_are_skipped_counted_and_removed(
    redis_url: str, client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = DerivStore()
    _fill(store, 4)
    layer = DerivRedis(redis_url, store)
    assert await layer.flush()
    await layer.close()
    key = redis_keys.deriv_key(SYM, "oi")
    t = NOW - 30_000
    await client.zadd(key, {b"\x00not json": t, b"[1,2]": t + 1, encode_row(t + 2, [-5.0, 1.0]): t + 2})
    await client.sadd(redis_keys.DERIV_INDEX_KEY, "garbage", "ETHUSDT:nope")

    fresh = DerivStore()
    layer2 = DerivRedis(redis_url, fresh)
    with caplog.at_level(logging.WARNING, logger="aione"):
        restored = await layer2.restore(now_ms=NOW)
    assert restored == 16  # 4 ряди × 4 цілі рядки
    assert layer2.stats.corrupt == 2
    assert fresh.stats.rejected == {"oi.bad_value": 1}  # розібраний, але від'ємний OI
    assert _cols(fresh, "oi")["open_interest"] == [1_000.0, 1_001.0, 1_002.0, 1_003.0]
    assert sum("deriv_redis_corrupt" in r.getMessage() for r in caplog.records) == 1
    assert await client.zcard(key) == 5  # нерозібрані члени видалено
    assert not await client.sismember(redis_keys.DERIV_INDEX_KEY, "garbage")
    await layer2.close()


async def test_rows_ahead_of_the_feed_clock_are_dropped(redis_url: str, client: aioredis.Redis) -> None:
    store = DerivStore()
    _fill(store, 3)
    layer = DerivRedis(redis_url, store)
    assert await layer.flush()
    await layer.close()
    fresh = DerivStore()
    layer2 = DerivRedis(redis_url, fresh)
    assert await layer2.restore(now_ms=NOW - 3_600_000) == 0  # годинник стрічки раніше за кеш (демо)
    assert layer2.stats.ahead_dropped == 4 and fresh.symbols() == []
    assert not await client.exists(redis_keys.deriv_key(SYM, "oi"))
    await layer2.close()


async def test_oi_preload_after_restore_goes_before_the_restored_rows(redis_url: str) -> None:
    store = DerivStore()
    _fill(store, 3)
    layer = DerivRedis(redis_url, store)
    assert await layer.flush()
    await layer.close()
    fresh = DerivStore()
    await DerivRedis(redis_url, fresh).restore(now_ms=NOW)
    # openInterestHist за 10 хв до перезапуску: старіші точки стають перед відновленими (−3…−1 хв),
    # точки їхнього проміжку пропускаються, а не відкидаються як out_of_order
    hist = [OpenInterestPoint(SYM, NOW - (10 - i) * 60_000, 900.0 + i, 1.0) for i in range(10)]
    assert fresh.put_open_interest(hist) == 7
    oi = _cols(fresh, "oi")
    assert oi["ts"] == [NOW - (10 - i) * 60_000 for i in range(10)]
    assert oi["open_interest"] == [900.0 + i for i in range(7)] + [1_000.0, 1_001.0, 1_002.0]
    assert fresh.stats.rejected == {} and fresh.stats.overlap == 3
    assert fresh.put_open_interest([OpenInterestPoint(SYM, NOW, 1_100.0, 1.0)]) == 1  # новіша — додається


async def test_redis_killed_mid_run_no_crash_one_log_line_then_resumes(
    redis_server: RedisServer, client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = DerivStore()
    _fill(store, 3)
    layer = DerivRedis(redis_server.url, store, flush_interval=0.05, retry_max=0.1)
    await layer.start(now_ms=NOW)
    assert await layer.flush()
    redis_server.kill()
    with caplog.at_level(logging.INFO, logger="aione"):
        for i in range(3):
            store.apply_open_interest(OpenInterestPoint(SYM, NOW + i * 60_000, 2_000.0 + i, 1.0))
            assert not await layer.flush()  # RAM принимає далі, виняток не виходить
        assert layer.stats.redis_errors >= 3 and not layer.stats.redis_up
        assert _cols(store, "oi")["open_interest"][-1] == 2_002.0
        redis_server.start()  # порожній Redis на тому ж порту: новий run_id → повний перезапис
        assert await layer.flush()
    down = [r for r in caplog.records if "deriv_redis_down" in r.getMessage()]
    up = [r for r in caplog.records if "deriv_redis_up" in r.getMessage()]
    assert len(down) == 1 and len(up) == 1
    assert layer.stats.outages == 1 and layer.stats.resyncs == 1 and layer.stats.redis_up
    assert await client.zcard(redis_keys.deriv_key(SYM, "oi")) == 6
    await layer.close()
    fresh = DerivStore()
    await DerivRedis(redis_server.url, fresh).restore(now_ms=NOW + 3 * 60_000)
    assert _same(_cols(fresh, "oi"), _cols(store, "oi"))


async def test_redis_down_at_start_falls_back_to_parquet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = DerivStore()
    _fill(store, 5)
    flush_store(store, tmp_path)
    fresh = DerivStore()
    layer = DerivRedis(f"redis://127.0.0.1:{free_port()}/0", fresh, disk_dir=tmp_path, timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="aione"):
        restored = await layer.restore(now_ms=NOW)
    assert restored == 20 and layer.stats.restored_disk == 20
    assert _same(_cols(fresh, "mark"), _cols(store, "mark"))
    assert sum("deriv_redis_down" in r.getMessage() for r in caplog.records) == 1
    await layer.close()  # останнє скидання при недоступному Redis — без винятку


# ── Складання `aione run` ──
async def test_run_builds_deriv_store_with_redis_layer_and_restores_it(
    redis_url: str, client: aioredis.Redis
) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=60, market="um", symbols=[SYM])
    await sim.start()
    rt = None
    try:
        probe = BinanceRestClient(sim.rest_url, "um")
        await probe.sync_time()
        now = probe.server_now()
        await probe.close()
        seeded = DerivStore()
        seeded.apply_open_interest(OpenInterestPoint(SYM, now - 120_000, 4_321.0, 9.0))
        seed = DerivRedis(redis_url, seeded)
        assert await seed.flush()
        await seed.close()

        opts = RunOptions(
            rest_url=sim.rest_url,
            ws_url=sim.ws_url,
            redis_url=redis_url,
            symbols=[SYM],
            progress=False,
            install_signal_handlers=False,
        )
        rt = await _build(opts)
        assert rt.deriv_store is not None and rt.deriv_redis is not None
        assert rt.deriv_redis.store is rt.deriv_store and rt.derivs is not None
        assert rt.derivs.store is rt.deriv_store  # type: ignore[attr-defined]
        oi = rt.deriv_store.series(SYM, "oi")
        assert oi is not None and oi.last("open_interest") == 4_321.0  # відновлено до першого опитування
        rt.deriv_store.apply_open_interest(OpenInterestPoint(SYM, now, 4_400.0, 9.5))
        await rt.deriv_redis.close()
        members = await client.zrange(redis_keys.deriv_key(SYM, "oi"), 0, -1)
        assert [orjson.loads(m)[1] for m in members] == [4_321.0, 4_400.0]
    finally:
        if rt is not None:
            await rt.store.close()
            await rt.publisher.aclose()
            await rt.rest.close()
        await sim.stop()
