"""Пакет aione.stage3."""
