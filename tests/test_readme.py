"""The README says what the code does: its set-up commands are the ones CI and users run (with the pinned
versions), its table of URL parameters is the one the settings table gives, the talk section links every
scene, and the library's example prints what its comment says."""

import contextlib
import io
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
    assert "pip install -q -r requirements-dev.txt -c constraints.txt" in command  # the versions the suite passed with


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


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def scene_links() -> str:
    """The talk section's table: a presenter-mode link per scene of appkit.scenes, with its caption."""
    rows = ["| scene | link | what it shows |", "|---|---|---|"]
    for name, scene in SCENES.items():
        link = f"[`?present=1&scene={name}`](http://localhost:8501/?present=1&scene={name})"
        rows.append(f"| {scene.title} | {link} | {scene.caption} |")
    return "\n".join(rows)


def test_prepare_your_talk_links_every_scene_and_says_how_to_run_offline():
    talk = section("Prepare your talk")
    tables = re.findall(r"^<!-- scene-links -->\n(.*?)\n<!-- /scene-links -->$", talk, re.MULTILINE | re.DOTALL)
    assert tables == [scene_links()], "paste tests.test_readme.scene_links() between the scene-links markers"
    assert "`?present=1`" in talk and "(#url-parameters)" in talk
    assert "--server.address 127.0.0.1" in talk and "--no-index --find-links" in talk


def test_the_library_example_prints_what_its_comment_says():
    code = re.search(r"```python\n(.*?)```", section("The library"), re.DOTALL).group(1)
    expected = re.search(r"print\(.*\)  # (.*)$", code, re.MULTILINE).group(1).split()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {})  # noqa: S102 - the README's own example
    printed = out.getvalue().split()
    assert len(printed) == len(expected)
    for value, shown in zip(printed, expected, strict=True):
        assert value.startswith(shown.rstrip(".")), (value, shown)
