"""`pip install .` gives the twolayer library alone, with numpy and scikit-learn: built into a wheel from a
clean copy of the repository and installed into a fresh venv (tests/support/installed_wheel.py), it trains the
tutorial's run from a folder outside the repository without Streamlit anywhere. The requirements files and
pyproject.toml agree, and the constraints file pins every one of them."""

import json
import re
import subprocess
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support import plain_tutorial
from tests.support.installed_wheel import installed_twolayer, outside_environment, wheel_metadata

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# The tutorial's run, as a user writes it (README "The library"), reporting where everything came from.
TUTORIAL_RUN = """
import importlib, importlib.util, json, pkgutil, sys
import numpy as np, sklearn.datasets, twolayer

X, Y = sklearn.datasets.make_moons(n_samples=500, noise=0.2, random_state=0)
X, Y = X.T, Y.reshape(1, Y.shape[0])  # the tutorial's shapes: (2, m), (1, m)
params, costs = twolayer.fit(X, Y, 0.3, 5, 5000, random_state=0)
modules = [importlib.import_module(m.name).__name__ for m in pkgutil.iter_modules(twolayer.__path__, "twolayer.")]
print(json.dumps({
    "twolayer": twolayer.__file__,
    "modules": modules,
    "costs": [float(c) for c in costs],
    "params": {name: value.tolist() for name, value in params.items()},
    "streamlit_imported": "streamlit" in sys.modules,
    "importable": [m for m in ("streamlit", "plotly", "appkit", "pages") if importlib.util.find_spec(m)],
}))
"""


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(twolayer's wheel, the python of a fresh venv with it installed by pip)."""
    return installed_twolayer(tmp_path_factory.getbasetemp())


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_the_wheel_holds_the_library_its_licence_and_nothing_else(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        info = f"twolayer-{PYPROJECT['project']['version']}.dist-info"
        licence = zf.read(f"{info}/licenses/LICENSE").decode()
    assert tops == {"twolayer", info}
    assert licence == (ROOT / "LICENSE").read_text() and licence.startswith("MIT License")
    meta = wheel_metadata(wheel)
    assert meta["License-Expression"] == "MIT"
    required = {canonicalize_name(Requirement(r).name): Requirement(r) for r in meta.get_all("Requires-Dist")}
    runtime = {name for name, r in required.items() if r.marker is None}
    app = {name for name, r in required.items() if r.marker and r.marker.evaluate({"extra": "app"})}
    assert runtime == {"numpy", "scikit-learn"}
    assert app - runtime == {"streamlit", "plotly", "threadpoolctl"}


def test_the_installed_library_trains_the_tutorials_run_from_another_folder(installed, tmp_path):
    _, python = installed
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert not folder.is_relative_to(ROOT)
    done = subprocess.run(  # noqa: S603 - the fresh venv's python, our own program
        [python, "-c", TUTORIAL_RUN], cwd=folder, env=outside_environment(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    venv = python.parents[1]
    assert Path(got["twolayer"]).is_relative_to(venv), "twolayer must come from the installed wheel"
    assert got["streamlit_imported"] is False and got["importable"] == []
    # Every module of the package imported there, where Streamlit is not even installed.
    assert sorted(got["modules"]) == sorted(f"twolayer.{p.stem}" for p in (ROOT / "twolayer").glob("[!_]*.py"))

    # The same run in this process (the repository's twolayer, written out plainly as the tutorial does).
    import sklearn.datasets

    X, Y = sklearn.datasets.make_moons(n_samples=500, noise=0.2, random_state=0)
    plain_params, plain_costs = plain_tutorial.fit(X.T, Y.reshape(1, -1), 0.3, 5, 5000, random_state=0)
    assert len(got["costs"]) == 5000
    np.testing.assert_allclose(got["costs"], plain_costs, rtol=1e-12, atol=0)
    for name, value in plain_params.items():
        np.testing.assert_allclose(got["params"][name], value, rtol=1e-9, atol=1e-12)
    assert got["costs"][-1] < got["costs"][0] / 5  # it learned: 0.60 -> 0.075 in the tutorial


def test_pyproject_and_requirements_txt_name_the_same_ranges():
    project = PYPROJECT["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["app"]
    assert sorted(map(str, map(Requirement, declared))) == sorted(
        map(str, map(Requirement, requirement_lines(ROOT / "requirements.txt")))
    )
    assert PYPROJECT["tool"]["setuptools"]["packages"] == ["twolayer"]


def test_constraints_pin_every_requirement_inside_its_range():
    pins = {}
    for line in requirement_lines(ROOT / "constraints.txt"):
        name, version = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line).groups()
        pins[canonicalize_name(name)] = version
    assert "twolayer" not in pins
    for path in ("requirements.txt", "requirements-dev.txt"):
        for line in requirement_lines(ROOT / path):
            req = Requirement(line)
            name = canonicalize_name(req.name)
            assert name in pins, f"constraints.txt does not pin {req.name} ({path})"
            assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {req}"
