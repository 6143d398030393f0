"""The session's log of runs, for the Compare page: settings and final numbers of each."""

from dataclasses import asdict

from .build import Upload
from .runstate import Run
from .settings import UPLOAD

MAX_RECORDS = 50  # a session keeps its last 50 runs: its memory stays bounded however long it plays


def record(run: Run, upload: Upload | None) -> dict:
    """One row: the run's number, every setting, its final numbers, and its curve and parameters.
    A run on uploaded data names the file and its rows instead of the generator's noise and samples."""
    settings = asdict(run.settings)
    if run.settings.dataset == UPLOAD and upload is not None:
        settings |= {"dataset": f"upload: {upload.name}", "noise": None, "samples": upload.rows}
    return {
        "run": run.serial,
        **settings,
        "learning rates": run.learning_rates,
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
