"""Training that can be driven a step at a time: `Trainer`, and the tutorial's `fit`."""

import math
from dataclasses import dataclass

import numpy as np

from . import validation as v
from .kernels import Network
from .network import Params, init_params, predict_proba

# A cost this many times the untrained network's means the steps overshoot instead of descending.
# On make_moons (500 points, 5 tanh units) learning rates up to 5 stay below 2.5x; 10 reaches 5.5-15x.
DIVERGENCE_RATIO = 5.0

HISTORY_KEYS = ("cost", "accuracy", "test_cost", "test_accuracy")


class TrainingDiverged(ArithmeticError):
    """Raised when the cost or the parameters blow up; says where and what to try instead."""

    def __init__(self, iteration: int, learning_rate: float, reason: str, cost: float | None = None):
        # `cost` is the finite cost that tripped the check, at the parameters after `iteration` updates
        # (the history stops before it); None when the cost or the parameters became non-finite.
        self.iteration, self.learning_rate, self.reason, self.cost = iteration, learning_rate, reason, cost
        super().__init__(
            f"Training diverged at iteration {iteration} with learning rate {learning_rate:g}: {reason}. "
            f"Try a lower learning rate, such as {learning_rate / 10:g}."
        )


@dataclass(frozen=True)
class Snapshot:
    """The state after `iteration` updates: parameters and the history of every step before."""

    iteration: int
    params: Params
    history: dict[str, np.ndarray]  # read-only arrays of length `iteration`
    learning_rate: float


class Trainer:
    """Full-batch gradient descent on one network, N steps at a time.

    X is (n_features, m) and Y (1, m), the tutorial's shapes; X_test/Y_test likewise, optional.
    `train(n)` continues where the last call stopped: any split of the same total number of steps
    gives bit-identical results. The history records, for each step, the cost (with the L2 penalty)
    and the accuracy on the training set *before* that step's update, as the tutorial records its
    costs; with a test set also the test cost (cross-entropy only) and accuracy.
    """

    def __init__(
        self,
        X,
        Y,
        hidden_size: int = 5,
        learning_rate: float = 0.3,
        *,
        activation: str = "tanh",
        init: str = "he",
        l2: float = 0.0,
        random_state=None,
        X_test=None,
        Y_test=None,
        params: Params | None = None,
        track_accuracy: bool = True,
        divergence_ratio: float | None = DIVERGENCE_RATIO,
    ):
        X = v.check_features("X", X)
        Y = v.check_labels("Y", Y, X.shape[1])
        hidden_size = v.check_int("hidden_size", hidden_size, low=1)
        self.learning_rate = learning_rate
        self.activation = v.check_activation(activation)
        self.l2 = v.check_l2(l2)
        self.init = v.check_init(init)
        if (X_test is None) != (Y_test is None):
            raise ValueError("X_test and Y_test must be given together")
        if X_test is not None:
            X_test = v.check_features("X_test", X_test, n_features=X.shape[0])
            Y_test = v.check_labels("Y_test", Y_test, X_test.shape[1])
        if params is None:
            rng = np.random.default_rng(v.check_random_state(random_state))
            params = init_params(X.shape[0], hidden_size, init, rng)
        else:
            params = _check_params(params, X.shape[0], hidden_size)
        self.divergence_ratio = divergence_ratio
        self.track_accuracy = track_accuracy
        self.net = Network(X, Y, params, activation, l2, X_test, Y_test)
        self.has_test = X_test is not None
        self.iteration = 0
        self._start_cost: float | None = None  # the first recorded cost: the divergence yardstick
        self.diverged: TrainingDiverged | None = None
        self._buffers = {key: np.empty(1024) for key in self._keys()}

    def _keys(self):
        keys = ["cost"] + (["accuracy"] if self.track_accuracy else [])
        return keys + (["test_cost", "test_accuracy"] if self.has_test else [])

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """May change between calls to `train`: the run continues from where it is."""
        self._learning_rate = v.check_learning_rate(value)

    @property
    def params(self) -> Params:
        """A copy of the current parameters: W1 (n_h, n_x), b1 (n_h, 1), W2 (1, n_h), b2 (1, 1)."""
        return self.net.params()

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per-step records so far, read-only views (cheap; they never change afterwards)."""
        out = {}
        for key, buffer in self._buffers.items():
            view = buffer[: self.iteration]
            view.flags.writeable = False
            out[key] = view
        return out

    def snapshot(self) -> Snapshot:
        return Snapshot(self.iteration, self.params, self.history, self.learning_rate)

    def train(self, steps: int) -> Snapshot:
        """Runs `steps` more updates; raises TrainingDiverged (keeping the good steps) on blow-up.

        All or nothing: if anything interrupts it, the trainer is left as it was before the call.
        """
        steps = v.check_int("steps", steps, low=1)
        if self.diverged is not None:
            raise self.diverged
        self._bad_cost = None
        start = self.net.theta.copy()
        try:
            records = self.net.run(steps, self.learning_rate, accuracy=self.track_accuracy, check=self._first_bad_cost)
        except BaseException:  # interrupted (a KeyboardInterrupt, a UI thread stopped): as if never called
            self.net.theta[...] = start
            raise
        done = len(records["cost"])
        self._append(records, done)
        if done < steps:  # step number `self.iteration` (counting from 0) was the bad one
            if self._bad_cost is None:
                reason = "its update made the parameters infinite or NaN"
            elif not math.isfinite(self._bad_cost):
                reason = "the cost became infinite or NaN"
            else:
                reason = (
                    f"the cost rose to {self._bad_cost:.4f}, more than {self.divergence_ratio:g} times "
                    f"its starting value {self._start_cost:.3g}"
                )
            cost = self._bad_cost if self._bad_cost is not None and math.isfinite(self._bad_cost) else None
            self.diverged = TrainingDiverged(self.iteration, self.learning_rate, reason, cost)
            raise self.diverged
        return self.snapshot()

    def _first_bad_cost(self, costs: np.ndarray) -> int | None:
        """Index of the first cost that is non-finite or above the divergence ratio, or None."""
        bad = ~np.isfinite(costs)
        if self._start_cost is None:
            self._start_cost = float(costs[0])
        if self.divergence_ratio is not None:
            bad |= costs > self.divergence_ratio * self._start_cost
        if not bad.any():
            return None
        first = int(np.argmax(bad))
        self._bad_cost = float(costs[first])
        return first

    def _append(self, records: dict[str, np.ndarray], n: int) -> None:
        end = self.iteration + n
        for key, values in records.items():
            buffer = self._buffers[key]
            if end > len(buffer):
                bigger = np.empty(max(end, 2 * len(buffer)))
                bigger[: self.iteration] = buffer[: self.iteration]
                buffer = self._buffers[key] = bigger
            buffer[self.iteration : end] = values
        self.iteration = end

    def predict_proba(self, X) -> np.ndarray:
        """Probability of class 1 for each column of X (n_features, m) under the current parameters."""
        X = v.check_features("X", X, n_features=self.net.n_x)
        return predict_proba(X, self.params, self.activation)


def _check_params(params, n_x: int, n_h: int) -> Params:
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (1, n_h), "b2": (1, 1)}
    if not isinstance(params, dict) or set(params) != set(shapes):
        raise ValueError(f"params must be a dict with keys {', '.join(shapes)}")
    out = {}
    for name, shape in shapes.items():
        value = np.asarray(params[name], dtype=float)
        if value.shape != shape:
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"params[{name!r}] contains NaN or infinite values")
        out[name] = value
    return out


def fit(X, Y, learning_rate, hidden_size, number_of_iterations=5000, *, random_state=None):
    """The tutorial's `fit`: returns (params, costs), costs[i] being the cost before update i.

    X is (n_features, m), Y (1, m) with 0/1 labels. He initialisation, tanh hidden layer.
    The same random_state gives identical results; raises TrainingDiverged if the run blows up.
    """
    number_of_iterations = v.check_int("number_of_iterations", number_of_iterations, low=1)
    trainer = Trainer(X, Y, hidden_size, learning_rate, random_state=random_state, track_accuracy=False)
    trainer.train(number_of_iterations)
    return trainer.params, trainer.history["cost"].tolist()
