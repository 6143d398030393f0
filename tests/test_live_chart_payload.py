"""appkit.live_chart's update format: binary arrays and integer progressions that unpack to the exact figure,
and a static part (layout, config, ghost traces) sent only when the browser lacks it."""

import base64

import numpy as np
import pytest

from appkit.live_chart import pack, payload, unpack
from twolayer.figures import cost_figure, thin, typed


def figure(n: int, ghosts=()):
    rng = np.random.default_rng(n)
    history = {"cost": rng.random(n), "test_cost": rng.random(n)}
    return cost_figure(history, iterations=5000, ghosts=list(ghosts), max_points=300)


def test_an_update_unpacks_to_the_figure_it_was_made_from():
    ghost = ("#1 · lr 10", np.linspace(1, 0.1, 4000))
    spec = figure(1234, [ghost])
    revision, data = payload(spec, "cost_chart", "50vh", static_traces=1, sent=None)
    shown = unpack(data, statics := {})
    assert shown["key"] == "cost_chart" and shown["height"] == "50vh" and list(statics) == [revision]
    assert shown["figure"]["layout"] == spec["layout"]
    for sent, got in zip(spec["data"], shown["figure"]["data"], strict=True):
        for axis in ("x", "y"):
            want = np.frombuffer(base64.b64decode(sent[axis]["bdata"]), dtype=np.float32)
            np.testing.assert_array_equal(got[axis], want)  # bit for bit: the values the engine computed
            assert got[axis].dtype == np.float32
        assert {k: v for k, v in got.items() if k not in "xy"} == {k: v for k, v in sent.items() if k not in "xy"}


def test_the_static_part_goes_out_once_and_a_browser_without_it_cannot_draw():
    ghost = ("#1 · lr 10", np.linspace(1, 0.1, 4000))
    first, data1 = payload(figure(200, [ghost]), "c", 300, static_traces=1, sent=None)
    again, data2 = payload(figure(200, [ghost]), "c", 300, static_traces=1, sent=first)
    assert again == first and len(data2) < len(data1) - 1000  # the ghost and the layout are not sent again
    statics = {}
    unpack(data1, statics)
    assert len(unpack(data2, statics)["figure"]["data"]) == 3  # ghost (cached) + train + test
    with pytest.raises(KeyError):
        unpack(data2, {})  # a browser that lost it: live_chart.js asks for it with the `need` trigger
    changed, _ = payload(figure(200, [ghost, ghost]), "c", 300, static_traces=2, sent=first)
    assert changed != first


def test_thinned_iterations_travel_as_three_numbers_and_other_arrays_as_binary():
    x, y = thin(np.random.default_rng(0).random(5000), 300)
    arrays = {}
    packed = pack({"x": typed(x), "y": typed(y), "z": {"dtype": "f4", "bdata": "AAAA", "shape": "1, 1"}}, arrays, "t")
    assert packed["x"] == {"$r": [0.0, float(x[1]), len(x) - 1, 4999.0, "f4"]} and list(arrays) == ["t.y"]
    assert packed["z"] == {"dtype": "f4", "bdata": "AAAA", "shape": "1, 1"}  # 2-D specs stay as Plotly reads them
    uneven = np.array([0.0, 1.0, 3.0, 4.0], dtype=np.float32)
    assert pack(typed(uneven), arrays, "u") == {"$b": "u"}  # not a progression: sent as it is
    fractions = np.array([0.5, 1.0, 1.5, 2.0])
    assert pack(fractions, arrays, "f") == {"$b": "f"}  # only integers are rebuilt, so nothing is rounded


def test_static_traces_must_fit_the_figure():
    from appkit.live_chart import live_chart

    with pytest.raises(ValueError, match="static_traces"):
        live_chart(figure(10), key="c", static_traces=3)


def test_a_static_part_from_the_cache_is_the_one_packed_afresh():
    from appkit import live_chart

    ghosts = [("#1 · lr 10", np.linspace(1, 0.1, 4000)), ("#2 · lr 3", np.linspace(2, 0.5, 300))]
    live_chart._STATICS.clear()
    fresh = payload(figure(700, ghosts), "c", 300, static_traces=2, sent=None)
    assert len(live_chart._STATICS) == 1
    cached = payload(figure(700, ghosts), "c", 300, static_traces=2, sent=None)  # a new figure, equal content
    assert cached == fresh  # the same revision and the same bytes
    other = payload(figure(700, ghosts[:1]), "c", 300, static_traces=1, sent=None)
    assert other[0] != fresh[0] and len(live_chart._STATICS) == 2
    # A dict figure with NumPy arrays in its static part has no JSON key: packed afresh each time, same result.
    spec = {"data": [{"type": "scatter", "x": np.arange(5.0), "y": np.ones(5)}], "layout": {"title": "t"}}
    first = payload(spec, "n", 300, static_traces=1, sent=None)
    assert payload(spec, "n", 300, static_traces=1, sent=None) == first and len(live_chart._STATICS) == 2
    np.testing.assert_array_equal(unpack(first[1], {})["figure"]["data"][0]["y"], np.ones(5))
