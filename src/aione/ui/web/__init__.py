"""Пакет aione.ui.web."""
