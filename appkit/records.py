"""The session's log of runs, for the Compare page: settings and final numbers of each."""

import itertools
from dataclasses import asdict

from .runstate import Run

_serials = itertools.count(1)


def new_serial() -> int:
    return next(_serials)


def record(run: Run) -> dict:
    """One row: the run's number, every setting, its final numbers, and its curve and parameters."""
    return {
        "run": run.serial,
        **asdict(run.settings),
        "learning rates": " → ".join(f"{lr:g}" for _, lr in run.lr_schedule),
        **run.summary(),
        "costs": run.trainer.history["cost"].copy(),
        "test_costs": run.trainer.history.get("test_cost"),
        "params": run.trainer.params,
        "data": run.data,
    }


TABLE_COLUMNS = (
    "run",
    "dataset",
    "noise",
    "samples",
    "test_share",
    "hidden_size",
    "activation",
    "init",
    "l2",
    "learning rates",
    "iteration",
    "train cost",
    "test cost",
    "train accuracy",
    "test accuracy",
    "seconds",
    "status",
)


def table_rows(records: list[dict]) -> list[dict]:
    """The records without their arrays, in the table's column order."""
    return [{column: r[column] for column in TABLE_COLUMNS} for r in records]
