"""Input features computed from the raw inputs x1, x2, as TensorFlow Playground offers them.

X is the tutorial's (2, m): row 0 is x1, row 1 is x2. `expand` stacks the chosen features as rows,
always in the order of FEATURES (TF Playground's), so W1 has one column per chosen feature, in
that order: (n_h, len(features)).
"""

import numpy as np

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
DEFAULT_FEATURES = ("x1", "x2")

# name -> the feature's row, from x1 and x2 (each (m,))
FORMULAS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def check_features(features) -> tuple[str, ...]:
    """The chosen feature names in FEATURES' order; ValueError naming `features` if they are not a
    non-empty collection of distinct names from FEATURES."""
    allowed = ", ".join(map(repr, FEATURES))
    if isinstance(features, str) or not isinstance(features, list | tuple):
        raise ValueError(f"features must be a tuple or list of names from {allowed}; got {features!r:.60}")
    unknown = [name for name in features if not isinstance(name, str) or name not in FEATURES]
    if unknown:
        raise ValueError(f"features must be names from {allowed}; got {unknown[0]!r:.40}")
    if not features:
        raise ValueError(f"features must name at least one of {allowed}")
    if len(set(features)) != len(features):
        repeated = next(name for name in features if features.count(name) > 1)
        raise ValueError(f"features must not repeat a name; {repeated!r} appears {features.count(repeated)} times")
    return tuple(name for name in FEATURES if name in features)


def expand(X, features=DEFAULT_FEATURES) -> np.ndarray:
    """The chosen features of raw inputs X (2, m), as rows in FEATURES' order: (len(features), m) float64.

    With the default features ("x1", "x2") the result holds X's values unchanged.
    """
    features = check_features(features)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"X must have shape (2, m), the raw inputs x1 and x2, to compute features; got {X.shape}")
    x1, x2 = X
    out = np.empty((len(features), X.shape[1]))
    for row, name in zip(out, features, strict=True):
        row[...] = FORMULAS[name](x1, x2)
    return out
