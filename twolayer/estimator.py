"""`TwoLayerClassifier`: the network as a scikit-learn estimator (samples as rows, as sklearn has it)."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import validation as v
from .features import DEFAULT_FEATURES
from .network import predict_proba as network_predict_proba
from .training import Trainer


class TwoLayerClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier: one hidden layer (tanh by default), sigmoid output, gradient descent.

    Parameters mirror the tutorial: `hidden_size` units, `learning_rate`, `max_iter` steps, He
    ("he") or 0.01-scaled ("small") initialisation, L2 rate `l2`, L1 rate `l1`, `batch_size`
    (None: full batch; above n_samples it is clipped with a warning, as MLPClassifier does), and
    input `features` computed from two input columns x1, x2 (the default uses the columns as they
    are, any number of them). After `fit`: `params_` (the tutorial's dict: W1 (hidden_size,
    n_inputs) ...), `cost_curve_` (cost before each step), `classes_` and `n_iter_`.
    """

    def __init__(
        self,
        hidden_size=5,
        learning_rate=0.3,
        max_iter=5000,
        activation="tanh",
        init="he",
        l2=0.0,
        random_state=None,
        *,
        l1=0.0,
        batch_size=None,
        features=DEFAULT_FEATURES,
    ):
        self.hidden_size = hidden_size
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.activation = activation
        self.init = init
        self.l2 = l2
        self.random_state = random_state
        self.l1 = l1
        self.batch_size = batch_size
        self.features = features

    def fit(self, X, y):
        """X (n_samples, n_features), y (n_samples,) with exactly two classes. Raises TrainingDiverged."""
        v.check_int("hidden_size", self.hidden_size, low=1)
        v.check_learning_rate(self.learning_rate)
        v.check_int("max_iter", self.max_iter, low=1)
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2 or type_of_target(y) != "binary":
            n = len(self.classes_)
            raise ValueError(
                f"Only binary classification is supported: y must have exactly 2 classes, "
                f"got {n} class{'es' if n != 1 else ''}"
            )
        Y = (y == self.classes_[1]).astype(float).reshape(1, -1)
        batch_size = self.batch_size
        if isinstance(batch_size, int | np.integer) and not isinstance(batch_size, bool) and batch_size > len(y):
            warnings.warn(f"batch_size {batch_size} is above the {len(y)} samples: using the full batch", stacklevel=2)
            batch_size = len(y)
        trainer = Trainer(
            X.T,
            Y,
            self.hidden_size,
            self.learning_rate,
            activation=self.activation,
            init=self.init,
            l2=self.l2,
            l1=self.l1,
            batch_size=batch_size,
            features=self.features,
            random_state=self.random_state,
            track_accuracy=False,
        )
        trainer.train(self.max_iter)
        self.features_ = trainer.features
        self.params_ = trainer.params
        self.cost_curve_ = trainer.history["cost"].copy()
        self.n_iter_ = trainer.iteration
        return self

    def predict_proba(self, X):
        """(n_samples, 2): probabilities of classes_[0] and classes_[1]."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        p = network_predict_proba(v.check_inputs("X", X.T, self.features_), self.params_, self.activation)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
