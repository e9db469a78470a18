"""Пакет aione.utils."""
