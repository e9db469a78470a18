"""Пакет aione.stage1.asset_triggers."""
