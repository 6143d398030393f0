// The row of numbers above the Playground's charts (appkit/metric_strip.py). The labels come with this
// element; the numbers come with the followed stage's updates, one list per state it shows, and this strip
// writes the numbers of the state the stage draws, in the same animation frame. Kept in window.__appkitStrips
// with a `follow` key: the stage calls the `schedule` of its followers there at the end of each of its frames.

const version = new URL(import.meta.url).search;
const { kept, dropUnlessTakenBack } = await import(new URL(`./payload.js${version}`, import.meta.url).href);
const stages = (window.__appkitStages ??= new Map()); // the stages (appkit/stage/stage.js) by key
const strips = (window.__appkitStrips ??= new Map()); // key -> Strip

if (!document.getElementById("appkit-metrics-style")) {
  const style = document.createElement("style");
  style.id = "appkit-metrics-style";
  // Sizes as Streamlit's st.metric, shrinking with the window so six fit beside the sidebar at 1024 px.
  style.textContent = `
.appkit-metrics {display:flex; gap:0.5rem; width:100%; color:inherit; font-family:inherit}
.appkit-metrics [data-testid='appkit-metric'] {flex:1 1 0; min-width:0}
.appkit-metrics [data-testid='appkit-metric-label'] {font-size:0.875rem; line-height:1.3; opacity:0.75;
  min-height:1.3em; white-space:nowrap; overflow:hidden; text-overflow:ellipsis}
.appkit-metrics [data-testid='appkit-metric-value'] {font-size:clamp(1.25rem, calc((100vw - 540px) / 22), 2.25rem);
  line-height:1.25; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; font-variant-numeric:tabular-nums}
.appkit-metrics [data-testid='appkit-metric-note'] {font-size:0.875rem; line-height:1.3; opacity:0.75;
  min-height:1.3em; white-space:nowrap; overflow:hidden; text-overflow:ellipsis}
.appkit-metrics.big [data-testid='appkit-metric-label'], .appkit-metrics.big [data-testid='appkit-metric-note']
  {font-size:clamp(1rem, 1.1vw, 1.3rem)}
.appkit-metrics.big [data-testid='appkit-metric-value'] {font-size:clamp(1.6rem, 2.4vw, 3rem)}
.stElementContainer[data-stale="true"]:has(.appkit-metrics) {opacity:1 !important}
`;
  document.head.appendChild(style);
}

const EMPTY = "—";

class Strip {
  constructor(key) {
    this.key = key;
    this.root = document.createElement("div");
    this.root.className = "appkit-metrics";
    this.cells = [];
    this.labels = null;
    this.shown = null; // the value list on screen (the leader's, by identity)
    this.note = null;
    this.stats = { frames: 0, updates: 0 };
  }

  update(head) {
    this.stats.updates += 1;
    this.follow = head.f;
    this.root.classList.toggle("big", !!head.big);
    const labels = head.l || [];
    if (!this.labels || labels.join("\n") !== this.labels.join("\n")) {
      this.labels = labels;
      this.root.replaceChildren();
      this.cells = labels.map((label, i) => {
        const cell = document.createElement("div");
        cell.dataset.testid = "appkit-metric";
        // Widths in proportion to the labels (fixed between full runs: no jitter while training), at least a
        // number's room, so that one-line labels are rarely cut.
        cell.style.flexGrow = String(Math.max(label.length, 11));
        const [name, value] = [document.createElement("div"), document.createElement("div")];
        name.dataset.testid = "appkit-metric-label";
        name.textContent = label;
        name.title = label; // one line, so that a longer label never moves the charts: cut, in full on hover
        value.dataset.testid = "appkit-metric-value";
        value.textContent = EMPTY;
        cell.append(name, value);
        let note = null;
        if (i === 0) {
          note = document.createElement("div"); // under the first number: the time left of a long run
          note.dataset.testid = "appkit-metric-note";
          cell.append(note);
        }
        this.root.append(cell);
        return { value, note };
      });
      this.shown = null;
    }
    this.schedule();
  }

  // Called by the followed stage at the end of each of its frames: the numbers are written in the same frame as
  // the picture (a few text nodes, and only when they changed).
  schedule() {
    this.draw();
  }

  // The numbers of the state the followed stage shows now (its last frame's).
  draw() {
    const leader = stages.get(this.follow);
    const values = leader?.shownVals ?? null;
    const note = leader?.shownNote ?? "";
    if (values === this.shown && note === this.note) return;
    this.shown = values;
    this.note = note;
    this.cells.forEach((cell, i) => {
      const text = values && i < values.length ? values[i] : EMPTY;
      if (cell.value.textContent !== text) cell.value.textContent = text;
      if (cell.note && cell.note.textContent !== note) cell.note.textContent = note;
    });
    this.stats.frames += 1;
  }
}

// Called by the component for every update (only when the labels change: the element's bytes are the same
// on every training tick, and Streamlit passes on only new data).
export function render(component, head) {
  // The first of the Playground's components to arrive: start fetching plotly.js for the charts below it now.
  const plotly = head.p;
  if (plotly && !window.Plotly && !document.querySelector(`link[href="${plotly}"]`)) {
    document.head.appendChild(Object.assign(document.createElement("link"), { rel: "preload", as: "script", href: plotly }));
  }
  let strip = strips.get(head.k);
  if (!strip) {
    strip = new Strip(head.k);
    strips.set(head.k, strip);
  }
  if (strip.root.parentElement !== component.parentElement) component.parentElement.appendChild(strip.root);
  kept(strip);
  strip.update(head);
}

// The element went away: drop the strip if it has not been re-attached a few seconds later.
export function unmounted(key) {
  dropUnlessTakenBack(strips, key, (strip) => strip.root);
}
