"""A Plotly chart that updates in place, for charts redrawn several times a second.

`st.plotly_chart` in Streamlit 1.67 remounts the chart whenever the figure changes (blank frames, lost
zoom). `live_chart` mounts one `<div>` per key and redraws it with `Plotly.react`, so the DOM node,
the user's zoom and the modebar state survive every update.

plotly.js is the vendored basic bundle in appkit/stage/ (1.2 MB, pinned by checksum; see assets.py),
served by Streamlit itself and never fetched from a CDN. The page loads it once, shared with the stage.

An update is binary (appkit/assets.py `encode`, as the stage's): the traces with their arrays as raw bytes
(not base64) or, for a thinned curve's iterations, as three numbers; the layout, config and the first
`static_traces` traces (the faded earlier runs) only when they changed. ~2 KB an update for the default run's
cost curve, against ~12 KB as JSON. The browser side is appkit/stage/live_chart.js.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.utils import PlotlyJSONEncoder

from .assets import MODULE_LOADER, PLOTLY_FILE, asset_url, css_height, decode, encode

# Modebar kept: users zoom. No "Share chart..." button: plotly.js 4's default (showSendToCloud) opens
# cloud.plotly.com and posts the chart's data there, the one click that sends data off the machine.
_CONFIG = {"responsive": True, "displaylogo": False, "showSendToCloud": False}

_SENT = "_appkit_live_chart_sent"  # st.session_state: {key: static revision this session's browser holds}
_KINDS = {np.dtype(np.float64): "f8", np.dtype(np.float32): "f4", np.dtype(np.uint8): "u1", np.dtype(np.int32): "i4"}
_LEAVES = (str, int, float, bool, type(None))  # what pack returns as it is, without looking further
# Static parts packed lately, by their input as JSON text: every session sends the same layout (and its ghosts)
# on every update, and packing, serialising and hashing them again cost more than the rest of an update.
_STATICS: OrderedDict[str, tuple[str, str, dict[str, np.ndarray]]] = OrderedDict()  # -> (revision, text, arrays)
_STATICS_KEPT = 64
_statics_lock = threading.Lock()

# The component's js is the loader the stage uses: Streamlit sends a component's js with every update, so
# the code (appkit/stage/live_chart.js) is an ES module the browser fetches once and caches.
_component = st.components.v2.component("appkit.live_chart", js=MODULE_LOADER, isolate_styles=False)


def _plotly_js_url() -> str:
    return _asset(PLOTLY_FILE)  # the vendored basic bundle (1.2 MB): what the stage loads too


def _asset(name: str) -> str:
    return _asset_at(name, st.get_option("server.baseUrlPath"))


@functools.lru_cache(maxsize=16)
def _asset_at(name: str, base_path: str) -> str:
    """asset_url(name) under `base_path`, computed once: it declares the assets' component each call, which looks
    the caller's module up in sys.modules (inspect.getmodule), ~0.1 ms in a server, twice per update."""
    return asset_url(name)


def figure_spec(figure: go.Figure | dict[str, Any]) -> dict[str, Any]:
    """The figure as plain JSON-able data ({"data": [...], "layout": {...}}). From a `go.Figure` NumPy arrays
    stay arrays (packed as binary below); a dict is taken as it is, without plotly.py's validation (the live
    charts' dicts carry typed arrays already, see twolayer/figures.py), which is most of the cost of an update."""
    if isinstance(figure, go.Figure):
        spec = json.loads(figure.to_json())  # plotly.py's own conversion (typed arrays for NumPy data)
    else:
        spec = {"data": list(figure.get("data", [])), "layout": dict(figure.get("layout", {}))}
    # A constant uirevision tells Plotly to keep the user's zoom, pan and legend clicks across updates.
    spec["layout"] = {"uirevision": "live_chart", **spec.get("layout", {})}
    return spec


def _array(value: Any) -> np.ndarray | None:
    """A 1-D numeric array if `value` is one (a NumPy array or Plotly's typed-array spec), else None."""
    if isinstance(value, dict) and set(value) == {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "fiub":
        return value
    return None


def pack(value: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """`value` with every 1-D numeric array replaced by a reference: {"$r": [x0, dx, n, last, kind]} for
    integers x0, x0 + dx, ..., x0 + (n - 1) dx followed by `last` (a thinned curve's iterations), else
    {"$b": name} with the array in `arrays` (sent as binary, not base64: a third smaller)."""
    if isinstance(value, _LEAVES):
        return value
    if isinstance(value, dict | list) and not (isinstance(value, dict) and "bdata" in value):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        packed = {k: pack(v, arrays, f"{prefix}.{k}") for k, v in items}
        return packed if isinstance(value, dict) else list(packed.values())
    a = _array(value)
    if a is None:
        return value
    if a.dtype not in _KINDS:
        a = a.astype(np.int32 if a.dtype.kind in "iub" and a.size and np.abs(a).max() < 2**31 else np.float64)
    kind = _KINDS[a.dtype]
    n = len(a) - 1
    if n >= 2 and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        x0, dx = float(a[0]), float(a[1] - a[0])
        if np.array_equal(a[:n], x0 + dx * np.arange(n)):
            return {"$r": [x0, dx, n, float(a[n]), kind]}
    arrays[prefix] = a
    return {"$b": prefix}


def payload(
    spec: dict[str, Any], key: str, height: int | str, static_traces: int, sent: str | None
) -> tuple[str, bytes]:
    """(static revision, bytes of one update). The static part (layout, config and the first `static_traces`
    traces) is in the bytes only when the browser does not hold it (`sent` is the revision it holds)."""
    traces = spec["data"]
    arrays: dict[str, np.ndarray] = {}
    # The other traces' data arrays go out every time; their names, colours and hover texts with the static part.
    moving = [pack(trace, arrays, f"d.{i}") for i, trace in enumerate(traces[static_traces:])]
    styles = [{k: v for k, v in t.items() if not _is_data(v)} for t in moving]
    revision, text, static_arrays = _static_part(traces[:static_traces], styles, spec["layout"])
    head: dict[str, Any] = {"m": _asset("live_chart.js"), "k": key, "r": revision, "H": height}
    head["d"] = [{k: v for k, v in t.items() if _is_data(v)} for t in moving]
    if sent != revision:
        head["s"] = json.loads(text)
        arrays.update(static_arrays)
    return revision, encode(head, arrays)  # plain JSON already: arrays are references, the static part parsed text


def _static_part(traces: list, styles: list, layout: dict) -> tuple[str, str, dict[str, np.ndarray]]:
    """(revision, JSON text, arrays) of the static part, from the cache when the same input was packed lately."""
    try:  # the input as it is: typed arrays are base64 text already, so this is the C encoder's work alone
        key = json.dumps([traces, styles, layout], sort_keys=True, separators=(",", ":"), allow_nan=True)
    except TypeError:  # NumPy arrays or scalars in a dict figure: no key, packed afresh
        key = None
    with _statics_lock:
        if key is not None and key in _STATICS:
            _STATICS.move_to_end(key)
            return _STATICS[key]
    static_arrays: dict[str, np.ndarray] = {}
    fields = {
        "data": pack(traces, static_arrays, "s"),
        "styles": styles,
        "layout": layout,
        "config": _CONFIG,
        "plotly": _plotly_js_url(),
    }
    text = json.dumps(fields, cls=PlotlyJSONEncoder, separators=(",", ":"), sort_keys=True)
    digest = hashlib.blake2b(text.encode(), digest_size=8)
    for name, array in static_arrays.items():
        digest.update(name.encode() + array.tobytes())
    part = digest.hexdigest(), text, static_arrays
    if key is not None:
        with _statics_lock:
            _STATICS[key] = part
            while len(_STATICS) > _STATICS_KEPT:
                _STATICS.popitem(last=False)
    return part


def _is_data(value: Any) -> bool:
    """A packed array (see `pack`)."""
    return isinstance(value, dict) and ("$b" in value or "$r" in value)


def _forget(key: str) -> None:
    """The browser asked for the static part again: send it with the next update."""
    st.session_state.get(_SENT, {}).pop(key, None)


def live_chart(figure: go.Figure | dict[str, Any], *, key: str, height: int | str = 450, static_traces: int = 0) -> int:
    """Show `figure` at full container width and `height` px; later calls with the same `key` redraw it in place.
    Returns the bytes sent.

    Call it once per run for each key, e.g. inside `@st.fragment(run_every=...)`. Set
    `figure.layout.uirevision` yourself to reset the zoom on purpose (change its value). The layout and the
    first `static_traces` traces (e.g. faded earlier runs) are sent only when they change.
    """
    if not key or not isinstance(key, str):
        raise ValueError(f"live_chart needs a non-empty str key, got {key!r}")
    try:
        height = css_height(height)
    except ValueError as error:
        raise ValueError(f"live_chart {error}") from None
    spec = figure_spec(figure)
    if not isinstance(static_traces, int) or not 0 <= static_traces <= len(spec["data"]):
        raise ValueError(f"static_traces must be an int from 0 to {len(spec['data'])}, got {static_traces!r}")
    sent = st.session_state.setdefault(_SENT, {})
    revision, data = payload(spec, key, height, static_traces, sent.get(key))
    _component(key=key, data=data, on_need_change=functools.partial(_forget, key))
    sent[key] = revision
    return len(data)


def inflate(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """`pack`'s inverse, as live_chart.js rebuilds a figure: references become arrays again."""
    if isinstance(value, list):
        return [inflate(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "$b" in value:
        return arrays[value["$b"]]
    if "$r" in value:
        x0, dx, n, last, kind = value["$r"]
        dtype = {"f8": np.float64, "f4": np.float32, "u1": np.uint8, "i4": np.int32}[kind]
        return np.append(x0 + dx * np.arange(n), last).astype(dtype)
    return {k: inflate(v, arrays) for k, v in value.items()}


def unpack(data: bytes, statics: dict[str, dict]) -> dict[str, Any]:
    """One update as the browser sees it: {"key", "height", "figure", "config", "plotly_url"}. `statics` holds
    the static parts received so far by revision (the browser's cache); a KeyError means the browser would ask
    for it again."""
    head, arrays = decode(data)
    if "s" in head:
        statics[head["r"]] = {**head["s"], "arrays": arrays}
    s = statics[head["r"]]
    moving = [{**inflate(style, arrays), **inflate(d, arrays)} for style, d in zip(s["styles"], head["d"], strict=True)]
    figure = {"data": inflate(s["data"], s["arrays"]) + moving, "layout": s["layout"]}
    return {"key": head["k"], "height": head["H"], "figure": figure, "config": s["config"], "plotly_url": s["plotly"]}
