"""Fixtures shared by the AppTest suites."""

import pytest

import appkit.sweep
from tests.support.apptest import Downloads


@pytest.fixture(autouse=True)
def no_sweep_warm_up(monkeypatch):
    """The Sweep page trains its default grid ahead as it opens (appkit.sweep.warm_up), on a thread of its own:
    off in the tests, whose sweeps and CPU counts would otherwise meet it; tests of the warm-up turn it on."""
    monkeypatch.setattr(appkit.sweep, "WARM_UP", False)


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    """What the app's download buttons give: `downloads.fetch(at, key)` -> (content, mimetype, file name)."""
    return Downloads(monkeypatch)
