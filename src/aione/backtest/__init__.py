"""Пакет aione.backtest."""
