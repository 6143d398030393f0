"""A minimal app around `appkit.stage.stage`: trains the default run live so the stage can be measured and looked at.

    streamlit run benchmarks/stage_demo.py     # then Train

The default run: make_moons(500, noise 0.2, random_state 0), 5 tanh units, He initialisation (seed 0),
learning rate 0.3, 5000 iterations, 313 steps per tick of an `@st.fragment(run_every=0.1)`, each tick
sending 4 states (3 snapshots + the final parameters). Query parameters change it for experiments:
units, activation, iterations, steps (per tick), snapshots (per tick), height, big=1, autostart=1.
"""

import streamlit as st

from appkit.stage import stage
from twolayer import Trainer
from twolayer.data import make_dataset
from twolayer.figures import plot_range

st.set_page_config(page_title="stage demo", layout="wide")

q = st.query_params
UNITS = int(q.get("units", 5))
ACTIVATION = q.get("activation", "tanh")
ITERATIONS = int(q.get("iterations", 5000))
STEPS = int(q.get("steps", 313))
SNAPSHOTS = max(1, int(q.get("snapshots", 4)))
HEIGHT = int(q.get("height", 520))
BIG = q.get("big") == "1"
TICK = 0.1


@st.cache_data
def dataset():
    return make_dataset("moons", 500, 0.2, random_state=0)


X, y = dataset()
AXES = plot_range(X)


def new_trainer() -> Trainer:
    return Trainer(X.T, y.reshape(1, -1), UNITS, 0.3, activation=ACTIVATION, init="he", random_state=0)


config = (UNITS, ACTIVATION)
if st.session_state.get("config") != config:
    st.session_state.update(config=config, trainer=new_trainer(), running=False, bytes=[])
if q.get("autostart") == "1" and "autostarted" not in st.session_state:
    st.session_state.update(autostarted=True, running=True)


def start() -> None:
    if st.session_state.trainer.iteration >= ITERATIONS:
        st.session_state.trainer = new_trainer()
    st.session_state.update(running=True, bytes=[])


def reset() -> None:
    st.session_state.update(trainer=new_trainer(), running=False, bytes=[])


left, right, _ = st.columns([1, 1, 8])
left.button("Train", on_click=start, disabled=st.session_state.running, key="train")
right.button("Reset", on_click=reset, key="reset")


@st.fragment(run_every=TICK if st.session_state.running else None)
def live() -> None:
    trainer = st.session_state.trainer
    snapshots = []
    running = st.session_state.running and trainer.iteration < ITERATIONS
    if running:
        todo = min(STEPS, ITERATIONS - trainer.iteration)
        parts = [todo * (k + 1) // SNAPSHOTS - todo * k // SNAPSHOTS for k in range(SNAPSHOTS)]
        parts = [n for n in parts if n > 0]
        for n in parts[:-1]:
            trainer.train(n)
            snapshots.append(trainer.snapshot())
        trainer.train(parts[-1])
    sent = stage(
        "stage",
        trainer.params,
        ACTIVATION,
        X,
        y,
        axes=AXES,
        snapshots=snapshots,
        iteration=trainer.iteration,
        height=HEIGHT,
        big=BIG,
        interval=TICK,
    )
    if running:
        st.session_state.bytes = [*st.session_state.bytes, sent]
    done = trainer.iteration >= ITERATIONS
    status = f"Done at iteration {trainer.iteration}" if done else f"Iteration {trainer.iteration} of {ITERATIONS}"
    st.caption(f"{status} · cost {trainer.history['cost'][-1]:.4f}" if trainer.iteration else status)
    if st.session_state.running and done:
        st.session_state.running = False
        st.rerun()  # a full rerun stops the fragment's timer


live()
