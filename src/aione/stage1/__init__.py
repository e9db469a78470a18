"""Пакет aione.stage1."""
