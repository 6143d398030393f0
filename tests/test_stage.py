"""The stage's Python side and its vendored assets, without a browser (tests/e2e/test_stage_e2e.py drives
the browser): the plotly bundle matches its checksum and version, the payload layout is what stage.js
reads, an update with 5 units fits in 10 KB, the points are sent only when they change, and netmath.js (run
by Node) computes predict_proba of every feature set and activation to 1e-9."""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import plotly
import pytest
from streamlit.testing.v1 import AppTest

from appkit import stage as stage_module
from appkit.stage import ASSETS, PLOTLY_FILE, encode, flat_params, payload, static_part
from twolayer import Trainer
from twolayer.activations import ACTIVATIONS
from twolayer.data import make_dataset
from twolayer.features import DEFAULT_FEATURES, FEATURES, expand
from twolayer.figures import plot_range
from twolayer.network import init_params, predict_proba

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
    assert len(bundle) < 1_300_000  # the point of it: the full bundle is 4.8 MB, the cartesian one 1.5 MB


def test_vendored_plotly_is_the_plotly_js_version_of_the_python_package():
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:300]
    vendored = (ASSETS / PLOTLY_FILE).read_text()[:300]
    version = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", full).group(1)
    assert re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", vendored).group(1) == version


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


def test_flat_params_with_k_features_and_the_update_names_the_hidden_units():
    params = init_params(3, 4, "he", np.random.default_rng(1))  # 4 units on 3 features
    flat = flat_params(params)
    h, k = 4, 3
    assert flat.shape == (h * (k + 2) + 1,)
    np.testing.assert_array_equal(flat[: h * k].reshape(h, k), params["W1"])
    np.testing.assert_array_equal(flat[h * k : h * k + h], params["b1"][:, 0])
    np.testing.assert_array_equal(flat[h * k + h : h * k + 2 * h], params["W2"][0])
    assert flat[-1] == params["b2"][0, 0]
    head, arrays = decode(payload("k", params, "rev", None, snapshots=[params], iteration=3))
    assert head["h"] == 4 and len(arrays["q"]) == len(flat)
    for bad in (np.zeros((4, 8)), np.zeros((4, 0)), np.zeros(4)):
        with pytest.raises(ValueError, match="W1 must have shape"):
            flat_params({**params, "W1": bad})


def test_the_static_part_names_the_features_and_whether_weights_can_be_edited(monkeypatch):
    monkeypatch.setattr(stage_module, "asset_url", lambda name: f"/assets/{name}")
    X, y = make_dataset("circles", 100, 0.1, random_state=0)
    kwargs = dict(big=False, discretize=True, views=("network",))
    r1, fields, _ = static_part("linear", X, y, None, None, None, **kwargs, features=["x2^2", "x1"], editable=True)
    assert fields["feats"] == ["x1", "x2^2"] and fields["edit"] is True and fields["act"] == "linear"
    r2, fields, _ = static_part("linear", X, y, None, None, None, **kwargs)
    assert fields["feats"] == ["x1", "x2"] and fields["edit"] is False and r1 != r2
    with pytest.raises(ValueError, match="features"):
        static_part("tanh", X, y, None, None, None, **kwargs, features=["x3"])


@pytest.mark.parametrize(
    ("sent", "called"),
    [
        ({"name": "W1", "index": [1, 0], "value": -2.5}, ("W1", [1, 0], -2.5)),
        ({"name": "b2"}, ("b2", None, None)),  # what is missing comes as None: the callback refuses it
        ("W1", (None, None, None)),  # not an object at all
        (None, None),  # no edit in this rerun: nothing is called
    ],
)
def test_a_weight_typed_in_the_browser_reaches_on_edit_as_sent(monkeypatch, sent, called):
    calls = []
    monkeypatch.setattr(stage_module.st, "session_state", {"network": {"edit": sent, "need": None}})
    stage_module._edited("network", lambda *args: calls.append(args))
    assert calls == ([] if called is None else [called])


def test_each_weight_edit_is_taken_once(monkeypatch):
    """A rerun cut short and run again delivers the same trigger again: an edit's id is taken once."""
    calls = []
    state = {"network": {"edit": {"name": "b2", "index": [0, 0], "value": 1.0, "id": "network-1"}}}
    monkeypatch.setattr(stage_module.st, "session_state", state)
    for _ in range(2):
        stage_module._edited("network", lambda *args: calls.append(args))
    state["network"]["edit"] = {"name": "b2", "index": [0, 0], "value": 1.0, "id": "network-2"}  # the same again
    stage_module._edited("network", lambda *args: calls.append(args))
    assert calls == [("b2", [0, 0], 1.0)] * 2


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


# --- netmath.js against the engine, in Node -----------------------------------------------------------

NETMATH = ASSETS / "netmath.js"
NODE = shutil.which("node")
FEATURE_SETS = [DEFAULT_FEATURES, *((f,) for f in FEATURES), FEATURES, ("x1^2", "x2^2", "x1*x2"), ("x2", "sin(x1)")]
# Reads cases from stdin, prints what netmath.js computes for each: P on a grid (whole, and from row 3 on) and
# at points, the hidden units' activations on a small grid, each feature's values (the input nodes' thumbnails).
NODE_SCRIPT = """
const nm = await import(process.argv[1]);
let text = "";
for await (const chunk of process.stdin) text += chunk;
const out = JSON.parse(text).map(({ p, act, feats, axes: [x0, x1, y0, y1], nx, ny, xs, ys }) => {
  const flat = Float64Array.from(p);
  const k = feats.length;
  const rows = nm.probabilityGrid(flat, act, x0, x1, y0, y1, nx, ny, undefined, 3, ny, feats);
  return {
    grid: Array.from(nm.probabilityGrid(flat, act, x0, x1, y0, y1, nx, ny, undefined, 0, ny, feats)),
    rows: Array.from(rows.subarray(3 * nx)),
    points: Array.from(nm.predictPoints(flat, act, xs, ys, undefined, feats)),
    units: Array.from(nm.activationGrids(flat, act, x0, x1, y0, y1, 9, undefined, feats)),
    inputs: feats.map((f) => Array.from(nm.featureValues(f, x0, x1, y0, y1, 9))),
    count: nm.paramCount(nm.hiddenUnits(p.length, k), k),
  };
});
console.log(JSON.stringify(out));
"""


def run_netmath(cases: list[dict]) -> list[dict]:
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is needed to test netmath.js (apt-get install -y nodejs)")
        pytest.skip("Node.js is not installed: netmath.js is tested in Chromium by tests/e2e/test_stage_e2e.py")
    done = subprocess.run(  # noqa: S603 - Node from PATH, running our own module
        [NODE, "--input-type=module", "-e", NODE_SCRIPT, NETMATH.as_uri()],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def grid(axes, nx: int, ny: int) -> np.ndarray:
    """The pixel centres as netmath.js computes them (the same float64 operations): (2, nx * ny), rows top down."""
    (x0, x1), (y0, y1) = axes
    xs = x0 + (np.arange(nx) + 0.5) * ((x1 - x0) / nx)
    ys = y1 - (np.arange(ny) + 0.5) * ((y1 - y0) / ny)
    gx, gy = np.meshgrid(xs, ys)
    return np.vstack([gx.ravel(), gy.ravel()])


def network(features: tuple, activation: str, h: int, seed: int) -> dict:
    """Trained on circles for a few hundred steps, then shaken: weights of every size and sign."""
    X, y = make_dataset("circles", 200, 0.1, random_state=seed)
    trainer = Trainer(X.T, y.reshape(1, -1), h, 0.5, activation=activation, features=features, random_state=seed)
    trainer.train(300)
    rng = np.random.default_rng(seed + 7)
    return {name: value + rng.normal(0, 2, value.shape) for name, value in trainer.params.items()}


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_netmath_computes_predict_proba_for_every_feature_set(activation):
    X, _ = make_dataset("circles", 300, 0.2, random_state=1)
    axes = plot_range(X)
    nx, ny = 23, 17
    g, _ = ACTIVATIONS[activation]
    cases, expected = [], []
    for n, features in enumerate(FEATURE_SETS):
        params = network(features, activation, h=2 + n % 4, seed=n)
        flat = flat_params(params)
        cases.append(
            dict(p=flat.tolist(), act=activation, feats=list(features), axes=[*axes[0], *axes[1]], nx=nx, ny=ny,
                 xs=X[:, 0].tolist(), ys=X[:, 1].tolist())
        )  # fmt: skip
        small = expand(grid(axes, 9, 9), features)
        expected.append(
            dict(
                grid=predict_proba(expand(grid(axes, nx, ny), features), params, activation),
                points=predict_proba(expand(X.T, features), params, activation),
                units=g(params["W1"] @ small + params["b1"]).ravel(),
                inputs=small,
                count=len(flat),
            )
        )
    spreads = []
    for case, got, want in zip(cases, run_netmath(cases), expected, strict=True):
        where = f"{activation}, {case['feats']}"
        np.testing.assert_allclose(got["grid"], want["grid"], rtol=0, atol=1e-9, err_msg=where)
        assert got["rows"] == got["grid"][3 * nx :]  # a few rows at a time: the same values
        np.testing.assert_allclose(got["points"], want["points"], rtol=0, atol=1e-9, err_msg=where)
        np.testing.assert_allclose(got["units"], want["units"], rtol=1e-9, atol=1e-9, err_msg=where)
        np.testing.assert_allclose(got["inputs"], want["inputs"], rtol=0, atol=1e-12, err_msg=where)
        assert got["count"] == want["count"]
        assert np.ptp(want["units"]) > 0.1, where  # the hidden units vary over the plane: W1 F is exercised
        spreads.append(np.ptp(want["grid"]))
    assert np.median(spreads) > 0.3  # and most maps hold both classes: P is compared where it matters


def test_netmath_refuses_unknown_features_and_activations():
    case = dict(p=[0.0] * 4, act="tanh", feats=["x3"], axes=[0, 1, 0, 1], nx=2, ny=2, xs=[0.5], ys=[0.5])
    with pytest.raises(AssertionError, match="unknown feature x3"):
        run_netmath([case])
    with pytest.raises(AssertionError, match="unknown activation softplus"):
        run_netmath([case | {"feats": ["x1"], "act": "softplus"}])
