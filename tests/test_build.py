"""The data and the network of a run (appkit.build): build_data generates or takes the upload and splits
it as twolayer does, build_trainer is the Trainer the settings describe, Upload is a safe record of a
user's file, and data_id says when the data changed."""

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from appkit.build import Upload, build_data, build_trainer, data_id
from appkit.settings import UPLOAD, Settings
from twolayer import Trainer
from twolayer.data import load_csv, make_dataset, to_csv, train_test_split

SMALL = Settings(samples=200, hidden_size=4)  # fast, and not the defaults
POINTS = make_dataset("xor", 60, 0.1, random_state=2)
CSV = to_csv(*POINTS).encode()


def test_generated_data_in_the_tutorials_shapes_split_by_class():
    X, Y, Xt, Yt = build_data(SMALL)
    assert X.shape == (2, 200) and Y.shape == (1, 200) and Xt is None and Yt is None
    assert X.dtype == Y.dtype == np.float64
    X, Y, Xt, Yt = build_data(replace(SMALL, test_share=0.3))
    assert X.shape == (2, 140) and Y.shape == (1, 140) and Xt.shape == (2, 60) and Yt.shape == (1, 60)
    assert Y.sum() == Yt.sum() * 70 / 30  # each class split 70/30
    Xs, _ = make_dataset("moons", 200, 0.2, random_state=0)
    assert sorted(map(tuple, np.hstack([X, Xt]).T)) == sorted(map(tuple, Xs))  # a split of the generated set


def test_generated_data_is_twolayers_with_the_data_seed():
    settings = Settings(dataset="spiral", noise=0.35, samples=300, test_share=0.25, data_seed=4_000_000_000)
    X, y = make_dataset("spiral", 300, 0.35, random_state=4_000_000_000)
    X_tr, y_tr, X_te, y_te = train_test_split(X, y, 0.25, random_state=4_000_000_000)
    ours = build_data(settings)
    for built, expected in zip(ours, (X_tr.T, y_tr.reshape(1, -1), X_te.T, y_te.reshape(1, -1)), strict=True):
        np.testing.assert_array_equal(built, expected)


def test_uploaded_data_is_the_files_points_split_with_the_data_seed():
    upload = Upload.read(CSV, "points.csv")
    settings = Settings(dataset=UPLOAD, test_share=0.2, data_seed=3, noise=0.5, samples=5000)  # noise, samples unused
    X, Y, Xt, Yt = build_data(settings, upload)
    X_tr, y_tr, X_te, y_te = train_test_split(*POINTS, 0.2, random_state=3)
    np.testing.assert_array_equal(X, X_tr.T)
    np.testing.assert_array_equal(Y, y_tr.reshape(1, -1))
    np.testing.assert_array_equal(Xt, X_te.T)
    np.testing.assert_array_equal(Yt, y_te.reshape(1, -1))
    X, *_ = build_data(SMALL, upload)  # a generated dataset ignores the upload
    assert X.shape == (2, 200)


def test_build_trainer_is_the_trainer_the_settings_describe():
    settings = replace(SMALL, test_share=0.3, activation="sigmoid", init="small", l2=0.01, init_seed=9)
    data = build_data(settings)
    ours = build_trainer(settings, data)
    X, Y, Xt, Yt = data
    plain = Trainer(X, Y, 4, 0.3, activation="sigmoid", init="small", l2=0.01, random_state=9, X_test=Xt, Y_test=Yt)
    ours.train(20)
    plain.train(20)
    assert ours.history.keys() == plain.history.keys() == {"cost", "accuracy", "test_cost", "test_accuracy"}
    for key, values in plain.history.items():
        np.testing.assert_array_equal(ours.history[key], values)
    for name, value in plain.params.items():
        np.testing.assert_array_equal(ours.params[name], value)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="no upload was given"):
        build_data(Settings(dataset=UPLOAD))
    with pytest.raises(ValueError, match="no upload was given"):
        build_data(Settings(dataset=UPLOAD), POINTS)  # arrays are not an Upload
    with pytest.raises(ValueError, match="four arrays"):
        build_trainer(SMALL, build_data(SMALL)[:2])
    with pytest.raises(ValueError, match="hidden_size must be"):  # settings go through settings.check
        build_trainer(replace(SMALL, hidden_size=0), build_data(SMALL))
    with pytest.raises(ValueError, match="samples must be"):
        build_data(replace(SMALL, samples=10**6))
    with pytest.raises(ValueError, match="each class needs at least 2 rows"):  # a split that cannot be made
        build_data(Settings(dataset=UPLOAD, test_share=0.1), Upload.read(to_csv(*lonely_class()).encode(), "x.csv"))


def lonely_class():
    X, y = POINTS
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:1]]
    return X[keep], y[keep]


# --- Upload ------------------------------------------------------------------------------------------


def test_an_upload_holds_the_files_points_its_hash_and_a_safe_name():
    upload = Upload.read(CSV, "../my data <b>(1)</b>.csv")
    X, y = load_csv(CSV)
    np.testing.assert_array_equal(upload.X, X)
    np.testing.assert_array_equal(upload.y, y)
    assert upload.name == "..mydatab1b.csv" and upload.rows == 60
    assert upload.digest == hashlib.sha256(CSV).hexdigest()[:16] == Upload.digest_of(CSV)
    assert upload.describe() == "..mydatab1b.csv (60 rows)"
    assert "X=" not in repr(upload)  # the arrays stay out of logs and reprs


@pytest.mark.parametrize(
    ("file_name", "name"),
    [("", "upload.csv"), ("<>", "upload.csv"), ("a" * 100 + ".csv", "a" * 40), ("é.csv", "é.csv")],
)
def test_an_uploads_name_is_short_and_never_empty(file_name, name):
    assert Upload.read(CSV, file_name).name == name


def test_an_unreadable_file_is_refused_with_load_csvs_message():
    with pytest.raises(ValueError, match="The file has 2 data row"):
        Upload.read(b"1,2,0\n3,4,1\n", "short.csv")


def test_data_id_changes_with_the_data_only():
    upload = Upload.read(CSV, "a.csv")
    other = Upload.read(CSV + b"0.5,0.5,1\n", "a.csv")
    assert data_id(SMALL, None) == data_id(replace(SMALL, learning_rate=1.0, hidden_size=9, iterations=100), upload)
    assert data_id(SMALL, None) != data_id(replace(SMALL, data_seed=1), None)
    uploaded = replace(SMALL, dataset=UPLOAD)
    assert data_id(uploaded, upload) != data_id(uploaded, other)  # a new file is new data
    assert data_id(uploaded, upload) == data_id(uploaded, Upload.read(CSV, "renamed.csv"))  # the same file is not
