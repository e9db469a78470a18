"""Ворота безпеки живого виконання (чиста логіка): коли `--execution live` дозволено.

- `AIONE_EXECUTION=live` у налаштуваннях (подвійна згода: прапорець CLI не вмикає сам);
- ключ і секрет API присутні;
- `AIONE_EXECUTION_ENV=mainnet` — лише з `--i-understand-real-money`.
Відповідь — режим і адреси або одне речення, чому ні (для `aione run: ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aione.config.config import EXECUTION_URLS
from aione.config.settings import Settings


@dataclass(frozen=True, slots=True)
class GateDecision:
    mode: Literal["paper", "live"]
    env: str = "testnet"
    rest_url: str = ""
    ws_url: str = ""
    error: str | None = None


def execution_gate(settings: Settings, requested: str | None, *, real_money_ack: bool) -> GateDecision:
    """Режим виконання для запуску: `requested` — значення `--execution` (None — з налаштувань)."""
    mode = requested or settings.execution
    if mode not in ("paper", "live"):
        return GateDecision("paper", error=f"--execution must be paper or live, not {mode!r}")
    if mode == "paper":
        return GateDecision("paper")
    if settings.execution != "live":
        return GateDecision("paper", error="live execution is off: set AIONE_EXECUTION=live to allow it")
    if settings.api_key is None or settings.api_secret is None:
        return GateDecision("paper", error="live execution needs AIONE_API_KEY and AIONE_API_SECRET")
    env = settings.execution_env
    if env == "mainnet" and not real_money_ack:
        return GateDecision(
            "paper",
            env=env,
            error="AIONE_EXECUTION_ENV=mainnet trades real money: add --i-understand-real-money",
        )
    rest, ws = execution_urls(settings)
    return GateDecision("live", env=env, rest_url=rest, ws_url=ws)


def execution_urls(settings: Settings) -> tuple[str, str]:
    """(REST, WS) виконання: явна адреса; інакше власна адреса ринкових даних (симулятор);
    інакше мережа `AIONE_EXECUTION_ENV`."""
    urls = EXECUTION_URLS[settings.execution_env]
    rest = settings.execution_rest_url or settings.rest_base_url or urls["rest"]
    ws = settings.execution_ws_url or settings.ws_base_url or urls["ws"]
    return rest.rstrip("/"), ws.rstrip("/")


__all__ = ["GateDecision", "execution_gate", "execution_urls"]
