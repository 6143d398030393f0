"""The stage's Python side and its vendored assets, without a browser (tests/e2e/test_stage_e2e.py drives
the browser): the plotly bundle matches its checksum and version, the payload layout is what stage.js
reads, an update with 5 units fits in 10 KB, and the points are sent only when they change."""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import plotly
import pytest
from streamlit.testing.v1 import AppTest

from appkit import stage as stage_module
from appkit.stage import ASSETS, PLOTLY_FILE, encode, flat_params, payload, static_part
from twolayer.data import make_dataset
from twolayer.network import init_params

PARAMS_5 = init_params(2, 5, "he", np.random.default_rng(0))


def decode(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """What stage.js's `decode` does, in NumPy."""
    n = int.from_bytes(data[:4], "little")
    head = json.loads(data[4 : 4 + n])
    start = -(-(4 + n) // 8) * 8
    kinds = {"f8": "<f8", "f4": "<f4", "u1": "u1"}
    arrays = {
        name: np.frombuffer(data, dtype=kinds[kind], count=length, offset=start + offset)
        for name, (kind, offset, length) in head["b"].items()
    }
    return head, arrays


def test_vendored_plotly_matches_its_checksum_and_licence():
    bundle = (ASSETS / PLOTLY_FILE).read_bytes()
    expected = (ASSETS / f"{PLOTLY_FILE}.sha256").read_text().split()
    assert expected[1] == PLOTLY_FILE
    assert hashlib.sha256(bundle).hexdigest() == expected[0]
    assert "MIT License" in (ASSETS / "LICENSE.plotly.txt").read_text()
    assert len(bundle) < 2_000_000  # the point of it: the full bundle is 4.8 MB


def test_vendored_plotly_is_the_plotly_js_version_of_the_python_package():
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:300]
    vendored = (ASSETS / PLOTLY_FILE).read_text()[:300]
    version = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", full).group(1)
    assert re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", vendored).group(1) == version


def test_flat_params_is_the_layout_netmath_reads():
    flat = flat_params(PARAMS_5)
    h = 5
    assert flat.dtype == np.float64 and flat.shape == (4 * h + 1,)
    np.testing.assert_array_equal(flat[: 2 * h].reshape(h, 2), PARAMS_5["W1"])
    np.testing.assert_array_equal(flat[2 * h : 3 * h], PARAMS_5["b1"][:, 0])
    np.testing.assert_array_equal(flat[3 * h : 4 * h], PARAMS_5["W2"][0])
    assert flat[4 * h] == PARAMS_5["b2"][0, 0]
    with pytest.raises(ValueError):
        flat_params({**PARAMS_5, "W2": np.zeros((1, 4))})


def test_encode_round_trips_with_aligned_arrays():
    arrays = {"a": np.arange(3, dtype=np.float64), "b": np.array([1, 0, 1], np.uint8), "c": np.ones(5, np.float32)}
    data = encode({"k": "x"}, arrays)
    head, back = decode(data)
    assert head["k"] == "x"
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        n = int.from_bytes(data[:4], "little")
        assert (-(-(4 + n) // 8) * 8 + head["b"][name][1]) % 8 == 0


def test_an_update_carries_exact_parameters_and_float32_snapshots():
    snaps = [init_params(2, 5, "he", np.random.default_rng(s)) for s in (1, 2, 3)]
    head, arrays = decode(payload("k", PARAMS_5, "rev", None, snapshots=snaps, iteration=313))
    np.testing.assert_array_equal(arrays["p"], flat_params(PARAMS_5))  # float64, bit for bit
    np.testing.assert_array_equal(arrays["q"], np.concatenate([flat_params(s) for s in snaps]).astype(np.float32))
    assert head["h"] == 5 and head["it"] == 313 and head["a"] is True and "s" not in head
    jump, _ = decode(payload("k", PARAMS_5, "rev", None))
    assert jump["a"] is False


def test_a_follower_gets_no_parameters_only_whom_to_follow():
    head, arrays = decode(
        payload("network", PARAMS_5, "rev", None, snapshots=[PARAMS_5] * 3, iteration=7, follow="boundary")
    )
    assert head["f"] == "boundary" and not arrays and "p" not in head  # stage.js shows what "boundary" shows
    assert head["it"] == 7  # so that no two updates of a run are the same bytes
    assert len(payload("network", PARAMS_5, "rev", None, follow="boundary")) < 300


def test_update_sizes_5_units_within_10_kb_and_64_units():
    snaps = [PARAMS_5] * 3
    assert len(payload("k", PARAMS_5, "rev", None, snapshots=snaps, iteration=1)) < 1_000
    big = init_params(2, 64, "he", np.random.default_rng(0))
    assert len(payload("k", big, "rev", None, snapshots=[big] * 3, iteration=1)) < 6_000


def test_the_static_part_changes_revision_only_with_its_content(monkeypatch):
    monkeypatch.setattr(stage_module, "asset_url", lambda name: f"/assets/{name}")
    X, y = make_dataset("moons", 500, 0.2, random_state=0)
    kwargs = dict(big=False, discretize=False, views=("network", "boundary"))
    r1, fields, arrays = static_part("tanh", X, y, None, None, None, **kwargs)
    r2, *_ = static_part("tanh", X.copy(), y.copy(), None, None, None, **kwargs)
    r3, *_ = static_part("relu", X, y, None, None, None, **kwargs)
    X2 = X.copy()
    X2[0, 0] += 1e-3
    r4, *_ = static_part("tanh", X2, y, None, None, None, **kwargs)
    assert r1 == r2 and len({r1, r3, r4}) == 3
    assert arrays["tr"].shape == (500, 2) and arrays["try"].sum() == 250
    with pytest.raises(ValueError):
        static_part("softplus", X, y, None, None, None, **kwargs)


APP = """
import numpy as np, streamlit as st
from appkit.stage import stage
from twolayer.data import make_dataset
from twolayer.network import init_params
X, y = make_dataset("moons", 500, 0.2, random_state=0)
params = init_params(2, 5, "he", np.random.default_rng(st.session_state.get("seed", 0)))
sizes = st.session_state.setdefault("sizes", [])
sizes.append(stage("s", params, "tanh", X, y, snapshots=[params] * 3, iteration=len(sizes)))
"""


def test_points_are_sent_once_per_session_and_again_when_the_browser_asks():
    at = AppTest.from_string(APP).run()
    at.run()
    at.session_state["seed"] = 1  # new parameters, same points
    at.run()
    first, second, third = at.session_state["sizes"]
    assert first > 4_500  # with the 500 points (float32 x, y and a byte per label)
    assert second < 1_000 and third < 1_000  # parameters only
    at.session_state["_appkit_stage_sent"] = {}  # what the `need` trigger's callback (_forget) leaves
    at.run()
    assert at.session_state["sizes"][-1] > 4_500
    assert not at.exception
