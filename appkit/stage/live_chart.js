// appkit/live_chart.py's browser side: one Plotly chart per key, redrawn in place with Plotly.react.
//
// An update is the stage's binary payload ([uint32 header length][header JSON][8-aligned typed arrays]):
// the header holds the dynamic traces' arrays only (their styles come with the static part), as {"$b": name} (a binary array) or
// {"$r": [x0, dx, n, last, dtype]} (an integer progression: a thinned curve's iterations); the static
// part (layout, config, the traces that rarely change such as ghost curves) comes only when it changed,
// cached by its revision. A browser that lacks the revision asks for it with the `need` trigger.

const charts = (window.__appkitCharts ??= new Map()); // key -> graph div (kept across element re-creation)
const statics = new Map(); // revision -> static part
const MAX_STATICS = 16;
const version = new URL(import.meta.url).search;
const { KINDS, decode, loadPlotly, kept, dropUnlessTakenBack } = await import(new URL(`./payload.js${version}`, import.meta.url).href);

// Puts the arrays back where the header points to them.
function inflate(value, arrays) {
  if (Array.isArray(value)) return value.map((v) => inflate(v, arrays));
  if (!value || typeof value !== "object") return value;
  if (value.$b !== undefined) return arrays[value.$b];
  if (value.$r !== undefined) {
    const [x0, dx, n, last, kind] = value.$r;
    const out = new KINDS[kind](n + 1);
    for (let i = 0; i < n; i++) out[i] = x0 + dx * i;
    out[n] = last;
    return out;
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = inflate(v, arrays);
  return out;
}

// Streamlit's default Plotly template ("streamlit") holds placeholder colours #000001-#000040 that
// st.plotly_chart swaps for theme colours in the browser. Do the same from the theme's CSS variables.
function themed(spec, el) {
  const css = getComputedStyle(el);
  const v = (name) => css.getPropertyValue(`--st-${name}`).trim();
  const [bg, fg, border] = [v("background-color"), v("text-color"), v("border-color")];
  let text = JSON.stringify(spec);
  if (text.includes('"#000001"')) {
    const lists = ["categorical", "sequential", "diverging"].map((k) => v(`chart-${k}-colors`).split(","));
    const other = { 32: v("green-color"), 33: v("red-color"), 34: v("blue-color"), 35: border, 36: v("gray-color"),
      37: fg, 38: bg, 39: v("secondary-background-color"), 40: v("secondary-background-color") };
    text = text.replace(/"#0000([0-3][1-9]|[1-4]0)"/g, (match, digits) => {
      const n = Number(digits) - 1;
      const list = lists[Math.floor(n / 10)];
      const color = n < 30 ? list[(n % 10) % list.length] : other[n + 1];
      return color ? `"${color}"` : match;
    });
  }
  const out = JSON.parse(text);
  // Theme defaults (font, colours, labels kept inside the chart); the figure's own layout still wins.
  const axis = { gridcolor: border, zerolinecolor: border, linecolor: border, automargin: true };
  const layout = (out.layout ??= {});
  const template = (layout.template ??= {});
  const defaults = (template.layout ??= {});
  Object.assign(defaults, { paper_bgcolor: bg, plot_bgcolor: bg, font: { color: fg, family: v("font") } });
  Object.assign(defaults, { xaxis: axis, yaxis: axis });
  return out;
}

export async function render(component, head, u8) {
  const { parentElement, setTriggerValue } = component;
  const arrays = decode(head, u8);
  if (head.s) {
    statics.set(head.r, { ...head.s, arrays });
    while (statics.size > MAX_STATICS) statics.delete(statics.keys().next().value);
  }
  const s = statics.get(head.r);
  if (!s) {
    setTriggerValue("need", head.r); // this browser never got (or dropped) the layout: ask again
    return;
  }
  let div = parentElement.querySelector(":scope > .appkit-live-chart");
  if (!div) {
    div = charts.get(head.k);
    if (!div) {
      div = document.createElement("div");
      div.className = "appkit-live-chart";
      div.style.width = "100%";
    }
    parentElement.appendChild(div); // moves a re-created element's chart here, with its zoom
    charts.set(head.k, div);
  }
  kept(div);
  div.style.height = typeof head.H === "number" ? `${head.H}px` : head.H; // px, or CSS
  // Themed on every update (cheap: no arrays in it), so a switch to the dark theme reaches the chart.
  const { data: fixed, layout } = themed({ data: s.data || [], layout: s.layout }, parentElement);
  // The styles come with the static part; an array nested in one (marker colours) travels with each update.
  const moving = head.d.map((d, i) => ({ ...inflate(s.styles[i], arrays), ...inflate(d, arrays) }));
  const data = [...inflate(fixed, s.arrays), ...moving];
  div._next = { data, layout, config: s.config, plotly: s.plotly };
  if (!div._busy) await draw(div); // updates arriving while one draws: only the newest is drawn
}

export function unmounted(key) {
  // Purge only a chart that stays gone: a re-created element gets the div moved into it first.
  const purge = (div) => {
    div._resizer?.disconnect();
    window.Plotly?.purge(div);
  };
  dropUnlessTakenBack(charts, key, (div) => div, purge);
}

// Draws div._next (and any newer figure that arrives meanwhile). If plotly.js cannot be loaded (the
// server restarting, a network blip) it says so and tries again shortly instead of throwing.
async function draw(div) {
  div._busy = true;
  let failed = false;
  try {
    const Plotly = await loadPlotly(div._next.plotly);
    div._note?.remove();
    div._note = null;
    while (div._next) {
      const { data, layout, config } = div._next;
      div._next = null;
      // Plotly.react diffs data arrays by reference; a new datarevision makes it look at the new ones.
      div._revision = (div._revision || 0) + 1;
      await Plotly.react(div, { data, layout: { ...layout, datarevision: div._revision }, config });
    }
    if (!div._resizer) {
      // Only a displayed chart can be resized: on a page switch the div leaves the screen first.
      div._resizer = new ResizeObserver(() => {
        if (div.isConnected && div.getClientRects().length) Plotly.Plots.resize(div).catch(() => {});
      });
      div._resizer.observe(div);
    }
  } catch (error) {
    failed = !window.Plotly; // only a failed load is retried
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
