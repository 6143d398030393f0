"""Fixtures shared by the AppTest suites."""

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage


@pytest.fixture
def media(monkeypatch) -> dict[str, tuple[bytes, str, str | None]]:
    """Every file the app hands to Streamlit's media storage: file id -> (data, mimetype, file name)."""
    files = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        files[file_id] = (path_or_data, mimetype, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return files
