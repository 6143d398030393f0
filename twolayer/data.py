"""Toy 2-D datasets, a stratified train/test split, and CSV import/export.

Shapes follow scikit-learn: samples are rows. X is float64 (m, 2), y is int64 (m,) of 0/1.

Each generated set is a noiseless shape plus Gaussian jitter, sized like `make_moons` so that one
plot range, [-2, 2.5] on both axes, shows them all. `noise` in [0, 0.5] means the same overlap of
the classes on every set: the jitter is scaled per set so that the best possible classifier
misclassifies about as many points as on moons: 1.5-3% at noise=0.2, 8-11% at 0.35, 17-20% at 0.5
(measured with a 50-nearest-neighbour classifier trained on 20,000 points). Equal jitter
would not do: a spiral's arms are close along their whole length, a moon's only near its tips.

    name      shape at noise=0 (class 1 / class 0)                 jitter sd per axis       extent at noise=0
    moons     sklearn make_moons, lower / upper moon               noise (sklearn's own)    x [-1, 2], y [-0.5, 1]
    circles   1.5 * sklearn make_circles(factor=0.5), r 0.75 / 1.5   0.85 * noise             [-1.5, 1.5] both axes
    xor       uniform 0.25 <= |x1|, |x2| <= 1.5, x1*x2 > 0 / < 0   1.1 * noise              [-1.5, 1.5] both axes
    gaussian  blobs at (0.5, 0.5) / (-0.5, -0.5), sd 0.2           hypot(0.2, 1.5 * noise)  [-1.5, 1.5] (5 sd)
    spiral    r = 1.75 s, angle 3.5 pi s (+ pi for class 0),       0.37 * noise             r <= 1.75
              s uniform in [0, 1]: TF Playground's spiral * 0.35

Jitter widens each extent by about three of its standard deviations. Inside [-2, 2.5]^2 stay over
99.5% of the points at noise=0.2, and 95-98% at noise=0.5 (xor and gaussian spill the most).
"""

import csv
import io
import math
import numbers
import os
import re

import numpy as np
from sklearn.datasets import make_circles, make_moons

from . import validation as v

DATASETS = ("moons", "circles", "xor", "gaussian", "spiral")
MIN_SAMPLES, MAX_SAMPLES = 10, 20_000  # n_samples for make_dataset
MAX_NOISE = 0.5
MAX_TEST_SHARE = 0.9
MIN_ROWS, MAX_ROWS = 10, 20_000  # data rows in a CSV file
MAX_ABS = 1e6  # larger coordinates make no sense on a 2-D playground
MAX_BYTES = 10_000_000  # ~10x what 20,000 rows of full-precision floats need
MAX_LINES = 5 * MAX_ROWS  # lines in a CSV file, blank ones included: more are refused before reading any
CSV_COLUMNS = ("x1", "x2", "label")

RandomState = int | np.random.Generator | None
Source = str | bytes | os.PathLike | io.IOBase  # CSV text, its bytes, a path, or a file-like object


# ---------------------------------------------------------------------------------------------
# Argument checks


def _rng(random_state: RandomState) -> np.random.Generator:
    # default_rng(Generator) returns that generator, so a caller's generator advances.
    return np.random.default_rng(random_state)


def _sklearn_seed(random_state: RandomState) -> int:
    # sklearn takes an int (or a legacy RandomState), not a Generator; an int passes through
    # unchanged so that make_dataset("moons", random_state=s) equals make_moons(random_state=s).
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(_rng(random_state).integers(2**32))


def _check_shapes(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (m, 2); got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (m,) = ({X.shape[0]},) to match X; got shape {y.shape}")
    return X, y


# ---------------------------------------------------------------------------------------------
# Datasets


def _xor(n0: int, n1: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    def quadrant_points(n: int, same_sign: bool) -> np.ndarray:
        size = 0.25 + 1.25 * rng.random((n, 2))  # |x|, |y| in [0.25, 1.5]: a 0.5-wide cross-shaped gap
        sx = rng.choice([-1.0, 1.0], size=n)
        sy = sx if same_sign else -sx
        return size * np.column_stack([sx, sy])

    X = np.vstack([quadrant_points(n0, False), quadrant_points(n1, True)])
    return X + rng.normal(scale=1.1 * noise, size=X.shape)


def _gaussian(n0: int, n1: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    sd = math.hypot(0.2, 1.5 * noise)
    centres = np.repeat([[-0.5, -0.5], [0.5, 0.5]], [n0, n1], axis=0)
    return centres + rng.normal(scale=sd, size=centres.shape)


def _spiral(n0: int, n1: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    # TF Playground's spiral (r up to 5, 1.75 turns) scaled by 0.35: the two arms are 0.5 apart,
    # as close as the moons' tips, but all along their length, hence the smaller jitter.
    s = rng.random(n0 + n1)
    r = 1.75 * s
    t = 1.75 * 2 * np.pi * s + np.where(np.arange(n0 + n1) < n0, np.pi, 0.0)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + rng.normal(scale=0.37 * noise, size=X.shape)


_GENERATORS = {"xor": _xor, "gaussian": _gaussian, "spiral": _spiral}


def make_dataset(
    name: str = "moons", n_samples: int = 500, noise: float = 0.2, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """A toy set: X (n_samples, 2) float64, y (n_samples,) int64 with n//2 zeros and n - n//2 ones.

    The rows are shuffled. `noise` in [0, 0.5] is scaled per set as in the module docstring;
    random_state is None, an int, or a numpy Generator (which is advanced).
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}; got {_show(name)}")
    integer = isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool)
    if not (integer and MIN_SAMPLES <= n_samples <= MAX_SAMPLES):
        raise ValueError(f"n_samples must be an integer in [{MIN_SAMPLES}, {MAX_SAMPLES}]; got {_show(n_samples)}")
    n_samples = int(n_samples)
    noise = v.check_number("noise", noise, low=0.0, high=MAX_NOISE)
    v.check_random_state(random_state)

    if name == "moons":
        X, y = make_moons(n_samples, noise=noise, random_state=_sklearn_seed(random_state))
    elif name == "circles":
        X, y = make_circles(n_samples, noise=noise * 0.85 / 1.5, factor=0.5, random_state=_sklearn_seed(random_state))
        X = 1.5 * X  # radii 1.5 and 0.75; the jitter scales too, to sd 0.85 * noise
    else:
        rng = _rng(random_state)
        n0 = n_samples // 2  # the same split of classes as make_moons and make_circles
        X = _GENERATORS[name](n0, n_samples - n0, noise, rng)
        y = np.repeat([0, 1], [n0, n_samples - n0])
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
    return np.ascontiguousarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_share: float, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified split of X (m, 2), y (m,) into X_train, y_train, X_test, y_test.

    Each class puts round(test_share * its count) rows in the test part, but at least one and
    leaving at least one for training, so with test_share > 0 both parts hold both classes.
    Rows keep their original order within each part. test_share=0 gives empty (0, 2) and (0,)
    test arrays.
    """
    X, y = _check_shapes(X, y)
    test_share = v.check_number("test_share", test_share, low=0.0, high=MAX_TEST_SHARE)
    v.check_random_state(random_state)
    rng = _rng(random_state)

    test = np.zeros(len(y), dtype=bool)
    if test_share > 0:
        for label in np.unique(y):
            idx = np.flatnonzero(y == label)
            if len(idx) < 2:
                raise ValueError(
                    f"each class needs at least 2 rows for a train/test split; class {_show(label.item())} has 1"
                )
            n_test = min(max(math.floor(test_share * len(idx) + 0.5), 1), len(idx) - 1)
            test[rng.choice(idx, size=n_test, replace=False)] = True
    return X[~test], y[~test], X[test], y[test]


# ---------------------------------------------------------------------------------------------
# CSV

# A plain decimal number, as written by repr(float) and by spreadsheets. Stricter than float(),
# which also takes "1_000", "infinity" and non-ASCII digits ([0-9], not \d, which matches "١" too).
# Unambiguous, so matching is linear: each run of digits ends at the one character that can follow it
# ("." or "e"). The looser \d+\.?\d* split a digit run between its two \d parts in every possible way,
# quadratic on a long run with a non-digit at its end (32,000 digits + "x" took 24 s, holding the server).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_CELL = 100  # characters in one value; repr(float) needs at most 24, so longer ones are refused unread
_NAN = {"nan", "+nan", "-nan"}
_INF = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_ALLOWED = "x1, x2, label"


def _show(value: object, limit: int = 30) -> str:
    """A short, safe repr for error messages: quoted, control characters escaped, cut after `limit`."""
    text = repr(value[: limit + 1] if isinstance(value, str) else value)  # never the repr of a whole long cell
    return text if len(text) <= limit else text[:limit] + "..."


def _read_text(source: Source) -> str:
    if isinstance(source, str):
        data: str | bytes = source
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, os.PathLike):
        with open(source, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    elif hasattr(source, "getvalue"):  # BytesIO, StringIO, Streamlit's UploadedFile: whole content, any position
        data = source.getvalue()
    elif hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
    else:
        raise ValueError(
            "source must be CSV text (str), bytes, a path (pathlib.Path) or a file-like object; "
            f"got {type(source).__name__}"
        )

    if len(data) > MAX_BYTES:
        raise ValueError(f"The file is larger than {MAX_BYTES // 1_000_000} MB; at most {MAX_ROWS:,} rows are allowed.")
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ValueError("The file is UTF-16 text; save it as CSV in UTF-8.")
        try:
            data = data.decode("utf-8-sig")  # strips a UTF-8 byte-order mark, as Excel writes one
        except UnicodeDecodeError as e:
            raise ValueError(
                f"The file is not UTF-8 text (byte 0x{data[e.start]:02x} at position {e.start}); "
                "upload a CSV file saved as UTF-8."
            ) from None
    text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise ValueError("The file contains NUL bytes, so it is binary, not CSV text; upload a CSV file.")
    if not text.strip():
        raise ValueError(f"The file is empty; expected rows of three numbers: {_ALLOWED}.")
    return text


def _is_header(row: list[str]) -> bool:
    return ["".join(cell.split()).lower() for cell in row] == list(CSV_COLUMNS)


def _header_error(row: list[str], line: int) -> ValueError:
    """The error for a first row that is neither numbers nor the header x1, x2, label."""
    names = ["".join(cell.split()).lower() for cell in row]
    missing = [c for c in CSV_COLUMNS if c not in names]
    extra = [cell for cell, name in zip(row, names, strict=True) if name not in CSV_COLUMNS]
    found = ", ".join(_show(cell.strip()) for cell in row[:5]) + (", ..." if len(row) > 5 else "")
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if extra:
        problems.append("unexpected " + ", ".join(_show(cell.strip()) for cell in extra[:3]))
    if not problems:
        problems.append("wrong order or repeated names")
    return ValueError(
        f"Line {line} is neither numbers nor the header {_ALLOWED} ({'; '.join(problems)}). "
        f"Found {len(row)} column(s): {found}.{_separator_hint(row)}"
    )


def _separator_hint(row: list[str]) -> str:
    if len(row) == 1 and (";" in row[0] or "\t" in row[0]):
        return " Separate the columns with commas, not semicolons or tabs."
    return ""


def _parse_value(cell: str, line: int, column: str) -> float:
    text = cell.strip()
    where = f"Line {line}, column {column}"
    if not text:
        raise ValueError(f"{where} is empty; every row needs three numbers: {_ALLOWED}.")
    if text.lower() in _NAN:
        raise ValueError(f"{where} is NaN (not a number); every value must be a finite number.")
    if text.lower() in _INF:
        raise ValueError(f"{where} is infinite ({_show(text)}); every value must be a finite number.")
    if len(text) > MAX_CELL:
        raise ValueError(f"{where}: {_show(text)} is {len(text):,} characters long; a number has at most {MAX_CELL}.")
    if not _is_number(text):
        raise ValueError(f"{where}: {_show(text)} is not a number; use plain decimals such as -1.25 or 3e-2.")
    value = float(text)
    if not abs(value) <= MAX_ABS:  # also catches overflow to inf, as in 1e400
        raise ValueError(
            f"{where}: {_show(text)} is too large; values must be within +/-{MAX_ABS:g}. "
            "This playground is for 2-D points near the origin: rescale the data first."
        )
    return value


def _parse_row(row: list[str], line: int) -> tuple[float, float, float]:
    if any("\n" in cell or "\r" in cell for cell in row):
        raise ValueError(f'Line {line}: a quoted value runs over several lines; look for a stray quote (").')
    if len(row) != len(CSV_COLUMNS):
        if len(row) < len(CSV_COLUMNS):
            detail = "missing " + ", ".join(CSV_COLUMNS[len(row) :])
        else:
            detail = "extra value " + _show(row[len(CSV_COLUMNS)].strip()) + " after label"
        raise ValueError(
            f"Line {line} has {len(row)} value(s), expected 3 ({_ALLOWED}): {detail}.{_separator_hint(row)}"
        )
    x1, x2, label = (_parse_value(cell, line, column) for cell, column in zip(row, CSV_COLUMNS, strict=True))
    return x1, x2, label


def _labels_to_01(labels: np.ndarray) -> np.ndarray:
    classes = np.unique(labels)
    if len(classes) == 1:
        raise ValueError(f"Every row has label {classes[0]:g}: the label column needs exactly two classes.")
    if len(classes) > 2:
        shown = ", ".join(f"{c:g}" for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
        raise ValueError(
            f"The label column has {len(classes)} different values ({shown}); it needs exactly two classes, "
            "such as 0/1 or -1/1."
        )
    # 0/1 stay as they are; any other pair maps the smaller to 0 and the larger to 1.
    return (labels == classes[1]).astype(np.int64)


def load_csv(source: Source) -> tuple[np.ndarray, np.ndarray]:
    """Read columns x1, x2, label into X (m, 2) float64 and y (m,) int64 of 0/1.

    source is CSV text (a str is always text, never a file name), bytes, a path (os.PathLike) or a
    file-like object (a BytesIO such as Streamlit's UploadedFile is read whole, wherever its
    position). The text must be UTF-8 (a byte-order mark is fine). latin-1 is not tried: it would
    decode any binary file without error, and a numeric CSV is plain ASCII anyway.

    An optional first row is the header x1, x2, label (case and spaces ignored); blank lines are
    skipped. Labels must be two distinct numbers: 0/1 are kept, other pairs (-1/1, 1/2) map the
    smaller to 0. Between MIN_ROWS and MAX_ROWS data rows, every value finite, within +/-MAX_ABS and
    at most MAX_CELL characters long (checked first: reading takes time linear in the file's size).
    Anything else raises ValueError with a message meant for the user.
    """
    text = _read_text(source)
    # Counted in C before Python looks at a line: 5 MB of blank lines took the row loop 5 s, and a server's
    # other sessions waited that long (benchmarks/bench_fairness.py).
    lines = max(text.count("\n"), text.count("\r")) + 1
    if lines > MAX_LINES:
        raise ValueError(
            f"The file has {lines:,} lines; at most {MAX_LINES:,} are read ({MAX_ROWS:,} data rows, with blank lines)."
        )
    rows: list[tuple[float, float, float]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    first, line = True, 1  # line: where the current row starts (a quoted value can span lines)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                if first and _is_header(row):
                    pass
                elif first and not _looks_like_data(row):
                    raise _header_error(row, line)
                elif len(rows) == MAX_ROWS:
                    raise ValueError(f"The file has more than {MAX_ROWS:,} data rows; the limit is {MAX_ROWS:,}.")
                else:
                    rows.append(_parse_row(row, line))
                first = False
            line = reader.line_num + 1
    except csv.Error as e:
        raise ValueError(f"Line {line} is not valid CSV: {_show(str(e), 60)}.") from None

    if len(rows) < MIN_ROWS:
        raise ValueError(f"The file has {len(rows)} data row(s); at least {MIN_ROWS} are needed.")
    data = np.array(rows, dtype=np.float64)  # (m, 3): x1, x2, label
    return np.ascontiguousarray(data[:, :2]), _labels_to_01(data[:, 2])


def _looks_like_data(row: list[str]) -> bool:
    """A first row with at most one non-number is data with a bad cell (named later), not a header."""
    words = _NAN | _INF
    numbers_ = sum(_is_number(c.strip()) or c.strip().lower() in words for c in row)
    return numbers_ >= 1 and numbers_ >= len(row) - 1


def _is_number(text: str) -> bool:
    """Whether `text` is a plain decimal number: the length is checked before the expression runs."""
    return len(text) <= MAX_CELL and _NUMBER.fullmatch(text) is not None


def to_csv(X: np.ndarray, y: np.ndarray) -> str:
    """CSV text with the header x1,x2,label and one row per sample of X (m, 2), y (m,) of 0/1.

    Floats are written with repr, the shortest text that reads back to the same float, so
    load_csv(to_csv(X, y)) returns X and y exactly (load_csv's row and size limits still apply).
    """
    X, y = _check_shapes(X, y)
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite; it contains NaN or infinite values")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y must contain only 0 and 1; found {_show(np.unique(y)[:5].tolist())}")
    lines = [",".join(CSV_COLUMNS)]
    lines += [f"{float(a)!r},{float(b)!r},{int(label)}" for (a, b), label in zip(X.tolist(), y.tolist(), strict=True)]
    return "\n".join(lines) + "\n"
