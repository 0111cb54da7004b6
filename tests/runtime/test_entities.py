"""Entities are built with the cyclic collector paused, and its state is always given back."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from batchrepo.entities import built, collector_paused, entities
from tests.runtime.tables import PERSON


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()
    assert built(gc.isenabled) is False


def test_an_application_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_entities_are_built_in_order() -> None:
    spec = dataclasses.replace(PERSON, from_record=lambda row: ("built", row))
    rows = [(n, gc.isenabled()) for n in range(3)]
    assert entities(spec, rows) == [("built", row) for row in rows]
