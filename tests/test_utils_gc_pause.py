"""Пауза збирача сміття: вимкнений усередині, попередній стан — після (і після винятку)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from aione.utils.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_disabled_inside_and_enabled_again_after() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_stays_disabled_when_it_was_disabled_before() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_pauses_restore_the_outer_state() -> None:
    gc.enable()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # внутрішня пауза не вмикає збирач зарано
    assert gc.isenabled()


def test_restores_after_an_exception() -> None:
    gc.enable()
    with pytest.raises(RuntimeError, match="boom"), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
