"""The tutorial's two-layer network: initialisation, forward pass, cost, backward pass, update.

Shapes follow the tutorial: samples are columns. X is (n_x, m), Y is (1, m) with 0/1 labels,
W1 is (n_h, n_x), b1 (n_h, 1), W2 (1, n_h), b2 (1, 1).

    Z1 = W1 X + b1        A1 = g(Z1)            (g is tanh unless told otherwise)
    Z2 = W2 A1 + b2       A2 = sigmoid(Z2)
    J  = -1/m sum(Y log A2 + (1 - Y) log(1 - A2))  +  lambda/(2m) (|W1|^2 + |W2|^2)     (L2)
                                                      +  l1/m (sum|W1| + sum|W2|)          (L1)

    dJ/dW gains lambda/m W from L2 and l1/m sign(W) from L1 (the subgradient 0 at W = 0); the
    biases are not penalised. X holds the input features, one row each (`features.expand`).

These functions are the readable reference; `kernels.py` computes the same steps in place for
speed, and the tests hold the two to each other.
"""

import numpy as np

from .activations import ACTIVATIONS, sigmoid

Params = dict[str, np.ndarray]

INITIALISATIONS = ("he", "small")


def init_params(n_x: int, n_h: int, init: str, rng: np.random.Generator) -> Params:
    """Random weights, zero biases. "he": randn * sqrt(2 / fan_in); "small": randn * 0.01."""
    scale1, scale2 = (np.sqrt(2 / n_x), np.sqrt(2 / n_h)) if init == "he" else (0.01, 0.01)
    W1 = rng.standard_normal((n_h, n_x)) * scale1
    W2 = rng.standard_normal((1, n_h)) * scale2
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((1, 1))}


def forward(X: np.ndarray, params: Params, activation: str = "tanh") -> tuple[np.ndarray, dict]:
    """Returns A2 (1, m), the predicted probability of class 1, and the cache for `backward`."""
    g, _ = ACTIVATIONS[activation]
    Z1 = params["W1"] @ X + params["b1"]  # (n_h, m)
    A1 = g(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]  # (1, m)
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(Z2: np.ndarray, Y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(Z2) against Y, computed from the logits Z2.

    -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z, and log(1 + e^z) is
    `logaddexp(0, z)`: finite for every finite z, so no log(0) and no overflow.
    """
    m = Y.shape[1]
    return float(np.sum(np.logaddexp(0.0, Z2) - Y * Z2) / m)


def l2_penalty(params: Params, l2: float, m: int) -> float:
    """lambda/(2m) (|W1|^2 + |W2|^2): the biases are not penalised."""
    if l2 == 0:
        return 0.0
    return float(l2 / (2 * m) * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)))


def l1_penalty(params: Params, l1: float, m: int) -> float:
    """l1/m (sum|W1| + sum|W2|): the biases are not penalised."""
    if l1 == 0:
        return 0.0
    return float(l1 / m * (np.sum(np.abs(params["W1"])) + np.sum(np.abs(params["W2"]))))


def compute_cost(
    X: np.ndarray, Y: np.ndarray, params: Params, activation: str = "tanh", l2: float = 0.0, l1: float = 0.0
) -> float:
    """The cost J the network is trained on: cross-entropy plus the L2 and L1 penalties."""
    _, cache = forward(X, params, activation)
    m = Y.shape[1]
    return cross_entropy(cache["Z2"], Y) + l2_penalty(params, l2, m) + l1_penalty(params, l1, m)


def backward(
    X: np.ndarray,
    Y: np.ndarray,
    params: Params,
    cache: dict,
    activation: str = "tanh",
    l2: float = 0.0,
    l1: float = 0.0,
) -> Params:
    """Gradients of J with respect to each parameter: {"dW1", "db1", "dW2", "db2"}."""
    _, g_prime = ACTIVATIONS[activation]
    m = X.shape[1]
    # Sigmoid output with cross-entropy: dJ/dZ2 = A2 - Y (the sigmoid's derivative cancels).
    dZ2 = cache["A2"] - Y  # (1, m)
    dW2 = dZ2 @ cache["A1"].T / m + l2 / m * params["W2"]
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = params["W2"].T @ dZ2 * g_prime(cache["A1"])  # (n_h, m)
    dW1 = dZ1 @ X.T / m + l2 / m * params["W1"]
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    if l1:  # np.sign(0) = 0: the subgradient 0 at W = 0
        dW1 = dW1 + l1 / m * np.sign(params["W1"])
        dW2 = dW2 + l1 / m * np.sign(params["W2"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params: Params, grads: Params, learning_rate: float) -> Params:
    """One gradient-descent step: theta := theta - alpha dJ/dtheta."""
    return {name: value - learning_rate * grads["d" + name] for name, value in params.items()}


def predict_proba(X: np.ndarray, params: Params, activation: str = "tanh") -> np.ndarray:
    """Probability of class 1 for each column of X: shape (m,)."""
    A2, _ = forward(X, params, activation)
    return A2[0]
