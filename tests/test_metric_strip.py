"""The metrics row's Python side (appkit/metric_strip.py) and the numbers the boundary stage carries for it
(appkit/stage.py's `metrics`); the browser side is driven in tests/e2e/test_playground_e2e.py."""

import numpy as np
import pytest

from appkit.assets import decode
from appkit.metric_strip import payload as strip_payload
from appkit.stage import payload
from twolayer.network import init_params

PARAMS = init_params(2, 3, "he", np.random.default_rng(0))
LABELS = ["Iteration (of 100)", "Train cost"]


def test_the_strip_carries_labels_and_whom_to_follow_and_is_the_same_bytes_on_every_tick():
    data = strip_payload("metrics", LABELS, follow="boundary", big=True)
    head, arrays = decode(data)
    assert head["l"] == LABELS and head["f"] == "boundary" and head["big"] is True and not arrays
    assert head["m"].split("?")[0].endswith("/metric_strip.js")
    assert strip_payload("metrics", list(LABELS), follow="boundary", big=True) == data  # Streamlit skips it
    assert head["p"].split("?")[0].endswith("/plotly-basic.min.js")  # it starts loading the charts' plotly.js
    assert len(data) < 500


@pytest.mark.parametrize(
    ("key", "labels", "follow"),
    [("", LABELS, "boundary"), ("m", "Train cost", "boundary"), ("m", [], "boundary"), ("m", [1.0], "boundary"),
     ("m", LABELS, ""), ("m", LABELS, "m"), (None, LABELS, "boundary")],
)  # fmt: skip
def test_the_strip_refuses_what_it_cannot_show(key, labels, follow):
    with pytest.raises(ValueError, match="key|labels|follow"):
        strip_payload(key, labels, follow=follow)


def test_the_stage_carries_one_list_of_numbers_per_state_it_shows():
    values = [["1", "0.6931"], ["2", "0.6500"], ["3", "0.6000"]]
    head, _ = decode(
        payload("boundary", PARAMS, "r", None, snapshots=[PARAMS, PARAMS], iteration=3,
                metrics={"values": values, "note": "40 % · about 2 min left"})
    )  # fmt: skip
    assert head["mv"] == values and head["mn"] == "40 % · about 2 min left"
    head, _ = decode(payload("boundary", None, "r", None, metrics={"values": [["0", "—"]]}))  # no network yet
    assert head["mv"] == [["0", "—"]] and "mn" not in head
    assert "mv" not in decode(payload("boundary", PARAMS, "r", None))[0]


@pytest.mark.parametrize(
    ("metrics", "follow"),
    [({"values": [["1"]]}, None), ({"values": [["1"]] * 3, "note": None}, None), ({"values": [[1.0]] * 2}, None),
     ({"values": "12"}, None), ({"values": ["1", "2"]}, None), ({}, None), ({"values": [["1"]] * 2}, "other")],
)  # fmt: skip
def test_the_stage_refuses_numbers_that_do_not_fit_its_states(metrics, follow):
    with pytest.raises(ValueError, match="metrics"):
        payload("boundary", PARAMS, "r", None, snapshots=[PARAMS], iteration=2, metrics=metrics, follow=follow)
