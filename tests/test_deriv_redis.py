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
import pytest
import redis.asyncio as aioredis

from aione.app.demo import sample_data_dir
from aione.app.main import RunOptions, _build
from aione.data import redis_keys
from aione.data.deriv_disk import flush_store
from aione.data.deriv_redis import DerivRedis, decode_block, decode_series, encode_block
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


async def _redis_cols(client: aioredis.Redis, kind: str) -> dict[str, list[Any]]:
    """Рядки ряду, як вони лежать у Redis (усі блоки ключа розібрано)."""
    cols, bad = decode_series(await client.zrange(redis_keys.deriv_key(SYM, kind), 0, -1), kind)
    assert bad == []
    return {k: np.asarray(v).tolist() for k, v in cols.items()}


# ── Кодек ──
def test_block_codec_roundtrip_and_rejects_junk() -> None:
    ts = np.array([T0, T0 + 1, T0 + 1], dtype=np.int64)
    vals = np.array([[1.5, math.nan, -2.0], [0.0, 1.0, 2.0]])
    raw = encode_block(ts, vals)
    got = decode_block(raw, 2)
    assert got is not None and got[0].tolist() == ts.tolist()
    assert np.array_equal(got[1], vals, equal_nan=True)
    junk = [
        b"",
        b"junk",
        b"XXXX" + raw[4:],  # чужий заголовок
        raw[:-3],  # обрізаний lz4
        encode_block(ts, vals[:1]),  # не та кількість стовпців
        encode_block(ts[::-1].copy(), vals),  # час спадає
        encode_block(np.array([0], dtype=np.int64), vals[:, :1]),  # час ≤ 0
        "текст",
    ]
    for j in junk:
        assert decode_block(j, 2) is None, j


# ── Запис → відновлення ──
async def test_write_then_new_store_restores_same_series(redis_url: str, client: aioredis.Redis) -> None:
    store = DerivStore()
    _fill(store)
    layer = DerivRedis(redis_url, store)
    assert await layer.flush()
    for kind in ("oi", "mark", "liq", "book"):
        assert _same(await _redis_cols(client, kind), _cols(store, kind)), kind
    assert await client.zcard(redis_keys.deriv_key(SYM, "oi")) <= 2  # блоки по годині, не рядки
    assert await client.ttl(redis_keys.deriv_key(SYM, "book")) > 0
    # рядок марк-ціни в тому ж кошику замінюється і в Redis (переписується блок першого зміненого рядка)
    store.apply_mark(MarkFunding(SYM, 222.0, 221.0, 3e-4, NOW + 8 * 3_600_000, NOW - 60_000 + 30_000))
    assert await layer.flush()
    mark = await _redis_cols(client, "mark")
    assert len(mark["ts"]) == 10 and mark["mark_price"][-1] == 222.0
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
    windows = DerivWindows(oi_points=5, liq_window_ms=45 * 60_000)
    store = DerivStore(windows)
    layer = DerivRedis(redis_url, store)
    step = 30 * 60_000  # 12 точок за 6 годин: кілька годинних блоків
    for i in range(12):
        t = NOW - (12 - i) * step
        store.apply_open_interest(OpenInterestPoint(SYM, t, 1_000.0 + i, 1.0))
        store.apply_liquidation(Liquidation(SYM, "BUY", 99.0, 99.0, 1.0, 1.0, "FILLED", t, t))
        if i % 4 == 3:
            assert await layer.flush()
    oi = await _redis_cols(client, "oi")
    assert oi["open_interest"] == [1_007.0, 1_008.0, 1_009.0, 1_010.0, 1_011.0]  # старші блоки видалено
    assert oi == _cols(store, "oi")
    assert await client.zcard(redis_keys.deriv_key(SYM, "oi")) <= 3
    liq = await _redis_cols(client, "liq")
    assert liq == _cols(store, "liq") and len(liq["ts"]) == 2  # вікно 45 хв від найновішої
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
    bad_ncols = encode_block(np.array([t + 1]), np.array([[1.0], [2.0], [3.0]]))
    negative = encode_block(np.array([t + 2]), np.array([[-5.0], [1.0]]))  # розбирається, але OI < 0
    await client.zadd(key, {b"\x00junk": t, bad_ncols: t + 1, negative: t + 2})
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
    assert await client.zcard(key) == 2  # нерозібрані блоки видалено, блок з поганим значенням лишився
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
    assert len((await _redis_cols(client, "oi"))["ts"]) == 6
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
        assert (await _redis_cols(client, "oi"))["open_interest"] == [4_321.0, 4_400.0]
    finally:
        if rt is not None:
            await rt.store.close()
            await rt.publisher.aclose()
            await rt.rest.close()
        await sim.stop()
