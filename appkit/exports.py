"""What the playground lets you take away from a run: its parameters as JSON, its history as CSV, and a
Python script that reproduces it.

Pure Python + NumPy + twolayer (no Streamlit), so every download can be tested on its own.
Every public function checks its arguments and raises ValueError naming what is wrong.

A run's learning rates are a schedule: [(start_iteration, learning_rate), ...], strictly increasing
starts, the first at 0; each rate is in force from its start until the next start (or the end).
"""

import json
import math
import numbers
import re

import numpy as np

from twolayer.features import DEFAULT_FEATURES, FEATURES
from twolayer.training import HISTORY_KEYS

from .settings import Settings, check

PARAMS_FORMAT = "twolayer-params/1"
PARAM_NAMES = ("W1", "b1", "W2", "b2")
MAX_PARAMS_JSON = 1_000_000  # characters: a 64-unit network's JSON is ~15 kB
# A file name we are willing to write into a script: no path, no quotes, no spaces, ends in .csv.
_CSV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.csv")


# ---------------------------------------------------------------------------------------------
# Argument checks


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_iteration(iteration) -> int:
    if not _is_int(iteration) or iteration < 0:
        raise ValueError(f"iteration must be an integer >= 0, got {iteration!r:.40}")
    return int(iteration)


def _check_schedule(lr_schedule, iteration: int) -> list[tuple[int, float]]:
    """[(start, learning_rate), ...] as plain ints and floats: starts strictly increasing from 0
    and at most `iteration`, rates finite and > 0."""
    if isinstance(lr_schedule, (str, bytes)) or not hasattr(lr_schedule, "__iter__"):
        raise ValueError(
            f"lr_schedule must be a list of (start_iteration, learning_rate) pairs, got {lr_schedule!r:.40}"
        )
    out: list[tuple[int, float]] = []
    for i, entry in enumerate(lr_schedule):
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise ValueError(f"lr_schedule[{i}] must be a (start_iteration, learning_rate) pair, got {entry!r:.40}")
        start, rate = entry
        if not _is_int(start) or start < 0:
            raise ValueError(f"lr_schedule[{i}] starts at {start!r:.40}; a start must be an integer >= 0")
        if not _is_real(rate) or rate <= 0:
            raise ValueError(f"lr_schedule[{i}] has learning rate {rate!r:.40}; it must be a finite number > 0")
        if not out and start != 0:
            raise ValueError(f"lr_schedule must start at iteration 0, its first entry starts at {start}")
        if out and start <= out[-1][0]:
            raise ValueError(
                f"lr_schedule starts must increase: lr_schedule[{i}] starts at {start}, after {out[-1][0]} "
                "(to change the rate again at the same iteration, replace the last entry)"
            )
        if start > iteration:
            raise ValueError(f"lr_schedule[{i}] starts at {start}, after the run's iteration {iteration}")
        out.append((int(start), float(rate)))
    if not out:
        raise ValueError("lr_schedule must not be empty: its first entry is (0, the starting learning rate)")
    return out


def _check_edits(edits, iteration: int, shapes: dict[str, tuple[int, int]]) -> list[tuple[int, str, tuple, float]]:
    """[(iteration, name, (row, column), value), ...] of weights set by hand (Trainer.edits) as plain values:
    iterations from 0 to `iteration`, never decreasing; names and indices inside the parameters' shapes."""
    if isinstance(edits, (str, bytes)) or not hasattr(edits, "__iter__"):
        raise ValueError(f"edits must be a list of (iteration, name, (row, column), value), got {edits!r:.40}")
    out: list[tuple[int, str, tuple, float]] = []
    for i, entry in enumerate(edits):
        if not isinstance(entry, (tuple, list)) or len(entry) != 4:
            raise ValueError(f"edits[{i}] must be (iteration, name, (row, column), value), got {entry!r:.60}")
        at, name, index, value = entry
        if not _is_int(at) or not (out[-1][0] if out else 0) <= at <= iteration:
            raise ValueError(
                f"edits[{i}] is at iteration {at!r:.20}; it must be from the previous edit's to {iteration}"
            )
        if type(name) is not str or name not in shapes:
            raise ValueError(f"edits[{i}] names {name!r:.20}; it must be one of {', '.join(PARAM_NAMES)}")
        shape = shapes[name]
        if (
            not isinstance(index, (tuple, list))
            or len(index) != 2
            or not all(_is_int(j) and 0 <= j < n for j, n in zip(index, shape, strict=True))
        ):
            raise ValueError(f"edits[{i}] has index {index!r:.20}; {name} has shape {shape}")
        if not _is_real(value):
            raise ValueError(f"edits[{i}] has value {value!r:.20}; it must be a finite number")
        out.append((int(at), name, (int(index[0]), int(index[1])), float(value)))
    return out


def _shapes(hidden_size: int, n_features: int) -> dict[str, tuple[int, int]]:
    return {"W1": (hidden_size, n_features), "b1": (hidden_size, 1), "W2": (1, hidden_size), "b2": (1, 1)}


def _as_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise ValueError(f"params[{name!r}] must be a rectangular array of numbers") from None


def _check_matrix(name: str, value, shape: tuple[int, int]) -> np.ndarray:
    array = _as_array(name, value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):  # also rejects strings and ragged lists
        raise ValueError(f"params[{name!r}] must be an array of numbers, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"params[{name!r}] must have shape {shape}, got {array.shape}")
    array = array.astype(float)
    if not np.isfinite(array).all():
        raise ValueError(f"params[{name!r}] contains NaN or infinite values")
    return array


def _check_params(params, hidden_size: int | None = None, n_features: int | None = None) -> dict[str, np.ndarray]:
    """W1 (h, k), b1 (h, 1), W2 (1, h), b2 (1, 1), finite floats; h = hidden_size and k = n_features when given
    (k is the number of input features, 1 to 7; 2 for the tutorial's x1, x2)."""
    if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
        got = sorted(map(str, params)) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with exactly the keys {', '.join(PARAM_NAMES)}; got {got}")
    W1 = _as_array("W1", params["W1"])
    h = W1.shape[0] if W1.ndim == 2 and hidden_size is None else hidden_size
    k = W1.shape[1] if W1.ndim == 2 and n_features is None else n_features
    if h is None or h < 1 or k is None or not 1 <= k <= len(FEATURES):
        raise ValueError(f"params['W1'] must have shape (hidden_size, 1 to {len(FEATURES)} features), got {W1.shape}")
    return {name: _check_matrix(name, params[name], shape) for name, shape in _shapes(h, k).items()}


# ---------------------------------------------------------------------------------------------
# Parameters as JSON


def params_json(settings: Settings, params: dict[str, np.ndarray], iteration: int, lr_schedule, edits=()) -> str:
    """The parameters after `iteration` updates, with the settings, learning rates and hand-set weights that
    made them.

    {"format": "twolayer-params/1", "iteration", "settings", "learning_rate_schedule": [[start, lr], ...],
    "edits": [[iteration, name, [row, column], value], ...], "params": {"W1": [[...], ...], "b1", "W2", "b2"}}.
    W1 is (hidden units, features). Floats are written with repr, so load_params_json gives back identical arrays.
    """
    s = check(settings)
    iteration = _check_iteration(iteration)
    schedule = _check_schedule(lr_schedule, iteration)
    edits = _check_edits(edits, iteration, _shapes(s["hidden_size"], len(s["features"])))
    params = _check_params(params, s["hidden_size"], len(s["features"]))
    doc = {
        "format": PARAMS_FORMAT,
        "iteration": iteration,
        "settings": s,
        "learning_rate_schedule": [list(entry) for entry in schedule],
        "edits": [[at, name, list(index), value] for at, name, index, value in edits],
        "params": {name: params[name].tolist() for name in PARAM_NAMES},  # Python floats: json writes their repr
    }
    text = json.dumps(doc, indent=2, allow_nan=False)
    # One matrix row, or one schedule entry, per line: lists holding only numbers go on one line.
    return re.sub(r"\[\s+([-+0-9.eE,\s]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def _reject_constant(name: str):
    raise ValueError(f"the JSON contains {name}; every value must be a finite number")


MAX_NUMBER_TEXT = 100  # characters in one number of the parameters file; repr(float) needs at most 24


def _json_number(convert):
    """A JSON number hook that refuses long number texts before converting them (int() of a long digit run is
    quadratic, and Python's own refusal past 4,300 digits names sys.set_int_max_str_digits)."""

    def parse(text: str):
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(f"a number is {len(text):,} characters long; at most {MAX_NUMBER_TEXT} are allowed")
        return convert(text)

    return parse


def load_params_json(text: str | bytes) -> dict[str, np.ndarray]:
    """The parameters (W1, b1, W2, b2 as float arrays) from params_json's text; ValueError if malformed.
    The length is checked first, then each number's; reading takes time linear in the text's length."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("the parameters file is not UTF-8 text") from None
    if not isinstance(text, str):
        raise ValueError(f"text must be a str or bytes, got {type(text).__name__}")
    if len(text) > MAX_PARAMS_JSON:
        raise ValueError(f"the parameters file is too large ({len(text):,} characters, at most {MAX_PARAMS_JSON:,})")
    try:
        doc = json.loads(
            text, parse_constant=_reject_constant, parse_int=_json_number(int), parse_float=_json_number(float)
        )
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != PARAMS_FORMAT:
        raise ValueError(f'not a twolayer parameters file: expected "format": "{PARAMS_FORMAT}"')
    missing = [key for key in ("iteration", "settings", "learning_rate_schedule", "params") if key not in doc]
    if missing:
        raise ValueError(f"the parameters file lacks {', '.join(missing)}")
    if not isinstance(doc["settings"], dict):
        raise ValueError('"settings" must be a JSON object')
    iteration = _check_iteration(doc["iteration"])
    _check_schedule(doc["learning_rate_schedule"], iteration)
    params = doc["params"]
    if isinstance(params, dict):  # every entry must be a list of rows of numbers (no strings, no bools)
        for name, rows in params.items():
            if not (isinstance(rows, list) and all(isinstance(r, list) and all(map(_is_real, r)) for r in rows)):
                raise ValueError(f"params[{name!r:.20}] must be a list of rows of finite numbers")
    features = doc["settings"].get("features", list(DEFAULT_FEATURES))  # files from before features: x1, x2
    if not isinstance(features, list) or not features or features != [f for f in FEATURES if f in features]:
        raise ValueError(f'"settings" "features" must list names from {", ".join(FEATURES)} in that order')
    return _check_params(params, n_features=len(features))


# ---------------------------------------------------------------------------------------------
# History as CSV


def history_csv(history: dict[str, np.ndarray]) -> str:
    """CSV text: iteration,cost,accuracy[,test_cost,test_accuracy] (the keys present, in that order).

    Row i holds the records of step i, taken before that step's update as the tutorial records its
    costs; iteration counts from 0. Floats are written with repr, so they read back exactly.
    """
    if not isinstance(history, dict):
        raise ValueError(f"history must be a dict of 1-D arrays, got {type(history).__name__}")
    unknown = [key for key in history if key not in HISTORY_KEYS]
    if unknown:
        raise ValueError(f"history has unknown keys {unknown!r:.60}; allowed: {', '.join(HISTORY_KEYS)}")
    if "cost" not in history:
        raise ValueError("history must contain 'cost'")
    keys = [key for key in HISTORY_KEYS if key in history]
    columns = []
    for key in keys:
        values = np.asarray(history[key])
        if values.ndim != 1 or values.dtype == bool or not np.issubdtype(values.dtype, np.number):
            raise ValueError(f"history[{key!r}] must be a 1-D array of numbers, got shape {values.shape}")
        if len(values) != len(history["cost"]):
            raise ValueError(f"history[{key!r}] has {len(values)} entries but 'cost' has {len(history['cost'])}")
        columns.append(values.astype(float).tolist())  # Python floats: their repr is the shortest exact text
    lines = [",".join(["iteration", *keys])]
    lines += [",".join([str(i), *map(repr, row)]) for i, row in enumerate(zip(*columns, strict=True))]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# A script that reproduces the run

_HEADER = """\
\"\"\"Reproduces a run of the twolayer playground: the same data, network and learning rates.

Runs from any folder wherever the twolayer package is installed (Python 3.11 or newer). To get there, once:

    pip install /path/to/twolayer    # the twolayer repository's folder, the one holding pyproject.toml;
                                     # it installs the twolayer library with NumPy and scikit-learn

then: python twolayer_run.py (or whatever this file is called now).
It saves nothing: it trains, then prints the final costs, which match the playground's to the last digit
(on the same machine, with the same versions of NumPy, scikit-learn and twolayer).
\"\"\"
"""

_LABELS = {
    "cost": "train cost",
    "accuracy": "train accuracy",
    "test_cost": "test cost",
    "test_accuracy": "test accuracy",
}


def reproduce_script(
    settings: Settings, lr_schedule, iteration: int, uploaded_csv_name: str | None = None, edits=()
) -> str:
    """A standalone Python script that rebuilds the run's data and network, trains it `iteration` steps
    with `lr_schedule`, setting the weights in `edits` (Trainer.edits: (iteration, name, (row, column), value))
    where the run set them, and prints the final train cost and accuracy (and test cost and accuracy).

    With `uploaded_csv_name` the script reads the data from that file, next to the script, instead of
    generating it; the name must be a plain file name such as data.csv. Only validated numbers and the
    fixed choices of Settings reach the script, each written with repr.
    """
    s = check(settings)
    iteration = _check_iteration(iteration)
    # Entries from `iteration` on never ran: leave them out, so that every chunk trains at least one step.
    schedule = [
        (start, rate) for start, rate in _check_schedule(lr_schedule, iteration) if start < iteration or start == 0
    ]
    csv_name = uploaded_csv_name
    if csv_name is not None and (type(csv_name) is not str or not _CSV_NAME.fullmatch(csv_name)):
        raise ValueError(
            "uploaded_csv_name must be a plain file name of letters, digits, '.', '_' or '-' ending in .csv, "
            f"such as data.csv; got {csv_name!r:.40}"
        )
    edits = _check_edits(edits, iteration, _shapes(s["hidden_size"], len(s["features"])))
    has_test = s["test_share"] > 0
    act, l2 = s["activation"], s["l2"]

    # Before any step the script computes the costs itself, on the features (x1, x2 are their own features).
    expand_costs = iteration == 0 and s["features"] != DEFAULT_FEATURES
    out = [_HEADER]
    if csv_name is None:
        out += [
            "from twolayer import Trainer" + (", compute_cost" if iteration == 0 else ""),
            "from twolayer.data import make_dataset, train_test_split",
            *(["from twolayer.features import expand"] if expand_costs else []),
            "",
            "# The data, generated as in the playground: points X (m, 2) and labels y (m,) of 0/1, samples as rows.",
            f"X, y = make_dataset({s['dataset']!r}, {s['samples']!r}, {s['noise']!r}, random_state={s['data_seed']!r})",
        ]
    else:
        out += [
            "from pathlib import Path",
            "",
            "from twolayer import Trainer" + (", compute_cost" if iteration == 0 else ""),
            "from twolayer.data import load_csv, train_test_split",
            *(["from twolayer.features import expand"] if expand_costs else []),
            "",
            "# The run used uploaded data: put that CSV file (columns x1, x2, label) next to this script, under",
            "# the name below. Points X (m, 2) and labels y (m,) of 0/1, samples as rows.",
            f"X, y = load_csv(Path(__file__).with_name({csv_name!r}))  # a Path: load_csv reads a str as CSV text",
        ]
    out += [
        "",
        "# Hold out a share of each class for testing, with the playground's seed",
        "# (a share of 0.0 keeps every point for training, as the tutorial does).",
        "X_train, y_train, X_test, y_test = "
        f"train_test_split(X, y, {s['test_share']!r}, random_state={s['data_seed']!r})",
        "",
        "# The tutorial's shapes: samples are columns, X (2, m), and the labels are one row, Y (1, m).",
        "X_train, Y_train = X_train.T.astype(float), y_train.reshape(1, -1).astype(float)",  # as build_data
    ]
    if has_test:
        out.append("X_test, Y_test = X_test.T.astype(float), y_test.reshape(1, -1).astype(float)")
    test_args = ", X_test=X_test, Y_test=Y_test" if has_test else ""
    batch = "None" if s["batch_size"] == 0 else f"min({s['batch_size']!r}, Y_train.shape[1])"
    out += [
        "",
        "# The network: hidden units, starting learning rate, hidden-layer activation, initialisation,",
        "# L1 and L2 strengths, and the seed that draws the initial weights (and shuffles the mini-batches).",
        "# Batch size: None is the full batch; a mini-batch is at most the training points. The features are",
        "# computed from the raw points X_train (2, m): W1 is (hidden units, features).",
        "trainer = Trainer(",
        f"    X_train, Y_train, {s['hidden_size']!r}, {schedule[0][1]!r},",
        f"    activation={act!r}, init={s['init']!r}, l1={s['l1']!r}, l2={l2!r}, random_state={s['init_seed']!r},",
        f"    batch_size={batch}, features={s['features']!r}{test_args},",
        ")",
        "",
    ]
    if edits:
        out += [
            "# Weights set by hand in the playground: (iteration, parameter, (row, column), value), set before",
            "# that iteration's step, in this order.",
            "edits = [",
            *(f"    ({at!r}, {name!r}, {index!r}, {value!r})," for at, name, index, value in edits),
            "]",
            "",
        ]

    if iteration == 0:
        inputs = [f"expand({x}, {s['features']!r})" if expand_costs else x for x in ("X_train", "X_test")]
        l1 = f", {s['l1']!r}" if s["l1"] else ""
        if edits:
            out += [
                "for at, name, index, value in edits:",
                "    trainer.set_weight(name, index, value)",
                "",
            ]
        out += [
            "# The run had not trained yet: the cost of the initial parameters (the test cost has no penalty term).",
            f"print('train cost:', compute_cost({inputs[0]}, Y_train, trainer.params, {act!r}, {l2!r}{l1}))",
        ]
        if has_test:
            out.append(f"print('test cost:', compute_cost({inputs[1]}, Y_test, trainer.params, {act!r}))")
        return "\n".join(out) + "\n"

    out += [
        "# Gradient descent, one chunk per learning rate: each pair is (first iteration, learning rate), and the",
        "# rate holds until the next pair's first iteration or the end of the run.",
        f"schedule = [{', '.join(f'({start!r}, {rate!r})' for start, rate in schedule)}]",
        f"iterations = {iteration!r}",
    ]
    if edits:
        out += [
            "# The run stops where a rate changes or a weight was set, trains on to the next stop, and ends there.",
            "rates = dict(schedule)",
            "stops = sorted(set(rates) | {at for at, *_ in edits} | {iterations})",
            "for start, end in zip(stops, stops[1:] + [None]):",
            "    trainer.learning_rate = rates.get(start, trainer.learning_rate)",
            "    for at, name, index, value in edits:",
            "        if at == start:",
            "            trainer.set_weight(name, index, value)",
            "    if end is not None:",
            "        trainer.train(end - start)  # continues where the last chunk stopped",
            "",
        ]
    else:
        out += [
            "ends = [start for start, _ in schedule[1:]] + [iterations]",
            "for (start, learning_rate), end in zip(schedule, ends):",
            "    trainer.learning_rate = learning_rate",
            "    trainer.train(end - start)  # continues where the last chunk stopped",
            "",
        ]
    out += [
        "# As in the tutorial, step i records the cost before update i; the last record is what the",
        "# playground showed at the end. The test cost is the cross-entropy alone, without the L2 term.",
        "history = trainer.history",
        "print('iterations:', trainer.iteration)",
    ]
    for key in HISTORY_KEYS if has_test else ("cost", "accuracy"):
        out.append(f"print({_LABELS[key] + ':'!r}, float(history[{key!r}][-1]))")
    return "\n".join(out) + "\n"
