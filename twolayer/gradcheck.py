"""Numerical gradient check: the backward pass against central differences of the cost."""

import numpy as np

from . import validation as v
from .network import Params, backward, compute_cost, forward


def gradient_check(
    X, Y, params: Params, *, activation: str = "tanh", l2: float = 0.0, l1: float = 0.0, epsilon: float = 1e-6
) -> dict[str, float]:
    """Relative error |a - n| / (|a| + |n|) per parameter array (norms over the array), where a is
    the analytic gradient from `backward` and n the central difference (J(t+e) - J(t-e)) / 2e.

    X (n_features, m), Y (1, m). Below 1e-7 means the gradients are right (float64, smooth
    activations); relu, and L1 at a weight near 0, may show larger errors when a difference step
    crosses a kink.
    """
    X = v.check_features("X", X)
    Y = v.check_labels("Y", Y, X.shape[1])
    v.check_activation(activation)
    v.check_l2(l2)
    v.check_l1(l1)
    v.check_number("epsilon", epsilon, low=0.0, high=1.0, low_open=True)
    params = {name: np.array(value, dtype=float) for name, value in params.items()}
    _, cache = forward(X, params, activation)
    analytic = backward(X, Y, params, cache, activation, l2, l1)
    errors = {}
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            plus = compute_cost(X, Y, params, activation, l2, l1)
            value[index] = original - epsilon
            minus = compute_cost(X, Y, params, activation, l2, l1)
            value[index] = original
            numeric[index] = (plus - minus) / (2 * epsilon)
        a = analytic["d" + name]
        denominator = np.linalg.norm(a) + np.linalg.norm(numeric)
        errors[name] = 0.0 if denominator == 0 else float(np.linalg.norm(a - numeric) / denominator)
    return errors
