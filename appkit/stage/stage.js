// The stage: a live network view and decision boundary drawn in the browser from the parameters.
// Loaded by the small component in appkit/stage.py; see its docstring for the Python API.
//
// Per update the server sends only the parameters (float64, the last snapshot) and a few earlier
// snapshots of this update (float32, for display only); points, axes, activation and sizes come
// with a revision and are sent again only when they change (cached here by revision). The browser
// computes P(class 1) and every hidden unit's activation (netmath.js, the same maths as
// twolayer/network.py) and plays the snapshots with requestAnimationFrame over the time between
// updates, interpolating between them; every update's last snapshot is shown exactly in some frame,
// and when updates stop the picture rests on exactly the last parameters.

const version = new URL(import.meta.url).search;
const sibling = (name) => import(new URL(`./${name}${version}`, import.meta.url).href);
const [nm, { decode, loadPlotly, kept, dropUnlessTakenBack }] = await Promise.all([
  sibling("netmath.js"),
  sibling("payload.js"),
]); // at once

const stages = (window.__appkitStages ??= new Map()); // key -> Stage (survives element remounts)
const strips = (window.__appkitStrips ??= new Map()); // key -> metrics strip (appkit/stage/metric_strip.js)

// Streamlit fades an element while a rerun that will replace it is running (a long training tick);
// the stage is live throughout, so it stays opaque.
if (!document.getElementById("appkit-stage-style")) {
  const style = document.createElement("style");
  style.id = "appkit-stage-style";
  style.textContent = '.stElementContainer[data-stale="true"]:has(.appkit-stage) { opacity: 1 !important; }';
  document.head.appendChild(style);
}
const statics = (window.__appkitStageStatics ??= new Map()); // revision -> static data
const MAX_STATICS = 16;

const ORANGE = [0xf5, 0xa3, 0x5c]; // probability scale of twolayer/figures.py: P = 0 ... 0.5 ... 1
const WHITE = [0xf7, 0xf7, 0xf7];
const BLUE = [0x6a, 0xa5, 0xf0];
const CLASS = ["#e8710a", "#1a73e8"]; // class 0 orange, class 1 blue; links: negative, positive
const LINE = "#202124";

// 256-entry RGBA lookup: index 0 = orange, 128 = white, 255 = blue, each channel interpolated.
const LUT = new Uint32Array(256);
{
  const bytes = new Uint8Array(LUT.buffer);
  for (let k = 0; k < 256; k++) {
    const u = k / 255;
    const [a, b, t] = u < 0.5 ? [ORANGE, WHITE, u / 0.5] : [WHITE, BLUE, (u - 0.5) / 0.5];
    for (let c = 0; c < 3; c++) bytes[4 * k + c] = Math.round(a[c] + (b[c] - a[c]) * t);
    bytes[4 * k + 3] = 255;
  }
}
const lutIndex = (u) => (u >= 1 ? 255 : u <= 0 ? 0 : (u * 255 + 0.5) | 0); // NaN -> 0

// The stage's own handle on plotly.js (a page may hold another window.Plotly later).
const stagePlotly = (url) => loadPlotly(url).then((Plotly) => (window.__appkitStagePlotly = Plotly));

function theme(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(`--st-${name}`).trim() || fallback;
  return {
    bg: v("background-color", "#ffffff"),
    fg: v("text-color", "#31333f"),
    border: v("border-color", "#d5dae5"),
    font: v("font", "sans-serif"),
  };
}

// The input features as the network view labels them (twolayer/features.py's names on the left).
const FEATURE_LABELS = {
  x1: "x1", x2: "x2", "x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2", "sin(x1)": "sin x1", "sin(x2)": "sin x2",
};
const featureLabel = (name) => FEATURE_LABELS[name] ?? name;

const fmt = (x) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4));

// ---------------------------------------------------------------------------------------------

class Stage {
  constructor(key) {
    this.key = key;
    this.root = document.createElement("div");
    this.root.className = "appkit-stage";
    this.root.style.cssText = "display:flex;width:100%;gap:8px;align-items:stretch;position:relative;";
    this.net = document.createElement("div");
    this.net.className = "appkit-stage-network";
    this.net.style.cssText = "position:relative;flex:1 1 0;min-width:0;";
    this.netCanvas = document.createElement("canvas");
    this.netCanvas.style.cssText = "position:absolute;left:0;top:0;";
    this.tip = document.createElement("div");
    this.tip.className = "appkit-stage-tip";
    this.tip.style.cssText =
      "position:absolute;display:none;pointer-events:none;z-index:5;padding:4px 8px;border-radius:4px;" +
      "background:rgba(32,33,36,0.92);color:#fff;font-size:12px;line-height:1.35;white-space:nowrap;";
    this.net.append(this.netCanvas, this.tip);
    this.board = document.createElement("div");
    this.board.className = "appkit-stage-boundary";
    this.board.style.cssText = "position:relative;flex:0 0 auto;";
    this.gd = document.createElement("div");
    this.gd.style.cssText = "width:100%;height:100%;";
    this.board.append(this.gd);
    this.mapCanvas = document.createElement("canvas");
    this.mapCanvas.className = "appkit-stage-map";
    this.mapCanvas.style.cssText = "position:absolute;pointer-events:none;";
    this.root.append(this.net, this.board);

    this.static = null; // the current static data (points, axes, activation, sizes)
    this.revision = null;
    this.keys = []; // playback keyframes {t, p: Float64Array, iter, last}
    this.clock = 0; // playback time (ms, performance.now() based)
    this.lastNow = 0;
    this.gap = 100; // estimated ms between updates
    this.lastArrival = 0;
    this.shown = null; // parameters on screen now
    this.shownIter = null;
    this.shownVals = null; // the numbers of the state shown (metrics, as text), for appkit/stage/metric_strip.js
    this.shownNote = "";
    this.h = -1;
    this.paramsVersion = 0;
    this.viewVersion = 0;
    this.drawn = { params: -1, view: -1, full: false };
    this.restTimer = null;
    this.wantFull = false;
    this.scheduled = false;
    this.hover = null; // {kind: "unit" | "link" | "input" | "output", ...}
    this.plotted = null; // the static object last given to Plotly
    this.geometry = null;
    this.stats = { updates: 0, frames: 0, renderMs: 0, fullRenders: 0, exactFinals: 0, bytes: 0, sizes: [] };
    this.layoutNet = null;
    this.net.addEventListener("mousemove", (e) => this.onMove(e));
    this.net.addEventListener("click", (e) => this.onClick(e));
    this.net.addEventListener("mouseleave", () => this.setHover(null));
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.root);
  }

  // ---- receiving ------------------------------------------------------------------------------

  async update(head, u8, setTriggerValue) {
    this.setTriggerValue = setTriggerValue; // a weight typed into the editor goes to Python through it
    this.stats.updates += 1;
    this.stats.bytes = u8.byteLength;
    this.stats.sizes.push(u8.byteLength);
    if (this.stats.sizes.length > 200) this.stats.sizes.shift();
    const arrays = decode(head, u8);
    if (head.s) {
      const s = { ...head.s, arrays };
      statics.set(head.r, s);
      while (statics.size > MAX_STATICS) statics.delete(statics.keys().next().value);
    }
    const s = statics.get(head.r);
    if (!s) {
      // This browser never got (or dropped) these points: ask the server to send them again.
      setTriggerValue("need", head.r);
      return;
    }
    this.root.style.height = typeof head.H === "number" ? `${head.H}px` : head.H; // px, or CSS (viewport-relative)
    if (this.revision !== head.r) {
      this.revision = head.r;
      this.static = s;
      this.layoutPanels();
      this.viewVersion += 1;
    }
    // A follower (head.f: another stage's key) shows whatever that stage shows, frame by frame: the two
    // views never disagree, and the parameters travel once per update.
    this.follow = head.f || null;
    if (!this.follow) this.receive(head, arrays);
    this.schedule();
    this.stats.firstUpdate ??= performance.now();
    const Plotly = await stagePlotly(s.plotly);
    if (this.plotted !== this.static) await this.plot(Plotly);
    this.stats.plotted ??= performance.now();
  }

  receive(head, arrays) {
    const now = performance.now();
    if (this.lastArrival && now - this.lastArrival < 2000) {
      this.gap = Math.min(1000, Math.max(30, 0.7 * this.gap + 0.3 * (now - this.lastArrival)));
    } else {
      this.gap = Math.min(1000, Math.max(30, (head.dt || 0.1) * 1000));
    }
    this.lastArrival = now;
    const h = head.h;
    const vals = head.mv || [];
    this.shownNote = head.mn ?? "";
    if (h < 0 || !arrays.p) {
      // No network yet: points only.
      this.keys = [];
      this.h = -1;
      this.shown = null;
      this.shownVals = vals.at(-1) ?? null;
      this.paramsVersion += 1;
      return;
    }
    const size = nm.paramCount(h, this.feats().length);
    const final = arrays.p;
    const frames = [];
    const q = arrays.q;
    const count = q ? q.length / size : 0;
    for (let i = 0; i < count; i++) frames.push(Float64Array.from(q.subarray(i * size, (i + 1) * size)));
    frames.push(final);
    const its = head.its || [];
    if (!head.a && this.keys.length > 1) {
      // A rerun that repeats the parameters being played (the run's final rerun): let playback finish.
      const last = this.keys[this.keys.length - 1].p;
      if (last.length === final.length && last.every((v, k) => v === final[k])) {
        this.keys[this.keys.length - 1].v = vals.at(-1); // its numbers may be newer (e.g. the steps per second)
        return;
      }
    }
    const animate =
      head.a && this.shown && this.h === h && this.activation === this.static.act && this.shown.length === size;
    this.activation = this.static.act;
    if (!animate) {
      this.h = h;
      this.keys = [{ t: this.clock, p: final, iter: head.it, v: vals.at(-1), last: true }];
      this.setShown(final, head.it, vals.at(-1));
      this.stats.exactFinals += 1;
      return;
    }
    let end = this.keys.length ? this.keys[this.keys.length - 1].t : this.clock;
    if (end <= this.clock) {
      end = this.clock;
      this.keys = [{ t: this.clock, p: this.shown, iter: this.shownIter, v: this.shownVals, last: false }];
    }
    const n = frames.length;
    frames.forEach((p, i) => {
      const last = i === n - 1;
      this.keys.push({ t: end + (this.gap * (i + 1)) / n, p, iter: last ? head.it : its[i], v: vals[i], last });
    });
  }

  // The network's input features (x1, x2 unless the static part names others) and where b1, W2, b2 start.
  feats() {
    return this.static?.feats ?? nm.DEFAULT_FEATURES;
  }

  layoutOf(p) {
    const k = this.feats().length;
    const h = nm.hiddenUnits(p.length, k);
    return { k, h, ...nm.offsets(h, k) };
  }

  setShown(p, iter, vals = this.shownVals) {
    this.shown = p;
    this.shownIter = iter;
    this.shownVals = vals ?? null;
    this.paramsVersion += 1;
    this.drawn.full = false; // the full-resolution picture is of other parameters: draw it again at rest
  }

  // ---- playback -------------------------------------------------------------------------------

  schedule() {
    if (this.scheduled || this.destroyed) return;
    this.scheduled = true;
    if (!this.root.isConnected) {
      // Streamlit is re-creating the element (it moves the stage into the new one): try again soon.
      setTimeout(() => {
        this.scheduled = false;
        this.schedule();
      }, 100);
      return;
    }
    requestAnimationFrame((now) => {
      this.scheduled = false;
      try {
        this.frame(now);
      } catch (error) {
        console.warn("stage: frame failed", error); // keep the loop alive; the next update redraws
      }
    });
  }

  frame(now) {
    const dt = this.lastNow ? Math.min(100, now - this.lastNow) : 16;
    this.lastNow = now;
    const keys = this.keys;
    let moving = false;
    const leader = this.follow && stages.get(this.follow);
    if (this.follow) {
      if (leader && !leader.shown && this.shown) {
        this.shown = null; // the leader shows points only (no network yet)
        this.paramsVersion += 1;
      } else if (leader && leader.shown && leader.shown !== this.shown) {
        this.h = leader.h;
        this.activation = this.static.act;
        this.setShown(leader.shown, leader.shownIter);
      }
      moving = !!leader && leader.keys.length > 1;
      this.clock = now;
    } else if (keys.length > 1) {
      const end = keys[keys.length - 1].t;
      let lag = end - this.clock;
      if (lag > 2 * this.gap) {
        // Far behind (a hidden tab, a slow frame, updates arriving in a burst): catch up, so the picture
        // never trails the metrics above it by more than about one update.
        this.clock = end - this.gap;
        lag = this.gap;
      }
      // Play a little faster with a backlog, a little slower when about to run dry: steady motion.
      const rate = Math.min(2.5, Math.max(0.6, 0.6 + (0.4 * lag) / this.gap));
      let next = Math.min(end, this.clock + dt * rate);
      // Every update's last snapshot is shown exactly: stop on it for this frame.
      for (const k of keys) {
        if (k.last && k.t > this.clock && k.t < next) {
          next = k.t;
          break;
        }
      }
      this.clock = next;
      let j = 0;
      while (j + 1 < keys.length && keys[j + 1].t <= this.clock) j += 1;
      if (j > 0) keys.splice(0, j);
      if (keys.length === 1 || keys[0].t >= this.clock) {
        const k = keys[0];
        if (k.p !== this.shown) {
          this.setShown(k.p, k.iter, k.v);
          if (k.last) this.stats.exactFinals += 1;
        }
      } else {
        const [a, b] = keys;
        const u = (this.clock - a.t) / (b.t - a.t);
        const near = u < 0.5 ? a : b; // the iteration and numbers shown: those of the nearer snapshot
        this.setShown(nm.lerpParams(a.p, b.p, u), near.iter, near.v);
      }
      moving = keys.length > 1;
    } else {
      this.clock = Math.max(this.clock, now - 1000); // idle: keep the clock near real time
      if (this.clock < now) this.clock += dt;
    }
    if (moving) {
      this.wantFull = false;
      this.fullJob = null;
      clearTimeout(this.restTimer);
      this.restTimer = null;
    } else if (!this.drawn.full && !this.restTimer && !this.wantFull) {
      // At rest: draw at full resolution once motion has stopped for a moment.
      this.restTimer = setTimeout(() => {
        this.restTimer = null;
        this.wantFull = true;
        this.schedule();
      }, 120);
    }
    this.draw(moving);
    for (const others of [stages, strips]) {
      for (const other of others.values()) if (other.follow === this.key && other !== this) other.schedule();
    }
    if (this.fullJob && !moving) {
      if (this.fullStep()) this.draw(false);
      if (this.fullJob) this.schedule();
    }
    if (moving) this.schedule();
  }

  draw(moving) {
    const full = this.wantFull && !moving;
    const same = this.drawn.params === this.paramsVersion && this.drawn.view === this.viewVersion;
    if (same && (this.drawn.full || !full)) return;
    const t0 = performance.now();
    this.theme ??= theme(this.root);
    this.drawBoundary(full);
    if (full && this.fullJob) return; // the map is still being computed: keep the picture as it is
    this.drawNetwork(full);
    this.updateTip();
    this.drawn = { params: this.paramsVersion, view: this.viewVersion, full };
    if (full) {
      this.wantFull = false;
      this.stats.fullRenders += 1;
    }
    this.stats.frames += 1;
    this.stats.renderMs = 0.9 * this.stats.renderMs + 0.1 * (performance.now() - t0);
  }

  markView() {
    this.viewVersion += 1;
    this.drawn.full = false;
    this.schedule();
  }

  // ---- layout -----------------------------------------------------------------------------------

  layoutPanels() {
    const s = this.static;
    const views = s.views || ["network", "boundary"];
    const both = views.includes("network") && views.includes("boundary");
    this.net.style.display = views.includes("network") ? "" : "none";
    this.board.style.display = views.includes("boundary") ? "" : "none";
    const W = this.root.clientWidth || 600;
    const H = this.root.clientHeight || parseFloat(this.root.style.height) || 400;
    // The boundary is square: as wide as the height allows (plus axis room), up to 62 % of a row.
    this.board.style.width = both ? `${Math.round(Math.min(W * 0.62, Math.max(W * 0.45, H + 60)))}px` : "100%";
    this.board.style.flex = both ? "0 0 auto" : "1 1 auto";
  }

  resize() {
    if (!this.static) return;
    this.layoutPanels();
    this.theme = theme(this.root);
    const Plotly = window.__appkitStagePlotly;
    // Plotly rejects a resize of a div that is not displayed (a detached or hidden element).
    if (Plotly && this.plotted && this.gd.isConnected && this.gd.offsetParent) {
      Promise.resolve(Plotly.Plots.resize(this.gd)).catch(() => {});
    }
    this.markView();
  }

  // ---- the boundary chart -----------------------------------------------------------------------

  async plot(Plotly) {
    const s = this.static;
    this.plotted = s;
    const th = (this.theme = theme(this.root));
    this.root.style.color = th.fg;
    if (!(s.views || ["boundary"]).includes("boundary")) {
      // A network-only stage shows no chart: plot nothing (no hidden chart, no map computed every frame).
      if (this.gd._fullLayout) Plotly.purge(this.gd);
      this.mapCanvas.remove();
      return;
    }
    const a = s.arrays;
    const big = !!s.big;
    const size = big ? 11 : 7;
    const traces = [];
    const points = (xy, labels, test) => {
      if (!xy) return;
      for (const label of [0, 1]) {
        const xs = [];
        const ys = [];
        for (let k = 0; k < labels.length; k++) {
          if (labels[k] === label) {
            xs.push(xy[2 * k]);
            ys.push(xy[2 * k + 1]);
          }
        }
        traces.push({
          type: "scatter",
          mode: "markers",
          x: xs,
          y: ys,
          name: `class ${label} (${test ? "test" : "train"})`,
          marker: {
            color: test ? "white" : CLASS[label],
            symbol: test ? "diamond" : "circle",
            size: size * (test ? 1.15 : 1),
            line: { color: test ? CLASS[label] : "white", width: test ? 2.2 : 0.8 },
          },
          hovertemplate: "x1 %{x:.2f}, x2 %{y:.2f}<extra>%{fullData.name}</extra>",
        });
      }
    };
    points(a.tr, a.try, false);
    points(a.te, a.tey, true);
    const [x0, x1, y0, y1] = s.axes;
    const axis = (range, title) => ({
      range: [range[0], range[1]],
      title: { text: title },
      showgrid: false,
      zeroline: false,
      constrain: "domain",
      automargin: true,
      linecolor: th.border,
      mirror: true,
      ticks: "outside",
      tickcolor: th.border,
    });
    const layout = {
      margin: { l: 8, r: 8, t: 8, b: 8 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: th.fg, family: th.font, size: big ? 20 : 13 },
      showlegend: true,
      legend: { orientation: "h", yanchor: "bottom", y: 1.0, x: 0, font: { size: big ? 18 : 11 } },
      // Equal scales leave space over: it goes right and below, so the legend stays on the plot's top left.
      xaxis: { ...axis([x0, x1], "x1"), constraintoward: "left" },
      yaxis: { ...axis([y0, y1], "x2"), scaleanchor: "x", constraintoward: "top" },
      uirevision: s.axes.join(","),
      hovermode: "closest",
      dragmode: "zoom",
    };
    const config = {
      displaylogo: false,
      showSendToCloud: false, // plotly.js 4's "Share chart..." posts the chart's data to cloud.plotly.com
      responsive: false,
      doubleClick: "reset",
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"],
    };
    await Plotly.react(this.gd, traces, layout, config);
    if (!this.gd._stageEvents) {
      this.gd._stageEvents = true;
      for (const ev of ["plotly_afterplot", "plotly_relayout", "plotly_relayouting"]) this.gd.on(ev, () => this.markView());
    }
    const container = this.gd.querySelector(".svg-container");
    if (container && this.mapCanvas.parentNode !== container) container.insertBefore(this.mapCanvas, container.firstChild);
    this.markView();
  }

  plotArea() {
    const fl = this.gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !this.mapCanvas.isConnected) return null;
    const xa = fl.xaxis;
    const ya = fl.yaxis;
    return { left: xa._offset, top: ya._offset, w: xa._length, h: ya._length, xr: xa.range, yr: ya.range };
  }

  // The map: while playing, a budget of unit-evaluations per frame keeps the frame rate up (the
  // browser smooths the upscaled image); at rest, one value per device pixel, computed a few rows per
  // frame (`fullStep`) so a 64-unit network never blocks the page, then painted at once.
  drawBoundary(full) {
    const area = this.plotArea();
    const c = this.mapCanvas;
    if (!area || area.w < 2 || area.h < 2) return;
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.round(area.w * dpr);
    const ch = Math.round(area.h * dpr);
    Object.assign(c.style, { left: `${area.left}px`, top: `${area.top}px`, width: `${area.w}px`, height: `${area.h}px` });
    if (c.width !== cw || c.height !== ch) {
      c.width = cw;
      c.height = ch;
    }
    const p = this.shown;
    if (!p) {
      c.getContext("2d").clearRect(0, 0, cw, ch);
      return;
    }
    const { h, k } = this.layoutOf(p);
    const unit = this.hover && this.hover.kind === "unit" ? this.hover.j : null;
    const [x0, x1] = area.xr;
    const [y0, y1] = area.yr;
    if (full && unit === null) {
      const job = this.fullJob;
      if (job && job.done && job.params === this.paramsVersion && job.view === this.viewVersion) {
        this.paintMap(job.values, job.nx, job.ny, null);
        this.fullJob = null;
      } else if (!job || job.params !== this.paramsVersion || job.view !== this.viewVersion) {
        this.fullJob = { params: this.paramsVersion, view: this.viewVersion, nx: cw, ny: ch, row: 0, done: false,
          values: new Float64Array(cw * ch), p, axes: [x0, x1, y0, y1] };
      }
      return;
    }
    // In motion ~6e4 unit evaluations a frame: ~110 x 110 cells for 5 units (TF Playground draws 100 x 100),
    // smoothed when scaled up; at least 32 x 32 for 64 units. At rest, one value per device pixel.
    const work = (unit === null ? h : 1) * Math.max(1, k / 2); // more input features cost more per unit
    const scale = full ? 1 : Math.min(1, Math.sqrt(6e4 / (cw * ch * Math.max(1, work))));
    const nx = Math.max(32, Math.round(cw * scale));
    const ny = Math.max(32, Math.round(ch * scale));
    const values =
      unit === null
        ? nm.probabilityGrid(p, this.activation, x0, x1, y0, y1, nx, ny, this.gridBuffer(nx * ny), 0, ny, this.feats())
        : this.unitGrid(p, unit, x0, x1, y0, y1, nx, ny);
    this.paintMap(values, nx, ny, unit);
  }

  // Advances the full-resolution job by ~8 ms of rows; true once it is complete.
  fullStep() {
    const job = this.fullJob;
    if (!job || job.done) return !!job;
    const t0 = performance.now();
    const [x0, x1, y0, y1] = job.axes;
    while (job.row < job.ny && performance.now() - t0 < 8) {
      const r1 = Math.min(job.ny, job.row + 8);
      nm.probabilityGrid(job.p, this.activation, x0, x1, y0, y1, job.nx, job.ny, job.values, job.row, r1, this.feats());
      job.row = r1;
    }
    job.done = job.row >= job.ny;
    return job.done;
  }

  paintMap(values, nx, ny, unit) {
    const c = this.mapCanvas;
    const ctx = c.getContext("2d");
    const cw = c.width;
    const ch = c.height;
    const image = this.imageFor(nx, ny);
    const px = new Uint32Array(image.data.buffer);
    if (unit === null) {
      const disc = !!this.static.disc;
      for (let k = 0; k < nx * ny; k++) px[k] = LUT[disc ? (values[k] > 0.5 ? 255 : 0) : lutIndex(values[k])];
    } else {
      this.colourUnit(values, px, nx * ny);
    }
    if (nx === cw && ny === ch) {
      ctx.putImageData(image, 0, 0);
    } else {
      const off = (this.mapOff ??= document.createElement("canvas"));
      if (off.width !== nx || off.height !== ny) {
        off.width = nx;
        off.height = ny;
      }
      off.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "medium";
      ctx.drawImage(off, 0, 0, cw, ch);
    }
    // The decision line (P = 0.5), or the hovered unit's middle line.
    const dpr = window.devicePixelRatio || 1;
    const sx = cw / nx;
    const sy = ch / ny;
    const level = unit === null || this.activation === "sigmoid" ? 0.5 : 0; // a unit's middle: 0.5 or 0
    ctx.beginPath();
    nm.contour(values, nx, ny, level, (xa, ya, xb, yb) => {
      ctx.moveTo(xa * sx, ya * sy);
      ctx.lineTo(xb * sx, yb * sy);
    });
    ctx.strokeStyle = LINE;
    ctx.lineWidth = (this.static.big ? 4 : 2.5) * dpr;
    ctx.lineCap = "round";
    ctx.stroke();
    if (unit !== null) {
      ctx.font = `${(this.static.big ? 18 : 12) * dpr}px ${this.theme.font}`;
      ctx.fillStyle = LINE;
      ctx.textBaseline = "top";
      ctx.fillText(`showing h${unit + 1}`, 6 * dpr, 6 * dpr);
    }
  }

  unitGrid(p, j, x0, x1, y0, y1, nx, ny) {
    const { k, b1 } = this.layoutOf(p);
    const g = nm.activationFunction(this.activation);
    const fs = this.feats().map(nm.featureFunction);
    const out = this.gridBuffer(nx * ny);
    for (let r = 0; r < ny; r++) {
      const y = nm.gridY(y0, y1, ny, r);
      for (let i = 0; i < nx; i++) {
        const x = nm.gridX(x0, x1, nx, i);
        let z = 0;
        for (let c = 0; c < k; c++) z += p[k * j + c] * fs[c](x, y);
        out[r * nx + i] = g(z + p[b1 + j]);
      }
    }
    return out;
  }

  // A hidden unit's values as colours: tanh -1..1 and sigmoid 0..1 on the orange-white-blue scale;
  // relu (0 up) from white to blue, scaled to the largest value shown.
  colourUnit(values, px, count, offset = 0) {
    const act = this.activation;
    if (act === "tanh") {
      for (let k = 0; k < count; k++) px[k] = LUT[lutIndex((values[offset + k] + 1) / 2)];
    } else if (act === "sigmoid") {
      for (let k = 0; k < count; k++) px[k] = LUT[lutIndex(values[offset + k])];
    } else {
      // relu (0 up) and linear (any sign): white at 0, scaled to the largest |value| shown.
      let top = 1e-12;
      for (let k = 0; k < count; k++) top = Math.max(top, Math.abs(values[offset + k]));
      for (let k = 0; k < count; k++) px[k] = LUT[lutIndex(0.5 + (0.5 * values[offset + k]) / top)];
    }
  }

  gridBuffer(n) {
    if (!this.grid || this.grid.length < n) this.grid = new Float64Array(n);
    return this.grid.length === n ? this.grid : this.grid.subarray(0, n);
  }

  imageFor(nx, ny) {
    const key = `${nx}x${ny}`;
    if (this.imageKey !== key) {
      this.imageKey = key;
      this.image = new ImageData(nx, ny);
    }
    return this.image;
  }

  // ---- the network view -------------------------------------------------------------------------

  // Positions: the input features (x1, x2, ...) on the left, hidden units in as many columns as needed in
  // the middle, the output (the boundary in small) on the right. Node size shrinks with the number of units.
  computeLayout(W, H, h, feats = nm.DEFAULT_FEATURES) {
    const big = !!this.static?.big;
    const pad = 10;
    const top = big ? 34 : 26; // room for the caption
    const wide = feats.some((f) => featureLabel(f).length > 2); // "x1²", "sin x1": room for longer labels
    const labelW = wide ? (big ? 62 : 46) : big ? 34 : 26;
    const kIn = feats.length;
    const avail = H - top - pad;
    const out = Math.round(Math.max(36, Math.min(avail * 0.5, W * 0.24, Math.max(150, avail * 0.4))));
    const xIn = pad + labelW;
    const xOut = W - pad - out;
    const units = Math.max(h, 1);
    let best = null;
    // Largest first; on a big panel (a projector, 4K) as large as one column of the units allows.
    const largest = Math.max(big ? 64 : 52, Math.min(120, Math.floor(avail / (1.28 * units))));
    for (let s = largest; s >= 6; s -= 1) {
      const gap = Math.max(3, Math.round(s * 0.28));
      const rows = Math.max(1, Math.floor((avail + gap) / (s + gap)));
      const cols = Math.ceil(units / rows);
      const colGap = Math.max(10, Math.round(s * 0.7));
      const inSize = Math.max(16, Math.min(s, Math.max(44, s * 0.8)));
      const left = xIn + inSize + Math.max(30, s);
      const right = xOut - Math.max(30, s);
      if (cols * s + (cols - 1) * colGap <= right - left) {
        best = { s, gap, rows: Math.ceil(units / cols), cols, colGap, inSize, left, right };
        break;
      }
    }
    best ??= { s: 6, gap: 3, rows: units, cols: 1, colGap: 10, inSize: 16, left: xIn + 46, right: xOut - 30 };
    const { s, gap, rows, cols, colGap, inSize, left, right } = best;
    const gridW = cols * s + (cols - 1) * colGap;
    const gx = left + (right - left - gridW) / 2;
    const hidden = [];
    for (let j = 0; j < h; j++) {
      const col = Math.floor(j / rows);
      const row = j % rows;
      const inCol = Math.min(rows, h - col * rows);
      const colY = top + (avail - (inCol * s + (inCol - 1) * gap)) / 2; // centre short columns
      hidden.push({ x: gx + col * (s + colGap), y: colY + row * (s + gap), s });
    }
    const cy = top + avail / 2;
    // The inputs in one column, centred; as large as the other nodes allow, smaller when many.
    const inGap = Math.max(6, inSize * 0.4);
    const s1 = Math.max(10, Math.min(inSize, Math.floor((avail - (kIn - 1) * Math.max(4, inGap * 0.5)) / kIn)));
    const g1 = kIn > 1 ? Math.min(2 * inGap, (avail - kIn * s1) / (kIn - 1)) : 0;
    const inputs = feats.map((name, i) => ({
      x: xIn, y: cy - (kIn * s1 + (kIn - 1) * g1) / 2 + i * (s1 + g1), s: s1, label: featureLabel(name), name,
    }));
    const output = { x: xOut, y: cy - out / 2, s: out };
    return { W, H, h, inputs, hidden, output, s, gap, top, big, maxLink: Math.max(1.5, Math.min(9, s * 0.2)) };
  }

  linkPath(a, b) {
    // A horizontal S-curve from the right edge of a to the left edge of b.
    const x0 = a.x + a.s;
    const y0 = a.y + a.s / 2;
    const x1 = b.x;
    const y1 = b.by ?? b.y + b.s / 2;
    const mx = (x0 + x1) / 2;
    return [x0, y0, mx, y0, mx, y1, x1, y1];
  }

  links(L, p) {
    // [{kind, i, j, w, path}] for every weight: feature i -> h_j (W1[j, i]) and h_j -> output (W2[j]).
    const h = L.h;
    const k = L.inputs.length;
    const list = [];
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < k; i++) {
        list.push({ kind: "w1", i, j, w: p[k * j + i], path: this.linkPath(L.inputs[i], L.hidden[j]) });
      }
    }
    for (let j = 0; j < h; j++) {
      const spread = ((j - (h - 1) / 2) / Math.max(h, 1)) * Math.min(L.output.s * 0.5, 24);
      const target = { ...L.output, by: L.output.y + L.output.s / 2 + spread };
      list.push({ kind: "w2", j, w: p[k * h + h + j], path: this.linkPath(L.hidden[j], target) });
    }
    return list;
  }

  drawNetwork(full) {
    if (this.net.style.display === "none") return;
    const W = this.net.clientWidth;
    const H = this.net.clientHeight;
    if (W < 10 || H < 10) return;
    const dpr = window.devicePixelRatio || 1;
    const c = this.netCanvas;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
      c.style.width = `${W}px`;
      c.style.height = `${H}px`;
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const th = this.theme || theme(this.root);
    const big = !!this.static.big;
    const font = (px, weight = "") => `${weight} ${px}px ${th.font}`;
    const p = this.shown;
    const feats = this.feats();
    const h = p ? nm.hiddenUnits(p.length, feats.length) : 0;
    const Ln = this.layoutNet;
    if (!Ln || Ln.W !== W || Ln.H !== H || Ln.h !== h || Ln.big !== big || Ln.feats !== feats.join()) {
      this.layoutNet = { ...this.computeLayout(W, H, h, feats), feats: feats.join() };
    }
    const L = this.layoutNet;
    ctx.fillStyle = th.fg;
    ctx.font = font(big ? 18 : 13, "600");
    ctx.textBaseline = "top";
    const iter = this.shownIter;
    const title = p ? (iter != null ? `iteration ${Number(iter).toLocaleString("en")}` : "network") : "no network yet";
    ctx.fillText(title, 10, 6);
    const titleWidth = ctx.measureText(title).width;
    ctx.font = font(big ? 16 : 12);
    if (h) {
      // Right-aligned beside the title, or on the next line when the two would meet.
      const units = `${h} hidden unit${h === 1 ? "" : "s"} (${this.activation})`;
      const fits = titleWidth + ctx.measureText(units).width + 30 < W;
      ctx.textAlign = "right";
      ctx.fillText(units, W - 10, fits ? 6 : (big ? 30 : 24));
    }
    ctx.textAlign = "left";

    // Links under the nodes: colour by sign, width by |weight| (saturating at |w| = 4).
    if (p) {
      const hl = this.hover;
      this.linkList = this.links(L, p);
      // Batched into one path per sign and magnitude step (16 strokes, not 3h), as strokes cost.
      const buckets = new Map();
      for (const link of this.linkList) {
        const m = Math.round(Math.min(1, Math.abs(link.w) / 4) * 8) / 8;
        const on = !hl || (hl.kind === "unit" && hl.j === link.j) || (hl.kind === "link" && hl.link === this.linkIndex(link));
        const id = `${link.w < 0 ? 0 : 1}/${m}/${on ? 1 : 0}`;
        if (!buckets.has(id)) buckets.set(id, { sign: link.w < 0 ? 0 : 1, m, on, paths: [] });
        buckets.get(id).paths.push(link.path);
      }
      for (const b of [...buckets.values()].sort((u, v) => u.on - v.on || u.m - v.m)) {
        ctx.strokeStyle = CLASS[b.sign];
        ctx.globalAlpha = b.on ? 0.3 + 0.65 * b.m : 0.1;
        ctx.lineWidth = 0.5 + (L.maxLink - 0.5) * b.m;
        ctx.beginPath();
        for (const [a, b0, c1, d, e, f, g, k] of b.paths) {
          ctx.moveTo(a, b0);
          ctx.bezierCurveTo(c1, d, e, f, g, k);
        }
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }

    // Node thumbnails: inputs (x1 left to right, x2 bottom to top), hidden activations, the output.
    const [x0, x1, y0, y1] = this.static.axes;
    const thumbs = [];
    const n = Math.max(4, Math.min(full ? 40 : 24, Math.round(L.s)));
    if (p && h) {
      const values = nm.activationGrids(p, this.activation, x0, x1, y0, y1, n, this.thumbBuffer(h * n * n), feats);
      for (let j = 0; j < h; j++) thumbs.push({ node: L.hidden[j], n, paint: (px) => this.colourUnit(values, px, n * n, j * n * n) });
    }
    // Each input feature over the plane: white at 0, blue positive, orange negative (scaled to its largest |value|).
    const ni = Math.max(4, Math.min(24, Math.round(L.inputs[0].s)));
    for (const node of L.inputs) {
      thumbs.push({
        node,
        n: ni,
        paint: (px) => {
          const v = nm.featureValues(node.name, x0, x1, y0, y1, ni);
          let top = 1e-12;
          for (let q = 0; q < v.length; q++) top = Math.max(top, Math.abs(v[q]));
          for (let q = 0; q < v.length; q++) px[q] = LUT[lutIndex(0.5 + (0.5 * v[q]) / top)];
        },
      });
    }
    if (p) {
      const no = Math.max(8, Math.min(full ? 96 : 48, Math.round(L.output.s), Math.round(Math.sqrt((full ? 4e5 : 3e4) / h))));
      const P = nm.probabilityGrid(p, this.activation, x0, x1, y0, y1, no, no, undefined, 0, no, feats);
      thumbs.push({
        node: L.output,
        n: no,
        paint: (px) => {
          for (let k = 0; k < no * no; k++) px[k] = LUT[lutIndex(P[k])];
        },
        line: P,
      });
    }
    // All thumbnails go into one atlas image (1 px apart, so smoothing does not bleed), put once.
    let atlasW = 0;
    let atlasH = 0;
    for (const t of thumbs) {
      t.ax = atlasW;
      atlasW += t.n + 2;
      atlasH = Math.max(atlasH, t.n);
    }
    const atlas = new ImageData(atlasW, atlasH);
    const words = new Uint32Array(atlas.data.buffer);
    for (const t of thumbs) {
      const tile = new Uint32Array(t.n * t.n);
      t.paint(tile);
      for (let r = 0; r < t.n; r++) words.set(tile.subarray(r * t.n, (r + 1) * t.n), r * atlasW + t.ax);
    }
    const off = (this.atlas ??= document.createElement("canvas"));
    if (off.width !== atlasW || off.height !== atlasH) {
      off.width = atlasW;
      off.height = atlasH;
    }
    off.getContext("2d").putImageData(atlas, 0, 0);
    ctx.imageSmoothingEnabled = true;
    for (const t of thumbs) {
      const { x, y, s } = t.node;
      ctx.drawImage(off, t.ax, 0, t.n, t.n, x, y, s, s);
    }
    for (const t of thumbs) {
      if (!t.line) continue;
      const { x, y, s } = t.node;
      const k = s / t.n;
      ctx.beginPath();
      nm.contour(t.line, t.n, t.n, 0.5, (xa, ya, xb, yb) => {
        ctx.moveTo(x + xa * k, y + ya * k);
        ctx.lineTo(x + xb * k, y + yb * k);
      });
      ctx.strokeStyle = LINE;
      ctx.lineWidth = big ? 2 : 1.5;
      ctx.stroke();
    }
    // Frames and labels.
    ctx.lineWidth = 1;
    ctx.strokeStyle = th.border;
    for (const node of [...L.inputs, ...(p ? L.hidden : []), L.output]) ctx.strokeRect(node.x + 0.5, node.y + 0.5, node.s - 1, node.s - 1);
    if (this.hover && this.hover.node) {
      const node = this.hover.node;
      ctx.lineWidth = 2;
      ctx.strokeStyle = th.fg;
      ctx.strokeRect(node.x - 1, node.y - 1, node.s + 2, node.s + 2);
    }
    ctx.fillStyle = th.fg;
    ctx.font = font(big ? 18 : 13);
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (const node of L.inputs) ctx.fillText(node.label, node.x - 5, node.y + node.s / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("P(class 1)", L.output.x + L.output.s / 2, L.output.y - 4);
    ctx.textAlign = "left";
    // Unit labels under the nodes, where they fit: between the rows, and for the last row above the bottom edge.
    const labelPx = big ? 14 : 10;
    const lowest = Math.max(...L.hidden.map((node) => node.y + node.s));
    if (h && L.s >= 26 && L.gap >= (big ? 15 : 11) && lowest + 1 + labelPx <= H) {
      ctx.font = font(labelPx);
      ctx.textBaseline = "top";
      ctx.textAlign = "center";
      for (let j = 0; j < h; j++) {
        const node = L.hidden[j];
        if (node.s >= 26) ctx.fillText(`h${j + 1}`, node.x + node.s / 2, node.y + node.s + 1);
      }
      ctx.textAlign = "left";
    }
  }

  thumbBuffer(n) {
    if (!this.thumbs || this.thumbs.length !== n) this.thumbs = new Float64Array(n);
    return this.thumbs;
  }

  // A link's place in the flat parameters: W1[j, i] at k j + i, W2[j] after W1 and b1.
  linkIndex(link) {
    const k = this.layoutNet.inputs.length;
    return link.kind === "w1" ? k * link.j + link.i : (k + 1) * this.layoutNet.h + link.j;
  }

  // ---- hover ------------------------------------------------------------------------------------

  onMove(e) {
    const L = this.layoutNet;
    if (!L) return;
    const rect = this.net.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const inside = (n) => x >= n.x - 2 && x <= n.x + n.s + 2 && y >= n.y - 2 && y <= n.y + n.s + 2;
    let hit = null;
    L.hidden.forEach((node, j) => {
      if (!hit && inside(node)) hit = { kind: "unit", j, node };
    });
    L.inputs.forEach((node, i) => {
      if (!hit && inside(node)) hit = { kind: "input", i, node };
    });
    if (!hit && inside(L.output)) hit = { kind: "output", node: L.output };
    if (!hit && this.linkList) {
      let best = 6;
      for (const link of this.linkList) {
        const d = bezierDistance(link.path, x, y);
        if (d < best) {
          best = d;
          hit = { kind: "link", link: this.linkIndex(link) };
        }
      }
    }
    if (hit) hit.at = [x, y];
    this.setHover(hit);
  }

  setHover(hit) {
    const before = this.hover;
    this.hover = hit;
    const same = before && hit && before.kind === hit.kind && before.j === hit.j && before.link === hit.link && before.i === hit.i;
    if (!same) this.markView();
    this.updateTip();
  }

  updateTip() {
    const hit = this.hover;
    const p = this.shown;
    if (!hit || !p) {
      this.tip.style.display = "none";
      return;
    }
    const { h, k, b1, w2, b2 } = this.layoutOf(p);
    const names = this.feats().map(featureLabel);
    const act = this.activation;
    const editable = !!this.static?.edit;
    const click = (what) => (editable ? `<br><i>click to set ${what}</i>` : "");
    let html;
    if (hit.kind === "unit") {
      const j = hit.j;
      const terms = names.map((name, i) => `w<sub>${i + 1}</sub>·${name}`).join(" + ");
      const weights = names.map((_, i) => `w<sub>${i + 1}</sub> = ${fmt(p[k * j + i])}`).join(", ");
      html =
        `<b>h${j + 1}</b> = ${act}(${terms} + b)<br>${weights}, b = ${fmt(p[b1 + j])}<br>` +
        `weight to output: ${fmt(p[w2 + j])}${click("its bias b")}`;
    } else if (hit.kind === "link") {
      const at = hit.link;
      html =
        at < k * h
          ? `${names[at % k]} → h${Math.floor(at / k) + 1}: W1 = <b>${fmt(p[at])}</b>${click("this weight")}`
          : `h${at - k * h - h + 1} → output: W2 = <b>${fmt(p[at])}</b>${click("this weight")}`;
    } else if (hit.kind === "input") {
      const name = this.feats()[hit.i];
      const what = { x1: "the horizontal coordinate", x2: "the vertical coordinate" }[name] ?? "computed from (x1, x2)";
      html = `<b>${featureLabel(name)}</b>: input feature, ${what}`;
    } else {
      html = `<b>output</b> P(class 1) = sigmoid(Σ W2·h + b2)<br>b2 = ${fmt(p[b2])}${click("b2")}`;
    }
    if (this.tip.innerHTML !== html) this.tip.innerHTML = html;
    this.tip.style.display = "block";
    const [x, y] = hit.at;
    const W = this.net.clientWidth;
    const tw = this.tip.offsetWidth;
    this.tip.style.left = `${Math.max(0, Math.min(W - tw, x + 12))}px`;
    this.tip.style.top = `${y + 14}px`;
  }

  // ---- editing a weight ---------------------------------------------------------------------------

  // What a click at the hovered place edits: {name, index: [row, column], label, at: flat index}.
  editTarget(hit) {
    const p = this.shown;
    if (!hit || !p || !this.static?.edit || !this.layoutNet) return null;
    const { h, k, b1, b2 } = this.layoutOf(p);
    const names = this.feats().map(featureLabel);
    if (hit.kind === "link" && hit.link < k * h) {
      const j = Math.floor(hit.link / k);
      const i = hit.link % k;
      return { name: "W1", index: [j, i], label: `W1: ${names[i]} → h${j + 1}`, at: hit.link };
    }
    if (hit.kind === "link") {
      const j = hit.link - k * h - h;
      return { name: "W2", index: [0, j], label: `W2: h${j + 1} → output`, at: hit.link };
    }
    if (hit.kind === "unit") return { name: "b1", index: [hit.j, 0], label: `b1: bias of h${hit.j + 1}`, at: b1 + hit.j };
    if (hit.kind === "output") return { name: "b2", index: [0, 0], label: "b2: bias of the output", at: b2 };
    return null;
  }

  onClick(e) {
    if (this.editor && this.editor.contains(e.target)) return;
    this.onMove(e);
    const target = this.editTarget(this.hover);
    this.closeEditor();
    if (target) this.openEditor(target, this.hover.at);
  }

  openEditor(target, [x, y]) {
    const box = document.createElement("form");
    box.className = "appkit-stage-editor";
    box.style.cssText =
      "position:absolute;z-index:6;display:flex;flex-direction:column;gap:4px;padding:6px 8px;border-radius:6px;" +
      "background:rgba(32,33,36,0.95);color:#fff;font-size:12px;box-shadow:0 2px 8px rgba(0,0,0,0.3);";
    const label = document.createElement("label");
    label.textContent = target.label;
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.setAttribute("aria-label", `${target.label}: new value`);
    input.value = String(Number(this.shown[target.at].toPrecision(6)));
    input.style.cssText = "width:9em;font:inherit;font-size:13px;padding:2px 4px;border-radius:3px;border:1px solid #888;";
    const note = document.createElement("div");
    note.className = "appkit-stage-editor-note";
    note.textContent = "Enter sets it, Esc closes";
    note.style.cssText = "opacity:0.8;";
    label.append(document.createElement("br"), input);
    box.append(label, note);
    box.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = Number(input.value.trim().replace("−", "-"));
      if (input.value.trim() === "" || !Number.isFinite(value)) {
        note.textContent = "Type a number, e.g. -1.5";
        note.style.color = "#ffb4a8";
        return;
      }
      this.sendEdit(target, value);
      this.closeEditor();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.closeEditor();
    });
    this.net.append(box);
    this.editor = box;
    const W = this.net.clientWidth;
    const H = this.net.clientHeight;
    box.style.left = `${Math.max(0, Math.min(W - box.offsetWidth, x + 8))}px`;
    box.style.top = `${Math.max(0, Math.min(H - box.offsetHeight, y + 8))}px`;
    this.tip.style.display = "none";
    input.focus();
    input.select();
  }

  closeEditor() {
    this.editor?.remove();
    this.editor = null;
  }

  // The edit goes to Python (the session sets the weight and the run goes on from it); meanwhile the view
  // shows it at once.
  sendEdit(target, value) {
    const p = Float64Array.from(this.shown);
    p[target.at] = value;
    const shown = (this.follow && stages.get(this.follow)) || this; // a follower shows its leader's parameters
    shown.keys = [{ t: shown.clock, p, iter: shown.shownIter, v: shown.shownVals, last: true }];
    shown.setShown(p, shown.shownIter);
    shown.schedule();
    this.schedule();
    this.edits = (this.edits ?? 0) + 1; // an id, so that Python takes each edit once
    const id = `${this.key}-${Date.now()}-${this.edits}`;
    this.setTriggerValue?.("edit", { name: target.name, index: target.index, value, id });
  }

  destroy() {
    this.destroyed = true;
    this.closeEditor();
    this.resizer.disconnect();
    clearTimeout(this.restTimer);
    window.__appkitStagePlotly?.purge(this.gd);
  }
}

function bezierDistance(path, x, y) {
  const [x0, y0, x1, y1, x2, y2, x3, y3] = path;
  let best = Infinity;
  for (let k = 0; k <= 24; k++) {
    const t = k / 24;
    const u = 1 - t;
    const bx = u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3;
    const by = u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3;
    best = Math.min(best, Math.hypot(bx - x, by - y));
  }
  return best;
}

// Called by the component for every update. The stage's element persists for its key; if Streamlit
// re-creates the component's element, the stage is moved into the new one with its state.
export async function render(component, head, u8) {
  const { parentElement, setTriggerValue } = component;
  let stage = stages.get(head.k);
  if (!stage) {
    stage = new Stage(head.k);
    stages.set(head.k, stage);
  }
  if (stage.root.parentElement !== parentElement) parentElement.appendChild(stage.root);
  kept(stage);
  await stage.update(head, u8, setTriggerValue);
}

// The element went away: drop the stage if it has not been re-attached a few seconds later.
export function unmounted(key) {
  dropUnlessTakenBack(stages, key, (stage) => stage.root, (stage) => stage.destroy());
}
