"""The data and the network of a run, built from its settings exactly as the app builds them (the
reproducing script in `exports.py` writes the same lines). No Streamlit here."""

import hashlib
from dataclasses import dataclass, field

import numpy as np

from twolayer import Trainer
from twolayer.data import load_csv, make_dataset, train_test_split

from .settings import UPLOAD, Settings, check

Data = tuple  # (X_train (2, m), Y_train (1, m), X_test (2, k) or None, Y_test (1, k) or None): the tutorial's shapes


@dataclass(frozen=True)
class Upload:
    """A CSV file the user uploaded: points X (m, 2) and labels y (m,) of 0/1, samples as rows."""

    name: str  # a safe display name: letters, digits and . _ - of the file's name
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    digest: str  # the file's content hash: what the data depends on

    @classmethod
    def read(cls, content: bytes, file_name: str) -> "Upload":
        """The upload from the file's bytes; ValueError with a message for the user if it cannot be used."""
        X, y = load_csv(content)
        name = "".join(c for c in str(file_name)[:200] if c.isalnum() or c in "._-")[:40] or "upload.csv"
        return cls(name, X, y, cls.digest_of(content))

    @staticmethod
    def digest_of(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()[:16]

    @property
    def rows(self) -> int:
        return len(self.y)

    def describe(self) -> str:
        return f"{self.name} ({self.rows:,} rows)"


def data_id(settings: Settings, upload: Upload | None) -> tuple:
    """What a run's data depends on: its settings, and the uploaded file's hash when it uses one."""
    return settings.data_key() + ((upload.digest,) if settings.dataset == UPLOAD and upload else ())


def build_data(settings: Settings, upload: Upload | None = None) -> Data:
    """(X_train, Y_train, X_test, Y_test) in the tutorial's shapes ((2, m), (1, m)); the test parts are
    None when test_share == 0.

    With dataset "upload" the points are the upload's; otherwise they are generated from the settings.
    Both are split with train_test_split(..., settings.test_share, random_state=settings.data_seed).
    ValueError (with a message for the user) when the data cannot be built or split.
    """
    s = check(settings)
    if s["dataset"] == UPLOAD:
        if not isinstance(upload, Upload):
            raise ValueError("the settings use uploaded data, but no upload was given")
        X, y = upload.X, upload.y  # (m, 2), (m,)
    else:
        X, y = make_dataset(s["dataset"], s["samples"], s["noise"], random_state=s["data_seed"])
    X_tr, y_tr, X_te, y_te = train_test_split(X, y, s["test_share"], random_state=s["data_seed"])
    # reproduce_script writes these same lines into the script: keep the two in step.
    X_train, Y_train = X_tr.T.astype(float), y_tr.reshape(1, -1).astype(float)  # (2, m), (1, m)
    if len(y_te) == 0:
        return X_train, Y_train, None, None
    X_test, Y_test = X_te.T.astype(float), y_te.reshape(1, -1).astype(float)
    return X_train, Y_train, X_test, Y_test


def build_trainer(settings: Settings, data: Data) -> Trainer:
    """The app's Trainer for `data` = build_data(...)'s four arrays, at the settings' learning rate. X stays the raw
    points (2, m): the Trainer computes the settings' features from them."""
    s = check(settings)
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be the four arrays (X_train, Y_train, X_test, Y_test) from build_data")
    X_train, Y_train, X_test, Y_test = data
    return Trainer(
        X_train,
        Y_train,
        s["hidden_size"],
        s["learning_rate"],
        activation=s["activation"],
        init=s["init"],
        l1=s["l1"],
        l2=s["l2"],
        random_state=s["init_seed"],
        X_test=X_test,
        Y_test=Y_test,
        batch_size=batch_size(s["batch_size"], np.shape(Y_train)[-1] if np.ndim(Y_train) == 2 else 1),
        features=s["features"],
    )


def batch_size(setting: int, m: int) -> int | None:
    """The engine's batch_size for the setting on m training points: None (the full batch) for 0, else at most m
    (a test share can leave fewer training points than the batch the sidebar offered)."""
    return None if setting == 0 else min(setting, m)
