"""`BinanceBroker`: виконує угоди Stage3 на Binance USDⓈ-M (чи симуляторі) з журналом і захистами.

Потік: Stage3 віддає події угод (`on_trade_events`, не блокує) → черга → один робітник:
- `opened`: ліміти ризику й kill switch → розмір за фільтрами → журнал → MARKET-вхід
  (ідемпотентний client id) → журнал → SL (STOP_MARKET closePosition, з повторами; не ставиться —
  позиція закривається) і TP (TAKE_PROFIT_MARKET closePosition);
- `updated` (стоп посунуто): спершу новий SL (нова ревізія id), потім скасування старого —
  позиція ні миті без стопа;
- `closed`: залишок позиції — MARKET reduceOnly, потім скасування SL/TP (позиція весь час під стопом);
- виконання приходять потоком користувача (дублікати відкидаються за id виконання); після
  кожного перепідключення — звірка й добір пропущених виконань через REST.
Kill switch (файл/Redis) перевіряється перед кожним входом і стежиться окремою задачею: щойно
встановлено — скасувати всі заявки (і закрити позиції, якщо `flatten_on_kill`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aione.config.config import EXECUTION_DEFAULT_LIMITS, EXECUTION_PROTECT_RETRIES, ExecutionLimits
from aione.exchange.errors import ExchangeError, RequestRejectedError, TransientError
from aione.execution import journal as jr
from aione.execution.binance_trading import BinanceTradingClient
from aione.execution.filters import OrderFilterError, SymbolFilters
from aione.execution.kill import KillSwitch
from aione.execution.model import (
    EXEC_ACK,
    EXEC_ALERT,
    EXEC_BLOCKED,
    EXEC_CANCELLED,
    EXEC_FILL,
    EXEC_KILL,
    EXEC_PLACED,
    EXEC_RECONCILED,
    EXEC_REJECTED,
    LEG_ENTRY,
    LEG_EXIT,
    LEG_SL,
    LEG_TP,
    ExecEvent,
    Fill,
    OrderIntent,
    OrderSide,
    OrderState,
    OrderType,
    client_order_id,
    opposite,
)
from aione.execution.monitor import ExecutionMonitor
from aione.execution.reconcile import Alert, CancelOrder, MarkClosed, PlaceStop, plan
from aione.execution.risk import EntryRequest, check_entry
from aione.execution.user_stream import OrderUpdate, UserStream
from aione.logging_setup import get_logger, log_ctx
from aione.stage3.trade_model import (
    EVENT_CLOSED,
    EVENT_OPENED,
    EVENT_PENDING,
    EVENT_UPDATED,
    Trade,
    TradeEvent,
)
from aione.utils.aio import cancel_and_wait

logger = get_logger(__name__)
_EPS = 1e-12


class BinanceBroker:
    """Живий брокер (див. докстрінг модуля)."""

    name = "binance"

    def __init__(
        self,
        client: BinanceTradingClient,
        journal: jr.Journal,
        kill: KillSwitch,
        *,
        ws_url: str | None,
        limits: ExecutionLimits = EXECUTION_DEFAULT_LIMITS,
        filters: Mapping[str, SymbolFilters] | None = None,
        protect_retries: int = EXECUTION_PROTECT_RETRIES,
        kill_poll_sec: float = 0.5,
        monitor: ExecutionMonitor | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.kill = kill
        self.ws_url = ws_url
        self.limits = limits
        self.filters: dict[str, SymbolFilters] = dict(filters or {})
        self.protect_retries = protect_retries
        self.kill_poll_sec = kill_poll_sec
        self.state = jr.JournalState()
        self._queue: asyncio.Queue[tuple[list[TradeEvent], Mapping[str, Any] | None, float]] = asyncio.Queue()
        self._events: deque[ExecEvent] = deque(maxlen=10_000)  # без споживача старі витісняються
        # Слухачі кожної події (метрики, кадр); монітор — завжди перший.
        self.monitor = monitor or ExecutionMonitor("live", "unknown")
        self.listeners: list[Callable[[ExecEvent], None]] = [self.monitor.on_event]
        self._ranks: dict[str, float | None] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._killed = False
        # Робітник, звірка й kill switch не перетинаються: звірка посеред входу вважала б
        # позицію без стопа сирітською, а угоду без позиції — закритою.
        self._lock = asyncio.Lock()
        self._touched: set[str] = set()
        self._configured: set[str] = (
            set()
        )  # символи з уже виставленими плечем і типом маржі  # угоди цієї сесії (їхні виконання звіряються завжди)
        self.stream: UserStream | None = None
        self.on_stop: list[Callable[[], Awaitable[None]]] = []  # що закрити разом із брокером
        self.idle = asyncio.Event()
        self.idle.set()
        # Лічильники.
        self.latencies_ms: list[float] = []  # рішення → підтвердження заявки входу
        self.duplicate_fills = 0
        self.recovered_fills = 0
        self.reconciliations = 0
        self.blocked: dict[str, int] = {}
        self.emergency_closes = 0

    # ── Життєвий цикл ──
    async def start(self) -> None:
        """Стан з журналу → фільтри → звірка з біржею → потік, робітник, сторож kill switch."""
        self.state = jr.fold(self.journal.records())
        if not self.filters:
            self.filters = await self.client.exchange_filters()
        await self.reconcile("start")
        if self.ws_url:
            self.stream = UserStream(self.client, self.ws_url, self._on_update, self._on_connected)
            self._tasks.append(asyncio.create_task(self.stream.run(), name="exec-user-stream"))
        self._tasks.append(asyncio.create_task(self._worker(), name="exec-worker"))
        self._tasks.append(asyncio.create_task(self._kill_watch(), name="exec-kill-watch"))

    async def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
        await cancel_and_wait(self._tasks)
        self.journal.close()
        await self.kill.close()
        for closer in self.on_stop:
            await closer()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Чекає, поки черга подій спорожніє (для тестів і зупинки)."""
        async with asyncio.timeout(timeout):
            while not self._queue.empty() or not self.idle.is_set():
                await asyncio.sleep(0.005)

    # ── Інтерфейс брокера ──
    def on_trade_events(
        self, events: Sequence[TradeEvent], decision: Mapping[str, Any] | None = None
    ) -> None:
        self.idle.clear()
        self._queue.put_nowait((list(events), decision, time.perf_counter()))

    def drain_events(self) -> list[ExecEvent]:
        events = list(self._events)
        self._events.clear()
        return events

    def frame_section(self) -> dict[str, Any]:
        """`meta.execution` кадру (див. `ExecutionMonitor.section`)."""
        return self.monitor.section(len(self.state.open_trades()))

    def counters(self) -> dict[str, int]:
        """Підсумок для звіту запуску."""
        trades = self.state.trades.values()
        return {
            "exec_trades": len(trades),
            "exec_open": sum(1 for t in trades if not t.closed),
            "exec_fills": len(self.state.fill_ids),
            "exec_blocked": sum(self.blocked.values()),
            "exec_duplicate_fills": self.duplicate_fills,
            "exec_recovered_fills": self.recovered_fills,
            "exec_emergency_closes": self.emergency_closes,
        }

    # ── Журнал ──
    def _record(self, kind: str, **fields: Any) -> None:
        rec = {"kind": kind, **fields}
        if "trade_id" in fields:
            self._touched.add(str(fields["trade_id"]))
        self.journal.append(rec)
        jr.apply(self.state, rec)

    def _emit(
        self,
        kind: str,
        trade_id: str,
        leg: str = "",
        symbol: str = "",
        detail: str = "",
        fill: Fill | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        event = ExecEvent(kind, trade_id, leg, symbol, detail, fill, extra or {})
        self._events.append(event)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # показ подій не має зупиняти торгівлю
                logger.exception("execution event listener failed", extra=log_ctx("exec", symbol))

    # ── Робітник ──
    async def _worker(self) -> None:
        while True:
            events, decision, t0 = await self._queue.get()
            try:
                async with self._lock:
                    for event in events:
                        await self._handle(event, decision, t0)
            except Exception:
                logger.exception("execution step failed", extra=log_ctx("exec"))  # робітник не має вмирати
            finally:
                if self._queue.empty():
                    self.idle.set()

    async def _handle(self, event: TradeEvent, decision: Mapping[str, Any] | None, t0: float) -> None:
        trade = event.trade
        if event.kind == EVENT_PENDING:
            self._ranks[trade.trade_id] = _rank(decision)
        elif event.kind == EVENT_OPENED:
            await self._open(trade, t0)
        elif event.kind == EVENT_UPDATED:
            await self._move_stop(trade)
        elif event.kind == EVENT_CLOSED:
            await self._close(trade, "stage3 " + (trade.close_reason or "close"), t0)

    # ── Вхід ──
    async def _open(self, trade: Trade, t0: float) -> None:
        tid, symbol = trade.trade_id, trade.symbol
        if tid in self.state.trades:
            return  # уже виконується (повтор після перезапуску)
        price = trade.entry_price or trade.planned_entry
        flt = self.filters.get(symbol)
        if flt is None:
            self._reject(trade, "no exchange filters for the symbol")
            return
        qty = flt.floor_qty(self.limits.max_notional_per_trade / price, market=True)
        open_notional = {t.trade_id: t.notional for t in self.state.open_trades()}
        busy = {t.symbol for t in self.state.open_trades()}
        reason = check_entry(
            self.limits,
            EntryRequest(symbol, trade.recommendation, self._ranks.pop(tid, None), qty * price),
            open_notional=open_notional,
            busy_symbols=busy,
            realized_today=self.state.daily.today(trade.entry_ts or trade.decision_ts),
            kill=self._killed or await self.kill.is_set(),
        )
        if reason is not None:
            self.blocked[reason] = self.blocked.get(reason, 0) + 1
            self.journal.append({"kind": "blocked", "trade_id": tid, "symbol": symbol, "reason": reason})
            self._emit(EXEC_BLOCKED, tid, LEG_ENTRY, symbol, reason)
            logger.warning("entry blocked: %s", reason, extra=log_ctx("exec", symbol))
            return
        try:
            flt.check(quantity=qty, price=None, reference_price=price, market=True)
        except OrderFilterError as exc:
            self._reject(trade, str(exc))
            return
        await self._configure(symbol)
        sl, tp = flt.round_price(trade.sl), flt.round_price(trade.tp)
        self._record(
            jr.J_OPEN,
            trade_id=tid,
            symbol=symbol,
            side=trade.side,
            qty=qty,
            sl=sl,
            tp=tp,
            entry_ts=trade.entry_ts or 0,
        )
        intent = OrderIntent(
            tid, LEG_ENTRY, symbol, trade.side, "MARKET", qty, client_order_id(tid, LEG_ENTRY)
        )
        ack = await self._send(intent, t0)
        if ack is None:
            jt = self.state.trades[tid]
            if jt.order_ids.get(intent.client_id) is None:
                self._record(jr.J_REJECTED, trade_id=tid, reason="entry not placed")
            return
        self.latencies_ms.append((time.perf_counter() - t0) * 1000.0)
        if ack.executed_qty > 0:
            await self._protect(self.state.trades[tid])

    async def _configure(self, symbol: str) -> None:
        """Тип маржі й плече з лімітів — раз на символ за сесію (до першого входу)."""
        if symbol in self._configured:
            return
        try:
            await self.client.set_margin_type(symbol, self.limits.margin_type)
            await self.client.set_leverage(symbol, self.limits.leverage)
            self._configured.add(symbol)
        except ExchangeError as exc:
            # не причина пропускати вхід: розмір позиції задає ліміт вартості, а не плече
            logger.warning("leverage/margin type not set: %s", exc, extra=log_ctx("exec", symbol))

    def _reject(self, trade: Trade, reason: str) -> None:
        self.journal.append(
            {"kind": "blocked", "trade_id": trade.trade_id, "symbol": trade.symbol, "reason": reason}
        )
        self._emit(EXEC_REJECTED, trade.trade_id, LEG_ENTRY, trade.symbol, reason)
        logger.error("entry rejected locally: %s", reason, extra=log_ctx("exec", trade.symbol))

    async def _send(self, intent: OrderIntent, t0: float | None = None) -> OrderState | None:
        """Журнал → заявка → журнал. None — відхилено чи невизначено (звірка розбереться).

        `t0` — `perf_counter()` передачі рішення Stage3 брокеру (вхід і вихід за рішенням): запис
        підтвердження тоді несе виміряну затримку `decision_ack_ms` — рішення → відповідь біржі.
        Ринкова заявка виконується за ціною на момент прибуття, тож це межа руху ринку, який
        відділяє її виконання від ціни паперової угоди (README, «Живе виконання»)."""
        self._record(jr.J_INTENT, trade_id=intent.trade_id, leg=intent.leg, client_id=intent.client_id,
                     symbol=intent.symbol, side=intent.side, type=intent.order_type, qty=intent.quantity,
                     stop=intent.stop_price)  # fmt: skip
        self._emit(
            EXEC_PLACED, intent.trade_id, intent.leg, intent.symbol, f"{intent.order_type} {intent.side}"
        )
        sent = time.perf_counter()
        try:
            ack = await self.client.place_order(intent)
        except RequestRejectedError as exc:
            self.journal.append({"kind": "order_rejected", "trade_id": intent.trade_id, "client_id": intent.client_id,
                                 "code": exc.code, "msg": exc.message})  # fmt: skip
            self._emit(EXEC_REJECTED, intent.trade_id, intent.leg, intent.symbol, f"{exc.code} {exc.message}")
            logger.error(
                "order %s rejected: %s %s",
                intent.client_id,
                exc.code,
                exc.message,
                extra=log_ctx("exec", intent.symbol),
            )
            return None
        except TransientError as exc:
            self.journal.append(
                {"kind": "order_unknown", "trade_id": intent.trade_id, "client_id": intent.client_id}
            )
            self._emit(
                EXEC_ALERT, intent.trade_id, intent.leg, intent.symbol, f"order state unknown: {exc.reason}"
            )
            logger.error(
                "order %s state unknown after retries: reconciling",
                intent.client_id,
                extra=log_ctx("exec", intent.symbol),
            )
            await self._reconcile("unknown order")
            return None
        acked = time.perf_counter()
        timing = {} if t0 is None else {"decision_ack_ms": round((acked - t0) * 1000.0, 3)}
        self._record(jr.J_ACK, trade_id=intent.trade_id, leg=intent.leg, client_id=intent.client_id,
                     order_id=ack.order_id, status=ack.status, executed_qty=ack.executed_qty,
                     avg_price=ack.avg_price, **timing)  # fmt: skip
        self._emit(EXEC_ACK, intent.trade_id, intent.leg, intent.symbol, ack.status,
                   extra={"ack_sec": acked - sent})  # fmt: skip
        return ack

    # ── Захист ──
    def _stop_intent(self, jt: jr.JournalTrade, leg: str, price: float, revision: int = 0) -> OrderIntent:
        kind: OrderType = "STOP_MARKET" if leg == LEG_SL else "TAKE_PROFIT_MARKET"
        return OrderIntent(
            jt.trade_id, LEG_SL if leg == LEG_SL else LEG_TP, jt.symbol, opposite(jt.side),  # type: ignore[arg-type]
            kind, None, client_order_id(jt.trade_id, leg, revision), stop_price=price, close_position=True,
        )  # fmt: skip

    async def _place_stop(self, intent: OrderIntent) -> bool:
        for attempt in range(1, self.protect_retries + 1):
            ack = await self._send(intent)
            if ack is not None and ack.status in ("NEW", "FILLED"):
                return True
            await asyncio.sleep(0.02 * attempt)
        return False

    async def _protect(self, jt: jr.JournalTrade) -> None:
        """SL (обов'язково; не вдалося — закрити позицію) і TP."""
        if not await self._place_stop(self._stop_intent(jt, LEG_SL, jt.sl, jt.sl_revision)):
            await self._emergency_close(jt.symbol, jt.side, jt.trade_id, "stop loss could not be placed")
            return
        if not await self._place_stop(self._stop_intent(jt, LEG_TP, jt.tp)):
            logger.warning(
                "take profit not placed; the stop loss protects the position",
                extra=log_ctx("exec", jt.symbol),
            )

    async def _emergency_close(self, symbol: str, side: str, trade_id: str | None, why: str) -> None:
        """Позиція без стопа не лишається: закрити її ринком (reduceOnly)."""
        self.emergency_closes += 1
        logger.critical("%s: closing the position at market", why, extra=log_ctx("exec", symbol))
        self._emit(EXEC_ALERT, trade_id or "", LEG_EXIT, symbol, why)
        await self._flatten(symbol, trade_id, side_hint=side)
        if trade_id is not None and trade_id in self.state.trades:
            self._record(jr.J_CLOSED, trade_id=trade_id, reason=why)

    async def _flatten(
        self, symbol: str, trade_id: str | None, side_hint: str | None = None, t0: float | None = None
    ) -> bool:
        """Закриває позицію символу ринком (reduceOnly); False — заявку не прийнято (позиція лишилась)."""
        positions = {p.symbol: p for p in await self.client.positions()}
        pos = positions.get(symbol)
        if pos is None or not pos.amount:
            return True
        if side_hint is not None and (pos.amount > 0) != (side_hint == "BUY"):
            return True  # позиція іншого боку — не наша
        side: OrderSide = "SELL" if pos.amount > 0 else "BUY"
        tid = trade_id or f"flatten:{symbol}:{int(time.time() * 1000)}"
        intent = OrderIntent(
            tid,
            LEG_EXIT,
            symbol,
            side,
            "MARKET",
            abs(pos.amount),
            client_order_id(tid, LEG_EXIT),
            reduce_only=True,
        )
        if trade_id is not None and trade_id in self.state.trades:
            return await self._send(intent, t0) is not None
        await self.client.place_order(intent)
        return True

    async def _move_stop(self, trade: Trade) -> None:
        jt = self.state.trades.get(trade.trade_id)
        if jt is None or jt.closed or jt.filled <= _EPS:
            return
        flt = self.filters.get(jt.symbol)
        new_sl = flt.round_price(trade.sl) if flt is not None else trade.sl
        if abs(new_sl - jt.sl) <= _EPS:
            return
        old = client_order_id(jt.trade_id, LEG_SL, jt.sl_revision)
        revision = jt.sl_revision + 1
        if not await self._place_stop(self._stop_intent(jt, LEG_SL, new_sl, revision)):
            logger.warning("stop move failed; the previous stop stays", extra=log_ctx("exec", jt.symbol))
            return
        self._record(jr.J_SL, trade_id=jt.trade_id, sl=new_sl, revision=revision)
        await self.client.cancel_order(jt.symbol, old)

    # ── Вихід ──
    async def _close(self, trade: Trade, why: str, t0: float | None = None) -> None:
        jt = self.state.trades.get(trade.trade_id)
        if jt is None or jt.closed:
            return
        # Спершу ринковий вихід (reduceOnly), потім скасування SL/TP: рішення Stage3 доходить до
        # біржі на два запити раніше (менший рух ціни за затримку), і позиція ні миті не стоїть без
        # стопа. Стоп, що спрацює між ними, не перевертає позицію: обидві заявки лише зменшують її.
        if not await self._flatten(jt.symbol, jt.trade_id, side_hint=jt.side, t0=t0):
            # вихід не прийнято: SL/TP лишаються на біржі, угода — відкритою (звірка розбереться)
            self._emit(EXEC_ALERT, jt.trade_id, LEG_EXIT, jt.symbol, "exit not placed; protection kept")
            return
        await self._cancel_protection(jt)
        self._record(jr.J_CLOSED, trade_id=jt.trade_id, reason=why)

    async def _cancel_protection(self, jt: jr.JournalTrade) -> None:
        for cid, leg in list(jt.orders.items()):
            if leg in (LEG_SL, LEG_TP):
                if await self.client.cancel_order(jt.symbol, cid) is not None:
                    self._emit(EXEC_CANCELLED, jt.trade_id, leg, jt.symbol)

    # ── Виконання з потоку ──
    async def _on_update(self, update: OrderUpdate) -> None:
        if update.execution != "TRADE" or update.last_qty <= 0:
            return
        self._account_fill(update.symbol, update.client_id, update.order_id, update.trade_id,
                           update.side, update.last_qty, update.last_price, update.commission, update.time_ms)  # fmt: skip
        tid = self.state.by_client.get(update.client_id)
        jt = self.state.trades.get(tid) if tid else None
        if (
            jt is not None
            and not jt.closed
            and jt.orders.get(update.client_id) in (LEG_SL, LEG_TP)
            and jt.filled <= _EPS
        ):
            # біржа закрила позицію стопом чи ціллю: друга захисна заявка більше не потрібна
            self._record(
                jr.J_CLOSED,
                trade_id=jt.trade_id,
                reason=f"{jt.orders[update.client_id]} filled on the exchange",
            )
            await self._cancel_protection(jt)

    def _account_fill(
        self,
        symbol: str,
        cid: str,
        order_id: int,
        exch_trade_id: int,
        side: str,
        qty: float,
        price: float,
        fee: float,
        ts: int,
    ) -> None:
        tid = self.state.by_client.get(cid)
        if tid is None:
            return  # не наша заявка
        fill_id = f"{symbol}:{exch_trade_id}"
        if fill_id in self.state.fill_ids:
            self.duplicate_fills += 1
            return
        leg = self.state.trades[tid].orders.get(cid, "")
        self._record(
            jr.J_FILL,
            trade_id=tid,
            leg=leg,
            client_id=cid,
            fill_id=fill_id,
            qty=qty,
            price=price,
            fee=fee,
            ts=ts,
        )
        fill = Fill(tid, leg, symbol, side, qty, price, fee, ts, order_id, fill_id)  # type: ignore[arg-type]
        self._emit(EXEC_FILL, tid, leg, symbol, fill=fill)

    async def _on_connected(self, first: bool) -> None:
        """Після (пере)підключення потоку: звірка й добір пропущених виконань."""
        if not first:
            await self.reconcile("user stream reconnect")
        else:
            await self.recover_fills()

    async def recover_fills(self) -> int:
        """Добирає виконання, яких немає в журналі (потік мовчав): `userTrades` заявок угод."""
        found = 0
        for jt in list(self.state.trades.values()):
            if jt.closed and abs(jt.filled) <= 1e-12 and jt.trade_id not in self._touched:
                continue  # закрита й урахована в минулих сесіях
            for cid in list(jt.orders):
                try:
                    order = await self.client.query_order(jt.symbol, cid)
                except ExchangeError:
                    continue
                if order is None:
                    continue
                if cid not in jt.order_ids:  # процес упав до запису підтвердження
                    self._record(jr.J_ACK, trade_id=jt.trade_id, leg=jt.orders[cid], client_id=cid,
                                 order_id=order.order_id, status=order.status, executed_qty=order.executed_qty,
                                 avg_price=order.avg_price)  # fmt: skip
                if order.executed_qty <= jt.fill_qty.get(cid, 0.0) + 1e-12:
                    continue
                for t in await self.client.user_trades(jt.symbol, order.order_id):
                    if f"{t.symbol}:{t.trade_id}" not in self.state.fill_ids:
                        self._account_fill(
                            t.symbol,
                            cid,
                            t.order_id,
                            t.trade_id,
                            t.side,
                            t.qty,
                            t.price,
                            t.commission,
                            t.time_ms,
                        )
                        found += 1
                        self.recovered_fills += 1
        if found:
            logger.warning("recovered %d fills missed by the user stream", found, extra=log_ctx("exec"))
        return found

    # ── Звірка ──
    async def reconcile(self, why: str) -> None:
        """Відкриті заявки й позиції біржі проти журналу (див. `reconcile.plan`)."""
        async with self._lock:
            await self._reconcile(why)

    async def _reconcile(self, why: str) -> None:
        self.reconciliations += 1
        await self.recover_fills()
        orders = await self.client.open_orders()
        positions = await self.client.positions()
        actions = plan(
            self.state,
            orders,
            positions,
            orphan_policy=self.limits.orphan_position,
            orphan_sl_pct=self.limits.orphan_sl_pct,
        )
        if actions:
            logger.warning("reconciliation (%s): %d actions", why, len(actions), extra=log_ctx("exec"))
        for action in actions:
            if isinstance(action, CancelOrder):
                await self.client.cancel_order(action.symbol, action.client_id)
                self._emit(EXEC_CANCELLED, "", "", action.symbol, action.reason)
            elif isinstance(action, MarkClosed):
                self._record(jr.J_CLOSED, trade_id=action.trade_id, reason=action.reason)
            elif isinstance(action, Alert):
                logger.critical("%s", action.message, extra=log_ctx("exec", action.symbol))
                self._emit(EXEC_ALERT, "", "", action.symbol, action.message)
            elif isinstance(action, PlaceStop):
                await self._restore_stop(action)
        self._emit(EXEC_RECONCILED, "", "", "", f"{why}: {len(actions)} actions")

    async def _restore_stop(self, action: PlaceStop) -> None:
        flt = self.filters.get(action.symbol)
        stop = flt.round_price(action.stop_price) if flt is not None else action.stop_price
        if action.trade_id is not None:
            jt = self.state.trades[action.trade_id]
            revision = jt.sl_revision + 1
            ok = await self._place_stop(self._stop_intent(jt, LEG_SL, stop, revision))
            if ok:
                self._record(jr.J_SL, trade_id=jt.trade_id, sl=stop, revision=revision)
                logger.warning("stop restored at %s", stop, extra=log_ctx("exec", action.symbol))
                return
            await self._emergency_close(
                action.symbol, jt.side, jt.trade_id, "stop loss could not be restored"
            )
            return
        tid = f"orphan:{action.symbol}:{stop}"
        intent = OrderIntent(tid, LEG_SL, action.symbol, action.side, "STOP_MARKET", None,  # type: ignore[arg-type]
                             client_order_id(tid, LEG_SL), stop_price=stop, close_position=True)  # fmt: skip
        for attempt in range(1, self.protect_retries + 1):
            try:
                await self.client.place_order(intent)
                logger.critical(
                    "orphan position protected with a stop at %s", stop, extra=log_ctx("exec", action.symbol)
                )
                self._emit(EXEC_ALERT, "", LEG_SL, action.symbol, f"orphan position protected at {stop}")
                return
            except ExchangeError:
                await asyncio.sleep(0.02 * attempt)
        await self._emergency_close(
            action.symbol,
            "BUY" if action.side == "SELL" else "SELL",
            None,
            "orphan position: stop could not be placed",
        )

    # ── Kill switch ──
    async def _kill_watch(self) -> None:
        while True:
            if not self._killed and await self.kill.is_set():
                await self.kill_all()
            elif self._killed and not await self.kill.is_set():
                self._killed = False
                logger.warning("kill switch cleared: new orders allowed", extra=log_ctx("exec"))
                self._emit(EXEC_KILL, "", "", "", "off")
            await asyncio.sleep(self.kill_poll_sec)

    async def kill_all(self) -> dict[str, int]:
        """Скасувати всі відкриті заявки; з `flatten_on_kill` — закрити позиції. Нові входи заблоковано."""
        self._killed = True
        async with self._lock:  # поточний крок робітника завершиться, наступні входи вже заблоковано
            result = await kill_now(self.client, flatten=self.limits.flatten_on_kill)
        for jt in self.state.open_trades():
            if self.limits.flatten_on_kill:
                self._record(jr.J_CLOSED, trade_id=jt.trade_id, reason="kill switch")
        logger.critical(
            "KILL SWITCH: cancelled %d orders, closed %d positions",
            result["cancelled"],
            result["closed"],
            extra=log_ctx("exec"),
        )
        self._emit(EXEC_KILL, "", "", "", "on", extra=dict(result))
        return result


async def kill_now(client: BinanceTradingClient, *, flatten: bool) -> dict[str, int]:
    """Скасовує всі відкриті заявки рахунку (і закриває позиції з `flatten`). Для брокера й `aione kill`."""
    orders = await client.open_orders()
    symbols = sorted({o.symbol for o in orders})
    for symbol in symbols:
        await client.cancel_all(symbol)
    closed = 0
    if flatten:
        for pos in await client.positions():
            side: OrderSide = "SELL" if pos.amount > 0 else "BUY"
            tid = f"kill:{pos.symbol}:{int(time.time() * 1000)}"
            intent = OrderIntent(
                tid,
                LEG_EXIT,
                pos.symbol,
                side,
                "MARKET",
                abs(pos.amount),
                client_order_id(tid, LEG_EXIT),
                reduce_only=True,
            )
            await client.place_order(intent)
            closed += 1
    return {"cancelled": len(orders), "symbols": len(symbols), "closed": closed}


def _rank(decision: Mapping[str, Any] | None) -> float | None:
    if not decision:
        return None
    signal = decision.get("signal")
    rank = signal.get("rank") if isinstance(signal, Mapping) else None
    score = rank.get("score") if isinstance(rank, Mapping) else None
    return float(score) if isinstance(score, int | float) else None


__all__ = ["BinanceBroker", "kill_now"]
