"""Hidden-layer activations and their derivatives, written in terms of the activation's output.

Each entry maps a name to ``(g, g_prime)`` where ``A = g(Z)`` and ``dA/dZ = g_prime(A)``; using
the output (not Z) is what lets the backward pass reuse the cached ``A1``, as the tutorial does
with ``1 - A1**2`` for tanh.
"""

import numpy as np


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-Z), computed without overflow for any finite Z."""
    # e^Z / (1 + e^Z) written as exp(Z - log(1 + e^Z)); logaddexp never overflows.
    return np.exp(Z - np.logaddexp(0.0, Z))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


ACTIVATIONS = {
    "tanh": (np.tanh, lambda A: 1.0 - A**2),
    "relu": (relu, lambda A: (A > 0).astype(A.dtype)),
    "sigmoid": (sigmoid, lambda A: A * (1.0 - A)),
    "linear": (lambda Z: Z, np.ones_like),  # g(z) = z, g' = 1
}
