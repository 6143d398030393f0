// What the stage (stage.js) and the live chart (live_chart.js) share: reading an update's arrays, and the
// page's one plotly.js.

export const KINDS = { f8: Float64Array, f4: Float32Array, u1: Uint8Array, i4: Int32Array };

// An update is [uint32 LE header length][header JSON][padding to 8][typed arrays at 8-aligned offsets]
// (appkit/assets.py `encode`); the component's loader has parsed the header (head.n is its length).
export function decode(head, u8) {
  const start = Math.ceil((4 + head.n) / 8) * 8;
  const buffer = u8.slice(start).buffer; // a fresh, aligned copy
  const arrays = {};
  for (const [name, [kind, offset, length]] of Object.entries(head.b || {})) {
    arrays[name] = new KINDS[kind](buffer, offset, length);
  }
  return arrays;
}

// A component's object (a stage, a chart, the metrics strip) outlives its Streamlit element: when Streamlit
// re-creates the element, the new one takes the object over with its state (zoom, playback). Once an element
// has gone, the object is destroyed and forgotten unless another element took it back (`root(item)` is in the
// page again) within a few seconds. A render that takes it back calls `kept(item)`.
const DROP_MS = 5000;
export function kept(item) {
  clearTimeout(item.dropTimer);
}
export function dropUnlessTakenBack(map, key, root, destroy = () => {}) {
  const item = map.get(key);
  if (!item) return;
  clearTimeout(item.dropTimer);
  item.dropTimer = setTimeout(() => {
    if (root(item).isConnected) return;
    destroy(item);
    if (map.get(key) === item) map.delete(key);
  }, DROP_MS);
}

// One plotly.js for the page (the vendored basic bundle, one promise): loaded once, parsed once. A
// failed load is forgotten, so the next caller tries again.
export function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  window.__appkitPlotly ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      window.__appkitPlotly = null;
      reject(new Error(`cannot load ${url}`));
    };
    document.head.appendChild(script);
  });
  return window.__appkitPlotly;
}
