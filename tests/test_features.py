"""Input features: `expand` against the formulas, their order, the default's identity, and the
network trained on them (Trainer, fit, predict_proba, train_many) against training on inputs
expanded by hand."""

import itertools

import numpy as np
import pytest
from sklearn.datasets import make_moons

import twolayer
from twolayer import DEFAULT_FEATURES, FEATURES, Config, Trainer, expand, train_many
from twolayer.network import init_params


def moons(seed=0, n=200):
    X, y = make_moons(n_samples=n, noise=0.2, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)


def by_hand(X, names):
    x1, x2 = X
    rows = {
        "x1": x1,
        "x2": x2,
        "x1^2": x1**2,
        "x2^2": x2**2,
        "x1*x2": x1 * x2,
        "sin(x1)": np.sin(x1),
        "sin(x2)": np.sin(x2),
    }
    return np.array([rows[name] for name in names])


def test_tf_playgrounds_seven_features_in_its_order():
    assert FEATURES == ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    assert DEFAULT_FEATURES == ("x1", "x2")
    X = np.array([[0.0, 1.5, -2.0, np.pi / 2], [3.0, -0.5, 0.25, -1.0]])
    np.testing.assert_array_equal(expand(X, FEATURES), by_hand(X, FEATURES))
    assert expand(X, ["sin(x2)", "x1^2"]).tolist() == [[0.0, 2.25, 4.0, np.pi**2 / 4], list(np.sin(X[1]))]


def test_rows_follow_features_order_whatever_order_they_are_given_in():
    X = moons(1)[0]
    for subset in itertools.permutations(("x1*x2", "x1", "sin(x1)")):
        np.testing.assert_array_equal(expand(X, subset), by_hand(X, ("x1", "x1*x2", "sin(x1)")))


def test_the_default_features_are_the_inputs_unchanged():
    X = moons(2)[0]
    out = expand(X)
    assert out.dtype == np.float64 and out.shape == X.shape
    np.testing.assert_array_equal(out, X)
    assert expand(X.astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize(
    "features, match",
    [
        ((), "features must name at least one of 'x1'"),
        (("x1", "x3"), "features must be names from 'x1', 'x2', .*; got 'x3'"),
        (("x1", "x1"), "features must not repeat a name; 'x1' appears 2 times"),
        ("x1", "features must be a tuple or list of names"),
        (None, "features must be a tuple or list of names"),
        ((1, 2), "features must be names from"),
    ],
)
def test_bad_features_are_rejected_by_name_everywhere(features, match):
    X, Y = moons(0, n=30)
    with pytest.raises(ValueError, match=match):
        expand(X, features)
    with pytest.raises(ValueError, match=match):
        Trainer(X, Y, features=features)
    with pytest.raises(ValueError, match=match):
        twolayer.fit(X, Y, 0.3, 5, 10, features=features)
    with pytest.raises(ValueError, match=match):
        train_many(X, Y, [Config()], 10, features=features)


def test_features_need_the_two_raw_inputs():
    X, Y = moons(0, n=30)
    with pytest.raises(ValueError, match=r"X must have shape \(2, m\)"):
        expand(X[:1], ("x1",))
    with pytest.raises(ValueError, match="X must have 2 rows, the raw inputs x1 and x2"):
        Trainer(np.vstack([X, X]), Y, features=("x1", "x1^2"))
    trainer = Trainer(X, Y, features=("x1", "x1^2"), random_state=0)
    with pytest.raises(ValueError, match="X must have 2 rows"):
        trainer.predict_proba(X[:1])
    with pytest.raises(ValueError, match="X_test must have 2 rows"):
        Trainer(X, Y, features=("x2^2",), X_test=X[:1], Y_test=Y)


@pytest.mark.parametrize("features", [("x1", "x2", "x1^2", "x2^2"), ("x1*x2",), FEATURES, ("sin(x1)", "sin(x2)")])
def test_training_on_features_is_training_on_inputs_expanded_by_hand(features):
    X, Y = moons(3)
    Xt, Yt = moons(4, n=50)
    kwargs = dict(random_state=1, l2=0.1, l1=0.01)
    trainer = Trainer(X, Y, 4, 0.3, features=features, X_test=Xt, Y_test=Yt, **kwargs)
    trainer.train(400)
    manual = Trainer(by_hand(X, features), Y, 4, 0.3, X_test=by_hand(Xt, features), Y_test=Yt, **kwargs)
    manual.train(400)
    for key, values in manual.history.items():
        np.testing.assert_array_equal(trainer.history[key], values)
    assert trainer.params["W1"].shape == (4, len(features)) and trainer.features == features
    grid = np.random.default_rng(0).uniform(-2, 2, size=(2, 300))
    np.testing.assert_array_equal(trainer.predict_proba(grid), manual.predict_proba(by_hand(grid, features)))
    params, costs = twolayer.fit(X, Y, 0.3, 4, 400, features=features, **kwargs)
    np.testing.assert_array_equal(costs, manual.history["cost"])
    np.testing.assert_array_equal(params["W1"], manual.params["W1"])


def test_default_features_train_exactly_as_without_features():
    X, Y = moons(5)
    default = Trainer(X, Y, 5, 0.3, random_state=2)
    named = Trainer(X, Y, 5, 0.3, random_state=2, features=["x2", "x1"])  # any order: FEATURES' order is used
    for trainer in (default, named):
        trainer.train(500)
    assert named.features == DEFAULT_FEATURES
    np.testing.assert_array_equal(default.history["cost"], named.history["cost"])


def test_train_many_expands_each_data_set():
    data = [moons(seed, n=120) for seed in (0, 1)]
    X, Y = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
    features = ("x1", "x2", "x1*x2", "sin(x2)")
    configs = [Config(0.3, 5, 0), Config(0.5, 3, 1)]
    results = train_many(X, Y, configs, 300, features=features)
    for (Xj, Yj), config, result in zip(data, configs, results, strict=True):
        manual = Trainer(
            by_hand(Xj, features), Yj, config.hidden_size, config.learning_rate, random_state=config.random_state
        )
        manual.train(300)
        np.testing.assert_allclose(result.costs, manual.history["cost"], rtol=0, atol=1e-12)
        assert result.params["W1"].shape == (config.hidden_size, 4)


def test_w1_has_a_column_per_feature_from_init():
    X, Y = moons(0, n=20)
    params = init_params(3, 5, "he", np.random.default_rng(0))
    trainer = Trainer(X, Y, 5, features=("x1", "x2", "x2^2"), params=params)
    np.testing.assert_array_equal(trainer.params["W1"], params["W1"])
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(5, 3\)"):
        Trainer(X, Y, 5, features=("x1", "x2", "x2^2"), params=init_params(2, 5, "he", np.random.default_rng(0)))
