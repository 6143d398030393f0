"""twolayer as a user gets it: a wheel built from the repository, installed by pip into a fresh virtual
environment that sees nothing but twolayer's declared dependencies. Shared by tests/test_packaging.py and
the reproducing script's test in tests/test_exports.py.

Fast and offline, without cheating on what is installed:
- the wheel is built from a copy of the repository's tracked files (as a clean clone has them, plus the
  working tree's twolayer/), by the project venv's setuptools without build isolation (nothing downloaded;
  and no build/ or *.egg-info left in the repository);
- the fresh venv (no system site-packages, no pip of its own) gets the distributions twolayer's wheel
  requires, and what those require in turn, from the project venv: a `.pth` file points at a folder holding
  links to exactly those distributions. Streamlit, plotly and the repository itself are not importable there;
- `pip --python <venv> install --no-index --find-links <wheel folder> twolayer` then installs the wheel and
  resolves its requirements against what that venv has, so a requirement the wheel declared but the folder
  lacks fails the install (and `pip check` must pass).
"""

import email.parser
import functools
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _run(*command) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def clean_copy(target: Path) -> Path:
    """The repository's tracked files and the working tree's twolayer/, copied to `target`."""
    tracked = _run("git", "-C", str(ROOT), "ls-files", "-z").split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "twolayer", target / "twolayer", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel` of `source` (no dependencies, no index, no build isolation) into `out`; the wheel's path."""
    _run(
        sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation", "-w", out, source
    )
    (wheel,) = out.glob("twolayer-*.whl")
    return wheel


def wheel_metadata(wheel: Path) -> email.message.Message:
    """The wheel's METADATA (Name, Requires-Dist, License-Expression, ...)."""
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(zf.read(name).decode())


def runtime_closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions that `requirements` (without extras) need, and what they need in turn."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra, or another platform's requirement
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen[name] = metadata.distribution(req.name)
        todo += [Requirement(r) for r in seen[name].requires or []]
    return list(seen.values())


def link_distributions(distributions: list[metadata.Distribution], folder: Path) -> None:
    """Links to each distribution's top-level entries (its packages, its .dist-info, its .libs) in `folder`."""
    folder.mkdir()
    for dist in distributions:
        base = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or []} - {"..", "__pycache__"}:
            if (base / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(base / top)


@functools.cache
def _installed(basetemp: Path) -> tuple[Path, Path]:
    work = basetemp / "installed-wheel"
    work.mkdir()
    wheel = build_wheel(clean_copy(work / "clone"), work / "dist")
    requirements = wheel_metadata(wheel).get_all("Requires-Dist") or []
    link_distributions(runtime_closure(requirements), work / "dependencies")

    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (purelib / "dependencies.pth").write_text(f"{work / 'dependencies'}\n")
    pip = [sys.executable, "-m", "pip", "--python", python]
    _run(*pip, "install", "-q", "--no-index", "--find-links", wheel.parent, "twolayer")
    _run(*pip, "check")
    return wheel, python


def installed_twolayer(basetemp: Path) -> tuple[Path, Path]:
    """(the wheel, the fresh venv's python with it installed); built once per test session (per basetemp)."""
    return _installed(Path(basetemp))


def outside_environment() -> dict[str, str]:
    """This environment without anything that would put the repository on a Python path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, "PYTHONNOUSERSITE": "1"}
