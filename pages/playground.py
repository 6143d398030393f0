"""Playground: train the network live; the cost falls on the left while the boundary bends on the right."""

import time

import streamlit as st

from appkit import controls, run_view, server_load, session
from appkit.runstate import DONE, PAUSED, READY, RUNNING
from appkit.scenes import SCENES
from appkit.settings import UPLOAD
from appkit.tick_share import TICK_SECONDS, UPDATES_PER_TICK

# When a tick ends later than its interval, the browser's timer has already asked for the next one, and
# Streamlit drops the finished tick's messages that are not sent yet as the next run starts (the fragment's
# queued deltas): on a loaded machine 13 of 25 updates were lost with < 5 ms between ticks, 1 of 132 with 20 ms
# (issue 10's fairness benchmark, the server's sends logged). Each tick therefore ends with a short wait,
# which lets the server's event loop send it; it costs no CPU and fits in the interval when ticks are quick.
SEND_SECONDS = 0.02
RETIME_SECONDS = 0.5  # a running session re-times its ticks (a full rerun) at most this often
# With the auto speed, at most this much training per update: big runs (50,000 x 5,000 x 64) stay responsive (Pause
# waits one 0.05 s chunk at most), and a tick's drawing (~0.04 s, two updates' worth: 0.5 s of training) costs them
# under a tenth of their speed.
TICK_BUDGET = 0.25
# Less empty space above the title, so charts and metrics fit a 1280x800 laptop screen. (The metrics row sizes
# itself: appkit/stage/metric_strip.js.) And the notes (a link's warnings, a refused change, what a change did, a
# divergence) float over the bottom-right corner instead of taking a row above the charts, so they never shift
# them; after 12 s a note slides aside, leaving its icon at the edge, and comes back while the pointer is over
# it. Their container's wrapper (empty once the notes float) is taken out of the flow too: in it, it still added
# the column's 1 rem gap.
COMPACT_CSS = """<style>
[data-testid='stMainBlockContainer'] {padding-top: 2.5rem; padding-bottom: 1rem}
.st-key-notes {position: fixed; right: 1rem; bottom: 1rem; z-index: 1000; width: min(30rem, calc(100vw - 2rem));
  gap: 0.5rem}
[data-testid='stLayoutWrapper']:has(> .st-key-notes) {position: absolute}
.st-key-notes [data-testid='stAlert'] {background-color: var(--st-background-color, #fff); border-radius: 0.5rem;
  box-shadow: 0 4px 18px rgba(0, 0, 0, 0.25); animation: appkit-note-aside 0.6s ease-in 12s forwards}
.st-key-notes:hover [data-testid='stAlert'] {animation: none}
@keyframes appkit-note-aside {to {transform: translateX(calc(100% - 2.6rem)); opacity: 0.9}}
</style>"""
# Presenter mode: larger buttons for the back of the room (and metrics: metric_strip's `big`). On a 1024 px
# projector the scene and control buttons pack closer, so each row stays one row and the charts fit the screen.
BIG_CSS = """<style>
[data-testid='stMainBlockContainer'] {padding-top: 3.75rem}
[data-testid='stMainBlockContainer'] button p {font-size: clamp(0.95rem, 1.05vw, 1.25rem); white-space: normal}
[data-testid='stCaptionContainer'] p {font-size: clamp(1rem, 1.1vw, 1.25rem)}
@media (max-width: 1100px) {
  .st-key-scenes, .st-key-controls {gap: 0.45rem}
  .st-key-scenes button, .st-key-controls button {padding-left: 0.6rem; padding-right: 0.6rem}
}
</style>"""


def scene_row(s: session.Session) -> None:
    with st.container(horizontal=True, key="scenes"):  # buttons at their own width, wrapping on narrow screens
        for name, scene in SCENES.items():
            st.button(scene.title, key=f"scene-{name}", on_click=s.start_scene, args=(name,))


def run_controls(s: session.Session, present: bool) -> None:
    run = s.current_run()
    row = st.container(horizontal=True, vertical_alignment="center", key="controls")  # no label is ever cut
    play = step = one = reset = clear = status = row
    if run.status == RUNNING:
        play.button("Pause", key="pause", icon=":material/pause:", on_click=s.pause, width="content")
    elif run.status == DONE:
        more = run.settings.iterations
        play.button(
            f"Train {more:,} more", key="more", icon=":material/fast_forward:", on_click=s.more, args=(more,),
            type="primary", width="content", help="Go on from here: the same as one longer run.",
        )  # fmt: skip
    else:
        label = "Resume" if run.status == PAUSED else "Train"
        play.button(
            label, key="train", icon=":material/play_arrow:", on_click=s.train, type="primary", width="content",
            disabled=run.status not in (READY, PAUSED),
        )  # fmt: skip
    can_step = run.status in (READY, PAUSED, DONE)
    n = run.settings.steps_per_update()
    step.button(
        "Step", key="step", icon=":material/skip_next:", on_click=s.step, args=(n,), disabled=not can_step,
        help=f"Train {n:,} steps: one chart update's worth", width="content",
    )  # fmt: skip
    one.button("+1", key="step_one", on_click=s.step, args=(1,), disabled=not can_step, help="Train exactly one step")
    reset.button(
        "Reset", key="reset", icon=":material/restart_alt:", on_click=s.reset, width="content",
        disabled=run.iteration == 0 and run.status != RUNNING, help="Start again with the same seeds",
    )  # fmt: skip
    seed = s.settings.data_seed
    row.button(
        "Regenerate", key="regenerate", icon=":material/refresh:", on_click=s.regenerate, width="content",
        disabled=s.settings.dataset == UPLOAD, help=f"New points: data seed {seed} → {session.next_seed(seed)}",
    )  # fmt: skip
    clear.button(
        "Clear ghosts", key="clear_ghosts", on_click=s.clear_ghosts, disabled=not s.ghosts, width="content",
        help="Remove the faded cost curves of earlier runs",
    )  # fmt: skip
    status.caption(run_view.status_text(run, present))


def live_view(s: session.Session, run_every: float | None, big: bool) -> None:
    """The part that redraws on every tick. Its elements keep their places in every state, so the
    charts are never remounted (a remount would blank them and lose the user's zoom)."""

    @st.fragment(run_every=run_every)
    def view() -> None:
        if s.page_stale:  # the run ended, or a weight was set on the stage (this fragment's component): a full run
            st.rerun()
        run = s.current_run()
        if run.status == RUNNING:
            run.tick(run.tick_steps(TICK_BUDGET * UPDATES_PER_TICK, UPDATES_PER_TICK), UPDATES_PER_TICK)
            if run.status != RUNNING:
                s.finished(run)
                s.page_stale = True  # should this rerun be lost, the timer's next tick asks for it again
                st.rerun()  # finished or diverged: redraw the buttons and stop the timer
            if run_every and retime_due(s, run_every, server_load.tick_seconds(TICK_SECONDS, run)):
                st.rerun()  # other sessions started or stopped training: a new timer for this one
        run_view.charts(run, s.ghosts, big, interval=run_every or TICK_SECONDS, on_edit=s.edit_weight)
        run_view.downloads(run)  # in the fragment: a tick that follows the final rerun draws it again
        if run.status == RUNNING and run_every:
            time.sleep(SEND_SECONDS)  # let the server send this tick's update before the next tick can start

    view()


def retime_due(s: session.Session, current: float, wanted: float) -> bool:
    """Whether this session's tick timer is far enough off the server's load to be set again (a full
    rerun), and was not just set."""
    if max(current, wanted) / min(current, wanted) < 1.5:
        return False
    now = time.monotonic()
    if now - s.timed_at < RETIME_SECONDS:
        return False
    s.timed_at = now
    return True


def main() -> None:
    session.ensure_app("pages/playground.py")
    s = session.current()
    s.page_stale = False  # this run draws the whole page
    settings, present = controls.sidebar(s)
    s.set_presenter(present)
    run = s.apply(settings)
    if s.widgets_stale:
        st.rerun()  # the change could not be made (s.error says why): the widgets go back
    session.sync_url(s)
    st.html(COMPACT_CSS + (BIG_CSS if present else ""))
    if present:
        scene_row(s)
    else:
        st.markdown("#### Watch a two-layer network learn")
    with st.container(key="notes"):  # one element whatever it holds, floating (COMPACT_CSS)
        for warning in s.warnings:
            st.warning(warning, icon=":material/link:")
        if s.error:
            st.error(s.error, icon=":material/error:")
        if s.note:  # until the next change
            st.info(s.note, icon=":material/info:")
        if run.error:  # a divergence: the run's end is a full run of the page
            st.error(run.error, icon=":material/warning:")
    run_controls(s, present)
    # Outside the ticks: the labels change only with a full run (a new budget, a stop); the numbers come with
    # the boundary stage's updates, so a tick sends nothing for them.
    run_view.metrics_row(run, present)
    run_every = None
    if run.status == RUNNING:  # the tick timer, set afresh by every full run
        s.timed_at = time.monotonic()
        run_every = server_load.tick_seconds(TICK_SECONDS, run)
    live_view(s, run_every, big=present)


main()
