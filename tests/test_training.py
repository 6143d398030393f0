"""Training: the tutorial's numbers, the fast kernel against the readable maths, pause/resume,
determinism, divergence and every argument check."""

import numpy as np
import pytest
from sklearn.datasets import make_moons

import twolayer
from tests.support import plain_tutorial as plain
from twolayer import Trainer, TrainingDiverged
from twolayer.network import backward, compute_cost, forward, init_params, update


def moons(seed=0, n=500, noise=0.2):
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)


def reference_run(X, Y, params, steps, learning_rate, activation="tanh", l2=0.0, X_test=None, Y_test=None, l1=0.0):
    """Gradient descent with network.py's readable functions: the history the kernel must give."""
    history = {"cost": [], "accuracy": [], "test_cost": [], "test_accuracy": []}
    for _ in range(steps):
        A2, cache = forward(X, params, activation)
        history["cost"].append(compute_cost(X, Y, params, activation, l2, l1))
        history["accuracy"].append(np.mean((A2 > 0.5) == (Y > 0.5)))
        if X_test is not None:
            At, _ = forward(X_test, params, activation)
            history["test_cost"].append(compute_cost(X_test, Y_test, params, activation))
            history["test_accuracy"].append(np.mean((At > 0.5) == (Y_test > 0.5)))
        params = update(params, backward(X, Y, params, cache, activation, l2, l1), learning_rate)
    return params, {k: np.array(v) for k, v in history.items() if v}


def test_fit_equals_the_plain_tutorial_code():
    X, Y = moons(0)
    params, costs = twolayer.fit(X, Y, 0.3, 5, 5000, random_state=0)
    expected_params, expected_costs = plain.fit(X, Y, 0.3, 5, 5000, random_state=0)
    assert len(costs) == 5000 and isinstance(costs, list)
    np.testing.assert_allclose(costs, np.array(expected_costs, dtype=float), rtol=0, atol=1e-9)
    for name, value in expected_params.items():
        assert params[name].shape == value.shape
        np.testing.assert_allclose(params[name], value, rtol=0, atol=1e-9)


def test_the_default_run_keeps_the_numbers_it_gave_before_batch_size_l1_and_features():
    """Pinned before mini-batches, L1 and features were added (bit-identical then on this machine;
    1e-15 leaves room for another CPU's rounding, not for a change of the maths)."""
    X, Y = moons(0)
    params, costs = twolayer.fit(X, Y, 0.3, 5, 5000, random_state=0)
    np.testing.assert_allclose(
        [costs[0], costs[999], costs[-1]], [0.6026488577797168, 0.12771998442279, 0.07516782306374796], rtol=1e-15
    )
    explicit = Trainer(X, Y, 5, 0.3, random_state=0, batch_size=None, l1=0.0, features=("x1", "x2"))
    explicit.train(5000)
    np.testing.assert_array_equal(explicit.history["cost"], costs)
    for name, value in params.items():
        np.testing.assert_array_equal(explicit.params[name], value)


def test_tutorial_run_reproduced_over_data_seeds():
    """The tutorial reports a last cost of 0.068 for one unseeded run; seeds 0-9 must agree."""
    last = [twolayer.fit(*moons(seed), 0.3, 5, 5000, random_state=seed)[1][-1] for seed in range(10)]
    assert 0.05 <= np.median(last) <= 0.10


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("l2, l1", [(0.0, 0.0), (0.5, 0.0), (0.0, 0.05), (0.3, 0.02)])
def test_fast_kernel_equals_the_readable_maths(activation, l2, l1):
    X, Y = moons(1, n=120)
    Xt, Yt = moons(2, n=40)
    params = init_params(2, 7, "he", np.random.default_rng(4))
    trainer = Trainer(X, Y, 7, 0.5, activation=activation, l2=l2, l1=l1, params=params, X_test=Xt, Y_test=Yt)
    trainer.train(300)
    expected_params, expected = reference_run(X, Y, params, 300, 0.5, activation, l2, Xt, Yt, l1)
    for key, values in expected.items():
        np.testing.assert_allclose(trainer.history[key], values, rtol=0, atol=1e-10, err_msg=key)
    for name, value in expected_params.items():
        np.testing.assert_allclose(trainer.params[name], value, rtol=0, atol=1e-10)


def test_pause_and_resume_equals_an_uninterrupted_run():
    X, Y = moons(5)
    Xt, Yt = moons(6, n=100)
    kwargs = dict(random_state=3, l2=0.1, X_test=Xt, Y_test=Yt)
    whole = Trainer(X, Y, 6, 0.4, **kwargs)
    whole.train(3000)
    pieces = Trainer(X, Y, 6, 0.4, **kwargs)
    for steps in (1, 7, 300, 1, 692, 1999):
        pieces.train(steps)
    assert pieces.iteration == whole.iteration == 3000
    for key in ("cost", "accuracy", "test_cost", "test_accuracy"):
        np.testing.assert_array_equal(pieces.history[key], whole.history[key])
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(pieces.params[name], whole.params[name])


def test_same_seed_same_run_and_longer_runs_extend_shorter_ones():
    X, Y = moons(0)
    p1, c1 = twolayer.fit(X, Y, 0.3, 5, 400, random_state=11)
    p2, c2 = twolayer.fit(X, Y, 0.3, 5, 400, random_state=11)
    _, c3 = twolayer.fit(X, Y, 0.3, 5, 401, random_state=11)
    _, c4 = twolayer.fit(X, Y, 0.3, 5, 400, random_state=12)
    assert c1 == c2 and c3[:400] == c1 and len(c3) == 401
    assert c4[0] != c1[0]
    for name in p1:
        np.testing.assert_array_equal(p1[name], p2[name])


def test_snapshots_are_cheap_frozen_views():
    trainer = Trainer(*moons(0), random_state=0)
    first = trainer.train(100)
    costs = first.history["cost"].copy()
    trainer.train(5000)  # the history buffer grows and is copied
    np.testing.assert_array_equal(first.history["cost"], costs)
    assert first.iteration == 100 and trainer.snapshot().iteration == 5100
    with pytest.raises(ValueError):
        first.history["cost"][0] = 1.0
    first.params["W1"][0, 0] = 99.0  # a copy: the trainer's parameters are not touched
    assert trainer.params["W1"][0, 0] != 99.0


def test_learning_rate_can_change_between_calls():
    X, Y = moons(0)
    trainer = Trainer(X, Y, 5, 0.3, random_state=0)
    trainer.train(50)
    trainer.learning_rate = 1.0
    trainer.train(50)
    params = init_params(2, 5, "he", np.random.default_rng(0))
    params, _ = reference_run(X, Y, params, 50, 0.3)
    params, expected = reference_run(X, Y, params, 50, 1.0)
    np.testing.assert_allclose(trainer.history["cost"][50:], expected["cost"], rtol=0, atol=1e-12)


def test_divergence_at_a_high_learning_rate_raises_and_keeps_the_good_steps():
    X, Y = moons(0)
    trainer = Trainer(X, Y, 5, 10.0, random_state=0)
    with pytest.raises(TrainingDiverged) as caught:
        trainer.train(5000)
    message = str(caught.value)
    assert f"iteration {trainer.iteration}" in message and "learning rate 10" in message
    assert "lower learning rate" in message
    assert caught.value.iteration == trainer.iteration > 0
    costs = trainer.history["cost"]
    assert np.isfinite(costs).all() and costs.max() <= 5 * costs[0]
    assert all(np.isfinite(p).all() for p in trainer.params.values())
    with pytest.raises(TrainingDiverged):  # stays stopped
        trainer.train(1)


def test_non_finite_parameters_are_caught_even_without_the_cost_rule():
    X, Y = moons(0)
    trainer = Trainer(X, Y, 5, 1e308, activation="relu", random_state=0, divergence_ratio=None)
    with pytest.raises(TrainingDiverged, match="infinite or NaN"):
        trainer.train(50)
    assert all(np.isfinite(p).all() for p in trainer.params.values())
    assert np.isfinite(trainer.history["cost"]).all()


def test_default_learning_rates_do_not_trip_the_divergence_rule():
    for seed in range(5):
        Trainer(*moons(seed), 5, 3.0, random_state=seed).train(2000)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learning_rate": -0.1}, r"learning_rate must be in \(0, inf\)"),
        ({"learning_rate": 0}, "learning_rate must be in"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"learning_rate": float("inf")}, "learning_rate must be a finite number"),
        ({"learning_rate": "fast"}, "learning_rate must be a finite number"),
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1"),
        ({"hidden_size": 2.5}, "hidden_size must be an integer"),
        ({"hidden_size": True}, "hidden_size must be an integer"),
        ({"number_of_iterations": 0}, "number_of_iterations must be an integer >= 1"),
        ({"random_state": -1}, "random_state must be"),
    ],
)
def test_fit_rejects_bad_arguments_by_name(kwargs, match):
    X, Y = moons(0, n=50)
    args = {"learning_rate": 0.3, "hidden_size": 5, "number_of_iterations": 10} | kwargs
    random_state = args.pop("random_state", 0)
    with pytest.raises(ValueError, match=match):
        twolayer.fit(X, Y, random_state=random_state, **args)


def test_fit_rejects_bad_data_by_name():
    X, Y = moons(0, n=50)
    bad_X = X.copy()
    bad_X[0, 3] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinite"):
        twolayer.fit(bad_X, Y, 0.3, 5, 10)
    with pytest.raises(ValueError, match=r"Y must have shape \(1, 50\)"):
        twolayer.fit(X, Y[:, :40], 0.3, 5, 10)
    with pytest.raises(ValueError, match="only the labels 0 and 1, found 2"):
        twolayer.fit(X, Y * 2, 0.3, 5, 10)
    with pytest.raises(ValueError, match=r"X must have shape \(n_features, m\)"):
        twolayer.fit(X[0], Y, 0.3, 5, 10)
    with pytest.raises(ValueError, match="X_test must have 2 rows"):
        Trainer(X, Y, X_test=X[:1], Y_test=Y)
    with pytest.raises(ValueError, match="activation must be one of 'tanh', 'relu', 'sigmoid', 'linear'"):
        Trainer(X, Y, activation="softmax")
    with pytest.raises(ValueError, match="init must be one of 'he', 'small'"):
        Trainer(X, Y, init="zeros")
    with pytest.raises(ValueError, match=r"l2 must be in \[0, inf\)"):
        Trainer(X, Y, l2=-1)
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(5, 2\)"):
        Trainer(X, Y, params={"W1": np.zeros((2, 2)), "b1": 0, "W2": 0, "b2": 0})
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        Trainer(X, Y).train(0)
