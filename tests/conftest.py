"""Fixtures shared by the AppTest suites."""

import pytest

from tests.support.apptest import Downloads


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    """What the app's download buttons give: `downloads.fetch(at, key)` -> (content, mimetype, file name)."""
    return Downloads(monkeypatch)
