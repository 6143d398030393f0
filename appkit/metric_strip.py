"""The row of numbers above the Playground's charts, drawn in the browser in step with the stage it follows.

    from appkit.metric_strip import metric_strip

    metric_strip("metrics", ["Iteration (of 5,000)", "Train cost", ...], follow="boundary", big=False)
    stage("boundary", ..., metrics={"values": [[...], ...], "note": "40 % · about 2 min left"})

The labels come with this element; the numbers come with the followed stage's updates, as text, one list per
state that update shows (appkit/stage.py's `metrics`), and the browser (appkit/stage/metric_strip.js) shows
the numbers of the state the stage draws in that frame. So the numbers never run ahead of the picture, and a
training tick updates one element instead of seven: this element's bytes change only with its labels, and
Streamlit does not redraw an element whose data did not change.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from .assets import MODULE_LOADER, PLOTLY_FILE, asset_url, encode

_component = st.components.v2.component("appkit.metrics", js=MODULE_LOADER, isolate_styles=False)


def payload(key: str, labels: Sequence[str], *, follow: str, big: bool = False) -> bytes:
    """The bytes of the strip's element: its labels, the stage it follows and its size."""
    if not key or not isinstance(key, str):
        raise ValueError(f"metric_strip needs a non-empty str key, got {key!r}")
    if not follow or not isinstance(follow, str) or follow == key:
        raise ValueError(f"follow must be a stage's key, got {follow!r}")
    if isinstance(labels, str) or not labels or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"labels must be a non-empty list of str, got {labels!r:.80}")
    head = {"m": asset_url("metric_strip.js"), "k": key, "f": follow, "l": list(labels), "big": bool(big)}
    head["p"] = asset_url(PLOTLY_FILE)  # the strip comes first on the page: it starts loading the charts' plotly.js
    return encode(head, {})


def metric_strip(key: str, labels: Sequence[str], *, follow: str, big: bool = False) -> int:
    """Shows the strip for `key` (once per run of the page); returns the bytes sent."""
    data = payload(key, labels, follow=follow, big=big)
    _component(key=key, data=data)
    return len(data)
