"""The stage: the network view and the decision boundary, drawn live in the browser from the parameters.

    from appkit.stage import stage

    stage(
        "stage",                   # key: one stage per key; its DOM, zoom and playback persist across updates
        params,                    # {"W1" (h, k), "b1" (h, 1), "W2" (1, h), "b2" (1, 1)}, or None (points only)
        "tanh",                    # the hidden activation: "tanh", "relu", "sigmoid" or "linear"
        X_train, y_train,          # (m, 2) and (m,) with 0/1: scikit-learn's shapes, as boundary_figure takes
        X_test, y_test,            # the same, or None
        axes,                      # ((x0, x1), (y0, y1)) or None for twolayer.figures.plot_range of all points
        snapshots=[...],           # earlier states of this update, oldest first (see below); [] to jump
        iteration=1234,            # the iteration `params` belong to (shown; optional)
        height=460,                # pixels
        big=False,                 # presenter sizes: larger fonts, points, lines and nodes
        discretize=False,          # paint the map in two colours (P > 0.5 or not)
        views=("network", "boundary"),  # either or both, side by side
        interval=0.1,              # seconds between updates, a hint until the browser has measured them
        features=("x1", "x2"),     # the network's k input features (twolayer.features), computed in the browser
        on_edit=None,              # called as on_edit(name, index, value) when a weight is typed in (see below)
        metrics=None,              # {"values": [[str, ...] per snapshot, then for params], "note": str or None}
    )

Call it once per run for each key, e.g. inside `@st.fragment(run_every=0.1)` after training a tick.

Editing a weight: with `on_edit`, a click on a link of the network view (or on a hidden unit for its bias, on
the output for b2) opens a small box; the value typed there is shown at once and sent back as the component's
`edit` trigger, and `on_edit(name, index, value)` is called with it before the next run (name "W1", "b1",
"W2" or "b2", index a [row, column] list, value a number). What comes from the browser is not trusted: the
callback gets it as sent (None for what is missing) and must check it, as `Session.edit_weight` does.
`metrics`: the numbers the page shows beside the picture (appkit/metric_strip.py draws them), as text, one list
per state the update shows (each snapshot's, then `params`'): the browser shows each state's numbers in the
frame that shows that state, so the numbers and the picture never disagree.

`follow="other key"` makes a stage show, frame by frame, what the stage `other key` shows (the Playground's
network view follows its boundary): the two never disagree and the parameters go out once per update.

What is sent per update: the parameters (float64, h(k + 2) + 1 numbers for k input features, 4h + 1 for
x1, x2) and the snapshots (float32: they are only shown in passing), as one binary message (about 0.9 KB for
5 units with 3 snapshots, 5 KB for 64).
The points, axes, activation and sizes ("the static part") are sent only when they change: their content
hash is the revision the browser caches them by, and st.session_state remembers which revision this
session's browser holds. A browser that lacks it (it reloaded the component, or two updates arrived in
one frame) asks again through the component's `need` trigger, and the next run resends it.

What the browser does (appkit/stage/stage.js, maths in appkit/stage/netmath.js): computes P(class 1)
on a grid over the current axes and every hidden unit's activation, in float64 with the operations of
twolayer/network.py (held to `predict_proba` within 1e-9 by tests/e2e/test_stage_e2e.py); paints the
map on a canvas inside a Plotly chart that keeps the axes, the points and the user's zoom (on zoom the
map is recomputed for the new range: at full resolution, one value per pixel, whenever playback rests);
draws the 0.5 line; draws the network (x1, x2 -> hidden units as live thumbnails -> the output, links
orange for negative and blue for positive weights, thicker for larger |weight|; hover a unit to see its
weights and its activation on the big chart, hover a link to see its weight). The snapshots are played
with requestAnimationFrame over the measured time between updates, interpolated linearly between
snapshots; every update's last snapshot (`params`) is shown exactly in some frame, and when the updates
stop the picture rests on exactly `params`.

`snapshots`: a list (oldest first) of parameter dicts or `twolayer.Snapshot`s (their `.iteration` is
shown) taken since the previous update, not including `params`. With `snapshots=[]` the stage jumps to
`params` without playback (Pause, Step, Reset, a replay slider). A different number of hidden units or
activation also jumps.

Assets are served from appkit/stage/ (stage.js, netmath.js and the vendored official
plotly.js-basic-dist-min bundle, pinned by checksum) by a `components.v1.declare_component(path=...)`
as live_chart serves plotly.js: nothing loads from the internet. The stage uses a Plotly already on the
page, else loads the basic bundle (1.2 MB) without leaving it in `window.Plotly`, so pages that
need the full bundle (scattergl, for live_chart) still load theirs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import streamlit as st

from twolayer.features import DEFAULT_FEATURES, FEATURES, check_features
from twolayer.figures import MAX_SHOWN_POINTS, plot_range

from .assets import ASSETS, MODULE_LOADER, PLOTLY_FILE, asset_url, css_height, decode, encode  # noqa: F401  (ASSETS, PLOTLY_FILE, decode: for tests)

VIEWS = ("network", "boundary")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
_EDITS = "_appkit_stage_edits"  # st.session_state: {key: id of the last weight edit taken from that stage}
_SENT = "_appkit_stage_sent"  # st.session_state: {key: static revision this session's browser holds}

# The component's js is a tiny loader: Streamlit sends it with every update; the code is stage.js, cached.
_component = st.components.v2.component("appkit.stage", js=MODULE_LOADER, isolate_styles=False)


def flat_params(params: dict[str, Any]) -> np.ndarray:
    """[W1 row-major (h x k), b1 (h), W2 (h), b2] as float64, k input features: the layout netmath.js reads."""
    W1 = np.asarray(params["W1"], dtype=np.float64)
    if W1.ndim != 2 or W1.shape[0] < 1 or not 1 <= W1.shape[1] <= len(FEATURES):
        raise ValueError(f"W1 must have shape (h, k) with 1 to {len(FEATURES)} features k, got {W1.shape}")
    h, k = W1.shape
    parts = [W1.reshape(-1), params["b1"], params["W2"], params["b2"]]
    flat = np.concatenate([np.asarray(part, dtype=np.float64).reshape(-1) for part in parts])
    if flat.shape != (h * (k + 2) + 1,):
        raise ValueError(f"params do not fit W1 {W1.shape}: b1 (h, 1), W2 (1, h), b2 (1, 1) expected")
    return flat


def static_part(
    activation: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray | None,
    y_test: np.ndarray | None,
    axes,
    *,
    big: bool,
    discretize: bool,
    views: Sequence[str],
    features: Sequence[str] = DEFAULT_FEATURES,
    editable: bool = False,
) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """(revision, fields, arrays) of what changes only with the data or the settings."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    features = check_features(features)
    views = tuple(views)
    if not views or any(v not in VIEWS for v in views):
        raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {views!r}")
    X_train = np.asarray(X_train, dtype=np.float64).reshape(-1, 2)
    y_train = np.asarray(y_train).reshape(-1)
    has_test = X_test is not None and len(X_test) > 0
    X_all = np.vstack([X_train, np.asarray(X_test, dtype=np.float64).reshape(-1, 2)]) if has_test else X_train
    (x0, x1), (y0, y1) = axes or plot_range(X_all)
    step = int(np.ceil(len(X_all) / MAX_SHOWN_POINTS)) if len(X_all) else 1  # the subsample boundary_figure shows
    arrays = {"tr": X_train[::step].astype(np.float32), "try": (y_train[::step] == 1).astype(np.uint8)}
    if has_test:
        arrays["te"] = np.asarray(X_test, dtype=np.float64).reshape(-1, 2)[::step].astype(np.float32)
        arrays["tey"] = (np.asarray(y_test).reshape(-1)[::step] == 1).astype(np.uint8)
    fields = {
        "act": activation,
        "axes": [float(x0), float(x1), float(y0), float(y1)],
        "big": bool(big),
        "disc": bool(discretize),
        "views": list(views),
        "plotly": asset_url(PLOTLY_FILE),
        "feats": list(features),
        "edit": bool(editable),
    }
    digest = hashlib.blake2b(json.dumps(fields, sort_keys=True).encode(), digest_size=8)
    for name, array in arrays.items():
        digest.update(name.encode() + array.tobytes())
    return digest.hexdigest(), fields, arrays


def _forget(key: str) -> None:
    """The browser asked for the static part again: send it with the next update."""
    st.session_state.get(_SENT, {}).pop(key, None)


def _edited(key: str, on_edit: Callable[[Any, Any, Any], Any]) -> None:
    """A weight was typed into the stage `key`: on_edit(name, index, value), as the browser sent them, once per
    edit (each carries an id: a rerun that is cut short and run again delivers the same trigger again)."""
    state = st.session_state.get(key)
    sent = state.get("edit") if isinstance(state, Mapping) else None
    if sent is None:
        return
    sent = sent if isinstance(sent, Mapping) else {}
    seen = st.session_state.setdefault(_EDITS, {})
    if sent.get("id") is not None and seen.get(key) == sent.get("id"):
        return
    seen[key] = sent.get("id")
    on_edit(sent.get("name"), sent.get("index"), sent.get("value"))


def payload(
    key: str,
    params: dict[str, Any] | None,
    revision: str,
    static: tuple[dict, dict] | None,
    *,
    snapshots: Sequence[Any] = (),
    iteration: int | None = None,
    height: int | str = 460,
    interval: float = 0.1,
    follow: str | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes of one update; `static` is (fields, arrays) or None when the browser holds `revision`."""
    head: dict[str, Any] = {"m": asset_url("stage.js"), "k": key, "r": revision, "H": css_height(height)}
    head["dt"] = float(interval)
    arrays: dict[str, np.ndarray] = {}
    if follow is not None:
        head["f"] = follow  # the browser shows what that stage shows: no parameters here
        # The iteration too: an update that repeats the previous one byte for byte may not reach the component
        # (seen at the end of a run: a follower re-created then never got the static part it asked for).
        head["it"] = None if iteration is None else int(iteration)
    elif params is None:
        head["h"] = -1
    else:
        flat = flat_params(params)
        head["h"] = int(np.shape(params["W1"])[0])
        head["it"] = None if iteration is None else int(iteration)
        head["a"] = bool(snapshots)  # play (True) or jump
        arrays["p"] = flat
        if snapshots:
            its, frames = [], []
            for snap in snapshots:
                its.append(getattr(snap, "iteration", None))
                frames.append(flat_params(getattr(snap, "params", snap)))
            if any(len(f) != len(flat) for f in frames):
                raise ValueError("every snapshot must have as many hidden units as params")
            head["its"] = its
            arrays["q"] = np.concatenate(frames).astype(np.float32)
    if metrics is not None:
        if follow is not None:
            raise ValueError("a follower shows its leader's metrics: pass metrics to the leader")
        values, states = metrics.get("values"), len(snapshots) + 1 if params is not None else 1
        if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != states:
            raise ValueError(f"metrics['values'] needs one list per state shown ({states}), got {values!r:.80}")
        rows_ok = (not isinstance(row, str) and isinstance(row, Sequence) for row in values)
        if not all(rows_ok) or not all(isinstance(v, str) for row in values for v in row):
            raise ValueError("metrics['values'] must hold lists of str (the numbers as the page shows them)")
        head["mv"] = [list(row) for row in values]
        note = metrics.get("note")
        if note is not None:
            head["mn"] = str(note)
    if static is not None:
        fields, static_arrays = static
        head["s"] = fields
        arrays.update(static_arrays)
    return encode(head, arrays)


def stage(
    key: str,
    params: dict[str, Any] | None,
    activation: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    axes=None,
    *,
    snapshots: Sequence[Any] = (),
    iteration: int | None = None,
    height: int | str = 460,
    big: bool = False,
    discretize: bool = False,
    views: Sequence[str] = VIEWS,
    interval: float = 0.1,
    follow: str | None = None,
    features: Sequence[str] = DEFAULT_FEATURES,
    on_edit: Callable[[Any, Any, Any], Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> int:
    """Shows (or updates in place) the stage for `key`; returns the bytes sent. See the module docstring."""
    if not key or not isinstance(key, str):
        raise ValueError(f"stage needs a non-empty str key, got {key!r}")
    if follow is not None and (not isinstance(follow, str) or not follow or follow == key):
        raise ValueError(f"follow must be another stage's key, got {follow!r}")
    css_height(height)
    revision, fields, arrays = static_part(
        activation, X_train, y_train, X_test, y_test, axes, big=big, discretize=discretize, views=views,
        features=features, editable=on_edit is not None,
    )  # fmt: skip
    sent = st.session_state.setdefault(_SENT, {})
    static = None if sent.get(key) == revision else (fields, arrays)
    data = payload(
        key, params, revision, static, snapshots=snapshots, iteration=iteration, height=height, interval=interval,
        follow=follow, metrics=metrics,
    )  # fmt: skip
    callbacks = {"on_edit_change": functools.partial(_edited, key, on_edit)} if on_edit else {}
    _component(key=key, data=data, on_need_change=functools.partial(_forget, key), **callbacks)
    sent[key] = revision
    return len(data)
