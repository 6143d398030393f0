"""twolayer: the two-layer network of the tutorial, in NumPy: exact, fast and tested.

params, costs = twolayer.fit(X, Y, learning_rate=0.3, hidden_size=5)   # X (2, m), Y (1, m)
"""

from .batch import Config, Result, train_many
from .estimator import TwoLayerClassifier
from .features import DEFAULT_FEATURES, FEATURES, expand
from .gradcheck import gradient_check
from .network import backward, compute_cost, forward, init_params, predict_proba, update
from .training import DIVERGENCE_RATIO, Snapshot, Trainer, TrainingDiverged, fit

__all__ = [
    "Config",
    "Result",
    "TwoLayerClassifier",
    "DEFAULT_FEATURES",
    "FEATURES",
    "expand",
    "gradient_check",
    "train_many",
    "DIVERGENCE_RATIO",
    "Snapshot",
    "Trainer",
    "TrainingDiverged",
    "backward",
    "compute_cost",
    "fit",
    "forward",
    "init_params",
    "predict_proba",
    "update",
]
