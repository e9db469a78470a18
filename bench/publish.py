"""Бенчмарк публікації стану: ціна одного кадру на повному всесвіті (350 символів).

Кадр будується з реальних цін `binance-um-5m-2023-07` (60 символів, розмножені до 350 рядків
з іменами SYM000…, щоб мати розмір всесвіту USDT-M); кожен рядок має тригери, рівні,
рекомендацію, а кожен десятий — відкриту угоду. Міряється:
- `build_frame` агрегатора + округлення + кодування (orjson + lz4) — робота видавця на кадр;
- декодування споживачем (з обмеженою розпаковкою);
Еталон у тому ж прогоні: той самий кадр через stdlib `json` + `zlib` (рівень 6).
Останній рядок — частка інтервалу публікації (`PUBLISH_MIN_INTERVAL_MS`), яку з'їдає один
кадр (мета ≤ 10 %, щоб публікація не конкурувала зі Stage1/Stage2 за ядро).
"""

from __future__ import annotations

import json
import os
import time
import zlib
from pathlib import Path

from aione.config.config import PUBLISH_MIN_INTERVAL_MS
from aione.data.bars import list_symbols, read_bars_parquet
from aione.data.ws_worker import decode_frame, encode_frame, round_frame
from aione.stage3.asset_state import AssetStateAggregator
from aione.stage3.trade_manager import TradeManager

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("AIONE_SHARED_DIR", ROOT.parent / "shared")) / "data" / "binance-um-5m-2023-07"
N_SYMBOLS = 350
REPEATS = 60
TARGET_SHARE = 0.10


def build_aggregator() -> AssetStateAggregator:
    prices = []
    for symbol in list_symbols(DATA):
        bars = read_bars_parquet(DATA / f"{symbol}.parquet")
        prices.append(
            (float(bars.close[-1]), float((bars.high[-14:] - bars.low[-14:]).mean()), int(bars.open_time[-1]))
        )
    names = [f"SYM{i:03d}USDT" for i in range(N_SYMBOLS)]
    agg, tm = AssetStateAggregator(names), TradeManager()
    for i, name in enumerate(names):
        price, atr, ts = prices[i % len(prices)]
        atr = atr or price * 0.003
        agg.on_stage1(
            {
                "symbol": name,
                "timestamp": ts,
                "signal": "ALERT" if i % 4 == 0 else "NORMAL",
                "trigger_reasons": ["volume_spike_bull", "breakout_up", "near_high"][: 1 + i % 3],
                "stats": {
                    "price": price,
                    "atr": atr,
                    "rsi": 40 + i % 30,
                    "volume_usd": 1e6 * (1 + i),
                    "price_change_pct": (i % 13) - 6.5,
                },
            }
        )
        result = {
            "symbol": name,
            "timestamp": ts,
            "status": "completed",
            "recommendation": "STRONG_BUY" if i % 10 == 0 else "WAIT_FOR_CONFIRMATION",
            "market_context": {
                "scenario": "BULLISH_BREAKOUT",
                "atr": atr,
                "atr_pct": atr / price,
                "rsi": 55.0,
                "band_pct": 1.7,
                "levels": [
                    {
                        "price": price * (1 + k / 200),
                        "kind": "resistance" if k > 0 else "support",
                        "scale": "micro",
                        "touches": 3,
                        "distance_pct": k / 2,
                    }
                    for k in (-3, -2, -1, 1, 2, 3)
                ],
            },
            "confidence_metrics": {"composite_confidence": 0.8},
            "risk_parameters": {"entry": price, "tp": price + 3 * atr, "sl": price - atr, "atr": atr},
            "narrative": "Ціна пробила опір на підвищеному обсязі; план — вхід на відкаті, стоп під рівнем.",
        }
        agg.on_stage2(result)
        if tm.on_decision(result) is not None:
            agg.on_trade_events(tm.last_events)
            agg.on_trade_events(tm.on_price(name, price, ts + 1))
    return agg


def timed(fn, repeats: int = REPEATS) -> float:  # type: ignore[no-untyped-def]
    """Найкращий із повторів, секунди на виклик."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    agg = build_aggregator()
    ts = [agg.build_frame(0)["ts"]]

    def publish_side() -> bytes:
        ts[0] += 1
        return encode_frame(agg.build_frame(ts[0]))

    frame = round_frame(agg.build_frame(1))
    payload = encode_frame(frame, rounded=True)
    ref_payload = zlib.compress(json.dumps(frame).encode(), 6)

    t_build = timed(lambda: agg.build_frame(2))
    t_publish = timed(publish_side)
    t_encode = timed(lambda: encode_frame(frame, rounded=True))
    t_ref_encode = timed(lambda: zlib.compress(json.dumps(frame).encode(), 6))
    t_decode = timed(lambda: decode_frame(payload))
    t_ref_decode = timed(lambda: json.loads(zlib.decompress(ref_payload)))

    print(f"rows: {len(frame['assets'])}, open trades: {frame['counters']['open_trades']}")
    print(
        f"payload: {len(payload) / 1024:.1f} KiB (orjson+lz4) vs {len(ref_payload) / 1024:.1f} KiB (json+zlib)"
    )
    print(f"build_frame: {t_build * 1e3:.2f} ms")
    print(
        f"encode: {t_encode * 1e3:.2f} ms vs json+zlib {t_ref_encode * 1e3:.2f} ms -> {t_ref_encode / t_encode:.1f}x faster"
    )
    print(
        f"decode: {t_decode * 1e3:.2f} ms vs json+zlib {t_ref_decode * 1e3:.2f} ms -> {t_ref_decode / t_decode:.1f}x faster"
    )
    share = t_publish / (PUBLISH_MIN_INTERVAL_MS / 1000.0)
    verdict = "met" if share <= TARGET_SHARE else "NOT met"
    print(
        f"publisher cost per frame (build+round+encode, {N_SYMBOLS} symbols): {t_publish * 1e3:.2f} ms = "
        f"{share * 100:.1f}% of the {PUBLISH_MIN_INTERVAL_MS} ms publish interval "
        f"(target <= {TARGET_SHARE * 100:.0f}%): {verdict}"
    )


if __name__ == "__main__":
    main()
