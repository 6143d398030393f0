"""The README says what the code does: its set-up commands are the ones CI and users run, and its table of
URL parameters is the one the settings table gives."""

import re
from pathlib import Path

from appkit.scenes import SCENES
from appkit.settings import url_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"^TEST_COMMAND='(.+)'$", ci, re.MULTILINE).group(1)
    assert f"\n{command}\n" in README


def test_readme_app_command_installs_the_requirements_and_runs_app_py():
    assert "pip install -r requirements.txt" in README and "streamlit run app.py" in README


def url_section() -> str:
    return README.split("\n## URL parameters\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_url_table_is_the_settings_table():
    tables = re.findall(r"^<!-- url-table -->\n(.*?)\n<!-- /url-table -->$", url_section(), re.MULTILINE | re.DOTALL)
    assert tables == [url_table()], "paste appkit.settings.url_table() between the url-table markers"


def test_the_readme_names_every_scene_and_presenter_mode():
    section = url_section()
    assert "`present=1`" in section and "`scene=<name>`" in section
    assert re.findall(r"`([a-z-]+)`[;, ]", section.split("`scene=<name>`", 1)[1]) == list(SCENES)
