"""Every control of the playground, declared once: its type, allowed values, default, URL name, label
and help. The sidebar, URL parsing and its warnings, the checks that make a settings value safe to
write into a script, and the README's table of URL parameters are all read off `FIELDS`.

Pure Python (no Streamlit), so the URL parsing can be tested on its own, hostile input included.
"""

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from twolayer.activations import ACTIVATIONS
from twolayer.data import DATASETS, MAX_NOISE, MAX_TEST_SHARE
from twolayer.features import DEFAULT_FEATURES, FEATURES
from twolayer.network import INITIALISATIONS
from twolayer.validation import MAX_SEED  # one bound for every seed, the engine's

UPLOAD = "upload"  # the dataset name for the user's own CSV (the Your data page)
AUTO_UPDATES = 16  # "auto" speed: a run takes about this many chart updates (>= 10 frames, <= 4 s)
MAX_URL_WARNINGS = 5  # more bad URL parameters are summed up in one line
MAX_URL_TEXT = 200  # a URL value longer than this is refused before it is parsed
BOOL_TEXT = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}
BATCH_SIZES = (0, *(2**k for k in range(13)))  # 0 = the full batch; powers of two up to 4,096 (< 5,000 samples)


@dataclass(frozen=True)
class Settings:
    """The playground's controls. The defaults reproduce the tutorial's run."""

    dataset: str = "moons"  # make_moons, as the tutorial
    noise: float = 0.2  # make_moons(noise=.2)
    samples: int = 500  # make_moons(n_samples=500)
    discretize: bool = False  # the map in two colours (P > 0.5 or not) instead of shades
    show_test: bool = True  # draw the test points (when there is a test share)
    learning_rate: float = 0.3  # fit(X, Y, 0.3, 5, 5000)
    hidden_size: int = 5
    iterations: int = 5000
    batch_size: int = 0  # points per gradient step; 0 = the full batch, as the tutorial
    features: tuple = DEFAULT_FEATURES  # the network's inputs, computed from (x1, x2); the tutorial's: the point
    test_share: float = 0.0  # the tutorial trains on all its data
    activation: str = "tanh"
    init: str = "he"  # He initialisation, the tutorial's choice
    l1: float = 0.0
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
        return (
            self.hidden_size, self.activation, self.init, self.l1, self.l2, self.init_seed, self.batch_size,
            self.features,
        )  # fmt: skip


DEFAULTS = Settings()


@dataclass(frozen=True)
class Field:
    """One setting: what it may hold and how users see it.

    A field has either `choices` (a fixed list: a select box, radio or a slider with stops) or a range
    `low`..`high` in steps of `step` (a slider or a number box). `kind` is the Python type of its value:
    bool for a toggle (choices False, True), tuple for a non-empty subset of `choices` in their order.
    """

    name: str  # the Settings attribute
    url: str  # its URL parameter: short, so shared links stay readable
    kind: type
    label: str
    help: str
    group: str  # "Data", "Network" or "Advanced": where the sidebar puts it
    widget: str  # "select", "radio", "stops" (select_slider), "slider", "number", "toggle" or "pills" (a subset)
    choices: tuple = ()
    low: float = 0
    high: float = 0
    step: float = 1
    names: Mapping | None = None  # value -> what the widget shows, for choices

    @property
    def default(self):
        return getattr(DEFAULTS, self.name)

    def show(self, value) -> str:
        """A value as the widget shows it."""
        if self.names and value in self.names:
            return self.names[value]
        if self.name == "speed":
            return "auto" if value == 0 else f"{value:,} steps/update"
        if self.name == "iterations":
            return f"{value:,}"
        if self.kind is bool:
            return "on" if value else "off"
        if self.kind is tuple:
            return ", ".join(value)
        return url_text(value)

    def allowed(self) -> str:
        """What the field accepts, in words (for messages and the README)."""
        if self.kind is bool:
            return "1 (on) or 0 (off)"
        if self.kind is tuple:
            return "one or more of " + ", ".join(self.choices) + " in this order (in a URL: comma-separated)"
        if self.choices:
            shown = self.names if self.names and self.kind is not str else {}  # batch: "full" for 0
            return "one of " + ", ".join(shown.get(c, url_text(c)) for c in self.choices)
        kind = "a whole number" if self.kind is int else "a number"
        return f"{kind} from {url_text(self.low)} to {url_text(self.high)}"

    def check(self, value):
        """`value` as a plain int, float or str if the field allows it; ValueError otherwise."""
        if self.kind is bool:
            if type(value) is not bool:
                raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.40}")
            return value
        if self.kind is tuple:  # a non-empty subset of the choices, in their order
            ok = type(value) is tuple and value and all(type(v) is str for v in value)
            if not ok or value != tuple(c for c in self.choices if c in value):
                raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.60}")
            return value
        if self.kind is str:
            # type(...) is str: a str subclass could override __repr__ and escape a script's string literal.
            if type(value) is not str or value not in self.choices:
                raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.40}")
            return value
        try:
            number = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        except OverflowError:  # an int too large for a float (10**400): outside every range
            number = False
        if not number or (self.kind is int and value != int(value)):
            raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.40}")
        value = self.kind(value)
        if self.choices and not any(math.isclose(value, c, rel_tol=1e-9, abs_tol=1e-12) for c in self.choices):
            raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.40}")
        if not self.choices and not self.low <= value <= self.high:
            raise ValueError(f"{self.name} must be {self.allowed()}; got {value!r:.40}")
        return value

    def parse(self, raw: str):
        """One URL value, checked and snapped to the widget's step; ValueError with a message for the user."""
        if len(raw) > MAX_URL_TEXT:
            raise ValueError("is too long")
        if self.kind is bool:
            if raw.lower() not in BOOL_TEXT:
                raise ValueError(f"must be {self.allowed()}")
            return BOOL_TEXT[raw.lower()]
        if self.kind is tuple:
            named = [part.strip() for part in raw.split(",")]
            if any(part not in self.choices for part in named) or not raw.strip():
                raise ValueError(f"must be {self.allowed()}")
            return tuple(c for c in self.choices if c in named)  # in the table's order, each once
        if self.names and raw in self.names.values() and self.kind is not str:  # batch=full
            return next(value for value, shown in self.names.items() if shown == raw)
        if self.kind is str:
            if raw not in self.choices:
                raise ValueError(f"must be {self.allowed()}")
            return raw
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        if self.choices:  # fixed stops: only those values
            matches = [c for c in self.choices if math.isclose(c, number, rel_tol=1e-9, abs_tol=1e-12)]
            if not matches:
                raise ValueError(f"must be {self.allowed()}")
            return matches[0]
        if not self.low <= number <= self.high:
            raise ValueError(f"must be between {url_text(self.low)} and {url_text(self.high)}")
        if self.kind is int:
            if number != int(number):
                raise ValueError("must be a whole number")
            return int(number)
        return round(round(number / self.step) * self.step, 10)  # snap to the slider's step

    def from_widget(self, value):
        """A widget's value as this field's setting; ValueError with a message for the user otherwise. A client
        can send any value for a widget's key, so it is checked as a URL value is, and must read back unchanged
        from its URL text: a value off a slider's steps would write a link that reloads as another setting."""
        try:
            value = self.check(value)
        except ValueError:
            raise ValueError(f"must be {self.allowed()}") from None
        again = self.parse(url_text(value))
        if again != value and not (self.kind is float and math.isclose(again, value, rel_tol=1e-9, abs_tol=1e-12)):
            raise ValueError(f"must be on the slider's steps of {url_text(self.step)}")
        return again


DATASET_NAMES = {"moons": "Moons", "circles": "Circles", "xor": "XOR", "gaussian": "Gaussian", "spiral": "Spiral"}
ACTIVATION_NAMES = {"tanh": "tanh (the tutorial's)", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear"}
FEATURE_NAMES = {"x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2", "sin(x1)": "sin x1", "sin(x2)": "sin x2"}
INIT_NAMES = {"he": "He: randn·√(2/fan_in)", "small": "small: randn·0.01"}

# fmt: off
FIELDS = (
    Field(
        "dataset", "data", str, "Dataset",
        "make_moons is the tutorial's; the others are TensorFlow Playground's. Upload your own on the Your data page.",
        "Data", "select", choices=(*DATASETS, UPLOAD), names=DATASET_NAMES | {UPLOAD: "Your data"},
    ),
    Field("noise", "noise", float, "Noise", "Standard deviation of the noise added to the points.",
          "Data", "slider", low=0.0, high=MAX_NOISE, step=0.05),
    Field("samples", "n", int, "Samples", "Number of points (train and test together).",
          "Data", "slider", low=50, high=5000, step=50),
    Field("discretize", "disc", bool, "Discretize output",
          "Paint the map in two colours (P > 0.5 or not) instead of shades of the probability.",
          "Data", "toggle", choices=(False, True)),
    Field("show_test", "showtest", bool, "Show test data", "Draw the held-out test points (with a test share).",
          "Data", "toggle", choices=(False, True)),
    Field(
        "learning_rate", "lr", float, "Learning rate",
        "Step size α of gradient descent. Changing it while a run trains or is paused lets it continue; "
        "after Done it starts a new run. Try 10 to see divergence.",
        "Network", "stops",
        choices=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    ),
    Field("hidden_size", "hidden", int, "Hidden units", "Neurons in the hidden layer (the tutorial uses 5).",
          "Network", "slider", low=1, high=64),
    Field("iterations", "iters", int, "Iterations", "Gradient-descent steps in a run (one per batch).",
          "Network", "stops", choices=(100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)),
    Field("batch_size", "batch", int, "Batch size",
          "Points per gradient step. Full: every training point, as the tutorial. Smaller: mini-batches of the "
          "training points, reshuffled every epoch from the initialisation seed.",
          "Network", "select", choices=BATCH_SIZES, names={0: "full"}),
    Field("features", "feat", tuple, "Input features",
          "What the network sees of a point (x1, x2): the tutorial feeds x1 and x2; products and sines let a "
          "small network draw curved boundaries. At least one.",
          "Network", "pills", choices=FEATURES, names=FEATURE_NAMES),
    Field("test_share", "test", float, "Test share", "Share of the points held out to measure generalisation.",
          "Advanced", "slider", low=0.0, high=MAX_TEST_SHARE, step=0.05),
    Field("activation", "act", str, "Hidden activation", "The function g in A1 = g(W1 X + b1).",
          "Advanced", "select", choices=tuple(ACTIVATIONS), names=ACTIVATION_NAMES),
    Field("init", "init", str, "Initialisation",
          "Weights start random, biases at zero. Small weights start at cost ≈ ln 2.",
          "Advanced", "radio", choices=INITIALISATIONS, names=INIT_NAMES),
    Field("l1", "l1", float, "L1 rate", "λ of the penalty λ/m·(|W1|₁ + |W2|₁), included in the train cost.",
          "Advanced", "stops", choices=(0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)),
    Field("l2", "l2", float, "L2 rate", "λ of the penalty λ/(2m)·(|W1|² + |W2|²), included in the train cost.",
          "Advanced", "stops", choices=(0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)),
    Field("data_seed", "dseed", int, "Data seed", "Seed of the generated points and of the train/test split.",
          "Advanced", "number", low=0, high=MAX_SEED),
    Field("init_seed", "iseed", int, "Initialisation seed", "Seed of the initial weights.",
          "Advanced", "number", low=0, high=MAX_SEED),
    Field("speed", "speed", int, "Animation speed", "Training steps between chart updates.",
          "Advanced", "stops", choices=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)),
)
# fmt: on
BY_NAME = {f.name: f for f in FIELDS}
BY_URL = {f.url: f for f in FIELDS}

# Parameters the app reads besides the settings: presenter mode and a named scene.
OTHER_URL_NAMES = {"present": "1 turns on presenter mode", "scene": "a named scene, trained at once"}


def url_text(value) -> str:
    """Exact text for a value: integers in full (a seed of 1234567 must not become 1.23457e+06)."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):  # features: x1,x2,x1^2
        return ",".join(value)
    if isinstance(value, numbers.Integral):  # True and False too: 1 and 0
        return str(int(value))
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def check(settings: Settings) -> dict:
    """The settings as plain Python values, each checked against its field; ValueError naming the first
    one that is not allowed. What passes is safe to write into a script with repr."""
    if not isinstance(settings, Settings):
        raise ValueError(f"settings must be an appkit.settings.Settings, got {type(settings).__name__}")
    return {f.name: BY_NAME[f.name].check(getattr(settings, f.name)) for f in fields(Settings)}


def _short(text: str, limit: int = 40) -> str:
    """The user's text, quoted and cut short, as a Markdown code span: shown as typed, never as a link,
    an image or formatting (the pages show the warnings with st.warning, which renders Markdown)."""
    text = repr(text[: limit + 1])
    return markdown_code(text if len(text) <= limit else text[: limit - 1] + "…")


def markdown_code(text: str) -> str:
    """`text` as a Markdown code span, fenced with more backticks than any run of them inside."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def from_query(query: Mapping[str, str | list[str]]) -> tuple[Settings, list[str]]:
    """Settings from URL query parameters, and a warning for each value that was not usable (at most
    MAX_URL_WARNINGS, then one line counting the rest). Every bad value falls back to its default."""
    values, warnings = {}, []
    for name, raw in query.items():
        if isinstance(raw, list):
            if len(raw) > 1 and name in BY_URL:
                warnings.append(f"URL parameter {_short(name)} is given {len(raw)} times; using the last.")
            raw = raw[-1] if raw else ""
        field = BY_URL.get(name)
        if field is None:
            if name not in OTHER_URL_NAMES:
                warnings.append(f"Ignored the unknown URL parameter {_short(name)}.")
            continue
        try:
            values[field.name] = field.parse(str(raw).strip())
        except ValueError as error:
            warnings.append(
                f"URL parameter {name}={_short(str(raw))} {error}; using the default {field.show(field.default)}."
            )
    batch, samples = values.get("batch_size", DEFAULTS.batch_size), values.get("samples", DEFAULTS.samples)
    if batch > samples:  # the sidebar offers only batches up to the sample count
        values["batch_size"] = batch_sizes(samples)[-1]
        warnings.append(
            f"URL parameter batch={batch} is more than the {samples:,} samples; using {values['batch_size']}."
        )
    if len(warnings) > MAX_URL_WARNINGS:
        rest = len(warnings) - MAX_URL_WARNINGS + 1
        warnings = warnings[: MAX_URL_WARNINGS - 1] + [f"… and {rest} more URL parameters that could not be used."]
    return replace(DEFAULTS, **values), warnings


def batch_sizes(samples: int) -> tuple[int, ...]:
    """The batch sizes offered for `samples` points: full (0), then the powers of two up to `samples`."""
    return tuple(b for b in BATCH_SIZES if b <= samples)


def to_query(settings: Settings) -> dict[str, str]:
    """URL parameters for the settings that differ from the defaults (short links)."""
    return {f.url: url_text(getattr(settings, f.name)) for f in FIELDS if getattr(settings, f.name) != f.default}


VIEW_ONLY = ("speed", "discretize", "show_test")  # how a run is shown, not what it is


def describe_change(old: Settings, new: Settings) -> str:
    """'lr 0.3 → 1, hidden 5 → 8': what differs, for notes and ghost-run hovers."""
    parts = []
    for f in FIELDS:
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a != b and f.name not in VIEW_ONLY:
            shown = f.names if f.names and f.kind is not str else {}  # batch: "full" for 0
            parts.append(f"{f.url} {shown.get(a, url_text(a))} → {shown.get(b, url_text(b))}")
    return ", ".join(parts)


def short_label(settings: Settings, against: Settings) -> str:
    """'lr 10': the first setting in which `settings` differs from `against`, for a ghost's legend."""
    for f in FIELDS:
        value = getattr(settings, f.name)
        if value != getattr(against, f.name) and f.name not in VIEW_ONLY:
            return f"{f.url} {url_text(value)}"
    return "same settings"


def url_table() -> str:
    """The README's table of URL parameters, in Markdown."""
    lines = ["| parameter | setting | allowed | default |", "|---|---|---|---|"]
    for f in FIELDS:
        default = f.names.get(f.default, url_text(f.default)) if f.names and f.kind is not str else url_text(f.default)
        lines.append(f"| `{f.url}` | {f.label} | {f.allowed()} | {default} |")
    for name, meaning in OTHER_URL_NAMES.items():
        lines.append(f"| `{name}` | {meaning} | | |")
    return "\n".join(lines)
