"""appkit/heap.py: after freeze_once, a full collection walks only the objects made since (counted, not timed)."""

import gc
import weakref

import pytest

from appkit import heap


@pytest.fixture
def fresh(monkeypatch):
    """A process that has not frozen yet; its objects are given back to the collector afterwards."""
    monkeypatch.setattr(heap, "_frozen", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


def tracked() -> int:
    """Objects a full collection walks (the frozen ones are in none of the three generations)."""
    return sum(len(gc.get_objects(generation)) for generation in range(3))


def test_the_first_call_freezes_what_is_alive_and_later_calls_do_nothing(fresh):
    before = tracked()
    assert before > 10_000  # numpy, streamlit, plotly and the app's modules are loaded
    assert heap.freeze_once() is True
    frozen = gc.get_freeze_count()
    assert frozen > 0.9 * before
    assert tracked() < before / 20
    made = [[i] for i in range(1000)]  # made after the freeze: walked by collections as before
    assert heap.freeze_once() is False
    assert gc.get_freeze_count() == frozen
    assert tracked() >= len(made)


class Node:
    pass


def test_garbage_is_collected_before_the_freeze(fresh):
    gc.disable()  # no automatic collection in between
    try:
        node = Node()
        node.me = node  # a cycle: only the cycle collector frees it
        gone = weakref.ref(node)
        del node
        assert gone() is not None
        heap.freeze_once()
        assert gone() is None  # collected, not frozen for good
    finally:
        gc.enable()
