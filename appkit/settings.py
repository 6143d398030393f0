"""Every control of the playground as one value, its allowed choices, and its URL form.

Pure Python (no Streamlit), so the URL parsing can be tested on its own, hostile input included.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from twolayer.activations import ACTIVATIONS
from twolayer.data import DATASETS

LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
ITERATIONS = (100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)
L2_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
SPEEDS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # steps per update; 0 = auto
AUTO_UPDATES = 16  # "auto" speed: a run takes about this many chart updates (>= 10 frames, <= 4 s)
INITS = ("he", "small")
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Settings:
    """The playground's controls. The defaults reproduce the tutorial's run."""

    dataset: str = "moons"  # make_moons, as the tutorial
    noise: float = 0.2  # make_moons(noise=.2)
    samples: int = 500  # make_moons(n_samples=500)
    learning_rate: float = 0.3  # fit(X, Y, 0.3, 5, 5000)
    hidden_size: int = 5
    iterations: int = 5000
    test_share: float = 0.0  # the tutorial trains on all its data
    activation: str = "tanh"
    init: str = "he"  # He initialisation, the tutorial's choice
    l2: float = 0.0
    data_seed: int = 0
    init_seed: int = 0
    speed: int = 0  # steps per chart update; 0 = auto

    def steps_per_update(self) -> int:
        return self.speed or max(1, math.ceil(self.iterations / AUTO_UPDATES))

    def data_key(self) -> tuple:
        """What the data depends on: a change means new data and a fresh run."""
        return (self.dataset, self.noise, self.samples, self.test_share, self.data_seed)

    def model_key(self) -> tuple:
        """What the network's shape and start depend on: a change means a fresh run."""
        return (self.hidden_size, self.activation, self.init, self.l2, self.init_seed)


DEFAULTS = Settings()

# URL name -> field. Short names keep shared links readable.
URL_NAMES = {
    "data": "dataset",
    "noise": "noise",
    "n": "samples",
    "lr": "learning_rate",
    "hidden": "hidden_size",
    "iters": "iterations",
    "test": "test_share",
    "act": "activation",
    "init": "init",
    "l2": "l2",
    "dseed": "data_seed",
    "iseed": "init_seed",
    "speed": "speed",
}
FIELD_URL_NAMES = {field: name for name, field in URL_NAMES.items()}

NUMERIC_RANGES = {  # field -> (low, high, step) for sliders and the URL
    "noise": (0.0, 0.5, 0.05),
    "samples": (50, 5000, 50),
    "hidden_size": (1, 64, 1),
    "test_share": (0.0, 0.9, 0.05),
    "data_seed": (0, MAX_SEED, 1),
    "init_seed": (0, MAX_SEED, 1),
}
UPLOAD = "upload"  # the dataset name for the user's own CSV (issue: "Your own data")
CHOICES = {  # field -> allowed values
    "dataset": (*DATASETS, UPLOAD),
    "activation": tuple(ACTIVATIONS),
    "init": INITS,
    "learning_rate": LEARNING_RATES,
    "iterations": ITERATIONS,
    "l2": L2_RATES,
    "speed": SPEEDS,
}


def _short(text: str, limit: int = 40) -> str:
    """The user's text, quoted and cut short, as a Markdown code span: shown as typed, never as a link,
    an image or formatting (the playground shows the warnings with st.warning, which renders Markdown)."""
    text = repr(text)
    return markdown_code(text if len(text) <= limit else text[: limit - 1] + "…")


def markdown_code(text: str) -> str:
    """`text` as a Markdown code span, fenced with more backticks than any run of them inside."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def parse_value(field: str, raw: str):
    """One URL value for `field`, checked; raises ValueError with a message for the user."""
    default = getattr(DEFAULTS, field)
    if field in ("dataset", "activation", "init"):
        if raw not in CHOICES[field]:
            raise ValueError(f"must be one of {', '.join(CHOICES[field])}")
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    if field in CHOICES:  # a slider with fixed stops: only those values
        matches = [c for c in CHOICES[field] if math.isclose(c, number, rel_tol=1e-9, abs_tol=1e-12)]
        if not matches:
            raise ValueError(f"must be one of {', '.join(f'{c:g}' for c in CHOICES[field])}")
        return matches[0]
    low, high, step = NUMERIC_RANGES[field]
    if not low <= number <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    if isinstance(default, int):
        if number != int(number):
            raise ValueError("must be a whole number")
        return int(number)
    return round(round(number / step) * step, 10)  # snap to the slider's step


def from_query(query: Mapping[str, str | list[str]]) -> tuple[Settings, list[str]]:
    """Settings from URL query parameters, and a warning for each value that was not usable.

    Unknown names are reported too; every bad value falls back to its default.
    """
    values, warnings = {}, []
    for name, raw in query.items():
        if isinstance(raw, list):
            raw = raw[-1] if raw else ""
        field = URL_NAMES.get(name)
        if field is None:
            if name not in IGNORED_URL_NAMES:
                warnings.append(f"Ignored the unknown URL parameter {_short(name)}.")
            continue
        try:
            values[field] = parse_value(field, str(raw).strip())
        except ValueError as error:
            warnings.append(
                f"URL parameter {name}={_short(str(raw))} {error}; using the default {getattr(DEFAULTS, field)}."
            )
    return replace(DEFAULTS, **values), warnings


# Parameters other pages put in the URL; the playground leaves them alone.
IGNORED_URL_NAMES = {"present", "scene"}


def to_query(settings: Settings) -> dict[str, str]:
    """URL parameters for the settings that differ from the defaults (short links)."""
    query = {}
    for field in fields(Settings):
        value = getattr(settings, field.name)
        if value != getattr(DEFAULTS, field.name):
            query[FIELD_URL_NAMES[field.name]] = _url_text(value)
    return query


def _url_text(value) -> str:
    """Exact text for a value: integers in full (a seed of 1234567 must not become 1.23457e+06)."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) else f"{value:g}"


def describe_change(old: Settings, new: Settings) -> str:
    """'lr 0.3 → 1, hidden 5 → 8': what differs, for ghost-run labels and notes."""
    parts = []
    for field in fields(Settings):
        a, b = getattr(old, field.name), getattr(new, field.name)
        if a != b and field.name != "speed":
            parts.append(f"{FIELD_URL_NAMES[field.name]} {_url_text(a)} → {_url_text(b)}")
    return ", ".join(parts)


def as_dict(settings: Settings) -> dict:
    return asdict(settings)
