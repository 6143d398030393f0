"""Checks for arguments at the library's public edges, each raising ValueError that names the
argument and what is allowed. Inside the library, values are trusted."""

import math
import numbers

import numpy as np

from .activations import ACTIVATIONS
from .features import DEFAULT_FEATURES, expand
from .features import check_features as check_feature_names  # noqa: F401 - re-exported: one place for checks
from .network import INITIALISATIONS

MAX_SEED = 2**32 - 1  # scikit-learn's generators take seeds below 2**32; one bound for every seed


def check_number(name: str, value, *, low: float, high: float = math.inf, low_open: bool = False) -> float:
    """A real, finite number in [low, high] (or (low, high] with low_open)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        left = "(" if low_open else "["
        right = "]" if math.isfinite(high) else ")"
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}{right}, got {value:g}")
    return value


def check_int(name: str, value, *, low: int, high: int | None = None) -> int:
    """An integer (Python or NumPy) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value}")
    return value


def check_learning_rate(value) -> float:
    return check_number("learning_rate", value, low=0.0, low_open=True)


def check_choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_activation(value) -> str:
    return check_choice("activation", value, tuple(ACTIVATIONS))


def check_init(value) -> str:
    return check_choice("init", value, INITIALISATIONS)


def check_l2(value) -> float:
    return check_number("l2", value, low=0.0)


def check_l1(value) -> float:
    return check_number("l1", value, low=0.0)


def check_batch_size(value, m: int) -> int | None:
    """None (the full batch) or an integer in [1, m], m being the number of training samples."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= m:
        raise ValueError(
            f"batch_size must be None (the full batch) or an integer in [1, {m}], the number of training "
            f"samples; got {value!r:.40}"
        )
    return int(value)


def check_random_state(value):
    """None, a seed in [0, MAX_SEED], or a numpy Generator (which the caller's code then advances)."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= MAX_SEED:
        raise ValueError(
            f"random_state must be None, an integer in [0, 2**32 - 1] or a numpy.random.Generator; got {value!r:.40}"
        )
    return int(value)


def check_features(name: str, X, n_features: int | None = None) -> np.ndarray:
    """X in the tutorial's shape (n_features, m): 2-D, finite, at least one column."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array of shape (n_features, m)") from None
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n_features, m) with n_features >= 1 and m >= 1, got {X.shape}")
    if n_features is not None and X.shape[0] != n_features:
        raise ValueError(f"{name} must have {n_features} rows (features), like the training data; got {X.shape[0]}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values; every value must be finite")
    return X


def check_labels(name: str, Y, m: int) -> np.ndarray:
    """Y in the tutorial's shape (1, m) (a flat (m,) is accepted), every value 0 or 1."""
    try:
        Y = np.asarray(Y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of 0/1 labels of shape (1, m)") from None
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if Y.shape != (1, m):
        raise ValueError(f"{name} must have shape (1, {m}) to match X's {m} columns, got {Y.shape}")
    if not np.isin(Y, (0.0, 1.0)).all():
        bad = float(Y[~np.isin(Y, (0.0, 1.0))][0])
        raise ValueError(f"{name} must contain only the labels 0 and 1, found {bad:g}")
    return Y


def check_inputs(name: str, X, features: tuple[str, ...], n_rows: int | None = None) -> np.ndarray:
    """The network's inputs from X: X itself for the default features, where X may have any number
    of rows (n_rows if given), as before features existed; otherwise the chosen features (already
    checked) of raw X (2, m)."""
    X = check_features(name, X, n_features=n_rows)
    if features == DEFAULT_FEATURES:
        return X
    if X.shape[0] != 2:
        raise ValueError(
            f"{name} must have 2 rows, the raw inputs x1 and x2, to compute the features "
            f"{', '.join(features)}; got {X.shape[0]}"
        )
    return expand(X, features)
