"""The readable maths (network.py) against the tutorial's code written plainly, and against
central differences."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons

import twolayer
from tests.support import plain_tutorial as plain
from twolayer.features import FEATURES, expand
from twolayer.network import cross_entropy, init_params

FEATURE_SETS = [("x1", "x2"), ("x1^2", "x2^2"), ("x1", "x2", "x1*x2", "sin(x1)"), FEATURES]


@pytest.fixture
def moons():
    X, y = make_moons(n_samples=200, noise=0.2, random_state=3)
    return X.T, y.reshape(1, -1).astype(float)


def test_init_follows_the_tutorial_formulas():
    params = init_params(2, 5, "he", np.random.default_rng(7))
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(params["W1"], rng.standard_normal((5, 2)) * np.sqrt(2 / 2))
    np.testing.assert_array_equal(params["W2"], rng.standard_normal((1, 5)) * np.sqrt(2 / 5))
    assert not params["b1"].any() and params["b1"].shape == (5, 1)
    assert not params["b2"].any() and params["b2"].shape == (1, 1)
    small = init_params(2, 5, "small", np.random.default_rng(7))
    np.testing.assert_allclose(small["W1"], params["W1"] / np.sqrt(2 / 2) * 0.01)


def test_forward_cost_and_backward_match_the_plain_tutorial(moons):
    X, Y = moons
    params = init_params(2, 6, "he", np.random.default_rng(0))
    params["b1"] += 0.1  # non-zero biases so their gradients are exercised
    y, cache = plain.forward_propagation(X, params)
    A2, ours = twolayer.forward(X, params)
    np.testing.assert_allclose(A2, y, rtol=0, atol=1e-15)
    assert twolayer.compute_cost(X, Y, params) == pytest.approx(float(plain.cost(y, Y)), abs=1e-14)
    expected = plain.back_propagation(X, Y, params, cache)
    grads = twolayer.backward(X, Y, params, ours)
    for name in expected:
        np.testing.assert_allclose(grads[name], expected[name], rtol=0, atol=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("l2, l1", [(0.0, 0.0), (0.7, 0.0), (0.0, 0.4), (0.5, 0.3)])
@pytest.mark.parametrize("features", FEATURE_SETS)
def test_gradients_match_central_differences(moons, activation, l2, l1, features):
    X, Y = moons
    X = expand(X, features)
    n_x = len(features)
    params = init_params(n_x, 4, "he", np.random.default_rng(1))
    params["b1"] = np.random.default_rng(2).normal(size=(4, 1))
    for name in ("W1", "W2"):  # |W| has a kink at 0: keep every weight at least 0.05 from it
        params[name] = np.sign(params[name]) * np.maximum(np.abs(params[name]), 0.05)
    errors = twolayer.gradient_check(X, Y, params, activation=activation, l2=l2, l1=l1)
    assert set(errors) == {"W1", "b1", "W2", "b2"}
    for name, error in errors.items():
        assert error < 1e-7, (name, error)


def test_l1_gradient_is_the_sign_times_l1_over_m_and_zero_at_zero(moons):
    X, Y = moons
    params = init_params(2, 3, "he", np.random.default_rng(0))
    params["W1"][0, 0] = 0.0
    _, cache = twolayer.forward(X, params)
    plain_grads = twolayer.backward(X, Y, params, cache)
    grads = twolayer.backward(X, Y, params, cache, l1=0.6)
    m = X.shape[1]
    np.testing.assert_allclose(grads["dW1"] - plain_grads["dW1"], 0.6 / m * np.sign(params["W1"]), rtol=0, atol=1e-17)
    np.testing.assert_allclose(grads["dW2"] - plain_grads["dW2"], 0.6 / m * np.sign(params["W2"]), rtol=0, atol=1e-17)
    assert grads["dW1"][0, 0] == plain_grads["dW1"][0, 0]  # the subgradient 0 at W = 0
    np.testing.assert_array_equal(grads["db1"], plain_grads["db1"])  # biases are not penalised
    penalty = twolayer.compute_cost(X, Y, params, l1=0.6) - twolayer.compute_cost(X, Y, params)
    assert penalty == pytest.approx(0.6 / m * (np.abs(params["W1"]).sum() + np.abs(params["W2"]).sum()), rel=1e-12)


def test_linear_activation_is_the_identity(moons):
    X, _ = moons
    params = init_params(2, 3, "he", np.random.default_rng(0))
    _, cache = twolayer.forward(X, params, "linear")
    np.testing.assert_array_equal(cache["A1"], params["W1"] @ X + params["b1"])


def test_gradient_check_catches_a_wrong_gradient(moons, monkeypatch):
    X, Y = moons
    params = init_params(2, 3, "he", np.random.default_rng(1))
    right = twolayer.network.backward

    def wrong(*args, **kwargs):
        grads = right(*args, **kwargs)
        grads["dW2"] = grads["dW2"] * 1.01
        return grads

    monkeypatch.setattr(twolayer.gradcheck, "backward", wrong)
    errors = twolayer.gradient_check(X, Y, params)
    assert errors["W2"] > 1e-3 and errors["W1"] < 1e-7


def test_cost_is_finite_without_warnings_for_extreme_logits():
    Z2 = np.array([[-1e6, -800.0, -40.0, 0.0, 40.0, 800.0, 1e6]])
    Y = np.array([[1, 1, 0, 1, 1, 0, 0]], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost = cross_entropy(Z2, Y)
        A2 = twolayer.activations.sigmoid(Z2)
    # log(1 + e^z) - y z, worked by hand: 1e6 + 800 + ~0 + ln 2 + ~0 + 800 + 1e6
    assert cost == pytest.approx((2e6 + 1600 + np.log(2) + 2 * np.log1p(np.exp(-40.0))) / 7, rel=1e-15)
    assert np.all((A2 >= 0) & (A2 <= 1)) and A2[0, 0] == 0.0 and A2[0, -1] == 1.0


def test_small_weights_start_at_chance_level(moons):
    X, Y = moons
    params = init_params(2, 5, "small", np.random.default_rng(0))
    assert twolayer.compute_cost(X, Y, params) == pytest.approx(np.log(2), abs=2e-3)
