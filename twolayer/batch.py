"""Many networks trained at once: the same step as `kernels.Network`, on stacked arrays.

Configurations with the same hidden size are stacked along a leading axis k, so each NumPy call
does the work of k networks and its overhead is paid once. Each network's numbers are those of
training it alone (`Trainer`), to rounding: the tests hold them to 1e-9. Mini-batches, L1 and
input features are shared by all configurations (keyword arguments of `train_many`); each network
shuffles its epochs from its own seed, as `Trainer` does.
"""

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from . import validation as v
from .features import DEFAULT_FEATURES
from .kernels import BLOCK_FLOATS, KERNELS, block_accuracy, block_costs, with_ones_row
from .minibatch import epoch_order, shuffle_seed, steps_per_epoch
from .network import Params, init_params
from .training import DIVERGENCE_RATIO, Trainer, TrainingDiverged


@dataclass(frozen=True)
class Config:
    """One network to train: its hyperparameters and initialisation seed."""

    learning_rate: float = 0.3
    hidden_size: int = 5
    random_state: int | None = 0
    init: str = "he"
    l2: float = 0.0


@dataclass
class Result:
    """What training one configuration gave."""

    config: Config
    costs: np.ndarray  # (iterations,) cost before each update; shorter if it diverged
    params: Params
    accuracy: float  # on the training set, with the final parameters
    test_cost: float = np.nan  # cross-entropy on the test set, final parameters (NaN without one)
    test_accuracy: float = np.nan
    diverged: TrainingDiverged | None = field(default=None)
    steps: np.ndarray | None = None  # the steps whose costs `costs` holds (train_many's record); None: every step


def train_many(
    X,
    Y,
    configs,
    iterations: int,
    *,
    activation: str = "tanh",
    batch_size: int | None = None,
    l1: float = 0.0,
    features=DEFAULT_FEATURES,
    X_test=None,
    Y_test=None,
    threads: int = 1,
    on_step: Callable[[], None] | None = None,
    record=None,
) -> list[Result]:
    """Trains every configuration for `iterations` steps; returns one Result per config, in order.

    X (n_features, m) and Y (1, m) are shared by all configurations, or X (k, n_features, m) and
    Y (k, 1, m) give each of the k configurations its own data set of the same size (a sweep over
    noise or data seeds). X_test/Y_test follow the same rule. X is raw (2, m) for features other
    than the default; activation, batch_size, l1 and features apply to every configuration, as in
    `Trainer`. Configurations of one hidden size are stacked; with threads > 1 the stacks are cut
    into that many parts trained in parallel (NumPy releases the GIL in its loops), which gives the
    same numbers. `on_step()`, if given, is called after every step of every stack (from the worker
    threads when threads > 1) and every ALONE_STEPS steps of a diverged network retrained alone; it may
    raise to abandon training (a stop flag: the exception reaches the caller).

    `record` (increasing step numbers below `iterations`) keeps only those steps' costs: Result.costs then
    holds them and Result.steps names them, the same values as recording every step. The costs of the other
    steps are not computed (the cross-entropy's exp and log1p are ~10 % of a step) unless they might trip the
    divergence check: a bound that needs no exp or log decides that, so a divergence is found at the same
    step as before. A network that diverged is retrained alone, and its Result has every step (steps None).
    """
    configs = [_check_config(c) for c in configs]
    if not configs:
        raise ValueError("configs must contain at least one Config")
    iterations = v.check_int("iterations", iterations, low=1)
    activation = v.check_activation(activation)
    l1 = v.check_l1(l1)
    features = v.check_feature_names(features)
    data = _per_config_data(X, Y, len(configs), "X", "Y", features)
    batch_size = v.check_batch_size(batch_size, data[0][0].shape[1])
    if (X_test is None) != (Y_test is None):
        raise ValueError("X_test and Y_test must be given together")
    test = None
    if X_test is not None:
        test = _per_config_data(X_test, Y_test, len(configs), "X_test", "Y_test", features)
        if test[0][0].shape[0] != data[0][0].shape[0]:
            raise ValueError(f"X_test must have {data[0][0].shape[0]} rows (features), like the training data")
    options = dict(activation=activation, l1=l1, batch_size=batch_size)
    threads = v.check_int("threads", threads, low=1, high=64)
    if record is not None:
        record = np.asarray(record)
        if record.ndim != 1 or record.dtype.kind not in "iu" or not len(record):
            raise ValueError("record must be a non-empty 1-D array of step numbers")
        if record[0] < 0 or record[-1] >= iterations or np.any(np.diff(record) <= 0):
            raise ValueError(f"record must hold increasing step numbers from 0 to {iterations - 1}")
    groups = []
    for hidden_size in sorted({c.hidden_size for c in configs}):
        same = [i for i, c in enumerate(configs) if c.hidden_size == hidden_size]
        groups += [part.tolist() for part in np.array_split(same, min(threads, len(same)))]

    def train_group(group):
        stack = Stack([configs[i] for i in group], [data[i] for i in group], **options)
        stack.on_step = on_step
        return stack, *stack.run(iterations, record)

    if threads == 1:
        trained = [train_group(group) for group in groups]
    else:
        with ThreadPoolExecutor(threads) as pool:
            trained = list(pool.map(train_group, groups))
    results: list[Result | None] = [None] * len(configs)
    for group, (stack, costs, bad) in zip(groups, trained, strict=True):
        for j, i in enumerate(group):
            if bad[j]:  # rare: redo alone, which finds the exact step and keeps the good ones
                results[i] = _train_alone(configs[i], data[i], test and test[i], iterations, options, on_step)
            else:
                result = _result(configs[i], costs[j], stack.params(j), data[i], test and test[i], activation)
                results[i] = result if record is None else replace(result, steps=record)
    return results


ALONE_STEPS = 50  # a network retrained alone calls on_step every this many steps (a late divergence may take long)


def _result(config, costs, params, data, test, activation, diverged=None) -> Result:
    from .network import forward

    def evaluate(X, Y):
        _, cache = forward(X, params, activation)
        Z2 = cache["Z2"]
        S = 1.0 - 2.0 * Y
        return float(block_costs(Z2, S, np.empty_like(Z2))[0]), float(block_accuracy(Z2, Y)[0])

    _, accuracy = evaluate(*data)
    test_cost, test_accuracy = evaluate(*test) if test is not None else (np.nan, np.nan)
    return Result(config, costs, params, accuracy, test_cost, test_accuracy, diverged)


def _train_alone(config, data, test, iterations, options, on_step=None) -> Result:
    """`data` holds the features already: the default features pass them on unchanged. Trained in parts of
    ALONE_STEPS steps (the same numbers as one call), with `on_step()` after each part."""
    X_test, Y_test = test if test is not None else (None, None)
    trainer = Trainer(
        *data,
        config.hidden_size,
        config.learning_rate,
        init=config.init,
        l2=config.l2,
        random_state=config.random_state,
        X_test=X_test,
        Y_test=Y_test,
        track_accuracy=False,
        **options,
    )
    with contextlib.suppress(TrainingDiverged):
        while trainer.iteration < iterations:
            trainer.train(min(ALONE_STEPS, iterations - trainer.iteration))
            if on_step is not None:
                on_step()
    params, activation = trainer.params, options["activation"]
    return _result(config, trainer.history["cost"].copy(), params, data, test, activation, trainer.diverged)


class Stack:
    """k networks of one hidden size, stacked along a leading axis: theta is (k, n_params).

    Every matrix product is a stacked `np.matmul`, which makes for each network the same BLAS
    call, with the same shapes, as `kernels.Network` does: the results are then bit-identical to
    training alone, even where rounding differences would grow (learning rates near divergence).
    With mini-batches each network has its own epochs' orders (from its seed), so the batch's
    columns are gathered per network with flat indices into the stacked arrays.
    """

    def __init__(
        self, configs: list[Config], data: list, activation: str, l1: float = 0.0, batch_size: int | None = None
    ):
        X0 = data[0][0]
        n_x, m = X0.shape
        n_h, k = configs[0].hidden_size, len(configs)
        self.n_x, self.n_h, self.m, self.k = n_x, n_h, m, k
        self.activate, self.derivative = KERNELS[activation]
        size1 = n_h * (n_x + 1)
        self.theta = np.zeros((k, size1 + n_h + 1))
        self.grad = np.zeros_like(self.theta)
        self.T1 = self.theta[:, :size1].reshape(k, n_h, n_x + 1)  # [W1 | b1] per network
        self.T2 = self.theta[:, size1:].reshape(k, 1, n_h + 1)  # [W2 | b2]
        self.G1 = self.grad[:, :size1].reshape(k, n_h, n_x + 1)
        self.G2 = self.grad[:, size1:].reshape(k, 1, n_h + 1)
        is_weight = np.ones(size1 + n_h + 1)
        is_weight[:size1].reshape(n_h, n_x + 1)[:, n_x] = 0.0
        is_weight[-1] = 0.0
        l2 = np.array([c.l2 for c in configs])[:, None]
        self.has_l2, self.l1 = bool(l2.any()), l1
        self.l2_weight = 2 * l2 * is_weight  # doubled: the gradients below are 2m times dJ
        self.half_l2_over_m = l2 / (2 * m) * is_weight
        self.l1_weight = (2 * l1) * is_weight
        self.l1_over_m = l1 / m * is_weight
        self.rate = 0.5 * np.array([c.learning_rate for c in configs])[:, None]  # see kernels.py
        self.scale = self.rate / m
        self.minibatch = batch_size is not None and batch_size < m
        seeds = []
        for j, c in enumerate(configs):
            rng = np.random.default_rng(c.random_state)
            p = init_params(n_x, n_h, c.init, rng)
            self.T1[j, :, :n_x], self.T1[j, :, n_x:] = p["W1"], p["b1"]
            self.T2[j, :, :-1], self.T2[j, :, -1:] = p["W2"], p["b2"]
            seeds.append(shuffle_seed(c.random_state, rng) if self.minibatch else None)
        chosen = data[:1] if all(d is data[0] for d in data) else data
        self.X1 = np.stack([with_ones_row(d[0]) for d in chosen])  # (1 or k, n_x+1, m)
        self.X1T = np.ascontiguousarray(self.X1.transpose(0, 2, 1))
        self.Y = np.stack([d[1].reshape(1, m) for d in chosen])  # (1 or k, 1, m)
        self.S = 1.0 - 2.0 * self.Y
        # Stored unit-major, (n_h+1, k, m), so that the elementwise work on the hidden layer runs over
        # contiguous memory; the matrix products see (k, n_h+1, m) views, each a BLAS-ready matrix.
        self.A1u = np.ones((n_h + 1, k, m))  # rows :n_h hold Z1, then A1; the last row stays 1
        self.Hu = self.A1u[:-1]
        self.A1 = self.A1u.transpose(1, 0, 2)
        self.H = self.A1[:, :-1]
        self.A1T = self.A1.transpose(0, 2, 1)
        self.W2T = self.T2[:, :, :-1].transpose(0, 2, 1)
        self.Du = np.empty((n_h, k, m))
        self.D = self.Du.transpose(1, 0, 2)
        self.dZ2 = np.empty((k, 1, m))
        self.block = max(1, BLOCK_FLOATS // (m * k))
        self.Z2s = np.empty((self.block, k, 1, m))
        self.work = np.empty_like(self.Z2s)
        self.on_step: Callable[[], None] | None = None  # called after every step (train_many's hook)
        if self.minibatch:
            self.seeds, self.batch_size = seeds, batch_size
            self.steps_per_epoch = steps_per_epoch(m, batch_size)
            self.epoch, self.batch_buffers = -1, {}

    def params(self, j: int) -> Params:
        n_x, T1, T2 = self.n_x, self.T1[j], self.T2[j]
        return {"W1": T1[:, :n_x].copy(), "b1": T1[:, n_x:].copy(), "W2": T2[:, :-1].copy(), "b2": T2[:, -1:].copy()}

    def step(self, Z2, t: int) -> None:
        """One update (step t) of every network; writes Z2 (k, 1, m) first. Comments as in kernels.py."""
        if self.minibatch:
            return self.batch_step(Z2, t)
        Hu, Du, dZ2 = self.Hu, self.Du, self.dZ2
        np.matmul(self.T1, self.X1, out=self.H)  # Z1 = W1 X + b1              (k, n_h, m)
        self.activate(Hu, Hu)
        np.matmul(self.T2, self.A1, out=Z2)  # Z2 = W2 A1 + b2                (k, 1, m)
        np.multiply(Z2, 0.5, out=dZ2)
        np.tanh(dZ2, out=dZ2)
        np.add(dZ2, self.S, out=dZ2)  # 2 dZ2
        np.matmul(dZ2, self.A1T, out=self.G2)
        self.derivative(Hu, Du)
        np.multiply(Du, dZ2[:, 0], out=Du)
        np.matmul(self.D, self.X1T, out=self.G1)
        np.multiply(self.G1, self.W2T, out=self.G1)
        self.penalise()
        np.multiply(self.grad, self.scale, out=self.grad)
        np.subtract(self.theta, self.grad, out=self.theta)

    def batch_step(self, Z2, t: int) -> None:
        """One mini-batch update of every network, each on its own batch of step t; Z2 on every sample."""
        k, m, n_h = self.k, self.m, self.n_h
        epoch, b = divmod(t, self.steps_per_epoch)
        if epoch != self.epoch:  # each network's order of this epoch; X^T and 1 - 2Y in that order
            orders = np.stack([epoch_order(seed, epoch, m) for seed in self.seeds])  # (k, m)
            self.X1Tp = np.take_along_axis(self.X1T, orders[:, :, None], axis=1)  # (k, m, n_x+1)
            self.Sp = np.take_along_axis(self.S, orders[:, None, :], axis=2)  # (k, 1, m)
            self.flat = orders + m * np.arange(k)[:, None]  # indices into (k * m) flattened arrays
            self.epoch = epoch
        start = b * self.batch_size
        stop = min(start + self.batch_size, m)
        n = stop - start
        if n not in self.batch_buffers:
            self.batch_buffers[n] = (np.empty((n_h + 1, k, n)), np.empty((k, 1, n)), np.empty((n_h, k, n)))
        A1bu, dZ2b, Dbu = self.batch_buffers[n]  # unit-major, as A1u
        batch = self.flat[:, start:stop]  # (k, n)
        np.matmul(self.T1, self.X1, out=self.H)  # Z1 = W1 X + b1 on every sample    (k, n_h, m)
        self.activate(self.Hu, self.Hu)
        np.matmul(self.T2, self.A1, out=Z2)  # Z2 = W2 A1 + b2                      (k, 1, m)
        np.take(self.A1u.reshape(n_h + 1, k * m), batch, axis=1, out=A1bu, mode="clip")  # (n_h+1, k, n)
        np.take(Z2.reshape(k * m), batch, out=dZ2b[:, 0], mode="clip")
        np.multiply(dZ2b, 0.5, out=dZ2b)
        np.tanh(dZ2b, out=dZ2b)
        np.add(dZ2b, self.Sp[:, :, start:stop], out=dZ2b)  # 2 dZ2 on each batch          (k, 1, n)
        np.matmul(dZ2b, A1bu.transpose(1, 2, 0), out=self.G2)
        self.derivative(A1bu[:-1], Dbu)
        np.multiply(Dbu, dZ2b[:, 0], out=Dbu)
        np.matmul(Dbu.transpose(1, 0, 2), self.X1Tp[:, start:stop], out=self.G1)
        np.multiply(self.G1, self.W2T, out=self.G1)
        self.penalise()
        np.multiply(self.grad, self.rate / n, out=self.grad)  # the batch's n in place of m
        np.subtract(self.theta, self.grad, out=self.theta)

    def penalise(self) -> None:
        """Adds the penalties' gradients, doubled as the rest."""
        if self.has_l2:
            np.add(self.grad, self.l2_weight * self.theta, out=self.grad)
        if self.l1:
            np.add(self.grad, self.l1_weight * np.sign(self.theta), out=self.grad)

    def run(self, iterations: int, record=None):
        """Returns costs (k, iterations), or (k, len(record)) for the steps in `record`, and a flag per network
        that diverged (its costs unusable)."""
        with np.errstate(all="ignore"):
            return self._run(iterations, record)

    def _run(self, iterations: int, record=None):
        wanted = np.ones(iterations, dtype=bool)
        if record is not None:
            wanted[:] = False
            wanted[record] = True
        costs = np.empty((self.k, int(wanted.sum())))
        kept = 0  # costs recorded so far
        bad = np.zeros(self.k, dtype=bool)
        first = None
        done = 0
        while done < iterations:
            n = min(self.block, iterations - done)
            penalties = np.zeros((n, self.k))
            for i in range(n):  # a blow-up is flagged below, not warned about
                if self.has_l2:
                    penalties[i] = np.einsum("kp,kp->k", self.theta * self.theta, self.half_l2_over_m)
                if self.l1:
                    penalties[i] += np.einsum("kp,p->k", np.abs(self.theta), self.l1_over_m)
                self.step(self.Z2s[i], done + i)
                if self.on_step is not None:
                    self.on_step()
            if first is None:  # the first step's cost: the divergence yardstick, always computed
                first = (block_costs(self.Z2s[:1, :, 0, :], self.S[:, 0, :], self.work[:1, :, 0, :]) + penalties[:1])[0]
            if wanted[done : done + n].all():
                c = block_costs(self.Z2s[:n, :, 0, :], self.S[:, 0, :], self.work[:n, :, 0, :]) + penalties  # (n, k)
            else:
                c = self._some_costs(n, wanted[done : done + n], penalties, first)
            rows = wanted[done : done + n]
            costs[:, kept : kept + rows.sum()] = c[rows].T
            kept += rows.sum()
            bad |= ~np.isfinite(c).all(axis=0) | ~np.isfinite(self.theta).all(axis=1)
            bad |= (c > DIVERGENCE_RATIO * first).any(axis=0)
            self.rate[bad] = self.scale[bad] = 0.0  # freeze the bad ones; they are redone alone
            self.theta[bad] = 0.0
            done += n
        return costs, bad

    def _some_costs(self, n: int, wanted: np.ndarray, penalties: np.ndarray, first) -> np.ndarray:
        """The costs of the block's wanted steps, as block_costs gives them, and of any step whose cost might
        trip the divergence check; the others are set to a bound below the limit (finite, never recorded).

        block_costs is (sum max(s z, 0) + sum log1p(e^-|z|)) / m; each log1p term is at most log 2, so the cost
        is at most sum max(s z, 0) / m + log 2 (+ the penalties): where that stays under the limit (with room
        for rounding), the step cannot be flagged and its exp and log1p are not needed."""
        Z2s, work, m = self.Z2s[:n, :, 0, :], self.work[:n, :, 0, :], self.m
        np.multiply(Z2s, self.S[:, 0, :], out=work)
        np.maximum(work, 0.0, out=work)
        hinge = work.sum(axis=-1)  # (n, k): block_costs' first sum
        bound = (hinge / m + LOG2) * (1 + 1e-9) + 1e-12 + penalties
        limit = DIVERGENCE_RATIO * first  # (k,)
        exact = wanted[:, None] | ~(bound < limit)  # NaN and inf bounds are computed
        i, j = np.nonzero(exact)
        Z = Z2s[i, j]  # (rows, m): the same contiguous rows block_costs sums
        np.abs(Z, out=Z)
        np.negative(Z, out=Z)
        np.exp(Z, out=Z)
        np.log1p(Z, out=Z)
        total = hinge[i, j] + Z.sum(axis=-1)
        c = np.minimum(bound, limit)
        c[i, j] = total / m + penalties[i, j]
        return c


LOG2 = float(np.log(2.0))


def _check_config(config) -> Config:
    if not isinstance(config, Config):
        raise ValueError(f"each config must be a twolayer.Config, got {type(config).__name__}")
    v.check_learning_rate(config.learning_rate)
    v.check_int("hidden_size", config.hidden_size, low=1)
    v.check_random_state(config.random_state)
    v.check_init(config.init)
    v.check_l2(config.l2)
    return config


def _per_config_data(X, Y, k: int, x_name: str, y_name: str, features: tuple[str, ...]) -> list:
    """[(X_j (n, m), Y_j (1, m))] for each of the k configurations, X_j holding the chosen features;
    shared data is one object."""
    X = np.asarray(X, dtype=float) if not isinstance(X, np.ndarray) else X
    if X.ndim == 3:
        if len(X) != k:
            raise ValueError(f"{x_name} has {len(X)} data sets for {k} configs; give one per config or one for all")
        Y = np.asarray(Y, dtype=float)
        if Y.ndim != 3 or len(Y) != k:
            raise ValueError(f"{y_name} must have shape (k, 1, m) when {x_name} has shape (k, n_features, m)")
        out = []
        for Xj, Yj in zip(X, Y, strict=True):
            Xj = v.check_inputs(x_name, Xj, features, n_rows=X.shape[1])
            out.append((Xj, v.check_labels(y_name, Yj, Xj.shape[1])))
        return out
    X = v.check_inputs(x_name, X, features)
    shared = (X, v.check_labels(y_name, Y, X.shape[1]))
    return [shared] * k
