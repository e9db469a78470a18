"""Пакет aione.stage2."""
