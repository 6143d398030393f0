"""A Plotly chart that updates in place, for charts redrawn several times a second.

`st.plotly_chart` in Streamlit 1.67 remounts the chart whenever the figure changes (blank frames, lost
zoom). `live_chart` mounts one `<div>` per key and redraws it with `Plotly.react`, so the DOM node,
the user's zoom and the modebar state survive every update.

plotly.js is the vendored cartesian bundle in appkit/stage/ (1.5 MB, pinned by checksum; see assets.py),
served by Streamlit itself and never fetched from a CDN. The page loads it once, shared with the stage;
each update sends only the figure.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from plotly.utils import PlotlyJSONEncoder

from .assets import PLOTLY_FILE, asset_url, css_height

# Modebar kept: users zoom. No "Share chart..." button: plotly.js 4's default (showSendToCloud) opens
# cloud.plotly.com and posts the chart's data there, the one click that sends data off the machine.
_CONFIG = {"responsive": True, "displaylogo": False, "showSendToCloud": False}

# Runs once per page for plotly.js, then once per update. The <div> made on the first call persists
# because the element's identity is its key; `Plotly.react` diffs against what that div shows.
_JS = """
// One plotly.js for the page, shared with appkit/stage (the same vendored bundle and the same promise).
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  window.__appkitPlotly ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => { window.__appkitPlotly = null; reject(new Error(`live_chart: cannot load ${url}`)); };
    document.head.appendChild(script);
  });
  return window.__appkitPlotly;
}

// Streamlit's default Plotly template ("streamlit") holds placeholder colours #000001-#000040 that
// st.plotly_chart swaps for theme colours in the browser. Do the same from the theme's CSS variables.
function parseThemed(text, el) {
  const css = getComputedStyle(el);
  const v = (name) => css.getPropertyValue(`--st-${name}`).trim();
  const [bg, fg, border] = [v("background-color"), v("text-color"), v("border-color")];
  let fig;
  if (text.includes('"#000001"')) {
    const lists = ["categorical", "sequential", "diverging"].map((k) => v(`chart-${k}-colors`).split(","));
    const other = { 32: v("green-color"), 33: v("red-color"), 34: v("blue-color"), 35: border, 36: v("gray-color"),
      37: fg, 38: bg, 39: v("secondary-background-color"), 40: v("secondary-background-color") };
    fig = JSON.parse(text.replace(/"#0000([0-3][1-9]|[1-4]0)"/g, (match, digits) => {
      const n = Number(digits) - 1;
      const list = lists[Math.floor(n / 10)];
      const color = n < 30 ? list[(n % 10) % list.length] : other[n + 1];
      return color ? `"${color}"` : match;
    }));
  } else {
    fig = JSON.parse(text);
  }
  // Theme defaults (font, colours, labels kept inside the chart) for every figure, templated or plain;
  // the figure's own layout still wins.
  const axis = { gridcolor: border, zerolinecolor: border, linecolor: border, automargin: true };
  const layout = (fig.figure.layout ??= {});
  const template = (layout.template ??= {});
  const defaults = (template.layout ??= {});
  Object.assign(defaults, { paper_bgcolor: bg, plot_bgcolor: bg, font: { color: fg, family: v("font") } });
  Object.assign(defaults, { xaxis: axis, yaxis: axis });
  return fig;
}

// Graph divs by key. Streamlit 1.67 sometimes drops and re-creates an element when a fragment tick
// follows a full rerun; the chart's div is then moved into the new element, with its zoom, instead
// of being drawn afresh.
const charts = (window.__appkitCharts ??= new Map());

export default async function ({ data, parentElement }) {
  const msg = parseThemed(new TextDecoder().decode(data), parentElement);
  let div = parentElement.querySelector(":scope > .appkit-live-chart");
  if (!div) {
    div = charts.get(msg.key);
    if (!div) {
      div = document.createElement("div");
      div.className = "appkit-live-chart";
      div.style.width = "100%";
    }
    parentElement.appendChild(div);  // moves a remounted chart's div here
    charts.set(msg.key, div);
  }
  div.style.height = typeof msg.height === "number" ? `${msg.height}px` : msg.height;  // px, or CSS
  // Streamlit also calls this for a call overtaken by a newer update, so act only once the div is gone.
  // Purge only a chart that stays gone: a remounted one is moved into its new element first.
  const cleanup = () => setTimeout(() => {
    if (div.isConnected) return;
    div._resizer?.disconnect();
    window.Plotly?.purge(div);
    if (charts.get(msg.key) === div) charts.delete(msg.key);
  }, 5000);

  // Draw only the newest figure: if updates arrive while one is drawing, skip the stale ones.
  div._next = msg;
  if (!div._busy) await draw(div);
  return cleanup;
}

// Draws div._next (and any newer figure that arrives meanwhile). If plotly.js cannot be loaded (the
// server restarting, a network blip) it says so and tries again shortly instead of throwing: a thrown
// error makes Streamlit replace the chart with an error box and stop calling this component.
async function draw(div) {
  div._busy = true;
  let failed = false;
  try {
    const Plotly = await loadPlotly(div._next.plotly_url);
    div._note?.remove();
    div._note = null;
    while (div._next) {
      const { figure, config } = div._next;
      div._next = null;
      // Plotly.react diffs data arrays by reference and does not look inside base64 typed-array
      // specs, so a new heatmap z would be ignored: a new datarevision forces the recalculation.
      div._revision = (div._revision || 0) + 1;
      figure.layout = { ...figure.layout, datarevision: div._revision };
      await Plotly.react(div, { ...figure, config });
    }
    // `responsive` follows the window only; this also follows the container (sidebar, columns).
    if (!div._resizer) {
      // Only a displayed chart can be resized: on a page switch the div leaves the screen first, and
      // Plotly rejects (an uncaught error in the console) for a div that is not displayed.
      div._resizer = new ResizeObserver(() => {
        if (div.isConnected && div.getClientRects().length) Plotly.Plots.resize(div).catch(() => {});
      });
      div._resizer.observe(div);
    }
  } catch (error) {
    failed = !window.Plotly;  // only a failed load is retried; any other error is Streamlit's to show
    if (!failed) throw error;
    console.warn(error);
  } finally {
    div._busy = false;
  }
  if (failed && div.isConnected) {
    if (!div._note) {
      div._note = document.createElement("p");
      div._note.textContent = "The chart library did not load; trying again…";
      div.appendChild(div._note);
    }
    setTimeout(() => div.isConnected && !div._busy && div._next && draw(div), 2000);
  }
}
"""

_component = st.components.v2.component("appkit.live_chart", js=_JS, isolate_styles=False)


def _plotly_js_url() -> str:
    return asset_url(PLOTLY_FILE)  # the vendored cartesian bundle (1.5 MB): what the stage loads too


def figure_json(figure: go.Figure | dict[str, Any]) -> str:
    """The figure as compact JSON. From a `go.Figure`, NumPy arrays become base64 typed arrays, so their dtype
    sets the size; a dict is sent as it is, without plotly.py's validation (the live charts' dicts carry typed
    arrays already, see twolayer/figures.py), which is most of the cost of an update.

    Unlike `fig.to_json()` this skips the HTML-safety escaping (`/` as `\\u002f`), ~20 % of a heatmap.
    """
    if isinstance(figure, go.Figure):
        spec = figure.to_plotly_json()
    else:
        spec = {"data": list(figure.get("data", [])), "layout": dict(figure.get("layout", {}))}
    # A constant uirevision tells Plotly to keep the user's zoom, pan and legend clicks across updates.
    spec.setdefault("layout", {}).setdefault("uirevision", "live_chart")
    return json.dumps(spec, cls=PlotlyJSONEncoder, separators=(",", ":"))


def live_chart(figure: go.Figure | dict[str, Any], *, key: str, height: int | str = 450) -> None:
    """Show `figure` at full container width and `height` px; later calls with the same `key` redraw it in place.

    Call it once per run for each key, e.g. inside `@st.fragment(run_every=...)`. Set
    `figure.layout.uirevision` yourself to reset the zoom on purpose (change its value).
    """
    if not key or not isinstance(key, str):
        raise ValueError(f"live_chart needs a non-empty str key, got {key!r}")
    try:
        height = css_height(height)
    except ValueError as error:
        raise ValueError(f"live_chart {error}") from None
    head = json.dumps({"plotly_url": _plotly_js_url(), "config": _CONFIG, "height": height, "key": key})
    payload = f'{head[:-1]},"figure":{figure_json(figure)}}}'
    _component(key=key, data=payload.encode())
