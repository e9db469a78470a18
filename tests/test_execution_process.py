"""Живе виконання як окремий процес `aione run --execution live` проти симулятора в тесті.

Симулятор (`BinanceSimulator` на 127.0.0.1) живе в процесі тесту й переживає клієнта: тест
бачить рахунок біржі (`sim.trading.account`) напряму, а клієнт — звичайний підпроцес CLI з
налаштуваннями з оточення (AIONE_EXECUTION=live, testnet, ключі симулятора, його адреси).
Зразок демо дає відомий сигнал XRPUSDT SELL о `SIGNAL_MS`; симулятор стартує за кілька хвилин
ринку до нього з прискоренням, тож перша угода відкривається за кілька секунд.

1. SIGKILL посеред угоди: позиція зі стопом на біржі → `kill -9` → стоп знято на біржі (захист
   втрачено, поки процесу немає) → перезапуск над тим самим журналом → звірка ставить рівно
   один стоп, вхід не дублюється, жодного опитування з позицією без стопа після звірки.
2. «Done when» через CLI: угоди й виконання живого брокера збігаються з паперовими угодами
   того ж запуску (стан угод Stage3 у файлі): стоп/ціль біржі — у межах прослизання, ринкові
   заявки — у виміряній межі `market_leg_bound` (прослизання + рух ціни симулятора між рішенням
   Stage3 і прибуттям заявки; окремий тест — ринковий вихід за часовою зупинкою); події брокера
   видно в `/metrics` процесу і в `meta.execution` його кадру (`/api/frame` веб-панелі).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from aione.app.demo import sample_data_dir
from aione.config.config import BUY_SET, EXECUTION_JOURNAL_FILENAME, SELL_SET
from aione.exchange.sim_trading import SIM_API_KEY, SIM_API_SECRET, SimAccount, SimTrading
from aione.exchange.simulator import BinanceSimulator
from aione.execution import journal as jr
from aione.stage3.trade_model import Trade
from aione.stage3.trade_store import TRADES_FILE_NAME
from aione.ui.frame_schema import frame_problem
from tests.redis_server import free_port

SIGNAL_MS = 1_748_453_040_000  # XRPUSDT SELL на закритті бару (див. test_execution_e2e)
SPEED = 120.0
LEAD_MS = 8 * 60_000  # старт симулятора за 8 хв ринку (~4 с) до сигналу: час на старт клієнта
# Ринкові заявки брокера виконуються за ціною на момент прибуття: затримка клієнта × швидкість
# симулятора — рух ринку поверх прослизання (його межу тест міряє, див. `market_leg_bound`).
E2E_SPEED = SPEED
E2E_LEAD_MS = LEAD_MS
SLIPPAGE = 2.0 / 10_000  # SimTrading за замовчуванням: 2 bps проти трейдера
READY_LINE = "LIVE EXECUTION ON ("  # брокер звірив стан з біржею й працює
LIMITS = {
    "max_notional_per_trade": 100, "max_open_positions": 6, "max_total_exposure": 600,
    "max_daily_loss": 100, "recommendations": sorted(BUY_SET | SELL_SET),
}  # fmt: skip


# ── Допоміжне ──
def _env(sim: BinanceSimulator, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIONE_DATA_DIR": str(data_dir),
        "AIONE_REST_BASE_URL": sim.rest_url,
        "AIONE_WS_BASE_URL": sim.ws_url,
        "AIONE_EXECUTION": "live",
        "AIONE_EXECUTION_ENV": "testnet",
        "AIONE_API_KEY": SIM_API_KEY,
        "AIONE_API_SECRET": SIM_API_SECRET,
        "AIONE_EXECUTION_LIMITS": json.dumps(LIMITS),
        "AIONE_METRICS_PORT": "0",
        "AIONE_LOG_LEVEL": "INFO",
    }


async def _spawn_run(
    sim: BinanceSimulator, data_dir: Path, log: Path, *extra: str, **env: str
) -> asyncio.subprocess.Process:
    """`aione run --execution live` у підпроцесі; stderr — у файл (канал без читача переповнився б)."""
    with log.open("wb") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aione", "run", "--no-ui", "--execution", "live",
            "--symbols", ",".join(sorted(sim.symbols)), *extra,
            cwd=data_dir, env={**_env(sim, data_dir), **env}, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip


async def _wait_for(
    what: str, check: Any, proc: asyncio.subprocess.Process, log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.returncode is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{what}: not reached (rc={proc.returncode}); log tail:\n{tail}")
        await asyncio.sleep(0.05)


def _stops(account: SimAccount, symbol: str) -> list[str]:
    return [
        o.client_id
        for o in account.orders.values()
        if o.symbol == symbol and o.order_type == "STOP_MARKET" and o.status == "NEW"
    ]


def _positions(account: SimAccount) -> dict[str, float]:
    return {s: p.amount for s, p in account.positions.items() if p.amount}


def _entries(account: SimAccount) -> list[str]:
    return [o.client_id for o in account.orders.values() if o.client_id.endswith("-entry")]


def late_protective_fills(account: SimAccount, state: jr.JournalState) -> dict[str, int]:
    """Виконання біржі, яких немає в журналі, за угодами: усі мають бути стопом чи ціллю відкритої
    за журналом угоди — біржа продовжує працювати після зупинки клієнта (стоп спрацьовує всередині
    бару, Stage3 закриває угоду лише на закритті бару)."""
    late: dict[str, int] = {}
    for fill in account.trades:
        if f"{fill['symbol']}:{fill['id']}" in state.fill_ids:
            continue
        cid = account.orders[fill["orderId"]].client_id
        tid = state.by_client.get(cid)
        jt = state.trades.get(tid) if tid else None
        assert jt is not None and not jt.closed and jt.orders[cid] in ("sl", "tp"), (cid, fill)
        late[jt.trade_id] = late.get(jt.trade_id, 0) + 1
    return late


def market_leg_bound(
    market: SimTrading, symbol: str, fill: Mapping[str, Any], paper_price: float, decided_ms: int
) -> float:
    """Виміряна межа для ринкової заявки (вхід; вихід брокера ринком): абсолютна різниця між її
    виконанням і паперовою ціною.

    Симулятор виконує ринкову заявку за своєю ціною в момент прибуття (`ts` виконання) з
    прослизанням — це перевіряється точно. Паперова ціна — ціна, яку Stage3 бачив у момент
    рішення `decided_ms` (час біржі з даних, що прийшли; не пізніше справжнього моменту рішення),
    тож вона лежить на шляху ціни між рішенням і прибуттям, а від ціни прибуття відстоїть не більше
    за розмах шляху на цьому проміжку. Обидва моменти — виміряні часові мітки (біржі й Stage3),
    жодної сталої «на око»."""
    arrived = int(fill["ts"])
    assert decided_ms <= arrived, (decided_ms, arrived)
    at_arrival = market.market.last_price(symbol, arrived)
    assert at_arrival is not None
    side = 1.0 if fill["side"] == "BUY" else -1.0
    assert fill["price"] == pytest.approx(at_arrival * (1.0 + side * SLIPPAGE), rel=1e-9), fill
    span = market.path_range(symbol, decided_ms, arrived)
    assert span is not None
    lo, hi = span
    assert lo - 1e-12 <= paper_price <= hi + 1e-12, (paper_price, span, decided_ms, arrived)
    return SLIPPAGE * at_arrival + (hi - lo)


def assert_live_matches_paper(
    records: list[dict[str, Any]],
    state: jr.JournalState,
    paper: Mapping[str, Trade],
    positions: Mapping[str, float],
    late: Mapping[str, int],
    market: SimTrading | None = None,
) -> int:
    """Угоди журналу брокера проти паперових угод того самого запуску; повертає кількість закритих.

    Без `market` — усе в межах прослизання (вхід, вихід стопом чи ціллю біржі). З `market`
    (симулятор) ринкові заявки — вхід і вихід брокера ринком (Stage3 закрив за часом, зламом
    контексту, або раніше, ніж спрацювала заявка біржі) — перевіряються виміряною межею
    `market_leg_bound`: прослизання плюс рух ціни симулятора між рішенням і прибуттям заявки.
    Стоп і ціль біржі лишаються в межах прослизання."""
    closed = 0
    sides = {r["client_id"]: r["side"] for r in records if r["kind"] == "intent"}
    for jt in state.trades.values():
        trade = paper[jt.trade_id]
        assert trade.entry_price is not None
        fills = [
            {**r, "side": sides[r["client_id"]]}
            for r in records
            if r["kind"] == "fill" and r["trade_id"] == jt.trade_id
        ]
        entries = [r for r in fills if r["leg"] == "entry"]
        entry_tol = SLIPPAGE * trade.entry_price
        if market is not None:
            decided = trade.entry_ts or trade.decision_ts
            entry_tol = max(
                market_leg_bound(market, jt.symbol, r, trade.entry_price, decided) for r in entries
            )
        assert abs(jt.avg_entry - trade.entry_price) <= entry_tol * (1 + 1e-9), jt.trade_id
        if trade.status == "closed":
            exits = [r for r in fills if r["leg"] != "entry"]
            qty = sum(r["qty"] for r in exits)
            assert qty == pytest.approx(jt.entry_qty) and jt.symbol not in positions
            exit_px = sum(r["qty"] * r["price"] for r in exits) / qty
            assert trade.exit_price is not None and trade.exit_ts is not None
            exit_tol = SLIPPAGE * trade.exit_price
            if market is not None and any(r["leg"] == "exit" for r in exits):
                exit_tol = max(
                    market_leg_bound(market, jt.symbol, r, trade.exit_price, trade.exit_ts)
                    if r["leg"] == "exit"
                    else SLIPPAGE * trade.exit_price
                    for r in exits
                )
            assert abs(exit_px - trade.exit_price) <= exit_tol * (1 + 1e-9), (jt.trade_id, exits)
            # PnL на одиницю: кожна сторона відрізняється від своєї ціни не більше ніж на свою межу
            live_pnl = trade.direction * (exit_px - jt.avg_entry)
            paper_pnl = trade.direction * (trade.exit_price - trade.entry_price)
            assert abs(live_pnl - paper_pnl) <= (entry_tol + exit_tol) * (1 + 1e-9)
            closed += 1
        elif jt.symbol in positions:  # ще відкрита: позиція на біржі того самого боку й розміру
            assert positions[jt.symbol] == pytest.approx(jt.entry_qty * trade.direction)
        else:  # закрита захисною заявкою біржі (до чи після зупинки клієнта)
            assert jt.closed or jt.trade_id in late, jt.trade_id
    return closed


async def _stop_cleanly(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    """SIGTERM → підсумок запуску (останній рядок stdout)."""
    proc.send_signal(signal.SIGTERM)
    stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0
    summary: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return summary


# ── SIGKILL посеред угоди ──
async def test_sigkill_mid_trade_then_restart_restores_protection(tmp_path: Path) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=SPEED, market="um", start_ms=SIGNAL_MS - LEAD_MS)
    await sim.start()
    procs: list[asyncio.subprocess.Process] = []
    account = sim.trading.account
    try:
        first = await _spawn_run(sim, tmp_path, tmp_path / "run1.log")
        procs.append(first)
        # позиція відкрита і її стоп стоїть на біржі
        await _wait_for(
            "position with its stop on the exchange",
            lambda: any(_stops(account, s) for s in _positions(account)),
            first, tmp_path / "run1.log", 40,
        )  # fmt: skip
        symbol = next(s for s in _positions(account) if _stops(account, s))
        amount = account.positions[symbol].amount
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        # поки процесу немає, захист зникає з біржі (скасовано вручну, протермінувався…)
        for o in account.orders.values():
            if o.symbol == symbol and o.order_type == "STOP_MARKET" and o.status == "NEW":
                o.status = "CANCELED"
        assert _stops(account, symbol) == [] and account.positions[symbol].amount == amount
        entries_before = _entries(account)
        assert len(entries_before) == len(set(entries_before)) >= 1

        second = await _spawn_run(sim, tmp_path, tmp_path / "run2.log")
        procs.append(second)
        log2 = tmp_path / "run2.log"
        await _wait_for(
            "broker ready after restart", lambda: READY_LINE in log2.read_text(), second, log2, 40
        )
        # після звірки: кожна позиція весь час має рівно один стоп (опитування ~3 с ринку ×SPEED)
        for _ in range(30):
            for sym, amt in _positions(account).items():
                assert len(_stops(account, sym)) == 1, (sym, amt, _stops(account, sym))
            await asyncio.sleep(0.1)
        assert "stop restored" in log2.read_text()
        summary = await _stop_cleanly(second)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await sim.stop()
    assert summary["failures"] == []
    # жодної другої заявки входу: client id унікальні, входів стільки ж, скільки угод у журналі
    cids = [o.client_id for o in account.orders.values()]
    assert len(cids) == len(set(cids))
    state = jr.fold(jr.Journal(tmp_path / EXECUTION_JOURNAL_FILENAME).records())
    entries = _entries(account)
    assert entries[: len(entries_before)] == entries_before
    assert sorted(entries) == sorted(
        c for t in state.trades.values() for c, leg in t.orders.items() if leg == "entry"
    )
    restored = [t for t in state.trades.values() if t.symbol == symbol and t.sl_revision >= 1]
    assert restored, "the killed trade's stop was not restored with a new revision"


# ── «Done when»: живі угоди = паперові угоди того ж запуску ──
def _paper_trades(data_dir: Path) -> dict[str, Trade]:
    path = data_dir / TRADES_FILE_NAME
    if not path.exists():
        return {}
    raw: Mapping[str, Any] = orjson.loads(path.read_bytes())
    return {t["trade_id"]: Trade.from_dict(t) for t in [*raw.get("open", []), *raw.get("recent", [])]}


async def test_cli_live_execution_matches_paper_trades(tmp_path: Path) -> None:
    sim = BinanceSimulator(sample_data_dir(), speed=E2E_SPEED, market="um", start_ms=SIGNAL_MS - E2E_LEAD_MS)
    await sim.start()
    log = tmp_path / "run.log"
    metrics_port, web_port = free_port(), free_port()
    proc = await _spawn_run(
        sim, tmp_path, log, "--web", AIONE_METRICS_PORT=str(metrics_port), AIONE_WEB_PORT=str(web_port)
    )
    try:
        await _wait_for(
            "a paper trade closed",
            lambda: any(t.status == "closed" for t in _paper_trades(tmp_path).values()),
            proc, log, 50,
        )  # fmt: skip
        await asyncio.sleep(0.5)  # вихід на біржі й його виконання з потоку користувача
        # події брокера видно назовні: Prometheus процесу й розділ execution його кадру
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
                metrics = await resp.text()
            async with http.get(f"http://127.0.0.1:{web_port}/api/frame") as resp:
                frame = await resp.json()
        summary = await _stop_cleanly(proc)
        positions = _positions(sim.trading.account)
        sim_fills = list(sim.trading.account.trades)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()
    assert summary["failures"] == []
    counters = summary["counters"]
    assert counters["exec_trades"] >= 1 and counters["exec_blocked"] == 0
    paper = _paper_trades(tmp_path)
    records = jr.Journal(tmp_path / EXECUTION_JOURNAL_FILENAME).records()
    state = jr.fold(records)
    late = late_protective_fills(sim.trading.account, state)
    closed = assert_live_matches_paper(records, state, paper, positions, late, market=sim.trading)
    # жодного втраченого виконання: чого немає в журналі — лише стопи/цілі, що спрацювали, коли клієнт
    # уже не слухав (наступний старт добере їх через REST)
    assert len(state.fill_ids) + sum(late.values()) == len(sim_fills)
    assert closed >= 1
    assert 'execution_orders_total{kind="entry",status="acked"}' in metrics
    assert 'execution_fills_total{leg="entry"}' in metrics and "execution_kill_switch 0.0" in metrics
    execution = frame["meta"]["execution"]
    assert execution["mode"] == "live" and execution["env"] == "testnet" and execution["kill"] is False
    assert execution["orders"] >= 3 and execution["fills"] >= 2 and execution["events"]
    assert frame_problem(frame) is None


async def test_cli_broker_market_exit_within_measured_bound(tmp_path: Path) -> None:
    """Часова зупинка Stage3 (`max_holding_sec` 4 хв) — вихід, який біржа сама не зробить: брокер
    закриває ринком. Виконання = ціна симулятора на момент прибуття з прослизанням; від паперової ціни
    воно відстоїть не більше, ніж прослизання плюс рух ціни між рішенням і прибуттям (`market_leg_bound`)."""
    sim = BinanceSimulator(sample_data_dir(), speed=SPEED, market="um", start_ms=SIGNAL_MS - LEAD_MS)
    await sim.start()
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"stage3": {"max_holding_sec": 240}}))
    log = tmp_path / "run.log"
    proc = await _spawn_run(sim, tmp_path, log, "--params", str(params))
    try:
        await _wait_for(
            "a paper trade closed by time",
            lambda: any(t.close_reason == "time_exit" for t in _paper_trades(tmp_path).values()),
            proc, log, 50,
        )  # fmt: skip
        await asyncio.sleep(0.5)  # вихід на біржі й його виконання з потоку користувача
        summary = await _stop_cleanly(proc)
        positions = _positions(sim.trading.account)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()
    assert summary["failures"] == []
    paper = _paper_trades(tmp_path)
    records = jr.Journal(tmp_path / EXECUTION_JOURNAL_FILENAME).records()
    state = jr.fold(records)
    late = late_protective_fills(sim.trading.account, state)
    assert assert_live_matches_paper(records, state, paper, positions, late, market=sim.trading) >= 1
    timed = {t.trade_id for t in paper.values() if t.close_reason == "time_exit"}
    exits = [r for r in records if r["kind"] == "fill" and r["leg"] == "exit" and r["trade_id"] in timed]
    assert exits, "the time exit did not go through a broker market order"
    # затримка рішення → підтвердження виміряна брокером для кожної ринкової заявки
    acks = [r for r in records if r["kind"] == "ack" and r["leg"] in ("entry", "exit")]
    assert acks and all(r["decision_ack_ms"] > 0 for r in acks)
