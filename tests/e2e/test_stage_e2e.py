"""The stage in Chromium: netmath.js against `twolayer.predict_proba` to 1e-9, the vendored plotly bundle's
traces, and the demo app (benchmarks/stage_demo.py) training the default run: the browser ends on exactly
the engine's final parameters, draws the map and the network, answers hover and zoom, sends little, and
makes no request leaving 127.0.0.1 and throws no page error. No timing assertions (see bench_stage.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from appkit.stage import ASSETS, PLOTLY_FILE, flat_params
from tests.support.servers import streamlit_server
from twolayer import Trainer
from twolayer.activations import ACTIVATIONS
from twolayer.data import make_dataset
from twolayer.figures import cost_figure, plot_range
from twolayer.network import init_params, predict_proba

pytestmark = pytest.mark.e2e

ORIGIN = "http://127.0.0.1:9"  # never contacted: every request to it is answered from appkit/stage/


class Guard:
    """Records page errors and requests leaving 127.0.0.1 (those are also aborted)."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request):
        if not request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:http://127.0.0.1", "data:")):
            self.outside.append(request.url)

    def check(self):
        assert not self.errors, f"page errors: {self.errors}"
        assert not self.outside, f"requests leaving 127.0.0.1: {self.outside}"


@pytest.fixture(scope="module")
def math_page(browser):
    """A blank page on a fake local origin whose files are served from appkit/stage/ by Playwright."""
    context = browser.new_context()

    def serve(route):
        name = route.request.url.split("?")[0].removeprefix(f"{ORIGIN}/")
        if name == "index.html":
            route.fulfill(body="<!doctype html><title>stage maths</title>", content_type="text/html")
        elif (ASSETS / name).is_file():
            route.fulfill(path=ASSETS / name, content_type="text/javascript")
        else:
            route.abort()

    context.route(f"{ORIGIN}/**", serve)
    context.route(lambda url: not url.startswith(ORIGIN), lambda route: route.abort())
    page = context.new_page()
    guard = Guard(page)
    page.goto(f"{ORIGIN}/index.html")
    page.evaluate(f"async () => {{ window.nm = await import('{ORIGIN}/netmath.js'); }}")
    yield page
    guard.check()
    context.close()


def trained(h: int, activation: str) -> dict:
    X, y = make_dataset("moons", 500, 0.2, random_state=0)
    trainer = Trainer(X.T, y.reshape(1, -1), h, 0.3, activation=activation, random_state=0, track_accuracy=False)
    trainer.train(1500)
    return trainer.params


def large(h: int) -> dict:
    params = init_params(2, h, "he", np.random.default_rng(h))
    return {name: value * 25 + (3 if name.startswith("b") else 0) for name, value in params.items()}


CASES = [(a, h, kind) for a in ACTIVATIONS for h in (1, 64) for kind in ("trained", "large")]


@pytest.mark.parametrize(("activation", "h", "kind"), CASES)
def test_netmath_matches_predict_proba(math_page, activation, h, kind):
    params = trained(h, activation) if kind == "trained" else large(h)
    X, _ = make_dataset("moons", 500, 0.2, random_state=0)
    (x0, x1), (y0, y1) = plot_range(X)
    nx, ny = 41, 29
    got = math_page.evaluate(
        """([p, act, x0, x1, y0, y1, nx, ny, pts]) => {
          const flat = Float64Array.from(p);
          return {
            grid: Array.from(nm.probabilityGrid(flat, act, x0, x1, y0, y1, nx, ny)),
            units: Array.from(nm.activationGrids(flat, act, x0, x1, y0, y1, 9)),
            points: Array.from(nm.predictPoints(flat, act, pts[0], pts[1])),
          };
        }""",
        [flat_params(params).tolist(), activation, x0, x1, y0, y1, nx, ny, [X[:, 0].tolist(), X[:, 1].tolist()]],
    )
    # The pixel centres as netmath.js computes them: the same float64 operations.
    xs = x0 + (np.arange(nx) + 0.5) * ((x1 - x0) / nx)
    ys = y1 - (np.arange(ny) + 0.5) * ((y1 - y0) / ny)
    gx, gy = np.meshgrid(xs, ys)
    expected = predict_proba(np.vstack([gx.ravel(), gy.ravel()]), params, activation)
    np.testing.assert_allclose(got["grid"], expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["points"], predict_proba(X.T, params, activation), rtol=0, atol=1e-9)
    us = x0 + (np.arange(9) + 0.5) * ((x1 - x0) / 9)
    vs = y1 - (np.arange(9) + 0.5) * ((y1 - y0) / 9)
    ux, uy = np.meshgrid(us, vs)
    g, _ = ACTIVATIONS[activation]
    A1 = g(params["W1"] @ np.vstack([ux.ravel(), uy.ravel()]) + params["b1"])  # (h, 81)
    np.testing.assert_allclose(np.reshape(got["units"], (h, 81)), A1, rtol=1e-9, atol=1e-9)
    assert len(got["grid"]) == nx * ny and all(math.isfinite(v) for v in got["grid"])


def test_logaddexp_is_numpys(math_page):
    zs = [0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 30.0, -30.0, 700.0, -700.0, 800.0, -800.0, 1e300, -1e300]
    got = math_page.evaluate("(zs) => zs.map((z) => [nm.logaddexp0(z), nm.sigmoid(z)])", zs)
    for z, (lae, sig) in zip(zs, got, strict=True):
        assert lae == pytest.approx(np.logaddexp(0.0, z), rel=1e-15, abs=0)
        assert sig == pytest.approx(np.exp(z - np.logaddexp(0.0, z)), rel=1e-14, abs=1e-300)


def test_vendored_plotly_has_the_traces_the_charts_need(math_page):
    """The bundle draws every trace of the cost chart (train and test curves, ghosts, a marker) and the stage's
    points (scatter: stage.js paints the map itself); it is the small basic bundle, not one with heat maps."""
    math_page.add_script_tag(path=str(ASSETS / PLOTLY_FILE))
    traces = set(math_page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
    history = {"cost": np.linspace(1, 0, 50), "test_cost": np.linspace(1, 0.2, 50)}
    figure = cost_figure(history, iterations=100, ghosts=[("#2 · lr 10", np.linspace(1, 0.5, 80))], marker=20)
    needed = {trace.get("type", "scatter") for trace in figure["data"]} | {"scatter"}
    assert needed <= traces, f"the bundle lacks {needed - traces}"
    assert "heatmap" not in traces and "scattergl" not in traces  # documented in appkit/stage/VENDORED.md


# ---- the demo app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(chromium_path, tmp_path_factory):
    with streamlit_server("benchmarks/stage_demo.py", log=tmp_path_factory.mktemp("stage") / "server.log") as url:
        yield url


def final_params() -> np.ndarray:
    """The default run, trained headless as the demo trains it (5,000 steps in any split: bit-identical)."""
    X, y = make_dataset("moons", 500, 0.2, random_state=0)
    trainer = Trainer(X.T, y.reshape(1, -1), 5, 0.3, init="he", random_state=0)
    trainer.train(5000)
    return flat_params(trainer.params)


def scale_colour(p: float) -> np.ndarray:
    """stage.js's colour for P: orange #f5a35c, #f7f7f7 at 0.5, blue #6aa5f0, in 256 steps."""
    k = min(255, max(0, int(p * 255 + 0.5)))
    u = k / 255
    stops = np.array([[0xF5, 0xA3, 0x5C], [0xF7, 0xF7, 0xF7], [0x6A, 0xA5, 0xF0]], dtype=float)
    a, b, t = (stops[0], stops[1], u / 0.5) if u < 0.5 else (stops[1], stops[2], (u - 0.5) / 0.5)
    return np.round(a + (b - a) * t)


STAGE = "() => window.__appkitStages && window.__appkitStages.get('stage')"


def open_demo(browser, url, **viewport):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    page = context.new_page()
    guard = Guard(page)
    page.goto(url)
    page.wait_for_function(f"() => {{ const s = ({STAGE})(); return s && s.plotted && s.stats.frames > 0; }}")
    return context, page, guard


def test_the_demo_trains_and_the_browser_ends_on_exactly_the_final_parameters(browser, demo_url):
    context, page, guard = open_demo(browser, demo_url)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Done at iteration 5000").wait_for(timeout=120_000)
    # Playback of the last update ends on exactly its parameters, then a full-resolution picture follows.
    page.wait_for_function(f"() => {{ const s = ({STAGE})(); return s.keys.length <= 1 && s.drawn.full; }}")
    shown = page.evaluate(f"() => Array.from(({STAGE})().shown)")
    assert np.array_equal(np.array(shown), final_params())  # bit for bit
    stats = page.evaluate(f"() => ({STAGE})().stats")
    # 16 ticks; Streamlit may hand the component only the newest of two deltas that arrive together.
    assert stats["updates"] >= 8 and stats["frames"] > stats["updates"]
    training = [n for n in stats["sizes"][1:] if n < 4_500]  # updates without the points
    assert training and max(training) <= 10_000
    # The map is painted (not transparent) at full resolution: one value per device pixel.
    painted = page.evaluate(
        f"""() => {{ const c = ({STAGE})().mapCanvas;
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let opaque = 0;
          for (let k = 3; k < d.length; k += 4) opaque += d[k] === 255;
          return [opaque, c.width * c.height]; }}"""
    )
    assert painted[0] == painted[1] > 100_000
    # The network view shows 5 hidden units.
    assert page.evaluate(f"() => ({STAGE})().layoutNet.hidden.length") == 5
    page.screenshot(path=str(Path("screenshots") / "e2e-stage-done.png"))
    guard.check()
    context.close()


def test_hover_shows_a_units_weights_and_a_links_weight(browser, demo_url):
    context, page, guard = open_demo(browser, demo_url)
    box = page.locator(".appkit-stage-network").bounding_box()
    node = page.evaluate(f"() => ({STAGE})().layoutNet.hidden[2]")
    page.mouse.move(box["x"] + node["x"] + node["s"] / 2, box["y"] + node["y"] + node["s"] / 2)
    tip = page.locator(".appkit-stage-tip")
    tip.wait_for(state="visible")
    assert "h3" in tip.inner_text() and "w" in tip.inner_text()
    assert page.evaluate(f"() => ({STAGE})().hover.kind") == "unit"
    # A point on the link x1 -> h1 (the middle of its curve).
    mid = page.evaluate(
        f"""() => {{ const s = ({STAGE})(); const [a, b, c, d, e, f, g, h] = s.linkList[0].path;
          return [(a + 3 * c + 3 * e + g) / 8, (b + 3 * d + 3 * f + h) / 8]; }}"""
    )
    page.mouse.move(box["x"] + mid[0], box["y"] + mid[1])
    page.wait_for_function(f"() => ({STAGE})().hover?.kind === 'link'")
    assert "W1" in tip.inner_text()
    page.mouse.move(1, 1)
    tip.wait_for(state="hidden")
    guard.check()
    context.close()


def test_zoom_recomputes_the_map_for_the_new_range(browser, demo_url):
    context, page, guard = open_demo(browser, demo_url)
    page.wait_for_function(f"() => ({STAGE})().drawn.full")
    before = page.evaluate(f"() => ({STAGE})().stats.fullRenders")
    page.evaluate(
        f"() => window.__appkitStagePlotly.relayout(({STAGE})().gd, {{'xaxis.range': [0, 1], 'yaxis.range': [0, 0.5]}})"
    )
    page.wait_for_function(f"() => ({STAGE})().stats.fullRenders > {before} && ({STAGE})().drawn.full")
    area = page.evaluate(f"() => ({STAGE})().plotArea()")
    assert area["xr"][0] == pytest.approx(0, abs=0.3) and area["xr"][1] == pytest.approx(1, abs=0.3)
    # The canvas now holds P over the zoomed range, one value per pixel: its colours are predict_proba's.
    got = page.evaluate(
        f"""() => {{ const s = ({STAGE})(); const c = s.mapCanvas;
          const px = Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
          return {{ w: c.width, h: c.height, p: Array.from(s.shown), px }}; }}"""
    )
    w, h, flat = got["w"], got["h"], np.array(got["p"])
    units = (len(flat) - 1) // 4
    params = {"W1": flat[: 2 * units].reshape(units, 2), "b1": flat[2 * units : 3 * units].reshape(units, 1)}
    params |= {"W2": flat[3 * units : 4 * units].reshape(1, units), "b2": flat[4 * units :].reshape(1, 1)}
    pixels = np.array(got["px"], dtype=float).reshape(h, w, 4)
    (x0, x1), (y0, y1) = area["xr"], area["yr"]
    checked = 0
    for r in range(5, h, h // 12):
        for i in range(5, w, w // 12):
            x = x0 + (i + 0.5) * ((x1 - x0) / w)
            y = y1 - (r + 0.5) * ((y1 - y0) / h)
            p = predict_proba(np.array([[x], [y]]), params)[0]
            if abs(p - 0.5) < 0.1:
                continue  # the 0.5 line is drawn over the map near there
            np.testing.assert_allclose(pixels[r, i, :3], scale_colour(p), atol=1.5)
            checked += 1
    assert checked >= 10
    guard.check()
    context.close()
