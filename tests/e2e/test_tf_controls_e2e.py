"""TensorFlow Playground's controls (issue 11) in a real browser: a link with every new setting restores the
scene and trains it exactly; the sidebar's feature pills, batch size, Discretize and Show test data and the
Regenerate button change the run and the URL; a weight typed into the network view is shown at once, pauses a
running run, is continued from exactly, and the downloaded script reproduces the run bit for bit; screenshots
at 1280x800 and 1920x1080 (screenshots/tf-controls-*.png).

The stages (appkit/stage.py, keys "network" and "boundary") are read through `window.__appkitStages`: the
parameters they show (float64, exactly the server's), their features, the painted map. Every test fails on an
uncaught page error or a request leaving 127.0.0.1.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import numpy as np
import pytest
from playground_page import Guard, button, settle, stage_js, status

from appkit.build import build_data, build_trainer
from appkit.settings import from_query

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
WAIT_MS = 30_000  # any wait (page load, a rerun after a click, a short run) on a busy 2-core machine
PARAM_NAMES = ("W1", "b1", "W2", "b2")

# Every new setting at once: circles on three features, mini-batches of 16, linear units, L1, the map in two
# colours, test points held out but not drawn.
EVERY_SETTING = {
    "data": "circles", "n": "300", "hidden": "3", "iters": "200", "batch": "16", "feat": "x1^2,x2^2,x1*x2",
    "test": "0.3", "act": "linear", "l1": "0.003", "disc": "1", "showtest": "0",
}  # fmt: skip

# A stage's state: what it shows (the flat parameters, exactly as sent), its iteration, features and activation,
# whether it rests at full resolution, its boundary chart's trace names, its network view's inputs and links.
STAGE_JS = """
(key) => {
  const s = window.__appkitStages?.get(key);
  if (!s || !s.static) return null;
  const L = s.layoutNet;
  return {
    shown: s.shown ? Array.from(s.shown) : null, iter: s.shownIter, feats: s.static.feats, act: s.activation,
    disc: s.static.disc, edit: s.static.edit,
    rest: s.keys.length <= 1 && s.drawn.full && s.drawn.params === s.paramsVersion && s.drawn.view === s.viewVersion,
    traces: (s.gd?._fullData ?? []).map((t) => t.name),
    inputs: L ? L.inputs.map((n) => n.label) : [],
    links: (s.linkList ?? []).map((l) => ({ kind: l.kind, i: l.i, j: l.j, path: l.path })),
  };
}
"""
# The boundary map's pixels (RGBA) and size.
MAP_JS = """
() => {
  const c = window.__appkitStages?.get("boundary")?.mapCanvas;
  if (!c || !c.width) return null;
  return { w: c.width, h: c.height, px: Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data) };
}
"""


@pytest.fixture(autouse=True)
def patient_expect():
    """`expect` waits up to WAIT_MS here (Playwright's 5 s default is short on a busy 2-core machine)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


def open_app(browser: Browser, app_url: str, query: str = "", width: int = 1280, height: int = 800) -> Page:
    """A fresh session (own browser context) on the Playground, its stages drawn; `page.guard` records errors."""
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.guard = Guard(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app_url}/{query}")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    expect(page.locator(".st-key-controls")).to_be_visible(timeout=2 * WAIT_MS)  # a fresh server imports a lot
    page.wait_for_function(f"() => !!{stage_js('boundary')}?.gd.querySelector('.main-svg') && !!{stage_js('network')}")
    return page


def stage_state(page: Page, key: str) -> dict:
    return page.evaluate(STAGE_JS, key)


def at_rest(page: Page, key: str, iteration: int) -> dict:
    """The stage's state once it rests on `iteration`, read in the moment that holds."""
    handle = page.wait_for_function(
        f"([key, n]) => {{ const s = ({STAGE_JS.strip()})(key); return s && s.rest && s.iter === n ? s : null; }}",
        arg=[key, iteration],
    )
    return handle.json_value()


def query_of(page: Page) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(page.url).query))


def engine_run(query: dict[str, str], steps: list) -> np.ndarray:
    """The app's run for `query` trained headless: `steps` is a list of step counts and (name, index, value)
    edits, in order. Flat as the stage holds the parameters."""
    settings, warnings = from_query(query)
    assert not warnings, warnings
    trainer = build_trainer(settings, build_data(settings))
    for step in steps:
        if isinstance(step, int):
            trainer.train(step)
        else:
            trainer.set_weight(*step)
    return flat(trainer.params)


def flat(params: dict) -> np.ndarray:
    return np.concatenate([np.ravel(params[name]) for name in PARAM_NAMES])


def click_link(page: Page, kind: str, i: int | None, j: int) -> None:
    """Clicks the middle of a link of the network view (`kind` "w1" from input i to unit j, "w2" from unit j)."""
    state = stage_state(page, "network")
    (link,) = [lk for lk in state["links"] if lk["kind"] == kind and lk["j"] == j and lk.get("i") == i]
    x0, y0, x1, y1, x2, y2, x3, y3 = link["path"]
    t = 0.5  # the bezier's middle: (p0 + 3 p1 + 3 p2 + p3) / 8
    u = 1 - t
    x = u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3
    y = u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3
    box = page.locator(".st-key-network .appkit-stage-network").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.click(box["x"] + x, box["y"] + y)


def map_colours(page: Page) -> np.ndarray:
    m = page.evaluate(MAP_JS)
    return np.array(m["px"], dtype=int).reshape(-1, 4)[:, :3]


# --- a link with every new setting ---------------------------------------------------------------------------


def test_a_link_with_every_new_setting_restores_and_trains_the_scene(browser: Browser, app_url: str) -> None:
    query = "?" + "&".join(f"{k}={v}" for k, v in EVERY_SETTING.items())
    page = open_app(browser, app_url, query)
    assert query_of(page) == EVERY_SETTING  # the address bar keeps the link: it restores the same scene
    expect(page.locator("[data-testid='stAlert']")).to_have_count(0)  # no warning: every value was understood
    network = stage_state(page, "network")
    assert network["feats"] == ["x1^2", "x2^2", "x1*x2"] and network["act"] == "linear" and network["edit"]
    assert network["inputs"] == ["x1²", "x2²", "x1·x2"] and len(network["shown"]) == 3 * (3 + 2) + 1
    boundary = stage_state(page, "boundary")
    assert boundary["disc"] and not any("test" in name for name in boundary["traces"])  # Show test data: off

    button(page, "train").click()
    expect(status(page)).to_contain_text("Done: 200 iterations", timeout=2 * WAIT_MS)
    # 210 training points in batches of 16: 14 steps an epoch, 14 epochs done after 200 steps.
    expect(status(page)).to_contain_text("batch 16, epoch 14, learning rate 0.3")
    final = at_rest(page, "boundary", 200)
    np.testing.assert_array_equal(final["shown"], engine_run(EVERY_SETTING, [200]))  # exact: float64 as sent

    # Discretize: the map holds two colours (the classes'), besides the 0.5 line and its anti-aliased edge.
    colours = map_colours(page)
    orange, blue = np.array([0xF5, 0xA3, 0x5C]), np.array([0x6A, 0xA5, 0xF0])
    two = (np.abs(colours - orange).max(axis=1) <= 1) | (np.abs(colours - blue).max(axis=1) <= 1)
    assert two.mean() > 0.9, f"{1 - two.mean():.1%} of the map in other colours"
    assert (np.abs(colours - orange).max(axis=1) <= 1).any() and (np.abs(colours - blue).max(axis=1) <= 1).any()
    # Show test data on: the test points are drawn (and the link says so no more: it is the default).
    page.get_by_role("switch", name="Show test data").check(force=True)
    page.wait_for_function(f"() => ({STAGE_JS.strip()})('boundary')?.traces.some((name) => name.includes('test'))")
    page.wait_for_url(re.compile(r"^(?!.*showtest).*$"))
    page.guard.check()
    page.context.close()


# --- the sidebar and Regenerate ----------------------------------------------------------------------------------


def test_the_sidebar_controls_and_regenerate_change_the_run_and_the_url(browser: Browser, app_url: str) -> None:
    page = open_app(browser, app_url, "?iters=100")
    first_point = page.evaluate(f"() => Array.from({stage_js('boundary')}.static.arrays.tr.subarray(0, 2))")
    assert stage_state(page, "network")["inputs"] == ["x1", "x2"]

    # A feature pill: x1² joins x1, x2 as a third input node, in the URL too.
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="x1²").click()
    page.wait_for_url(re.compile(r"feat=x1%2Cx2%2Cx1%5E2|feat=x1,x2,x1\^2"))
    page.wait_for_function(f"() => ({STAGE_JS.strip()})('network')?.inputs.length === 3")
    assert stage_state(page, "network")["inputs"] == ["x1", "x2", "x1²"]
    expect(
        page.locator("[data-testid='stAlert']").filter(has_text="New network (feat x1,x2 → x1,x2,x1^2)")
    ).to_be_visible()

    # Batch size: a select box of full and powers of two up to the 500 samples.
    page.locator("[data-testid='stSidebar']").get_by_label("Batch size", exact=True).click()
    options = page.get_by_role("option")
    expect(options).to_have_text(["full", *map(str, (1, 2, 4, 8, 16, 32, 64, 128, 256))])
    options.filter(has_text=re.compile(r"^32$")).click()
    page.wait_for_url(re.compile(r"batch=32"))
    button(page, "step_one").click()
    expect(status(page)).to_contain_text("Paused at iteration 1 (batch 32, epoch 0, learning rate 0.3).")

    # Discretize: the map turns to two colours.
    page.get_by_role("switch", name="Discretize output").check(force=True)
    page.wait_for_url(re.compile(r"disc=1"))
    page.wait_for_function(f"() => ({STAGE_JS.strip()})('boundary')?.disc && ({STAGE_JS.strip()})('boundary').rest")
    colours = map_colours(page)
    corners = {tuple(colours[0]), tuple(colours[-1])}
    assert corners <= {(0xF5, 0xA3, 0x5C), (0x6A, 0xA5, 0xF0)}, corners

    # Regenerate: the next data seed, in the URL, and new points on the chart.
    button(page, "regenerate").click()
    page.wait_for_url(re.compile(r"dseed=1"))
    expect(page.locator("[data-testid='stAlert']").filter(has_text="New data (dseed 0 → 1)")).to_be_visible()
    page.wait_for_function(
        f"(old) => {{ const a = {stage_js('boundary')}?.static.arrays.tr; "
        "return !!a && (a[0] !== old[0] || a[1] !== old[1]); }",
        arg=first_point,
    )
    page.guard.check()
    page.context.close()


# --- editing a weight ----------------------------------------------------------------------------------------


def test_a_weight_typed_into_the_network_view_is_shown_continued_and_reproduced(
    browser: Browser, app_url: str, tmp_path: Path
) -> None:
    query = {
        "n": "200",
        "hidden": "3",
        "iters": "2000",
        "speed": "5",
        "batch": "32",
        "feat": "x1,x2,sin(x1)",
        "l1": "0.01",
    }  # fmt: skip  (5 steps an update: a click lands while it trains)
    page = open_app(browser, app_url, "?" + "&".join(f"{k}={v}" for k, v in query.items()))
    button(page, "step_one").click()
    at_rest(page, "network", 1)

    # Click the link sin(x1) -> h2 and type a value: the view shows it at once, and the session sets it.
    click_link(page, "w1", 2, 1)
    editor = page.locator(".appkit-stage-editor")
    expect(editor).to_contain_text("W1: sin x1 → h2")
    field = editor.get_by_role("textbox")
    field.fill("banana")
    field.press("Enter")
    expect(editor).to_contain_text("Type a number")  # nothing is sent
    field.fill("-2.5")
    field.press("Enter")
    expect(editor).to_have_count(0)
    expect(
        page.locator("[data-testid='stAlert']").filter(has_text="W1[1, 2] = -2.5 from iteration 1 on.")
    ).to_be_visible()
    edited = engine_run(query, [1, ("W1", (1, 2), -2.5)])
    page.wait_for_function(
        f"(p) => {{ const s = ({STAGE_JS.strip()})('boundary'); "
        "return s && s.rest && s.shown.every((v, k) => v === p[k]); }",
        arg=edited.tolist(),
    )
    expect(status(page)).to_contain_text("1 weight set by hand")

    # While training: the edit pauses the run where it stands; Resume goes on from the edited weights.
    button(page, "train").click()
    expect(status(page)).to_contain_text("Training", timeout=WAIT_MS)
    click_link(page, "w2", None, 0)
    editor.get_by_role("textbox").fill("1.75")
    editor.get_by_role("textbox").press("Enter")
    expect(status(page)).to_contain_text("Paused at iteration")
    paused_at = int(re.search(r"iteration ([\d,]+)", status(page).inner_text()).group(1).replace(",", ""))
    button(page, "step").click()  # one update's 5 steps, from the edited weights
    expect(status(page)).to_contain_text(f"Paused at iteration {paused_at + 5:,}")
    expect(status(page)).to_contain_text("2 weights set by hand")
    final = at_rest(page, "boundary", paused_at + 5)
    steps = [1, ("W1", (1, 2), -2.5), paused_at - 1, ("W2", (0, 0), 1.75), 5]
    np.testing.assert_array_equal(final["shown"], engine_run(query, steps))

    # The downloaded script reproduces it to the last digit.
    with page.expect_download() as download:
        button(page, "download_script").click()
    script = tmp_path / "twolayer_run.py"
    download.value.save_as(script)
    trainer = runpy.run_path(str(script), run_name="__main__")["trainer"]
    np.testing.assert_array_equal(flat(trainer.params), final["shown"])
    assert [tuple(e[:2]) for e in trainer.edits] == [(1, "W1"), (paused_at, "W2")]
    page.guard.check()
    page.context.close()


# --- screenshots -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_screenshots_of_the_features_scene_with_an_edited_weight(
    browser: Browser, app_url: str, width: int, height: int
) -> None:
    """The features scene's settings trained, the map discretized, test points held out and shown, the editor
    open on a link: looked at by eye."""
    query = "?data=circles&feat=x1%5E2,x2%5E2&hidden=1&lr=1&iters=1000&disc=1&test=0.3"
    page = open_app(browser, app_url, query, width, height)
    button(page, "train").click()
    expect(status(page)).to_contain_text("Done: 1,000 iterations", timeout=2 * WAIT_MS)
    at_rest(page, "network", 1000)
    assert stage_state(page, "network")["inputs"] == ["x1²", "x2²"]
    settle(page)
    click_link(page, "w1", 0, 0)
    expect(page.locator(".appkit-stage-editor")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"tf-controls-{width}x{height}.png"))
    page.guard.check()
    page.context.close()
