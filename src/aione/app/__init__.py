"""Пакет aione.app."""
