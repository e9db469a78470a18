"""Кодек кадру: orjson + lz4, округлення за тіком, обмежене розпакування, перевірка схеми."""

from __future__ import annotations

from typing import Any

import lz4.frame
import orjson
import pytest

from aione.config.config import MAX_FRAME_BYTES, STATE_SCHEMA_VERSION
from aione.data.ws_worker import FrameError, decode_frame, encode_frame, round_frame


def frame(**extra: Any) -> dict[str, Any]:
    return {
        "schema_version": STATE_SCHEMA_VERSION,
        "seq": 7,
        "ts": 1_748_000_000_000,
        "assets": [
            {
                "symbol": "BTCUSDT",
                "tick_size": 0.1,
                "price": 104_321.23456,
                "tp": 105_000.04999,
                "sl": float("nan"),
                "confidence": 0.812345678,
                "volume_usd": 123_456_789.123,
                "levels": [{"price": 104_000.0777, "distance_pct": -0.30812345}],
                "triggers": ["volume_spike"],
            },
            {
                "symbol": "XRPUSDT",
                "tick_size": 0.0001,
                "price": 2.123456789,
                "atr_pct": 0.41234567,
                "tiny": 0.0000123456789,
            },
        ],
        "counters": {"assets": 2, "data_age_ms": 1500},
        "trades": {
            "open": [{"symbol": "XRPUSDT", "tick_size": 0.0001, "entry_price": 2.11119}],
            "recent": [],
        },
        **extra,
    }


def test_roundtrip_rounds_prices_to_tick_and_other_floats_to_six_decimals() -> None:
    decoded = decode_frame(encode_frame(frame()))
    btc, xrp = decoded["assets"]
    assert btc["price"] == 104_321.2 and btc["tp"] == 105_000.0 and btc["sl"] is None
    assert btc["levels"][0] == {"price": 104_000.1, "distance_pct": -0.308123}
    assert btc["confidence"] == 0.812346 and btc["volume_usd"] == 123_456_789.123
    assert xrp["price"] == 2.1235 and xrp["atr_pct"] == 0.412346 and xrp["tiny"] == 0.0000123457
    assert decoded["trades"]["open"][0]["entry_price"] == 2.1112
    assert decoded["counters"] == {"assets": 2, "data_age_ms": 1500}
    assert decoded["seq"] == 7 and btc["triggers"] == ["volume_spike"]


def test_round_frame_does_not_mutate_input() -> None:
    original = frame()
    round_frame(original)
    assert original["assets"][0]["price"] == 104_321.23456


def test_declared_oversize_is_rejected_before_inflating() -> None:
    body = orjson.dumps(frame(pad="x" * 5000))
    payload = lz4.frame.compress(body, store_size=True)
    with pytest.raises(FrameError) as err:
        decode_frame(payload, max_bytes=1000)
    assert err.value.reason == "too_large"


def test_bomb_without_declared_size_is_capped() -> None:
    bomb = lz4.frame.compress(b"[" + b" " * (MAX_FRAME_BYTES + 10) + b"]", store_size=False)
    assert len(bomb) < MAX_FRAME_BYTES // 100  # стискається в крихту
    with pytest.raises(FrameError) as err:
        decode_frame(bomb)
    assert err.value.reason == "too_large"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "corrupt"),
        (b"not lz4 at all", "corrupt"),
        (lz4.frame.compress(b'{"seq": 1')[:-6], "corrupt"),  # обрізаний
        (lz4.frame.compress(b"{bad json"), "bad_json"),
        (lz4.frame.compress(b"[1, 2]"), "bad_schema"),
        (lz4.frame.compress(orjson.dumps({**frame(), "schema_version": 99})), "bad_schema"),
        (lz4.frame.compress(orjson.dumps({**frame(), "seq": "7"})), "bad_schema"),
        (lz4.frame.compress(orjson.dumps({**frame(), "assets": [{"price": 1.0}]})), "bad_schema"),
    ],
)
def test_bad_payloads_rejected_with_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_frame(payload)
    assert err.value.reason == reason


def test_encode_refuses_oversized_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    import aione.data.ws_worker as ws

    monkeypatch.setattr(ws, "MAX_FRAME_BYTES", 100)
    with pytest.raises(FrameError):
        encode_frame(frame())
