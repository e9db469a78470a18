"""`SimTrading.path_range`: розмах шляху ціни симулятора між двома моментами (межа ринкових заявок
у тестах живого виконання)."""

from __future__ import annotations

from aione.app.demo import sample_data_dir
from aione.exchange.simulator import BinanceSimulator

# XRPUSDT зразка: бар 1748453700000 закрився на 2.2428; наступний — o 2.2429 h 2.2443 l 2.2422 c 2.2427
# (спадний: шлях o → h → l → c, 4 оновлення на бар, крок 15 с).
BOUNDARY = 1_748_453_760_000


def test_path_range_follows_the_simulated_path() -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=1, market="um", symbols=["XRPUSDT"])
    trading, market = sim.trading, sim.trading.market
    steps = [market.last_price("XRPUSDT", BOUNDARY + k * 15_000) for k in range(4)]
    assert steps == [2.2429, 2.2439, 2.2432, 2.2423]
    # на межі барів «побачено» і закриття попереднього бару (закритий kline іде в ту саму мить)
    assert trading.path_range("XRPUSDT", BOUNDARY, BOUNDARY) == (2.2428, 2.2429)
    assert trading.path_range("XRPUSDT", BOUNDARY + 1, BOUNDARY + 1) == (2.2429, 2.2429)
    # між кроками ціна проходить вершини шляху: максимум бару між 1-м і 2-м кроком
    assert trading.path_range("XRPUSDT", BOUNDARY + 15_000, BOUNDARY + 30_000) == (2.2432, 2.2443)
    # через закриття бару: залишок шляху (мінімум 2.2422 пройдено ще до 3-го кроку) — до закриття
    # 2.2427 — і відкриття наступного бару
    nxt = market.last_price("XRPUSDT", BOUNDARY + 60_000)
    assert nxt is not None
    span = trading.path_range("XRPUSDT", BOUNDARY + 45_000, BOUNDARY + 60_000)
    assert span == (min(2.2423, nxt), max(2.2427, nxt))
