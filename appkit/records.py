"""The session's log of runs, for the Compare page: settings and final numbers of each."""

from dataclasses import asdict

import numpy as np

from .build import Upload
from .runstate import Run
from .settings import UPLOAD

MAX_RECORDS = 50  # a session keeps its last 50 runs: its memory stays bounded however long it plays
MAX_CURVE_POINTS = 2000  # a record's cost curves are thinned to this many points (a run may have 50,000 steps)


def record(run: Run, upload: Upload | None) -> dict:
    """One row: the run's number, every setting, its final numbers, its thinned curves and parameters.
    A run on uploaded data names the file and its rows instead of the generator's noise and samples."""
    settings = asdict(run.settings)
    if run.settings.dataset == UPLOAD and upload is not None:
        settings |= {"dataset": f"upload: {upload.name}", "noise": None, "samples": upload.rows}
    return {
        "run": run.serial,
        **settings,
        "learning rates": run.learning_rates,
        "edited weights": len(run.edits),  # weights set by hand on the stage
        "edits": run.edits,
        **run.summary(),
        **curve("cost", run.trainer.history.get("cost")),
        **curve("test_cost", run.trainer.history.get("test_cost")),
        "params": run.trainer.params,  # a copy, a few floats
        "data": run.data,  # the run's own arrays, shared by every run on the same data (not a copy)
    }


def curve(name: str, values) -> dict:
    """A history's curve as a record keeps it: "<name>s" its values at up to MAX_CURVE_POINTS evenly spaced
    steps (exact, the last one kept; a copy, not a view that would hold the trainer's whole buffer) and
    "<name>_iterations" those steps; None for both without it."""
    if values is None:
        return {f"{name}s": None, f"{name}_iterations": None}
    index = np.unique(np.rint(np.linspace(0, len(values) - 1, min(len(values), MAX_CURVE_POINTS))).astype(np.int64))
    return {f"{name}s": np.array(values[index]), f"{name}_iterations": index}


TABLE_COLUMNS = (
    "run",
    "dataset",
    "noise",
    "samples",
    "test_share",
    "hidden_size",
    "features",
    "activation",
    "init",
    "batch_size",
    "l1",
    "l2",
    "learning rates",
    "edited weights",
    "iteration",
    "train cost",
    "test cost",
    "train accuracy",
    "test accuracy",
    "seconds",
    "status",
)


def table_rows(records: list[dict]) -> list[dict]:
    """The records without their arrays, in the table's column order: features as "x1, x2", a batch size of 0
    as "full"."""
    shown = {"features": ", ".join, "batch_size": lambda b: str(b) if b else "full"}
    return [{c: shown[c](r[c]) if c in shown else r[c] for c in TABLE_COLUMNS} for r in records]
