"""The training step of `network.py`, fused and in place, for speed.

Same maths as `forward` + `cross_entropy` + `backward` + `update`, rearranged so that a step
makes as few NumPy calls as possible: at 500 samples and 5 hidden units a call costs about as
much as its arithmetic, so the number of calls is what sets the speed.

- Biases ride in the matrices: T1 = [W1 | b1] (n_h, n_x+1) multiplies X with a row of ones
  appended, T2 = [W2 | b2] (1, n_h+1) multiplies A1 with a row of ones. One matmul then gives
  Z1 (or Z2), and one matmul gives dW1 and db1 together (or dW2 and db2).
- T1 and T2 are views of one flat vector theta, and their gradients of another, so the update
  is two calls.
- The step writes Z2 into a block of rows; the cost and accuracy of a whole block of steps are
  computed afterwards in a few vectorised calls, instead of several calls per step.
- The output gradient dZ2 = A2 - Y uses sigmoid(z) = (1 + tanh(z/2)) / 2, which cannot
  overflow: 2 dZ2 = tanh(Z2/2) + (1 - 2Y). The factor 1/2 joins the 1/m in the step size.
- diag(W2) (g'(A1) * dZ2) X^T = diag(W2) [(g'(A1) * dZ2) X^T]: W2 scales the rows of the small
  gradient matrix instead of the (n_h, m) array.
- A mini-batch step (`minibatch.py` says which samples) still runs the forward pass on the whole
  training set, since the cost is recorded on it; the batch's A1 and Z2 are columns of that pass,
  gathered with `np.take`, and its X^T and 1 - 2Y are rows of copies put in the epoch's order once
  per epoch, so a batch is a contiguous slice of them.
"""

import numpy as np

from .minibatch import Schedule
from .network import Params

# Steps per block: keeps a block's Z2 rows (block x m floats) near 1 MB, in cache.
BLOCK_FLOATS = 1 << 17


def _relu(Z, out):
    np.maximum(Z, 0.0, out=out)


def _sigmoid(Z, out):  # (1 + tanh(z/2)) / 2, as in the note above
    np.multiply(Z, 0.5, out)
    np.tanh(out, out)
    np.add(out, 1.0, out)
    np.multiply(out, 0.5, out)


def _tanh_prime(A, out):  # 1 - A^2
    np.square(A, out)
    np.subtract(1.0, out, out)


def _relu_prime(A, out):  # 1 where A > 0
    np.greater(A, 0.0, out)


def _sigmoid_prime(A, out):  # A (1 - A)
    np.subtract(1.0, A, out)
    np.multiply(out, A, out)


def _linear(Z, out):  # g(z) = z
    if out is not Z:
        np.copyto(out, Z)


def _linear_prime(A, out):  # g' = 1
    out.fill(1.0)


# name -> (g(Z, out), g'(A, out)), each writing into `out`; np.tanh is a ufunc and needs no wrapper.
KERNELS = {
    "tanh": (np.tanh, _tanh_prime),
    "relu": (_relu, _relu_prime),
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "linear": (_linear, _linear_prime),
}


def with_ones_row(X: np.ndarray) -> np.ndarray:
    """X (n, m) with a row of ones appended: (n+1, m)."""
    return np.vstack([X, np.ones((1, X.shape[1]))])


def block_costs(Z2s: np.ndarray, S: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of each row of logits Z2s (..., m) against labels Y; S = 1 - 2Y (..., m).

    log(1 + e^z) - y z = max(s z, 0) + log(1 + e^-|z|) with s = 1 - 2y: no overflow, no log(0).
    """
    m = Z2s.shape[-1]
    np.multiply(Z2s, S, out=work)
    np.maximum(work, 0.0, out=work)
    total = work.sum(axis=-1)
    np.abs(Z2s, out=work)
    np.negative(work, out=work)
    np.exp(work, out=work)
    np.log1p(work, out=work)
    total += work.sum(axis=-1)
    return total / m


def block_accuracy(Z2s: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Share of points with sign(Z2) matching the label, per row: A2 > 1/2 exactly when Z2 > 0."""
    return np.count_nonzero((Z2s > 0) == (Y > 0.5), axis=-1) / Z2s.shape[-1]


class Network:
    """One network's parameters and buffers, and the fused step, for one data set.

    `run(n, learning_rate)` does n steps and returns per-step cost (and accuracy) *before* each
    update, as the tutorial records it. With `batch_size` below m each step is a mini-batch step,
    its batch chosen by `minibatch.Schedule(m, batch_size, seed)`. Nothing here validates: the
    caller has.
    """

    def __init__(
        self,
        X,
        Y,
        params: Params,
        activation: str,
        l2: float,
        X_test=None,
        Y_test=None,
        *,
        l1: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
    ):
        n_x, m = X.shape
        n_h = params["W1"].shape[0]
        self.n_x, self.n_h, self.m, self.l2, self.l1 = n_x, n_h, m, float(l2), float(l1)
        self.activate, self.derivative = KERNELS[activation]
        size1 = n_h * (n_x + 1)
        self.theta = np.zeros(size1 + n_h + 1)
        self.grad = np.zeros_like(self.theta)
        self.T1 = self.theta[:size1].reshape(n_h, n_x + 1)  # [W1 | b1]
        self.T2 = self.theta[size1:].reshape(1, n_h + 1)  # [W2 | b2]
        self.G1 = self.grad[:size1].reshape(n_h, n_x + 1)
        self.G2 = self.grad[size1:].reshape(1, n_h + 1)
        self.is_weight = np.ones_like(self.theta)  # L2 and L1 apply to weights, not biases
        self.is_weight[:size1].reshape(n_h, n_x + 1)[:, n_x] = 0.0
        self.is_weight[-1] = 0.0
        self.set_params(params)
        self.X1 = with_ones_row(np.asarray(X, dtype=float))  # (n_x+1, m)
        self.X1T = np.ascontiguousarray(self.X1.T)  # (m, n_x+1)
        self.Y = np.asarray(Y, dtype=float).reshape(m)
        self.S = 1.0 - 2.0 * self.Y
        self.A1 = np.ones((n_h + 1, m))  # rows :n_h hold Z1, then A1; the last row stays 1
        self.D = np.empty((n_h, m))
        self.dZ2 = np.empty((1, m))
        self.block = max(1, BLOCK_FLOATS // m)
        self.Z2s = np.empty((self.block, m))
        self.work = np.empty((self.block, m))
        self.test = None
        if X_test is not None:  # evaluated at every step, before the update, like the train cost
            self.test = TestSet(X_test, Y_test, n_h, self.block)
        self.schedule = None
        if batch_size is not None and batch_size < m:
            self.schedule = Schedule(m, batch_size, seed)
            self.X1Tp, self.Sp, self.epoch = np.empty_like(self.X1T), np.empty_like(self.S), -1  # epoch's order
            self.batch_buffers = {}  # batch length -> (A1 columns, dZ2, D)
        self._step = self._make_step() if self.schedule is None else self._make_batch_step()
        self.rows = [self.Z2s[i : i + 1] for i in range(self.block)]
        self.test_rows = (
            [None] * self.block if self.test is None else [self.test.Z2s[i : i + 1] for i in range(self.block)]
        )

    def set_params(self, params: Params) -> None:
        n_x = self.n_x
        self.T1[:, :n_x] = params["W1"]
        self.T1[:, n_x:] = params["b1"]
        self.T2[:, :-1] = params["W2"]
        self.T2[:, -1:] = params["b2"]

    def params(self) -> Params:
        """A copy of the current parameters as the tutorial's dict."""
        n_x, T1, T2 = self.n_x, self.T1, self.T2
        return {"W1": T1[:, :n_x].copy(), "b1": T1[:, n_x:].copy(), "W2": T2[:, :-1].copy(), "b2": T2[:, -1:].copy()}

    def logits(self, X1: np.ndarray) -> np.ndarray:
        """Z2 (m,) for inputs with the ones row appended, with the current parameters."""
        A1 = np.ones((self.n_h + 1, X1.shape[1]))
        np.matmul(self.T1, X1, out=A1[:-1])
        self.activate(A1[:-1], A1[:-1])
        return (self.T2 @ A1)[0]

    def _make_step(self):
        """The step as a closure over the buffers: locals are the cheapest lookups in Python."""
        T1, T2, A1, D, dZ2, X1, X1T, S = self.T1, self.T2, self.A1, self.D, self.dZ2, self.X1, self.X1T, self.S
        G1, G2, grad, theta, is_weight, l2, l1 = (
            self.G1,
            self.G2,
            self.grad,
            self.theta,
            self.is_weight,
            self.l2,
            self.l1,
        )
        H, W2T, m = A1[:-1], T2[:, :-1].T, self.m
        activate, derivative, test = self.activate, self.derivative, self.test
        matmul, multiply, add, subtract, tanh, dot, sign = (
            np.matmul, np.multiply, np.add, np.subtract, np.tanh, np.dot, np.sign
        )  # fmt: skip

        def step(Z2, Z2_test, learning_rate, t):
            """One update (step number t); writes Z2 (1, m) (and the test set's) first."""
            if test is not None:
                matmul(T1, test.X1, test.H)
                activate(test.H, test.H)
                matmul(T2, test.A1, Z2_test)
            matmul(T1, X1, H)  # Z1 = W1 X + b1                       (n_h, m)
            activate(H, H)  # A1 = g(Z1)
            matmul(T2, A1, Z2)  # Z2 = W2 A1 + b2                    (1, m)
            multiply(Z2, 0.5, dZ2)
            tanh(dZ2, dZ2)
            add(dZ2, S, dZ2)  # 2 dZ2 = 2 (A2 - Y) = tanh(Z2/2) + 1 - 2Y
            dot(A1, dZ2[0], G2[0])  # 2m [dW2 | db2] = 2 dZ2 [A1; 1]^T
            derivative(H, D)
            multiply(D, dZ2, D)  # 2 dZ1 / W2^T = g'(A1) * 2 dZ2       (n_h, m)
            dot(D, X1T, G1)
            multiply(G1, W2T, G1)  # 2m [dW1 | db1] = 2 dZ1 [X; 1]^T
            if l2:  # + lambda W, doubled to match
                add(grad, (2 * l2) * is_weight * theta, grad)
            if l1:  # + l1 sign(W), doubled to match
                add(grad, (2 * l1) * is_weight * sign(theta), grad)
            multiply(grad, 0.5 * (learning_rate / m), grad)
            subtract(theta, grad, theta)  # theta := theta - alpha d theta

        return step

    def _make_batch_step(self):
        """The mini-batch step: the forward pass on every sample (the recorded cost needs it), then
        the backward pass on the batch's columns of it. Comments as in `_make_step`."""
        T1, T2, A1, X1, X1T, S, X1Tp, Sp = self.T1, self.T2, self.A1, self.X1, self.X1T, self.S, self.X1Tp, self.Sp
        G1, G2, grad, theta, is_weight, l2, l1 = (
            self.G1,
            self.G2,
            self.grad,
            self.theta,
            self.is_weight,
            self.l2,
            self.l1,
        )
        H, W2T = A1[:-1], T2[:, :-1].T
        activate, derivative, test = self.activate, self.derivative, self.test
        schedule, buffers = self.schedule, self.batch_buffers
        matmul, multiply, add, subtract, tanh, dot, sign, take = (
            np.matmul, np.multiply, np.add, np.subtract, np.tanh, np.dot, np.sign, np.take
        )  # fmt: skip

        def step(Z2, Z2_test, learning_rate, t):
            """One update on step t's batch; writes Z2 (1, m) on every sample (and the test set's) first."""
            order, start, stop = schedule.batch(t)
            if schedule.epoch != self.epoch:  # a new epoch: X^T and 1 - 2Y in its order, once
                take(X1T, order, axis=0, out=X1Tp, mode="clip")
                take(S, order, out=Sp, mode="clip")
                self.epoch = schedule.epoch
            batch, n = order[start:stop], stop - start
            A1b, dZ2b, Db = buffers.get(n) or self._batch_buffers(n)
            if test is not None:
                matmul(T1, test.X1, test.H)
                activate(test.H, test.H)
                matmul(T2, test.A1, Z2_test)
            matmul(T1, X1, H)  # Z1 = W1 X + b1 on every sample            (n_h, m)
            activate(H, H)
            matmul(T2, A1, Z2)  # Z2 = W2 A1 + b2                          (1, m)
            take(A1, batch, axis=1, out=A1b, mode="clip")  # the batch's [A1; 1]   (n_h+1, n)
            take(Z2[0], batch, out=dZ2b[0], mode="clip")
            multiply(dZ2b, 0.5, dZ2b)
            tanh(dZ2b, dZ2b)
            add(dZ2b, Sp[start:stop], dZ2b)  # 2 dZ2 on the batch              (1, n)
            dot(A1b, dZ2b[0], G2[0])
            derivative(A1b[:-1], Db)
            multiply(Db, dZ2b, Db)
            dot(Db, X1Tp[start:stop], G1)
            multiply(G1, W2T, G1)  # 2n [dW1 | db1], n the batch's size
            if l2:  # the penalties' gradients use the batch's n too: 2n lambda/n W
                add(grad, (2 * l2) * is_weight * theta, grad)
            if l1:
                add(grad, (2 * l1) * is_weight * sign(theta), grad)
            multiply(grad, 0.5 * (learning_rate / n), grad)
            subtract(theta, grad, theta)

        return step

    def _batch_buffers(self, n: int):
        buffers = self.batch_buffers[n] = (np.empty((self.n_h + 1, n)), np.empty((1, n)), np.empty((self.n_h, n)))
        return buffers

    def weight_penalty(self) -> float:
        """lambda/(2m) (|W1|^2 + |W2|^2) + l1/m (sum|W1| + sum|W2|) for the current parameters."""
        penalty = self.l2 / (2 * self.m) * float(np.dot(self.theta * self.theta, self.is_weight))
        if self.l1:
            penalty += self.l1 / self.m * float(np.dot(np.abs(self.theta), self.is_weight))
        return penalty

    def run(self, n: int, learning_rate: float, accuracy: bool = True, check=None, start: int = 0) -> dict:
        """n steps, numbered from `start` (mini-batches follow the step number). Returns per-step
        arrays {"cost", and with `accuracy` "accuracy", and with a test set "test_cost",
        "test_accuracy"}, each recorded before the update. Stops early, keeping the steps before the
        bad one, when `check(block_costs)` returns the index of a bad step or an update makes the
        parameters non-finite; then the arrays are shorter than n.
        """
        out = {"cost": np.empty(n)}
        if accuracy:
            out["accuracy"] = np.empty(n)
        if self.test is not None:
            out["test_cost"], out["test_accuracy"] = np.empty(n), np.empty(n)
        done = 0
        while done < n:
            with np.errstate(all="ignore"):  # a blow-up is detected and reported, not warned about
                done, bad = self._run_block(min(self.block, n - done), done, start, learning_rate, out, accuracy, check)
            if bad is not None:
                return {name: values[:done] for name, values in out.items()}
        return out

    def _run_block(self, k, done, start, learning_rate, out, accuracy, check):
        """Steps k times, writing records at [done, done + k); returns (new done, bad step or None)."""
        saved = self.theta.copy()
        penalties = np.empty(k) if self.l2 or self.l1 else None
        step, rows, test_rows, t = self._step, self.rows, self.test_rows, start + done
        for i in range(k):
            if penalties is not None:
                penalties[i] = self.weight_penalty()
            step(rows[i], test_rows[i], learning_rate, t + i)
        c = block_costs(self.Z2s[:k], self.S, self.work[:k])
        if penalties is not None:
            c += penalties
        bad = check(c) if check else None
        if bad is None and not np.isfinite(self.theta).all():
            bad = self._first_nonfinite_step(saved, k, learning_rate, t)
        if bad is not None:  # keep the steps before the bad one: replay them from the block's start
            self.theta[...] = saved
            for i in range(bad):
                step(rows[i], test_rows[i], learning_rate, t + i)
            k = bad
        out["cost"][done : done + k] = c[:k]
        if accuracy:
            out["accuracy"][done : done + k] = block_accuracy(self.Z2s[:k], self.Y)
        if self.test is not None:
            test = self.test
            out["test_cost"][done : done + k] = block_costs(test.Z2s[:k], test.S, test.work[:k])
            out["test_accuracy"][done : done + k] = block_accuracy(test.Z2s[:k], test.Y)
        return done + k, bad

    def _first_nonfinite_step(self, saved, k, learning_rate, t) -> int:
        """Replays a block from `saved` to find the step whose update made theta non-finite."""
        self.theta[...] = saved
        for i in range(k):
            self._step(self.rows[i], self.test_rows[i], learning_rate, t + i)
            if not np.isfinite(self.theta).all():
                return i
        return k


class TestSet:
    """Buffers for evaluating a held-out set at every step."""

    def __init__(self, X_test, Y_test, n_h: int, block: int):
        m = X_test.shape[1]
        self.X1 = with_ones_row(np.asarray(X_test, dtype=float))
        self.Y = np.asarray(Y_test, dtype=float).reshape(m)
        self.S = 1.0 - 2.0 * self.Y
        self.A1 = np.ones((n_h + 1, m))
        self.H = self.A1[:-1]
        self.Z2s = np.empty((block, m))
        self.work = np.empty((block, m))
