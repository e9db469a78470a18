"""Команда `aione`: точка входу для всіх режимів. Коди виходу вирішуються лише тут."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from aione import __version__
from aione.config import config as cfg
from aione.config.settings import Settings, SettingsError, load_settings

# ── Довідка ──
FLAG = "<flag>"  # прапорці не беруть значення: у довідці `<flag>`, а не `<bool>`
HELP_TEXT = "Показати цю довідку й вийти."


def _localize_help(option: Any) -> Any:
    """Опція --help тією ж мовою, що й решта довідки, і позначена як прапорець."""
    if option is not None:
        option.help = HELP_TEXT
        option.metavar = FLAG
    return option


# Службові слова довідки Typer/Rich — українською, щоб екран довідки був однією мовою.
HELP_WORDS = {
    "OPTIONS_PANEL_TITLE": "Параметри",
    "ARGUMENTS_PANEL_TITLE": "Аргументи",
    "COMMANDS_PANEL_TITLE": "Команди",
    "ERRORS_PANEL_TITLE": "Помилка",
    "DEFAULT_STRING": "[типово: {}]",
    "REQUIRED_LONG_STRING": "[обов'язковий]",
    "ENVVAR_STRING": "[змінна оточення: {}]",
    "ABORTED_TEXT": "Перервано.",
    "RICH_HELP": "Довідка: [blue]'{command_path} {help_option}'[/].",
}


def _localize_help_words() -> None:
    """Підміняє англійські заголовки й позначки довідки Typer (модульні константи `typer.rich_utils`)."""
    import typer.rich_utils as rich_words

    for name, text in HELP_WORDS.items():
        if hasattr(rich_words, name):
            setattr(rich_words, name, text)


_localize_help_words()


class _Command(TyperCommand):
    def get_help_option(self, ctx: Any) -> Any:
        return _localize_help(super().get_help_option(ctx))


class _Group(TyperGroup):
    def get_help_option(self, ctx: Any) -> Any:
        return _localize_help(super().get_help_option(ctx))


app = typer.Typer(
    name="aione",
    cls=_Group,
    help=(
        "AiOne — скринер крипторинку Binance в реальному часі. Конвеєр: Stage1 шукає незвичні рухи "
        "(сплеск обсягу, пробій рівня, перекупленість) на кожному 1m барі; Stage2 зважує сценарій і "
        "рівні та радить вхід з TP/SL або «чекати»; Stage3 веде паперові угоди за цими порадами."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(cls=_Group, help="Показати конфігурацію.", no_args_is_help=True)
app.add_typer(config_app, name="config")
notify_app = typer.Typer(cls=_Group, help="Сповіщення: Telegram, Discord, вебхуки.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


# ── Спільні помічники ──
def settings_or_exit(**overrides: object) -> Settings:
    """Налаштування або один зрозумілий рядок помилки і код 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"aione: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"aione {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        metavar=FLAG,
        help="Показати версію й вийти.",
    ),
) -> None:
    """AiOne: скринер і конвеєр сигналів."""


# ── config ──
@config_app.command("show", cls=_Command)
def config_show(
    as_json: bool = typer.Option(False, "--json", metavar=FLAG, help="Вивести JSON замість таблиці."),
) -> None:
    """Ефективні налаштування (секрети замасковано) і головні константи."""
    settings = settings_or_exit()
    data: dict[str, object] = {"settings": settings.masked()}
    data["constants"] = {name: getattr(cfg, name) for name in cfg.PUBLIC_CONSTANTS}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="AiOne: ефективні налаштування")
    table.add_column("ключ")
    table.add_column("значення")
    for section, values in data.items():
        assert isinstance(values, dict)
        for key, value in values.items():
            table.add_row(f"{section}.{key}", str(value))
    Console().print(table)


@app.command("web", cls=_Command)
def web(
    redis: str | None = typer.Option(None, "--redis", help="URL Redis (типово AIONE_REDIS_URL)."),
    host: str | None = typer.Option(None, "--host", help="Адреса (типово AIONE_WEB_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Порт (типово AIONE_WEB_PORT, 8080)."),
) -> None:
    """Веб-панель лише для читання над станом у Redis (знімок + канал оновлень)."""
    import asyncio

    from aione.logging_setup import setup_logging
    from aione.ui.web.runner import run_web

    settings = settings_or_exit(**({"redis_url": redis} if redis else {}))
    if settings.redis_dsn is None:
        typer.echo(
            "aione web: needs --redis URL or AIONE_REDIS_URL (the in-process panel runs with the pipeline)",
            err=True,
        )
        raise typer.Exit(code=2)
    setup_logging(settings.log_level)
    try:
        asyncio.run(
            run_web(
                settings.redis_dsn, host or settings.web_host, settings.web_port if port is None else port
            )
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        typer.echo(f"aione web: cannot listen: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command("ui", cls=_Command)
def ui(
    redis: str | None = typer.Option(None, "--redis", help="URL Redis (типово AIONE_REDIS_URL)."),
    top: int | None = typer.Option(None, "--top", min=1, help="Скільки рядків показати (типово UI_TOP_N)."),
) -> None:
    """Термінальна таблиця стану: знімок + канал оновлень у Redis, перепідключення з паузою."""
    import asyncio

    from aione.logging_setup import setup_logging
    from aione.ui.ui_consumer import run_ui

    settings = settings_or_exit(**({"redis_url": redis} if redis else {}))
    if settings.redis_dsn is None:
        typer.echo(
            "aione ui: needs --redis URL or AIONE_REDIS_URL (the demo shows the table in-process)", err=True
        )
        raise typer.Exit(code=2)
    setup_logging("WARNING")  # журнал не має засмічувати живу таблицю
    try:
        asyncio.run(run_ui(settings.redis_dsn, top_n=top or cfg.UI_TOP_N))
    except KeyboardInterrupt:
        pass


@app.command("why", cls=_Command)
def why(
    symbol: str = typer.Argument(..., help="Символ, наприклад BTCUSDT."),
    snapshot: Path | None = typer.Option(
        None, "--snapshot", help="Файл знімка кадру (JSON або стиснутий кадр видавця) замість Redis."
    ),
    redis: str | None = typer.Option(None, "--redis", help="URL Redis (типово AIONE_REDIS_URL)."),
    locale: str | None = typer.Option(None, "--locale", help="uk | en (типово UI_LOCALE)."),
) -> None:
    """Чому так: наратив, план сигналу, рівні й тригери одного символу з останнього знімка стану."""
    from aione.data.ws_worker import FrameError, decode_frame
    from aione.ui.why_text import find_asset, why_lines

    lang = locale or cfg.UI_LOCALE
    if lang not in ("uk", "en"):
        typer.echo(f"aione why: unknown --locale {lang!r} (uk or en)", err=True)
        raise typer.Exit(code=2)
    if snapshot is not None:
        try:
            payload = snapshot.read_bytes()
        except OSError as exc:
            typer.echo(f"aione why: cannot read {snapshot}: {exc.strerror or exc}", err=True)
            raise typer.Exit(code=2) from None
    else:
        import redis as redis_lib
        from redis.exceptions import RedisError

        from aione.data.redis_keys import STATE_SNAPSHOT_KEY

        settings = settings_or_exit(**({"redis_url": redis} if redis else {}))
        if settings.redis_dsn is None:
            typer.echo("aione why: needs --snapshot FILE, --redis URL or AIONE_REDIS_URL", err=True)
            raise typer.Exit(code=2)
        try:
            client = redis_lib.Redis.from_url(settings.redis_dsn, socket_timeout=5.0)
            try:
                raw = client.get(STATE_SNAPSHOT_KEY)
            finally:
                client.close()
        except RedisError as exc:
            typer.echo(f"aione why: cannot read the snapshot from Redis: {exc}", err=True)
            raise typer.Exit(code=1) from None
        if raw is None:
            typer.echo(f"aione why: no snapshot at {STATE_SNAPSHOT_KEY} (is the pipeline running?)", err=True)
            raise typer.Exit(code=1)
        payload = bytes(raw) if isinstance(raw, bytes | bytearray | memoryview) else str(raw).encode()
    try:
        frame = json.loads(payload) if payload.lstrip()[:1] == b"{" else decode_frame(payload)
    except (ValueError, FrameError) as exc:
        typer.echo(f"aione why: the snapshot is not a state frame: {exc}", err=True)
        raise typer.Exit(code=2) from None
    asset = find_asset(frame, symbol) if isinstance(frame, dict) else None
    if asset is None:
        typer.echo(f"aione why: {symbol.upper()} is not in the snapshot", err=True)
        raise typer.Exit(code=1)
    for line in why_lines(asset, lang):
        typer.echo(line)


@app.command("simulate", cls=_Command)
def simulate(
    data_dir: str = typer.Argument(..., help="Каталог записаних барів (*.parquet)."),
    speed: float = typer.Option(
        60.0, "--speed", min=1.0, max=1000.0, help="Швидкість віртуального годинника."
    ),
    port: int = typer.Option(8765, "--port", help="Порт на 127.0.0.1 (0 — вільний)."),
    market: str = typer.Option("um", "--market", help="um | spot."),
    symbols: str | None = typer.Option(None, "--symbols", help="Символи через кому (типово всі)."),
    aliases: int = typer.Option(0, "--aliases", min=0, help="Скільки додаткових символів-псевдонімів."),
    duration: float | None = typer.Option(
        None, "--duration", min=0.1, help="Зупинитися через N секунд і надрукувати підсумок несправностей."
    ),
    all_faults: bool = typer.Option(
        False,
        "--all-faults",
        metavar=FLAG,
        help="Усі несправності разом (обриви 5 с, 429 3.5 с, 418 11.5 с на 2 с, сміття 2.5 с, "
        "затримки 9.5 с на 2 с, стрибки годинника 6.5 с на 3 хв, дірка кожні 20 барів; книга: пропуск "
        "8.5 с на 2 с, старий u 5.5 с, схрещення 4.5 с); окремі перемикачі нижче їх перекривають.",
    ),
    drop_every: float | None = typer.Option(
        None, "--drop-every", min=0.0, help="Рвати всі WS-з'єднання кожні N с (TCP-обрив)."
    ),
    http429_every: float | None = typer.Option(
        None,
        "--http429-every",
        min=0.0,
        help="Кожні N с наступні --http429-count REST-запитів отримують 429.",
    ),
    http429_count: int | None = typer.Option(None, "--http429-count", min=1, help="Скільки 429 поспіль (3)."),
    ban_every: float | None = typer.Option(
        None, "--ban-every", min=0.0, help="Кожні N с бан IP: усі REST-запити отримують 418."
    ),
    ban_seconds: float | None = typer.Option(None, "--ban-seconds", min=0.1, help="Тривалість бану, с (2)."),
    malformed_every: float | None = typer.Option(
        None,
        "--malformed-every",
        min=0.0,
        help="Кожні N с --malformed-count зіпсованих WS-кадрів перед справжніми (HTML, обрізаний JSON, NaN…).",
    ),
    malformed_count: int | None = typer.Option(
        None, "--malformed-count", min=1, help="Скільки зіпсованих кадрів за раз (5)."
    ),
    stall_every: float | None = typer.Option(
        None,
        "--stall-every",
        min=0.0,
        help="Кожні N с WS мовчить --stall-seconds с (кадри цього часу втрачено).",
    ),
    stall_seconds: float | None = typer.Option(
        None, "--stall-seconds", min=0.1, help="Тривалість затримки, с (2)."
    ),
    stall_rest: bool | None = typer.Option(
        None, "--stall-rest", metavar=FLAG, help="Під час затримки й REST відповідає із затримкою."
    ),
    clock_jump_every: float | None = typer.Option(
        None,
        "--clock-jump-every",
        min=0.0,
        help="Кожні N с годинник біржі стрибає вперед на --clock-jump-minutes (кадри стрибка втрачено).",
    ),
    clock_jump_minutes: float | None = typer.Option(
        None, "--clock-jump-minutes", min=0.1, help="Величина стрибка, віртуальних хвилин (3)."
    ),
    faults_for: float | None = typer.Option(
        None,
        "--faults-for",
        min=0.0,
        help="Періодичні несправності лише перші N с, далі — тиша (перевірка, що клієнт наздогнав).",
    ),
    missing_every: int | None = typer.Option(
        None,
        "--missing-every",
        min=0,
        help="Дірки біржі: кожного N-го бару після старту немає ні в REST, ні в WS (N >= 2; 0 — без дірок).",
    ),
    book_gap_every: float | None = typer.Option(
        None,
        "--book-gap-every",
        min=0.0,
        help="Кожні N с кадри книги, марк-ціни й ліквідацій не надсилаються --book-gap-seconds с (пропуск u).",
    ),
    book_gap_seconds: float | None = typer.Option(
        None, "--book-gap-seconds", min=0.1, help="Тривалість пропуску деривативних кадрів, с (2)."
    ),
    book_disorder_every: float | None = typer.Option(
        None,
        "--book-disorder-every",
        min=0.0,
        help="Кожні N с наступний кадр книги кожного символу має u, менший за попередній.",
    ),
    book_crossed_every: float | None = typer.Option(
        None,
        "--book-crossed-every",
        min=0.0,
        help="Кожні N с наступний кадр книги кожного символу схрещений (найкращий bid = найкращий ask).",
    ),
    deriv_every: float = typer.Option(
        0.025,
        "--deriv-every",
        min=0.001,
        help="Кадри книги й марк-ціни не частіше ніж раз на N с настінного часу (Binance depth@100ms — 0.1).",
    ),
) -> None:
    """Локальний Binance-сумісний REST+WS сервер над записаними барами (до Ctrl-C або --duration).

    Періоди несправностей — у секундах настінного часу; перша — через один період після старту.
    Кожен випадок відтворюється окремим перемикачем, --all-faults вмикає всі."""
    import asyncio
    from pathlib import Path

    from aione.exchange.sim_faults import build_plan, describe
    from aione.exchange.simulator import BinanceSimulator
    from aione.logging_setup import setup_logging

    if market not in ("um", "spot") or not Path(data_dir).is_dir():
        typer.echo(
            f"aione simulate: need an existing DATA_DIR and --market um|spot (got {data_dir!r}, {market!r})",
            err=True,
        )
        raise typer.Exit(code=2)
    if missing_every == 1:
        typer.echo("aione simulate: --missing-every must be 0 or at least 2", err=True)
        raise typer.Exit(code=2)
    plan = build_plan(
        all_faults,
        {
            "drop_every": drop_every,
            "http429_every": http429_every,
            "http429_count": http429_count,
            "ban_every": ban_every,
            "ban_seconds": ban_seconds,
            "malformed_every": malformed_every,
            "malformed_count": malformed_count,
            "stall_every": stall_every,
            "stall_seconds": stall_seconds,
            "stall_rest": stall_rest,
            "clock_jump_every": clock_jump_every,
            "clock_jump_minutes": clock_jump_minutes,
            "missing_every": missing_every,
            "faults_for": faults_for,
            "book_gap_every": book_gap_every,
            "book_gap_seconds": book_gap_seconds,
            "book_disorder_every": book_disorder_every,
            "book_crossed_every": book_crossed_every,
        },
    )
    setup_logging(settings_or_exit().log_level)
    wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None

    async def serve() -> None:
        sim = BinanceSimulator(
            data_dir,
            speed=speed,
            symbols=wanted,
            market="spot" if market == "spot" else "um",
            port=port,
            aliases=aliases,
            faults=plan,
            deriv_min_wall=deriv_every,
        )
        await sim.start()
        typer.echo(
            f"REST {sim.rest_url}  WS {sim.ws_url}/stream  symbols={len(sim.symbols)} speed=x{speed:g}  "
            + describe(plan)
        )
        try:
            if duration is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(duration)
        finally:
            summary = {
                "faults": sim.faults_fired,
                "missing_bars": sim.removed,  # символ → open_time барів, яких біржа не мала
                "rest_requests": sim.rest_requests,
                "ws_connections": sim.ws_connections_total,
                "clock_jumped_ms": sim.clock_jumped_ms,
                "deriv_frames": sim.deriv_frames_sent,
                "book_frames_crossed": sim.book_frames_crossed,
                "book_frames_disordered": sim.book_frames_disordered,
            }
            await sim.stop()
            typer.echo(json.dumps(summary))

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        typer.echo(f"aione simulate: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command("record", cls=_Command)
def record(
    symbols: str | None = typer.Option(
        None, "--symbols", help="Символи через кому (типово — 20 найліквідніших USDT за 24 год)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Каталог запису (типово AIONE_DATA_DIR/record); дописується, не стирається."
    ),
    duration: float | None = typer.Option(
        None, "--duration", min=1.0, help="Зупинитися через N секунд (типово — до Ctrl-C)."
    ),
    flush_every: float = typer.Option(60.0, "--flush-every", min=1.0, help="Скидати на диск кожні N с."),
    health_every: float = typer.Option(30.0, "--health-every", min=1.0, help="Рядок стану кожні N с."),
    market: str = typer.Option(None, "--market", help="um (типово; з книгою, OI, фінансуванням) або spot."),
) -> None:
    """Записати живі потоки для бектесту: 1m бари з колонками тейкера, книга раз на секунду, OI,
    фінансування, ліквідації — у parquet, розбитий за добою (атомарний запис, обмежена пам'ять).

    Потім: aione backtest <каталог>; aione simulate <каталог> програє запис точно."""
    import asyncio
    import contextlib
    import signal
    import sys

    import aiohttp

    from aione.app.record import RecordOptions, run_record
    from aione.exchange.errors import ExchangeError
    from aione.logging_setup import setup_logging

    overrides: dict[str, object] = {"market": market} if market else {}
    settings = settings_or_exit(**overrides)
    target = out if out is not None else settings.data_dir / "record"
    if target.exists() and not target.is_dir():
        typer.echo(f"aione record: --out {target} exists and is not a folder", err=True)
        raise typer.Exit(code=2)
    wanted = _parse_symbols(symbols)
    setup_logging(settings.log_level)
    opts = RecordOptions(
        rest_url=settings.effective_rest_url,
        ws_url=settings.effective_ws_url,
        out=target,
        market=settings.market,
        symbols=wanted,
        duration=duration,
        flush_sec=flush_every,
        health_sec=health_every,
    )

    async def go() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        return await run_record(opts, stop, on_line=lambda line: print(line, file=sys.stderr, flush=True))

    try:
        summary = asyncio.run(go())
    except (OSError, ValueError, TimeoutError, ExchangeError, aiohttp.ClientError) as exc:
        typer.echo(f"aione record: {exc}", err=True)
        raise typer.Exit(code=1) from None
    for line in summary.lines():
        typer.echo(line, err=True)
    typer.echo(
        json.dumps(
            {
                "out": str(summary.out),
                "symbols": summary.symbols,
                "rows": summary.rows,
                "first_ms": summary.first_ms,
                "last_ms": summary.last_ms,
                "rejected": summary.rejected,
            }
        )
    )


# ── run / demo ──
_SYMBOL_NAME = re.compile(r"^[A-Z0-9]{2,30}$")


def _parse_symbols(raw: str | None) -> list[str] | None:
    """Символи з `--symbols` (через кому, без регістру); хибна назва — один рядок і код 2."""
    if not raw:
        return None
    names = [s.strip().upper() for s in raw.split(",") if s.strip()]
    bad = [s for s in names if not _SYMBOL_NAME.match(s)]
    if bad:
        typer.echo(
            f"aione: --symbols: {', '.join(map(repr, bad))} is not a symbol name (e.g. BTCUSDT)", err=True
        )
        raise typer.Exit(code=2)
    return names or None


def _load_params(path: Path | None) -> dict[str, dict[str, object]]:
    if path is None:
        return {}
    from aione.calibrate import load_overrides

    try:
        return load_overrides(path)
    except (OSError, ValueError) as exc:
        typer.echo(f"aione: cannot load --params {path}: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _check_data_dir(
    command: str, folder: Path, symbols: list[str] | None = None, *, skip_bad: bool = False
) -> list[str]:
    """Придатні символи каталогу 1m барів або один рядок помилки і код 2 (`skip_bad` — див. data_check)."""
    from aione.app.data_check import DataDirError, check_bars_dir

    try:
        return check_bars_dir(folder, symbols, skip_bad=skip_bad)
    except DataDirError as exc:
        typer.echo(f"aione {command}: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _run_and_report(
    command: str,
    coro_factory: Callable[[], Coroutine[Any, Any, Any]],
    ui: bool,
    log_file: Path,
    written: list[tuple[str, str | Path]],
) -> None:
    """Спільне для run/demo: журнал, запуск, зрозуміла помилка недоступності біржі, підсумок.

    З живою таблицею журнал іде у файл `log_file` (каталог даних; run і demo — той самий файл), і
    команда каже де — на старті й на виході; без таблиці журнал — у stderr. На виході — JSON
    підсумок у stdout і рядки «що записано й куди» у stderr."""
    import asyncio

    from aione.app.main import BinanceUnreachableError, StartupError
    from aione.app.summaries import outputs_lines
    from aione.logging_setup import setup_logging

    settings = settings_or_exit()
    outputs = list(written)
    if ui:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        typer.echo(f"aione {command}: log → {log_file}", err=True)
        outputs.insert(0, ("log", log_file))
    setup_logging(settings.log_level, log_file=str(log_file) if ui else None)
    try:
        report = asyncio.run(coro_factory())
    except BinanceUnreachableError as exc:
        typer.echo(f"aione: {exc}", err=True)
        raise typer.Exit(code=3) from None
    except StartupError as exc:
        typer.echo(f"aione: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    summary = {
        "symbols": report.symbols,
        "counters": report.counters,
        "ws": report.ws,
        "open_trades": report.open_trades,
        "closed_trades": report.closed_trades,
        "failures": report.failures,
        **({"notify": report.notify} if report.notify else {}),
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))
    for line in outputs_lines(command, outputs):
        typer.echo(line, err=True)
    if report.failures:
        for failure in report.failures:  # причина ненульового виходу — рядком, не лише в JSON
            typer.echo(f"aione {command}: {failure}", err=True)
        raise typer.Exit(code=1)


def _state_outputs(redis_url: str | None, data_dir: Path | None) -> list[tuple[str, str | Path]]:
    """Що пише конвеєр, крім журналу: сховище барів і стан угод (Redis або файл у каталозі даних)."""
    from aione.data.disk_layer import BARS_DIR, META_FILE
    from aione.stage3.trade_store import TRADES_FILE_NAME

    out: list[tuple[str, str | Path]] = []
    if redis_url:
        out.append(("bar cache, trade state and state frames", "Redis (--redis / AIONE_REDIS_URL)"))
    if data_dir is not None:
        out.append(("bar store", f"{data_dir / BARS_DIR} (symbol info: {data_dir / META_FILE})"))
        if not redis_url:
            out.append(("trade state", data_dir / TRADES_FILE_NAME))
    return out


def _base_options(
    settings: Settings,
    *,
    redis: str | None,
    no_ui: bool,
    web: bool,
    duration: float | None,
    params: Path | None,
    symbols: str | None,
    max_symbols: int | None,
    memory_only: bool,
) -> Any:
    import sys

    from aione.app.main import RunOptions

    return RunOptions(
        rest_url=settings.effective_rest_url,
        ws_url=settings.effective_ws_url,
        market=settings.market,
        # --redis проходить ту саму перевірку, що й AIONE_REDIS_URL: хибний URL — один рядок і код 2
        redis_url=settings_or_exit(redis_url=redis).redis_dsn if redis else settings.redis_dsn,
        data_dir=None if memory_only else settings.data_dir,
        symbols=_parse_symbols(symbols),
        max_symbols=max_symbols,
        overrides=_load_params(params),
        ui=not no_ui,
        web=web,
        web_host=settings.web_host,
        web_port=settings.web_port,
        metrics_port=settings.metrics_port,
        duration=duration,
        progress=sys.stderr.isatty(),
    )


# Опції, спільні для run і demo (одне оголошення на обидві команди).
RedisOpt = Annotated[str | None, typer.Option("--redis", help="URL Redis: кеш, стан угод і публікація.")]
NoUiOpt = Annotated[
    bool,
    typer.Option("--no-ui", metavar=FLAG, help="Без термінальної таблиці (headless); журнал — у stderr."),
]
WebOpt = Annotated[bool, typer.Option("--web", metavar=FLAG, help="Запустити веб-панель у тому ж процесі.")]
DurationOpt = Annotated[float | None, typer.Option("--duration", help="Зупинитися через N секунд.")]
ParamsOpt = Annotated[
    Path | None, typer.Option("--params", help="Файл перевизначень параметрів (з aione calibrate).")
]


@app.command("run", cls=_Command)
def run(
    market: str = typer.Option(None, "--market", help="um (ф'ючерси USDT-M, типово) або spot."),
    symbols: str = typer.Option(None, "--symbols", help="Список символів через кому (без префільтра)."),
    redis: RedisOpt = None,
    no_ui: NoUiOpt = False,
    web: WebOpt = False,
    duration: DurationOpt = None,
    params: ParamsOpt = None,
    max_symbols: int = typer.Option(None, "--max-symbols", help="Не більше N символів з префільтра."),
    execution: str = typer.Option(
        None,
        "--execution",
        help="paper (типово) або live: справжні заявки (AIONE_EXECUTION=live і ключі API).",
    ),
    real_money: bool = typer.Option(
        False, "--i-understand-real-money", metavar=FLAG, help="Дозволити mainnet: заявки за справжні гроші."
    ),
) -> None:
    """Живий Binance: відбір ліквідних символів, історія за добу, потік барів; пошук незвичних рухів
    (Stage1) → порада входу з TP/SL (Stage2) → паперові угоди (Stage3) → таблиця й веб-панель."""
    overrides: dict[str, object] = {"market": market} if market else {}
    settings = settings_or_exit(**overrides)
    opts = _base_options(
        settings,
        redis=redis,
        no_ui=no_ui,
        web=web,
        duration=duration,
        params=params,
        symbols=symbols,
        max_symbols=max_symbols,
        memory_only=False,
    )
    from aione.app.main import run_pipeline
    from aione.logging_setup import LOG_FILENAME

    opts = _with_notify(opts, settings)
    opts = _with_execution(opts, settings, execution, real_money)
    _run_and_report(
        "run",
        lambda: run_pipeline(opts),
        opts.ui,
        settings.data_dir / LOG_FILENAME,
        _state_outputs(opts.redis_url, opts.data_dir),
    )


@app.command("demo", cls=_Command)
def demo(
    speed: float = typer.Option(
        cfg.DEMO_SPEED, "--speed", min=1.0, max=1000.0, help="Швидкість віртуального годинника (x1 … x1000)."
    ),
    data: Path = typer.Option(None, "--data", help="Каталог записаних барів (типово вбудований зразок)."),
    redis: RedisOpt = None,
    no_ui: NoUiOpt = False,
    web: WebOpt = False,
    duration: DurationOpt = None,
    params: ParamsOpt = None,
    notify_webhook: NotifyWebhookOpt = None,
) -> None:
    """Офлайн-демо: той самий скринер проти локального симулятора Binance, що програє вбудовані
    записані бари з прискоренням (типово ×300); у шапці — позначка демо і час ринку."""
    from dataclasses import replace

    from aione.app.demo import DEMO_PREFILTER_PARAMS, run_demo, sample_data_dir
    from aione.logging_setup import LOG_FILENAME

    _check_data_dir("demo", data if data is not None else sample_data_dir())
    settings = settings_or_exit()
    opts = _base_options(
        settings,
        redis=redis,
        no_ui=no_ui,
        web=web,
        duration=duration,
        params=params,
        symbols=None,
        max_symbols=None,
        memory_only=True,
    )
    opts = _with_notify(replace(opts, prefilter_params=DEMO_PREFILTER_PARAMS), settings, notify_webhook)
    _run_and_report(
        "demo",
        lambda: run_demo(opts, data_dir=data, speed=speed),
        opts.ui,
        settings.data_dir / LOG_FILENAME,
        _state_outputs(opts.redis_url, None),
    )


# ── notify ──
NotifyWebhookOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--notify-webhook",
        help="URL JSON-вебхука для сигналів і угод (можна кілька; підпис — AIONE_NOTIFY_WEBHOOK_SECRET).",
    ),
]


def _with_notify(opts: Any, settings: Settings, webhooks: list[str] | None = None) -> Any:
    """RunOptions із налаштуваннями сповіщень (AIONE_NOTIFY_*) і вебхуками з командного рядка."""
    from dataclasses import replace

    from aione.notify.setup import setup_from_settings

    return replace(opts, notify=setup_from_settings(settings, extra_webhooks=tuple(webhooks or ())))


@notify_app.command("test", cls=_Command)
def notify_test(
    webhook: NotifyWebhookOpt = None,
) -> None:
    """Одне тестове повідомлення в кожен налаштований канал; по рядку на канал: доставлено чи чому ні.

    Коди виходу: 1 — хоча б один канал не прийняв повідомлення; 2 — жодного каналу не налаштовано."""
    import asyncio

    from aione.notify.setup import send_test, setup_from_settings
    from aione.utils.utils import wall_clock_ms

    setup = setup_from_settings(settings_or_exit(), extra_webhooks=tuple(webhook or ()))
    if not setup.has_channels:
        typer.echo(
            "aione notify test: no channel configured (set AIONE_NOTIFY_TELEGRAM_TOKEN and "
            "AIONE_NOTIFY_TELEGRAM_CHAT_IDS, AIONE_NOTIFY_DISCORD_WEBHOOK_URL or AIONE_NOTIFY_WEBHOOK_URL)",
            err=True,
        )
        raise typer.Exit(code=2)
    results = asyncio.run(send_test(setup, wall_clock_ms()))
    for name, error in results:
        typer.echo(f"{name}: delivered" if error is None else f"{name}: failed: {error}")
    if any(error is not None for _, error in results):
        raise typer.Exit(code=1)


# ── backtest / calibrate ──
def _parse_time(raw: str | None, option: str) -> int | None:
    """Час як мс від епохи або ISO-дата/час UTC (`2025-05-20`, `2025-05-20T12:00`)."""
    if raw is None:
        return None
    if raw.strip().lstrip("-").isdigit():
        return int(raw)
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        typer.echo(f"aione: {option} must be ms since epoch or an ISO UTC date/time, got {raw!r}", err=True)
        raise typer.Exit(code=2) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _run_spec(command: str, data_dir: Path, symbols: str | None, start: str | None, end: str | None) -> Any:
    """Опис прогону бектесту/калібрування; непридатний каталог чи порожнє вікно — один рядок і код 2."""
    from aione.app.data_check import DataDirError, check_window
    from aione.backtest.runner import RunSpec

    wanted = _parse_symbols(symbols)
    # Окремий пошкоджений файл бектест пропускає й називає у звіті; вікно — за придатними.
    names = _check_data_dir(command, data_dir, wanted, skip_bad=True)
    start_ms, end_ms = _parse_time(start, "--start"), _parse_time(end, "--end")
    try:
        check_window(data_dir, names, start_ms, end_ms)
    except DataDirError as exc:
        typer.echo(f"aione {command}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    return RunSpec(data_dir, tuple(wanted) if wanted else None, start_ms, end_ms)


@app.command("backtest", cls=_Command)
def backtest(
    data_dir: Path = typer.Argument(..., help="Каталог записаних барів (*.parquet)."),
    symbols: str = typer.Option(None, "--symbols", help="Символи через кому (типово всі)."),
    start: str = typer.Option(None, "--start", help="Початок: ISO UTC або мс."),
    end: str = typer.Option(None, "--end", help="Кінець (включно): ISO UTC або мс."),
    out: Path = typer.Option(
        None, "--out", help="Каталог звітів (типово backtest_report/ у каталозі даних AIONE_DATA_DIR)."
    ),
    params: Path = typer.Option(None, "--params", help="Файл перевизначень параметрів (з aione calibrate)."),
    seed: int = typer.Option(20250509, "--seed", help="Базовий seed випадкової базової лінії."),
    seeds: int = typer.Option(
        30, "--seeds", min=1, help="Скільки seed-ів випадкової базової лінії (seed, seed+1, …)."
    ),
    check_lookahead: bool = typer.Option(
        False, "--check-lookahead", metavar=FLAG, help="Перевірити, що рішення не дивляться вперед."
    ),
    samples: int = typer.Option(8, "--samples", min=1, help="Скільки барів t перевірити на погляд вперед."),
    no_html: bool = typer.Option(False, "--no-html", metavar=FLAG, help="Лише JSON-звіт."),
    engine: str = typer.Option(
        "batch", "--engine", help="batch — швидкий пакетний рушій; event — кожен бар через ядро (еталон)."
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Розбити по символах на N локальних процесів (звіт той самий)."
    ),
    cluster: str = typer.Option(
        None, "--cluster", help="Розбити по символах на кластері Dask: tcp://ПЛАНУВАЛЬНИК:8786."
    ),
) -> None:
    """Бектест над записаними 1m барами: ті самі сигнали й паперові угоди, що наживо; звіт JSON і
    HTML, вердикт проти випадкових входів і підсумок з наступною командою."""
    import sys
    from contextlib import ExitStack

    from aione.backtest.lookahead import LookaheadError
    from aione.backtest.lookahead import check_lookahead as run_check
    from aione.backtest.runner import ENGINES
    from aione.backtest.session import run_session
    from aione.logging_setup import setup_logging

    if engine not in ENGINES:
        typer.echo(f"aione backtest: --engine must be one of {', '.join(ENGINES)}, got {engine!r}", err=True)
        raise typer.Exit(code=2)
    if (workers is not None or cluster) and engine != "batch":
        typer.echo("aione backtest: --workers/--cluster run the batch engine only", err=True)
        raise typer.Exit(code=2)
    if workers is not None and cluster:
        typer.echo("aione backtest: use either --workers or --cluster, not both", err=True)
        raise typer.Exit(code=2)
    spec = _run_spec("backtest", data_dir, symbols, start, end)
    overrides = _load_params(params)
    if out is None:
        out = settings_or_exit().data_dir / "backtest_report"
    setup_logging("WARNING")
    with ExitStack() as stack:
        progress_cb = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            # Прогрес — у stderr: stdout лишається під підсумковий JSON.
            bar = stack.enter_context(
                Progress(*_bars_columns("backtest"), console=Console(stderr=True), transient=True)
            )
            task = bar.add_task("backtest", total=None, rate="")
            import time

            began = time.monotonic()

            def progress_cb(done: int, total: int) -> None:
                # Швидкість — symbol-bars/s від початку (по завершеному символу, коли прогін розбито).
                elapsed = time.monotonic() - began
                rate = f"{done / elapsed:,.0f} bars/s" if elapsed > 0 and done else ""
                bar.update(task, completed=done, total=total, rate=rate)

        try:
            executor = _make_executor("backtest", workers, cluster)
            if executor is not None:
                stack.callback(executor.close)
            output = run_session(
                spec,
                out,
                overrides,
                seed=seed,
                seeds=seeds,
                html=not no_html,
                on_progress=progress_cb,
                engine=engine,
                executor=executor,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            # RuntimeError: збій завдання символу (`PartitionFailed`) чи недоступний кластер.
            typer.echo(f"aione backtest: {exc}", err=True)
            raise typer.Exit(code=1) from None
    overall = output.report["overall"]
    summary: dict[str, Any] = {
        "report": str(output.json_path),
        "html": str(output.html_path) if output.html_path else None,
        "symbol_bars": output.result.symbol_bars,
        "symbol_bars_per_sec": round(output.bars_per_sec),
        "signals": overall["signals"],
        "trades": overall["trades"],
        "hit_rate": overall["hit_rate"],
        "expectancy_r": overall["expectancy_r"],
        "baseline_expectancy_r": output.report.get("baseline", {}).get("overall", {}).get("expectancy_r"),
        "verdict": output.report.get("verdict"),
    }
    if check_lookahead:
        try:
            checked = run_check(spec, overrides, samples=samples, full=output.result, engine=engine)
        except LookaheadError as exc:
            typer.echo(json.dumps(summary, ensure_ascii=False))
            typer.echo(f"aione backtest: {exc}", err=True)
            raise typer.Exit(code=1) from None
        summary["lookahead"] = {
            "checked_ts": list(checked.checked_ts),
            "decisions_compared": checked.compared,
        }
    typer.echo(json.dumps(summary, ensure_ascii=False))
    from aione.app.summaries import backtest_lines

    lines = backtest_lines(
        output.report, output.json_path, output.html_path, data_dir, params=params, symbols=symbols
    )
    if check_lookahead:
        lines.insert(
            -1, f"  lookahead check: {summary['lookahead']['decisions_compared']} decisions identical"
        )
    for line in lines:
        typer.echo(line, err=True)


def _bars_columns(label: str) -> tuple[Any, ...]:
    """Колонки прогрес-бару бектесту: шкала, частка, symbol-bars/s і час до кінця."""
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn

    return (
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TimeRemainingColumn(),
    )


def _make_executor(command: str, workers: int | None, cluster: str | None) -> Any:
    """Рушій `--workers`/`--cluster` (None — звичайний однопроцесний прогін)."""
    if workers is None and not cluster:
        return None
    from aione.backtest.engines import make_engine

    try:
        return make_engine(workers, cluster)
    except OSError as exc:  # планувальник недоступний (таймаут, відмова з'єднання)
        raise RuntimeError(f"cannot reach the Dask scheduler {cluster}: {exc}") from None


@app.command("calibrate", cls=_Command)
def calibrate(
    data_dir: Path = typer.Argument(..., help="Каталог записаних барів (*.parquet)."),
    trials: int = typer.Option(20, "--trials", min=1, help="Скільки спроб виконує цей процес."),
    storage: str = typer.Option(
        None,
        "--storage",
        help="Сховище Optuna: sqlite:///…, redis://…, journal:ШЛЯХ (типово aione_optuna.db у AIONE_DATA_DIR).",
    ),
    study: str = typer.Option(
        None, "--study", help="Назва дослідження (спільна для воркерів; типово aione-<відбиток даних>)."
    ),
    symbols: str = typer.Option(None, "--symbols", help="Символи через кому (типово всі)."),
    start: str = typer.Option(None, "--start", help="Початок: ISO UTC або мс."),
    end: str = typer.Option(None, "--end", help="Кінець (включно): ISO UTC або мс."),
    folds: int = typer.Option(
        4, "--folds", min=3, help="Walk-forward відрізків: прогрів, підбір…, перевірка."
    ),
    seed: int = typer.Option(None, "--seed", help="Seed семплера TPE (типово випадковий, записується)."),
    out: Path = typer.Option(
        None, "--out", help="Файл найкращих перевизначень (типово aione_params.json у AIONE_DATA_DIR)."
    ),
    no_validate: bool = typer.Option(False, "--no-validate", metavar=FLAG, help="Не рахувати бал перевірки."),
    min_trades: int = typer.Option(
        10,
        "--min-trades",
        min=0,
        help="Угод на відрізок; кожна бракуюча = втрата OPTUNA_MISSING_TRADE_LOSS_PCT %.",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        metavar=FLAG,
        help="Записати файл, навіть коли на перевірці найкращі гірші за типові.",
    ),
    space: Path = typer.Option(
        None, "--space", hidden=True, help="JSON/TOML {назва: [min, max]} замість OPTUNA_PARAM_RANGES."
    ),
    workers: int = typer.Option(
        None,
        "--workers",
        min=1,
        help="Спроби паралельно на N локальних процесах (дослідження — у --storage).",
    ),
    cluster: str = typer.Option(
        None, "--cluster", help="Спроби паралельно на кластері Dask: tcp://ПЛАНУВАЛЬНИК:8786."
    ),
) -> None:
    """Калібрування Optuna з walk-forward ціллю; найкращі параметри — у файл для --params.

    Коди виходу: 2 — дослідження з такою назвою зроблене для інших даних; 3 — на відрізку
    перевірки найкращі параметри гірші за типові (файл не пишеться без --force)."""
    from aione.calibrate import StudyMismatchError, load_space, result_meta, validation_worse, write_overrides
    from aione.calibrate import calibrate as run_calibration
    from aione.logging_setup import setup_logging

    spec = _run_spec("calibrate", data_dir, symbols, start, end)
    settings = settings_or_exit()
    out_path = out if out is not None else settings.data_dir / cfg.OPTUNA_PARAMS_FILENAME
    if storage is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        storage = f"sqlite:///{(settings.data_dir / cfg.OPTUNA_DB_FILENAME).resolve()}"
    try:
        ranges = load_space(space) if space is not None else cfg.OPTUNA_PARAM_RANGES
    except (OSError, ValueError) as exc:
        typer.echo(f"aione calibrate: --space: {exc}", err=True)
        raise typer.Exit(code=2) from None
    setup_logging("WARNING")  # журнал угод кожного trial заглушив би прогрес
    import optuna

    # Власні рядки Optuna («Trial 3 finished with value…») замінює прогрес-бар з найкращим балом.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if workers is not None and cluster:
        typer.echo("aione calibrate: use either --workers or --cluster, not both", err=True)
        raise typer.Exit(code=2)
    with _trial_progress(trials) as on_trial:
        executor = None
        try:
            executor = _make_executor("calibrate", workers, cluster)
            res = run_calibration(
                spec,
                trials=trials,
                storage=storage,
                study_name=study,
                n_folds=folds,
                seed=seed,
                ranges=ranges,
                validate=not no_validate,
                min_trades=min_trades,
                on_trial=on_trial,
                engine=executor,
            )
        except StudyMismatchError as exc:
            typer.echo(f"aione calibrate: {exc}", err=True)
            raise typer.Exit(code=2) from None
        except (OSError, ValueError, RuntimeError) as exc:
            # RuntimeError: збій спроби у воркері (`PartitionFailed`) чи недоступний кластер.
            typer.echo(f"aione calibrate: {exc}", err=True)
            raise typer.Exit(code=1) from None
        finally:
            if executor is not None:
                executor.close()
    meta = result_meta(res)
    worse = validation_worse(res)
    path = write_overrides(out_path, res.overrides, meta) if force or not worse else None
    keys = ("study", "fingerprint", "seed", "sampler", "trials", "fit_score", "validation_score")
    summary = {
        "params_file": str(path) if path else None,
        **{k: meta[k] for k in keys},
        "default_validation_score": meta["default_validation_score"],
        "validation_worse_than_defaults": worse,
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))
    for line in _calibrate_report(res, meta, path, data_dir, symbols, storage):
        typer.echo(line, err=True)
    if worse and not force:
        raise typer.Exit(code=3)


def _storage_label(storage: str) -> str:
    """Сховище Optuna для людини: файл sqlite/journal — шлях, Redis — без адреси (може мати пароль)."""
    if storage.startswith("sqlite:///"):
        return storage[len("sqlite:///") :]
    if storage.startswith("journal:"):
        return storage[len("journal:") :]
    return "Redis" if storage.startswith(("redis://", "rediss://")) else storage.split("://", 1)[0]


@contextmanager
def _trial_progress(trials: int) -> Iterator[Callable[[int, float | None], None]]:
    """Прогрес-бар спроб з найкращим балом досі (у stderr, лише в терміналі); інакше — тихо."""
    import sys

    if not sys.stderr.isatty():
        yield lambda done, best: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("calibrate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("trials", total=trials, best="n/a")

        def on_trial(done: int, best: float | None) -> None:
            bar.update(task, completed=done, best="n/a" if best is None else f"{best:+.3f} %/trade")

        yield on_trial


def _calibrate_report(
    res: Any, meta: dict[str, Any], path: Path | None, data_dir: Path, symbols: str | None, storage: str
) -> list[str]:
    """Короткий людський підсумок калібрування; вердикт «гірші за типові» — останнім рядком."""
    import shlex

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.3f} %/trade"

    n = len(res.folds)
    fit = "F1" if n == 3 else f"F1..F{n - 2}"
    lines = [
        f"calibration: study {res.study_name}, {res.trials} trials ({res.trials_run} in this run), "
        f"sampler {meta['sampler'].get('class')} seed {meta['sampler'].get('seed')}",
        f"  best fit ({fit}, net % per trade after fees): {pct(meta['fit_score'])}",
    ]
    if meta["validation_score"] is None:
        lines.append("  validation: skipped (--no-validate)")
    else:
        lines.append(
            f"  validation (unseen F{n - 1}): best {pct(meta['validation_score'])} "
            f"vs defaults {pct(meta['default_validation_score'])}"
        )
    lines.append(f"  study storage: {_storage_label(storage)}")
    if path is not None:
        cmd = ["aione", "backtest", str(data_dir), "--params", str(path)]
        if symbols:
            cmd += ["--symbols", symbols]
        lines += [f"  params: {path}", f"  next: {shlex.join(cmd)}"]
    if meta["validation_worse_than_defaults"]:
        tail = "written anyway (--force)" if path else "params not written (use --force to write them anyway)"
        lines.append(
            "aione calibrate: best parameters are worse than the defaults on the validation fold "
            f"({pct(meta['validation_score'])} vs {pct(meta['default_validation_score'])}); {tail}"
        )
    return lines


# ── Живе виконання ──
def _with_execution(opts: Any, settings: Settings, requested: str | None, real_money: bool) -> Any:
    """RunOptions з живим брокером, якщо ворота безпеки пропускають; інакше паперові угоди."""
    from dataclasses import replace

    from aione.execution.gates import execution_gate
    from aione.execution.runtime import ExecutionSetup

    gate = execution_gate(settings, requested, real_money_ack=real_money)
    if gate.error is not None:
        typer.echo(f"aione run: {gate.error}", err=True)
        raise typer.Exit(2)
    if gate.mode != "live" or settings.api_key is None or settings.api_secret is None:
        return opts
    typer.echo(
        f"aione run: LIVE EXECUTION on {gate.env} at {gate.rest_url}: real orders; stop them with `aione kill`",
        err=True,
    )
    setup = ExecutionSetup(
        gate.rest_url,
        gate.ws_url,
        gate.env,
        settings.api_key,
        settings.api_secret,
        settings.execution_limits,
        settings.data_dir,
        settings.redis_dsn,
    )
    return replace(opts, execution=setup)


@app.command("kill", cls=_Command)
def kill(
    flatten: bool = typer.Option(False, "--flatten", metavar=FLAG, help="Також закрити всі позиції ринком."),
    clear: bool = typer.Option(
        False, "--clear", metavar=FLAG, help="Зняти прапорець: нові заявки знову дозволено."
    ),
) -> None:
    """Аварійна зупинка живого виконання: прапорець у AIONE_DATA_DIR (і в Redis) блокує нові заявки;
    з ключами API — одразу скасовує всі відкриті заявки (з --flatten — закриває позиції)."""
    import asyncio

    import aiohttp

    from aione.exchange.errors import ExchangeError
    from aione.execution.gates import execution_urls
    from aione.execution.runtime import kill_command

    settings = settings_or_exit()
    rest_url, _ = execution_urls(settings)
    try:
        result = asyncio.run(
            kill_command(
                settings.data_dir,
                settings.redis_dsn,
                rest_url=rest_url,
                api_key=settings.api_key,
                api_secret=settings.api_secret,
                flatten=flatten,
                clear=clear,
            )
        )
    except (ExchangeError, aiohttp.ClientError, OSError, TimeoutError) as exc:  # прапорець уже стоїть
        typer.echo(
            f"aione kill: flag set, but the exchange call failed: {type(exc).__name__}: {exc}", err=True
        )
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result, ensure_ascii=False))


def main() -> None:
    """Точка входу консольного скрипта."""
    app()


__all__ = ["app", "main", "settings_or_exit"]
