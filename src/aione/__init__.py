"""AiOne — скринер крипторинку в реальному часі та конвеєр сигналів для Binance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aione")
except PackageNotFoundError:  # запуск із дерева без встановлення
    __version__ = "0.0.0"

__all__ = ["__version__"]
