"""Mini-batch gradient descent: the fast kernel against a plain reference written here, the
schedule's rules (stateless shuffling, short last batch, epochs), pause/resume, train_many,
weight edits and the argument checks."""

import contextlib

import numpy as np
import pytest
from sklearn.datasets import make_moons

import twolayer
from twolayer import Config, Trainer, TrainingDiverged, train_many
from twolayer.network import init_params

G = {  # g(Z) and g'(Z), written from Z here (the library writes g' from A)
    "tanh": (np.tanh, lambda Z: 1 - np.tanh(Z) ** 2),
    "relu": (lambda Z: np.maximum(Z, 0), lambda Z: (Z > 0) * 1.0),
    "sigmoid": (lambda Z: 1 / (1 + np.exp(-Z)), lambda Z: np.exp(-Z) / (1 + np.exp(-Z)) ** 2),
    "linear": (lambda Z: Z, np.ones_like),
}


def moons(seed=0, n=150, noise=0.25):
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)


def plain_minibatch(X, Y, params, steps, learning_rate, batch_size, seed, activation="tanh", l2=0.0, l1=0.0):
    """Mini-batch gradient descent written out plainly, from the rule in the docs: step t is batch
    t % B of epoch t // B (B = ceil(m / batch_size)), the epoch visiting the samples in the order
    default_rng((seed, epoch)).permutation(m). Records the cost on the whole set before each step."""
    g, g_prime = G[activation]
    W1, b1, W2, b2 = (params[name].copy() for name in ("W1", "b1", "W2", "b2"))
    m = X.shape[1]
    per_epoch = int(np.ceil(m / batch_size))
    costs, accuracies = [], []
    for t in range(steps):
        A2 = 1 / (1 + np.exp(-(W2 @ g(W1 @ X + b1) + b2)))  # the whole set, for the record
        cross_entropy = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
        penalty = l2 / (2 * m) * (np.sum(W1**2) + np.sum(W2**2)) + l1 / m * (np.sum(np.abs(W1)) + np.sum(np.abs(W2)))
        costs.append(cross_entropy + penalty)
        accuracies.append(np.mean((A2 > 0.5) == (Y > 0.5)))
        epoch, b = divmod(t, per_epoch)
        order = np.random.default_rng((seed, epoch)).permutation(m)
        batch = order[b * batch_size : (b + 1) * batch_size]
        Xb, Yb, n = X[:, batch], Y[:, batch], len(batch)
        Z1 = W1 @ Xb + b1
        A1 = g(Z1)
        A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
        dZ2 = A2 - Yb
        dW2 = dZ2 @ A1.T / n + l2 / n * W2 + l1 / n * np.sign(W2)
        db2 = dZ2.sum(axis=1, keepdims=True) / n
        dZ1 = W2.T @ dZ2 * g_prime(Z1)
        dW1 = dZ1 @ Xb.T / n + l2 / n * W1 + l1 / n * np.sign(W1)
        db1 = dZ1.sum(axis=1, keepdims=True) / n
        W1, b1, W2, b2 = (
            W1 - learning_rate * dW1,
            b1 - learning_rate * db1,
            W2 - learning_rate * dW2,
            b2 - learning_rate * db2,
        )
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, np.array(costs), np.array(accuracies)


@pytest.mark.parametrize(
    "batch_size, activation, l2, l1",
    [
        (1, "tanh", 0.0, 0.0),
        (32, "tanh", 0.3, 0.0),  # 150 = 4 x 32 + 22: a short last batch
        (32, "relu", 0.0, 0.2),
        (50, "sigmoid", 0.2, 0.1),
        (7, "linear", 0.0, 0.05),
        (149, "tanh", 0.1, 0.0),  # batches of 149 and 1
    ],
)
def test_minibatch_training_equals_the_plain_reference(batch_size, activation, l2, l1):
    X, Y = moons(1)
    params = init_params(2, 6, "he", np.random.default_rng(4))
    trainer = Trainer(
        X, Y, 6, 0.4, activation=activation, l2=l2, l1=l1, batch_size=batch_size, params=params, random_state=9
    )
    trainer.train(400)
    expected, costs, accuracies = plain_minibatch(X, Y, params, 400, 0.4, batch_size, 9, activation, l2, l1)
    np.testing.assert_allclose(trainer.history["cost"], costs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(trainer.history["accuracy"], accuracies)
    for name, value in expected.items():
        np.testing.assert_allclose(trainer.params[name], value, rtol=0, atol=1e-12, err_msg=name)


def test_minibatch_with_features_equals_the_plain_reference_on_expanded_inputs():
    X, Y = moons(2)
    features = ("x1", "x2", "x1^2", "x2^2", "sin(x1)")
    params = init_params(len(features), 4, "he", np.random.default_rng(0))
    trainer = Trainer(X, Y, 4, 0.3, batch_size=16, features=features, params=params, random_state=5, l1=0.05)
    trainer.train(300)
    X_expanded = np.vstack([X[0], X[1], X[0] ** 2, X[1] ** 2, np.sin(X[0])])
    expected, costs, _ = plain_minibatch(X_expanded, Y, params, 300, 0.3, 16, 5, l1=0.05)
    np.testing.assert_allclose(trainer.history["cost"], costs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trainer.params["W1"], expected["W1"], rtol=0, atol=1e-12)


def test_the_full_batch_is_not_shuffled_and_equals_batch_size_none_bit_for_bit():
    X, Y = moons(3)
    runs = [Trainer(X, Y, 5, 0.5, random_state=2, batch_size=b, l2=0.1) for b in (None, X.shape[1])]
    for trainer in runs:
        trainer.train(700)
    np.testing.assert_array_equal(runs[0].history["cost"], runs[1].history["cost"])
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(runs[0].params[name], runs[1].params[name])
    assert runs[1].shuffle_seed is None and runs[1].steps_per_epoch == 1 and runs[1].epoch == 700


def test_pause_and_resume_is_bit_identical_across_epochs_and_short_batches():
    X, Y = moons(5, n=100)
    Xt, Yt = moons(6, n=40)
    kwargs = dict(random_state=3, l2=0.1, l1=0.02, batch_size=30, X_test=Xt, Y_test=Yt)  # 4 steps per epoch
    whole = Trainer(X, Y, 6, 0.4, **kwargs)
    whole.train(2000)
    pieces = Trainer(X, Y, 6, 0.4, **kwargs)
    pieces.net.block = 7  # blocks that cut epochs too
    for steps in (1, 3, 4, 5, 300, 1, 686, 1000):
        pieces.train(steps)
    assert pieces.iteration == whole.iteration == 2000
    for key in ("cost", "accuracy", "test_cost", "test_accuracy"):
        np.testing.assert_array_equal(pieces.history[key], whole.history[key])
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(pieces.params[name], whole.params[name])


def test_epochs_count_passes_over_the_training_set():
    X, Y = moons(0, n=100)
    trainer = Trainer(X, Y, batch_size=32, random_state=0)  # 32 + 32 + 32 + 4
    assert trainer.steps_per_epoch == 4 and trainer.epoch == 0
    trainer.train(3)
    assert trainer.epoch == 0
    trainer.train(1)
    assert trainer.epoch == 1
    trainer.train(37)
    assert (trainer.iteration, trainer.epoch) == (41, 10)
    assert Trainer(X, Y, batch_size=1, random_state=0).steps_per_epoch == 100


def test_the_seed_names_the_shuffling_and_a_drawn_seed_replays_the_run():
    X, Y = moons(0, n=80)
    params = init_params(2, 3, "he", np.random.default_rng(0))
    runs = {seed: Trainer(X, Y, 3, 0.3, batch_size=10, params=params, random_state=seed) for seed in (1, 1, 2)}
    a = Trainer(X, Y, 3, 0.3, batch_size=10, params=params, random_state=1)
    b = Trainer(X, Y, 3, 0.3, batch_size=10, params=params, random_state=2)
    for trainer in (*runs.values(), a, b):
        trainer.train(50)
    np.testing.assert_array_equal(a.history["cost"], runs[1].history["cost"])
    assert a.shuffle_seed == 1 and not np.array_equal(a.history["cost"][1:], b.history["cost"][1:])
    unseeded = Trainer(X, Y, 3, 0.3, batch_size=10, params=params)  # the seed is drawn, and kept
    unseeded.train(50)
    replay = Trainer(X, Y, 3, 0.3, batch_size=10, params=params, random_state=unseeded.shuffle_seed)
    replay.train(50)
    np.testing.assert_array_equal(replay.history["cost"], unseeded.history["cost"])


def test_every_sample_is_used_once_per_epoch():
    """A linear network with all-zero weights moves b2 by exactly -lr * mean(A2 - Y) over the batch:
    after one epoch of batch_size 1 at a tiny rate, b2 has summed -lr (1/2 - y) over all samples."""
    X, Y = moons(0, n=40)
    zeros = {"W1": np.zeros((2, 2)), "b1": np.zeros((2, 1)), "W2": np.zeros((1, 2)), "b2": np.zeros((1, 1))}
    trainer = Trainer(X, Y, 2, 1e-9, activation="linear", batch_size=1, params=zeros, random_state=0)
    trainer.train(40)
    assert trainer.params["b2"][0, 0] == pytest.approx(-1e-9 * np.sum(0.5 - Y), rel=1e-6)


@pytest.mark.parametrize("batch_size", [1, 25])
def test_train_many_minibatches_equal_training_alone(batch_size):
    X, Y = moons(0, n=120)
    Xt, Yt = moons(1, n=30)
    configs = [Config(0.3, 4, 0), Config(1.0, 4, 1, l2=0.2), Config(0.5, 6, 2, "small"), Config(30.0, 4, 3)]
    features = ("x1", "x2", "x1*x2")
    results = train_many(X, Y, configs, 300, batch_size=batch_size, l1=0.01, features=features, X_test=Xt, Y_test=Yt)
    for config, result in zip(configs, results, strict=True):
        trainer = Trainer(
            X, Y, config.hidden_size, config.learning_rate, init=config.init, l2=config.l2, l1=0.01,
            batch_size=batch_size, features=features, random_state=config.random_state,
        )  # fmt: skip
        with contextlib.suppress(TrainingDiverged):
            trainer.train(300)
        np.testing.assert_allclose(result.costs, trainer.history["cost"], rtol=0, atol=1e-12, err_msg=str(config))
        for name, value in trainer.params.items():
            np.testing.assert_allclose(result.params[name], value, rtol=0, atol=1e-12)
        assert (result.diverged is None) == (trainer.diverged is None)
    assert results[-1].diverged is not None


def test_divergence_with_minibatches_keeps_exactly_the_good_steps():
    X, Y = moons(0, n=120)
    trainer = Trainer(X, Y, 5, 40.0, batch_size=8, random_state=0)
    with pytest.raises(TrainingDiverged):
        trainer.train(3000)
    n = trainer.iteration
    assert n > 0
    free = Trainer(X, Y, 5, 40.0, batch_size=8, random_state=0, divergence_ratio=None)
    free.train(n)  # the same steps, without the rule: the kept steps must be these
    np.testing.assert_array_equal(trainer.history["cost"], free.history["cost"])
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(trainer.params[name], free.params[name])


def test_an_edited_weight_replays_exactly():
    X, Y = moons(4, n=90)
    kwargs = dict(batch_size=16, l1=0.01, random_state=7, features=("x1", "x2", "x2^2"))
    edited = Trainer(X, Y, 4, 0.5, **kwargs)
    edited.train(37)
    edited.set_weight("W1", (2, 2), -1.5)
    edited.set_weight("b2", (0, 0), 0.25)
    assert edited.params["W1"][2, 2] == -1.5 and edited.params["b2"][0, 0] == 0.25
    edited.train(100)
    assert edited.edits == [(37, "W1", (2, 2), -1.5), (37, "b2", (0, 0), 0.25)]
    replay = Trainer(X, Y, 4, 0.5, **kwargs)
    done = 0
    for iteration, name, index, value in edited.edits:  # what a reproducing script does
        if iteration > done:
            replay.train(iteration - done)
            done = iteration
        replay.set_weight(name, index, value)
    replay.train(137 - done)
    np.testing.assert_array_equal(replay.history["cost"], edited.history["cost"])
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(replay.params[name], edited.params[name])
    plain = Trainer(X, Y, 4, 0.5, **kwargs)
    plain.train(137)
    assert plain.history["cost"][36] == edited.history["cost"][36]
    assert plain.history["cost"][37] != edited.history["cost"][37]  # the edit changed the run from there


@pytest.mark.parametrize(
    "args, match",
    [
        (("W3", (0, 0), 1.0), "name must be one of 'W1', 'b1', 'W2', 'b2'"),
        (("W1", (5, 0), 1.0), r"index must be a \(row, column\) pair with row in \[0, 4\] and column in \[0, 1\]"),
        (("W1", (0, -1), 1.0), "index must be"),
        (("b1", 3, 1.0), "index must be"),
        (("W2", (0, 1.0), 1.0), "index must be"),
        (("W2", (0, 1), float("nan")), "value must be a finite number"),
        (("W2", (0, 1), "big"), "value must be a finite number"),
    ],
)
def test_set_weight_rejects_bad_arguments_and_changes_nothing(args, match):
    trainer = Trainer(*moons(0, n=30), 5, random_state=0)
    before = trainer.params
    with pytest.raises(ValueError, match=match):
        trainer.set_weight(*args)
    assert trainer.edits == []
    for name, value in before.items():
        np.testing.assert_array_equal(trainer.params[name], value)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, r"batch_size must be None \(the full batch\) or an integer in \[1, 30\]"),
        ({"batch_size": 31}, r"batch_size must be None .* in \[1, 30\]"),
        ({"batch_size": 2.5}, "batch_size must be"),
        ({"batch_size": True}, "batch_size must be"),
        ({"batch_size": "32"}, "batch_size must be"),
        ({"l1": -0.1}, r"l1 must be in \[0, inf\)"),
        ({"l1": float("inf")}, "l1 must be a finite number"),
    ],
)
def test_bad_minibatch_arguments_are_rejected_by_name(kwargs, match):
    X, Y = moons(0, n=30)
    with pytest.raises(ValueError, match=match):
        Trainer(X, Y, **kwargs)
    with pytest.raises(ValueError, match=match):
        twolayer.fit(X, Y, 0.3, 5, 10, **kwargs)
    with pytest.raises(ValueError, match=match):
        train_many(X, Y, [Config()], 10, **kwargs)
