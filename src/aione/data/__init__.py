"""Ринкові дані: бар, `UnifiedDataStore` (RAM ⇄ Redis ⇄ диск), ключі Redis, кодек стану."""

__all__: list[str] = []
