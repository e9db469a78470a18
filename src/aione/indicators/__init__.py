"""Пакет aione.indicators."""
