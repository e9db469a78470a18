"""REST-клієнт Binance (USDⓈ-M і spot) з обліком ваги, повторами та типізованими результатами.

Поведінка на збої:
- вага кожного запиту резервується в `WeightBudget`; якщо бюджет вікна вичерпано,
  запит чекає нового вікна, а не перевищує ліміт;
- 429 → пауза на `Retry-After` для всіх запитів, пригальмування бюджету, повтор;
- 418 → бан: усі виклики кидають `BannedError` до кінця бану; журнал кричить один раз на бан
  (запити, що летіли одночасно й теж отримали 418, не повторюють CRITICAL), кінець бану — один INFO;
- 5xx, тайм-аут, обрив → повтор з експоненційною затримкою та джитером;
- поганий вміст (HTML, обрізаний JSON, бракує полів, NaN) → один `BadResponseError`.
Годинник біржі: `sync_time()` (GET /time, вага 1) задає зсув, `observe_server_time()` підтягує
оцінку до часу подій біржі (WS `E`, open_time щойно отриманого бару), тож ознака `closed` не
відстає, коли годинник біржі йде інакше (симулятор x60) чи після затримки фіду.
Конкурентність обмежена семафорами за сімействами (klines, open_interest, depth), які
створюються в екземплярі, а не на рівні модуля.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal

import aiohttp
import orjson
from yarl import URL

from aione.config.config import (
    DEPTH_SEMAPHORE_LIMIT,
    KLINES_SEMAPHORE_LIMIT,
    OI_SEMAPHORE_LIMIT,
    SymbolInfo,
)
from aione.data.bars import Bar
from aione.exchange import deriv_parsers as dp
from aione.exchange import rest_parsers as rp
from aione.exchange.endpoints import KLINE_INTERVAL_MS, market_spec
from aione.exchange.errors import (
    BadResponseError,
    BannedError,
    RateLimitedError,
    RequestRejectedError,
    TransientError,
)
from aione.exchange.models import OrderBook, PremiumIndex, Ticker24h
from aione.exchange.rate_limit import WeightBudget
from aione.logging_setup import get_logger, log_ctx
from aione.utils.utils import wall_clock_ms

logger = get_logger(__name__)

# ── Налаштування за замовчуванням ──
DEFAULT_FAMILY_LIMITS: Mapping[str, int] = {
    "klines": KLINES_SEMAPHORE_LIMIT,
    "open_interest": OI_SEMAPHORE_LIMIT,
    "depth": DEPTH_SEMAPHORE_LIMIT,
    "other": 10,  # exchangeInfo, ticker, time, premiumIndex: рідкісні запити
}
_MAX_WAIT_SLICE_S = 0.1  # очікування вікна шматками: годинник може бути віртуальним


class BinanceRestClient:
    """Асинхронний REST-клієнт Binance. Див. докстрінг модуля щодо збоїв."""

    def __init__(
        self,
        base_url: str,
        market: Literal["um", "spot"] = "um",
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], int] | None = None,
        weight_limit: int | None = None,
        max_retries: int = 5,
        timeout: float = 10.0,
        backoff_base: float = 0.2,
        backoff_cap: float = 10.0,
        family_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.market = market
        self.spec = market_spec(market)
        self._session = session
        self._own_session = session is None
        self.clock: Callable[[], int] = clock or wall_clock_ms
        self._explicit_limit = weight_limit is not None
        self.budget = WeightBudget(weight_limit or self.spec.weight_limit_per_minute, self.clock)
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        limits = {**DEFAULT_FAMILY_LIMITS, **(family_limits or {})}
        self._sems = {name: asyncio.Semaphore(n) for name, n in limits.items()}
        self.time_offset_ms = 0  # сервер − клієнт; оцінює `sync_time()`, підтягує `observe_server_time()`
        self.last_sync_monotonic: float | None = None  # time.monotonic() останньої `sync_time()`
        self._pause_until = 0.0  # time.monotonic(), до якого всі запити чекають (Retry-After)
        self._banned_until_ms = 0
        # Лічильники (метрики додасть інший модуль).
        self.requests = 0
        self.retries = 0
        self.http_429 = 0
        self.bans = 0  # окремих банів (не відповідей 418)
        self.bad_responses = 0
        self.time_syncs = 0

    # ── Життєвий цикл ──
    async def __aenter__(self) -> BinanceRestClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Закриває власну сесію (передану ззовні не чіпає)."""
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._own_session = True
        return self._session

    @property
    def used_weight(self) -> int:
        """Використана вага в поточному хвилинному вікні (оцінка клієнта ∨ заголовок біржі)."""
        return self.budget.used

    @property
    def weight_limit(self) -> int:
        """Ліміт ваги за хвилину, який поважає клієнт."""
        return self.budget.limit

    # ── Ядро запиту ──
    async def _wait_budget(self, weight: int) -> None:
        while True:
            delay = self._pause_until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            wait_ms = self.budget.try_acquire(weight)
            if wait_ms is None:
                return
            await asyncio.sleep(min(wait_ms / 1000.0, _MAX_WAIT_SLICE_S))

    @property
    def banned_until_ms(self) -> int:
        """Кінець поточного бану (мс настінного часу) або 0."""
        return self._banned_until_ms if wall_clock_ms() < self._banned_until_ms else 0

    def _check_ban(self, endpoint: str) -> None:
        if not self._banned_until_ms:
            return
        if wall_clock_ms() < self._banned_until_ms:
            raise BannedError(self._banned_until_ms, endpoint)
        self._banned_until_ms = 0
        logger.info("REST ban is over: calls resume", extra=log_ctx("rest"))

    def _on_banned(self, path: str, headers: Mapping[str, str] | None) -> BannedError:
        """418: один CRITICAL на бан; відповіді 418 запитів, що летіли одночасно, лише подовжують бан."""
        retry_after = _retry_after(headers, default=120.0)
        now = wall_clock_ms()
        new_ban = now >= self._banned_until_ms
        self._banned_until_ms = max(self._banned_until_ms, now + int(retry_after * 1000))
        if new_ban:
            self.bans += 1
            logger.critical(
                "BANNED by Binance (HTTP 418) on %s: all REST calls stopped for %.0fs until %d ms",
                path,
                retry_after,
                self._banned_until_ms,
                extra=log_ctx("rest"),
            )
        else:
            logger.debug("http 418 on %s during the ban", path, extra=log_ctx("rest"))
        return BannedError(self._banned_until_ms, path)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    async def _get(self, name: str, params: Mapping[str, Any], weight: int, family: str = "other") -> Any:
        """GET з повторами; повертає розібраний JSON або кидає типізовану помилку."""
        path = self.spec.path(name)
        url = self.base_url + path
        query = {k: str(v) for k, v in params.items() if v is not None}
        attempt = 0
        async with self._sems.get(family, self._sems["other"]):
            while True:
                self._check_ban(path)
                await self._wait_budget(weight)
                if self.banned_until_ms:  # бан настав, поки запит чекав бюджету
                    self.budget.release(weight)
                    raise BannedError(self._banned_until_ms, path)
                self.requests += 1
                try:
                    async with self._get_session().get(url, params=query) as resp:
                        status = resp.status
                        headers = resp.headers
                        body = await resp.read()
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    status, headers, body = 0, None, b""
                finally:
                    self.budget.release(weight)
                if headers is not None:
                    used = headers.get(self.spec.used_weight_header)
                    if used is not None and used.isdigit():
                        self.budget.observe(int(used))
                if status == 200:
                    return self._decode(path, body)
                if status == 429:
                    self.http_429 += 1
                    retry_after = _retry_after(headers, default=1.0)
                    self.budget.on_rate_limited()
                    self._pause_until = max(self._pause_until, time.monotonic() + retry_after)
                    logger.warning(
                        "http 429 on %s: pausing %.1fs, throttle=%.2f",
                        path,
                        retry_after,
                        self.budget.throttle,
                        extra=log_ctx("rest"),
                    )
                    attempt += 1
                    if attempt > self.max_retries:
                        raise RateLimitedError(path, retry_after)
                    self.retries += 1
                    continue
                if status == 418:
                    raise self._on_banned(path, headers)
                if status == 0 or status >= 500:
                    if status:
                        reason = f"HTTP {status}: {body[:80]!r}"
                    attempt += 1
                    if attempt > self.max_retries:
                        raise TransientError(path, reason)
                    self.retries += 1
                    delay = self._backoff(attempt)
                    logger.warning(
                        "transient failure on %s (%s), retry %d in %.2fs",
                        path,
                        reason,
                        attempt,
                        delay,
                        extra=log_ctx("rest"),
                    )
                    await asyncio.sleep(delay)
                    continue
                raise _rejected(path, status, body)

    async def request_once(
        self, method: str, path: str, query: str, headers: Mapping[str, str], weight: int, timeout: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Один запит без повторів для торгового клієнта (execution/): повтор заявки не ідемпотентний,
        тож повторює лише він. Бюджет ваги й бан — як у `_get`; статус 0 — тайм-аут чи обрив."""
        self._check_ban(path)
        await self._wait_budget(weight)
        self.requests += 1
        url = URL(f"{self.base_url}{path}?{query}" if query else self.base_url + path, encoded=True)
        try:
            request = self._get_session().request(
                method, url, headers=dict(headers), timeout=aiohttp.ClientTimeout(total=timeout)
            )
            async with request as resp:
                status, resp_headers, body = resp.status, resp.headers, await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError):
            return 0, {}, b""
        finally:
            self.budget.release(weight)
        used = resp_headers.get(self.spec.used_weight_header)
        if used is not None and used.isdigit():
            self.budget.observe(int(used))
        if status == 418:
            raise self._on_banned(path, resp_headers)
        return status, resp_headers, body

    def _decode(self, path: str, body: bytes) -> Any:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            self.bad_responses += 1
            raise BadResponseError(path, body[:200].decode("utf-8", "replace"), "not JSON") from None

    def _parse(self, path: str, payload: Any, parser: Callable[..., Any], *args: Any) -> Any:
        try:
            return parser(payload, *args)
        except (rp.PayloadError, KeyError, TypeError, IndexError, ValueError) as exc:
            self.bad_responses += 1
            excerpt = orjson.dumps(payload)[:200].decode("utf-8", "replace")
            raise BadResponseError(path, excerpt, str(exc)) from None

    # ── Ендпоінти ──
    async def server_time(self) -> int:
        """Час сервера (мс)."""
        payload = await self._get("time", {}, self.spec.weights["time"])
        return int(self._parse(self.spec.path("time"), payload, rp.parse_server_time))

    async def sync_time(self) -> int:
        """Оцінює зсув годинника сервера відносно `clock`; повертає зсув у мс.

        Береться нижня межа: сервер поставив свій час не пізніше, ніж відповідь дійшла (`after`),
        тож `server - after` ніколи не забігає наперед. Середина RTT забігала б на пів RTT, а RTT
        включає і чекання бюджету ваги перед запитом: під 429 і на прискореному симуляторі (×600)
        це секунди часу біржі, і ще відкритий бар вважався закритим — з неповним обсягом.
        Відставання на RTT безпечне: закриття бару підтверджують WS-кадр і `observe_server_time`."""
        server = await self.server_time()
        after = self.clock()
        self.time_offset_ms = server - after
        self.last_sync_monotonic = time.monotonic()
        self.time_syncs += 1
        return self.time_offset_ms

    def server_now(self) -> int:
        """Оцінка часу сервера: `clock()` + зсув."""
        return self.clock() + self.time_offset_ms

    def observe_server_time(self, server_ms: int) -> None:
        """Біржа вже показала момент `server_ms` (час події WS, open_time отриманого бару):
        її годинник не може бути раніше — оцінка підтягується вперед (назад — лише `sync_time`)."""
        lag = server_ms - self.server_now()
        if lag > 0:
            self.time_offset_ms += lag

    async def exchange_info(self) -> list[SymbolInfo]:
        """Усі символи ринку; ліміт ваги оновлюється з `rateLimits`, якщо не задано явно."""
        path = self.spec.path("exchange_info")
        payload = await self._get("exchange_info", {}, self.spec.weights["exchange_info"])
        infos: list[SymbolInfo] = self._parse(
            path, payload, rp.parse_exchange_info, self.spec.min_notional_keys
        )
        if not self._explicit_limit:
            limit = self._parse(path, payload, rp.parse_weight_limit)
            if limit:
                self.budget.limit = int(limit)
        return infos

    async def klines(
        self,
        symbol: str,
        interval: str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[Bar]:
        """Одна сторінка klines; `closed` = close_time < час біржі на момент запиту (`server_now()`)."""
        if interval not in KLINE_INTERVAL_MS:
            raise ValueError(f"unsupported interval {interval!r}")
        if not 1 <= limit <= self.spec.max_kline_limit:
            raise ValueError(f"limit must be 1..{self.spec.max_kline_limit}")
        params = {
            "symbol": symbol,
            "interval": interval,
            "startTime": start_time,
            "endTime": end_time,
            "limit": limit,
        }
        # Час біржі ДО запиту — нижня межа моменту, коли сервер склав відповідь. Після відповіді
        # оцінка вже пізніша: бар, що закрився, поки відповідь ішла, виглядав би закритим, хоча
        # прийшов із неповним обсягом (на ×600 це секунди часу біржі).
        asked_at = self.server_now()
        payload = await self._get("klines", params, self.spec.klines_weight(limit), "klines")
        bars: list[Bar] = self._parse(self.spec.path("klines"), payload, rp.parse_klines, asked_at)
        if bars:
            # біржа вже відкрила останній бар відповіді: кожен раніший бар закрито, хоч би як
            # відставала наша оцінка її годинника
            self.observe_server_time(bars[-1].open_time)
            bars[:-1] = [b if b.closed else replace(b, closed=True) for b in bars[:-1]]
        return bars

    async def klines_range(self, symbol: str, interval: str, start_time: int, end_time: int) -> list[Bar]:
        """Усі ЗАКРИТІ бари з open_time у [start_time, end_time], посторінково, без дублікатів."""
        if interval not in KLINE_INTERVAL_MS:
            raise ValueError(f"unsupported interval {interval!r}")
        out: list[Bar] = []
        cursor = start_time
        # Сторінка не більша, ніж треба: мала вага для коротких дозаповнень після реконекту.
        expected = max(1, (end_time - start_time) // KLINE_INTERVAL_MS[interval] + 1)
        page_limit = min(self.spec.max_kline_limit, expected)
        while cursor <= end_time:
            page = await self.klines(symbol, interval, start_time=cursor, end_time=end_time, limit=page_limit)
            if not page:
                break
            open_seen = False
            for bar in page:
                if not bar.closed:
                    open_seen = True
                    break
                if start_time <= bar.open_time <= end_time and (not out or bar.open_time > out[-1].open_time):
                    out.append(bar)
            if open_seen or len(page) < page_limit:
                break
            cursor = page[-1].open_time + 1
        return out

    async def ticker_24h(self) -> list[Ticker24h]:
        """Статистика 24 год по всіх символах."""
        payload = await self._get("ticker_24h", {}, self.spec.weights["ticker_24h"])
        result: list[Ticker24h] = self._parse(self.spec.path("ticker_24h"), payload, rp.parse_ticker_24h)
        return result

    async def open_interest(self, symbol: str) -> float:
        """Відкритий інтерес у контрактах (лише ф'ючерси)."""
        if not self.spec.has_open_interest:
            raise NotImplementedError(f"open interest is not available on market {self.market!r}")
        path = self.spec.path("open_interest")
        payload = await self._get(
            "open_interest", {"symbol": symbol}, self.spec.weights["open_interest"], "open_interest"
        )
        return float(self._parse(path, payload, rp.parse_open_interest))

    async def depth(self, symbol: str, limit: int = 100) -> OrderBook:
        """Знімок книги заявок; `limit` — одне з дозволених ринком значень."""
        if limit not in self.spec.depth_limits:
            raise ValueError(f"depth limit must be one of {self.spec.depth_limits}")
        payload = await self._get(
            "depth", {"symbol": symbol, "limit": limit}, self.spec.depth_weight(limit), "depth"
        )
        book: OrderBook = self._parse(self.spec.path("depth"), payload, rp.parse_depth, symbol)
        return book

    async def open_interest_point(self, symbol: str) -> dp.OpenInterestPoint:
        """Відкритий інтерес із часом біржі — подія для `DerivStore` (лише ф'ючерси)."""
        if not self.spec.has_open_interest:
            raise NotImplementedError(f"open interest is not available on market {self.market!r}")
        payload = await self._get(
            "open_interest", {"symbol": symbol}, self.spec.weights["open_interest"], "open_interest"
        )
        point: dp.OpenInterestPoint = self._parse(
            self.spec.path("open_interest"), payload, _strict(dp.parse_open_interest)
        )
        return point

    async def open_interest_hist(
        self,
        symbol: str,
        period: str = "5m",
        limit: int = 500,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> tuple[dp.OpenInterestPoint, ...]:
        """Історія OI (`/futures/data/openInterestHist`, лише останні 30 діб) для preload."""
        if not self.spec.has_open_interest:
            raise NotImplementedError(f"open interest is not available on market {self.market!r}")
        if period not in self.spec.oi_hist_periods or not 1 <= limit <= self.spec.oi_hist_max_limit:
            raise ValueError(
                f"period must be one of {self.spec.oi_hist_periods}, limit 1..{self.spec.oi_hist_max_limit}"
            )
        params: dict[str, Any] = {"symbol": symbol, "period": period, "limit": limit}
        if start_time is not None:
            params["startTime"] = start_time
        if end_time is not None:
            params["endTime"] = end_time
        payload = await self._get(
            "open_interest_hist", params, self.spec.weights["open_interest_hist"], "open_interest"
        )
        path = self.spec.path("open_interest_hist")
        points: tuple[dp.OpenInterestPoint, ...] = self._parse(
            path, payload, _strict(dp.parse_open_interest_hist)
        )
        return points

    async def premium_index(self, symbol: str) -> PremiumIndex:
        """Марк-ціна та фінансування (лише ф'ючерси)."""
        if not self.spec.has_premium_index:
            raise NotImplementedError(f"premium index is not available on market {self.market!r}")
        path = self.spec.path("premium_index")
        payload = await self._get("premium_index", {"symbol": symbol}, self.spec.weights["premium_index"])
        result: PremiumIndex = self._parse(path, payload, rp.parse_premium_index)
        return result


# ── Допоміжне ──
def _strict(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Парсер `deriv_parsers` (подія або `Reject`) → парсер, що кидає `PayloadError` на `Reject`."""

    def run(payload: Any) -> Any:
        out = parser(payload)
        if isinstance(out, dp.Reject):
            raise rp.PayloadError(out.reason)
        return out

    return run


def _retry_after(headers: Mapping[str, str] | None, default: float) -> float:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        value = default
    return value if value >= 0 else default


def _rejected(path: str, status: int, body: bytes) -> RequestRejectedError:
    code: int | None = None
    message = body[:200].decode("utf-8", "replace")
    try:
        data = orjson.loads(body)
        if isinstance(data, dict):
            code = data.get("code") if isinstance(data.get("code"), int) else None
            message = str(data.get("msg", message))
    except orjson.JSONDecodeError:
        pass  # тіло не JSON: лишаємо уривок як повідомлення
    return RequestRejectedError(path, status, code, message)


__all__ = ["DEFAULT_FAMILY_LIMITS", "BinanceRestClient"]
