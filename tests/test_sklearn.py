"""TwoLayerClassifier passes scikit-learn's estimator checks and agrees with MLPClassifier."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import twolayer
from twolayer import TwoLayerClassifier, expand

SKLEARN_ACTIVATION = {"tanh": "tanh", "relu": "relu", "sigmoid": "logistic", "linear": "identity"}


@parametrize_with_checks([TwoLayerClassifier(max_iter=200), TwoLayerClassifier(max_iter=100, batch_size=4, l1=0.01)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def mlp_with(params, X, y, activation="tanh", **kwargs):
    """An MLPClassifier carrying our weights (sklearn stores W^T, samples as rows)."""
    mlp = MLPClassifier(
        hidden_layer_sizes=(params["W1"].shape[0],), activation=SKLEARN_ACTIVATION[activation], max_iter=1, **kwargs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)  # only to build the structure; the weights are replaced next
    mlp.coefs_ = [params["W1"].T.copy(), params["W2"].T.copy()]
    mlp.intercepts_ = [params["b1"].ravel().copy(), params["b2"].ravel().copy()]
    return mlp


def test_trained_weights_give_the_same_probabilities_in_mlpclassifier():
    X, y = make_moons(n_samples=300, noise=0.25, random_state=1)
    clf = TwoLayerClassifier(hidden_size=6, learning_rate=0.5, max_iter=2000, random_state=0).fit(X, y)
    mlp = mlp_with(clf.params_, X, y)
    grid = np.random.default_rng(0).uniform(-3, 3, size=(1000, 2))
    np.testing.assert_allclose(clf.predict_proba(grid), mlp.predict_proba(grid), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(grid), mlp.predict(grid))


FULL_BATCH_SGD = dict(
    solver="sgd", momentum=0.0, nesterovs_momentum=False, tol=0.0, n_iter_no_change=10**9, learning_rate="constant",
    shuffle=False,
)  # fmt: skip


@pytest.mark.parametrize(
    "features, activation, l2",
    [
        (("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"), "tanh", 0.0),
        (("x1^2", "x2^2"), "relu", 0.3),
        (("x1", "x2", "x1*x2"), "sigmoid", 0.1),
        (("x1", "x2", "sin(x1)", "sin(x2)"), "linear", 0.0),
    ],
)
def test_training_on_features_follows_mlpclassifier_on_the_expanded_inputs(features, activation, l2):
    """Full batch, the same start: sklearn trained on expand(X) (samples as rows) walks our path;
    its alpha is our L2 rate (both penalise alpha/(2m) |W|^2)."""
    X, y = make_moons(n_samples=200, noise=0.2, random_state=2)
    start = twolayer.init_params(len(features), 4, "he", np.random.default_rng(5))
    sgd = FULL_BATCH_SGD | dict(learning_rate_init=0.2, alpha=l2, batch_size=len(X))
    mlp = mlp_with(start, expand(X.T, features).T, y, activation, warm_start=True, **sgd)
    mlp.max_iter = 200
    mlp.loss_curve_ = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(expand(X.T, features).T, y)
    trainer = twolayer.Trainer(
        X.T, y.reshape(1, -1), 4, 0.2, activation=activation, l2=l2, features=features, params=start
    )
    trainer.train(200)
    np.testing.assert_allclose(mlp.loss_curve_, trainer.history["cost"], rtol=1e-12)
    np.testing.assert_allclose(mlp.coefs_[0], trainer.params["W1"].T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mlp.coefs_[1], trainer.params["W2"].T, rtol=0, atol=1e-12)


def test_classifier_with_features_gives_mlpclassifiers_probabilities_on_expanded_inputs():
    X, y = make_moons(n_samples=300, noise=0.25, random_state=1)
    features = ("x1", "x2", "x1^2", "x2^2")
    clf = TwoLayerClassifier(hidden_size=3, max_iter=500, features=features, batch_size=32, l1=0.01, random_state=0)
    clf.fit(X, y)
    assert clf.params_["W1"].shape == (3, 4) and clf.features_ == features
    mlp = mlp_with(clf.params_, expand(X.T, features).T, y)
    grid = np.random.default_rng(0).uniform(-3, 3, size=(1000, 2))
    np.testing.assert_allclose(
        clf.predict_proba(grid), mlp.predict_proba(expand(grid.T, features).T), rtol=0, atol=1e-12
    )


def test_classifier_clips_a_batch_size_above_the_sample_count_with_a_warning():
    X, y = make_moons(n_samples=40, noise=0.25, random_state=1)
    with pytest.warns(UserWarning, match="batch_size 64 is above the 40 samples: using the full batch"):
        clipped = TwoLayerClassifier(max_iter=50, batch_size=64, random_state=0).fit(X, y)
    full = TwoLayerClassifier(max_iter=50, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clipped.cost_curve_, full.cost_curve_)


def test_training_follows_mlpclassifier_full_batch_gradient_descent():
    """From the same starting weights, sklearn's SGD solver set to plain full-batch gradient
    descent walks the same path: its per-epoch loss is our cost before each update."""
    X, y = make_moons(n_samples=200, noise=0.2, random_state=2)
    start = twolayer.init_params(2, 5, "he", np.random.default_rng(5))
    sgd = dict(
        solver="sgd",
        learning_rate_init=0.3,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=len(X),
        shuffle=False,
        tol=0.0,
        n_iter_no_change=10**9,
        learning_rate="constant",
    )
    mlp = mlp_with(start, X, y, warm_start=True, **sgd)
    mlp.max_iter = 300
    mlp.loss_curve_ = []  # forget the epoch that built the structure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    trainer = twolayer.Trainer(X.T, y.reshape(1, -1), 5, 0.3, params=start)
    trainer.train(300)
    np.testing.assert_allclose(mlp.loss_curve_, trainer.history["cost"], rtol=1e-10)
    np.testing.assert_allclose(mlp.coefs_[0], trainer.params["W1"].T, rtol=0, atol=1e-10)


def test_classifier_keeps_the_cost_curve_and_labels():
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    labels = np.where(y == 1, "blue", "orange")
    clf = TwoLayerClassifier(max_iter=1500, random_state=0).fit(X, labels)
    assert clf.cost_curve_.shape == (1500,) and clf.cost_curve_[-1] < clf.cost_curve_[0]
    assert set(clf.predict(X)) <= {"blue", "orange"} and clf.score(X, labels) > 0.9


def test_classifier_rejects_bad_hyperparameters_by_name():
    X, y = make_moons(n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="learning_rate"):
        TwoLayerClassifier(learning_rate=0).fit(X, y)
    with pytest.raises(ValueError, match="hidden_size"):
        TwoLayerClassifier(hidden_size=0).fit(X, y)
    with pytest.raises(ValueError, match="max_iter"):
        TwoLayerClassifier(max_iter=0).fit(X, y)
    with pytest.raises(ValueError, match="l1 must be in"):
        TwoLayerClassifier(l1=-1).fit(X, y)
    with pytest.raises(ValueError, match="batch_size must be None"):
        TwoLayerClassifier(batch_size=0).fit(X, y)
    with pytest.raises(ValueError, match="features must not repeat"):
        TwoLayerClassifier(features=("x1", "x1")).fit(X, y)
    with pytest.raises(ValueError, match="X must have 2 rows, the raw inputs x1 and x2"):
        TwoLayerClassifier(features=("x1", "x1^2")).fit(np.hstack([X, X]), y)
    with pytest.raises(twolayer.TrainingDiverged):
        TwoLayerClassifier(learning_rate=50.0, random_state=0).fit(X, y)
