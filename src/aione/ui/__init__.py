"""Пакет aione.ui."""
