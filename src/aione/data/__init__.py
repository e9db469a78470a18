"""Пакет aione.data."""
