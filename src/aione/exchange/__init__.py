"""Пакет aione.exchange."""
