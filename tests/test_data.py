import io
import math
import time

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_circles, make_moons
from sklearn.neighbors import KNeighborsClassifier

from twolayer.data import (
    DATASETS,
    MAX_ABS,
    MAX_CELL,
    MAX_LINES,
    MAX_ROWS,
    MIN_ROWS,
    load_csv,
    make_dataset,
    to_csv,
    train_test_split,
)

# The documented extent of each set at noise=0: (x1 min, x1 max, x2 min, x2 max).
EXTENTS = {
    "moons": (-1, 2, -0.5, 1),
    "circles": (-1.5, 1.5, -1.5, 1.5),
    "xor": (-1.5, 1.5, -1.5, 1.5),
    "gaussian": (-1.5, 1.5, -1.5, 1.5),
    "spiral": (-1.75, 1.75, -1.75, 1.75),
}


def in_box(X, x1_lo, x1_hi, x2_lo, x2_hi):
    return (X[:, 0] >= x1_lo) & (X[:, 0] <= x1_hi) & (X[:, 1] >= x2_lo) & (X[:, 1] <= x2_hi)


# ---------------------------------------------------------------------------------------------
# make_dataset


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2**32 - 1])
def test_moons_is_sklearns_make_moons(seed):
    X, y = make_dataset("moons", 500, 0.2, random_state=seed)
    X_ref, y_ref = make_moons(n_samples=500, noise=0.2, random_state=seed)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    # The defaults are the tutorial's make_moons(n_samples=500, noise=.2).
    X_default, _ = make_dataset(random_state=seed)
    np.testing.assert_array_equal(X_default, X_ref)


def test_circles_is_sklearns_make_circles_scaled():
    X, y = make_dataset("circles", 300, 0.4, random_state=3)
    X_ref, y_ref = make_circles(300, noise=0.4 * 0.85 / 1.5, factor=0.5, random_state=3)
    np.testing.assert_allclose(X, 1.5 * X_ref, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("n_samples", [10, 501])
def test_shapes_dtypes_and_balance(name, n_samples):
    X, y = make_dataset(name, n_samples, random_state=0)
    assert X.shape == (n_samples, 2) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (n_samples,) and y.dtype == np.int64
    assert np.bincount(y, minlength=2).tolist() == [n_samples // 2, n_samples - n_samples // 2]


@pytest.mark.parametrize("name", DATASETS)
def test_rows_are_shuffled(name):
    _, y = make_dataset(name, 200, random_state=0)
    assert np.count_nonzero(np.diff(y)) > 50  # sorted labels would change once


@pytest.mark.parametrize("name", DATASETS)
def test_deterministic_from_random_state(name):
    X1, y1 = make_dataset(name, 200, 0.3, random_state=5)
    X2, y2 = make_dataset(name, 200, 0.3, random_state=np.int64(5))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make_dataset(name, 200, 0.3, random_state=np.random.default_rng(9))
    X4, _ = make_dataset(name, 200, 0.3, random_state=np.random.default_rng(9))
    np.testing.assert_array_equal(X3, X4)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_different_seeds_differ(name, noise):
    X1, _ = make_dataset(name, 200, noise, random_state=1)
    X2, _ = make_dataset(name, 200, noise, random_state=2)
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("name", DATASETS)
def test_generator_advances_and_none_is_random(name):
    rng = np.random.default_rng(0)
    X1, _ = make_dataset(name, 100, random_state=rng)
    X2, _ = make_dataset(name, 100, random_state=rng)
    assert not np.allclose(X1, X2)
    X3, _ = make_dataset(name, 100, random_state=None)
    X4, _ = make_dataset(name, 100, random_state=None)
    assert not np.allclose(X3, X4)


@pytest.mark.parametrize("name", DATASETS)
def test_noise_zero_stays_in_documented_extent(name):
    X, _ = make_dataset(name, 2000, 0.0, random_state=0)
    assert np.all(in_box(X, *EXTENTS[name]))


def test_noise_zero_shapes():
    X, y = make_dataset("circles", 400, 0.0, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.5)
    np.testing.assert_allclose(r[y == 1], 0.75)

    X, y = make_dataset("xor", 1000, 0.0, random_state=0)
    assert np.all((np.abs(X) >= 0.25) & (np.abs(X) <= 1.5))
    assert np.array_equal(X[:, 0] * X[:, 1] > 0, y == 1)

    X, y = make_dataset("gaussian", 4000, 0.0, random_state=0)
    for label, centre in [(0, -0.5), (1, 0.5)]:
        np.testing.assert_allclose(X[y == label].mean(axis=0), [centre, centre], atol=0.02)
        np.testing.assert_allclose(X[y == label].std(axis=0), [0.2, 0.2], rtol=0.05)

    # Spiral: angle (measured from the x2 axis, as TF Playground does) is 3.5 pi * r / 1.75, plus pi for class 0.
    X, y = make_dataset("spiral", 1000, 0.0, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    expected = 3.5 * np.pi * r / 1.75 + np.where(y == 0, np.pi, 0.0)
    angle = np.arctan2(X[:, 0], X[:, 1])
    np.testing.assert_allclose(np.exp(1j * angle), np.exp(1j * expected), atol=1e-9)
    assert r.max() <= 1.75


@pytest.mark.parametrize("name", DATASETS)
def test_noisy_sets_mostly_inside_the_common_plot_range(name):
    for seed in range(5):
        X, _ = make_dataset(name, 500, 0.2, random_state=seed)
        assert in_box(X, -2, 2.5, -2, 2.5).mean() >= 0.99
        X, _ = make_dataset(name, 500, 0.5, random_state=seed)
        assert in_box(X, -2, 2.5, -2, 2.5).mean() >= 0.9


def knn_error(name, noise):
    X, y = make_dataset(name, 6000, noise, random_state=0)
    X_test, y_test = make_dataset(name, 6000, noise, random_state=1)
    return 1 - KNeighborsClassifier(30).fit(X, y).score(X_test, y_test)


@pytest.mark.parametrize("name", DATASETS)
def test_noise_means_the_same_class_overlap_on_every_set(name):
    # Measured on moons with its own noise: ~0% at 0, 3% at 0.2, 18% at 0.5.
    assert knn_error(name, 0.0) <= 0.01
    assert 0.005 <= knn_error(name, 0.2) <= 0.05
    assert 0.13 <= knn_error(name, 0.5) <= 0.25


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "blobs"}, r"name must be one of moons, circles, xor, gaussian, spiral; got 'blobs'"),
        ({"name": "Moons"}, r"name must be one of"),
        ({"n_samples": 9}, r"n_samples must be an integer in \[10, 20000\]; got 9"),
        ({"n_samples": 20_001}, r"n_samples must be an integer in \[10, 20000\]"),
        ({"n_samples": 100.0}, r"n_samples must be an integer.*got 100\.0"),
        ({"n_samples": "500"}, r"n_samples must be an integer"),
        ({"n_samples": True}, r"n_samples must be an integer"),
        ({"noise": -0.01}, r"noise must be in \[0, 0\.5\], got -0\.01"),
        ({"noise": 0.51}, r"noise must be in \[0, 0\.5\]"),
        ({"noise": math.nan}, r"noise must be a finite number, got nan"),
        ({"noise": math.inf}, r"noise must be a finite number"),
        ({"noise": "0.2"}, r"noise must be a finite number"),
        ({"random_state": -1}, r"random_state must be None, an integer in \[0, 2\*\*32 - 1\] or a numpy"),
        ({"random_state": 2**32}, r"random_state must be"),
        ({"random_state": 1.5}, r"random_state must be"),
        ({"random_state": np.random.RandomState(0)}, r"random_state must be"),
    ],
)
def test_make_dataset_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


def test_make_dataset_accepts_boundaries():
    assert make_dataset("xor", 10, 0.0)[0].shape == (10, 2)
    assert make_dataset("spiral", 20_000, 0.5)[0].shape == (20_000, 2)
    assert make_dataset("gaussian", np.int64(50), np.float64(0.1))[0].shape == (50, 2)


# ---------------------------------------------------------------------------------------------
# train_test_split


def id_data(n_zeros, n_ones):
    """X whose first column is the row number, so rows can be traced through a split."""
    m = n_zeros + n_ones
    X = np.column_stack([np.arange(m, dtype=float), np.zeros(m)])
    y = np.repeat([0, 1], [n_zeros, n_ones])
    return X, y


def test_split_sizes_stratified_and_a_partition():
    X, y = make_dataset("moons", 500, random_state=0)
    X_train, y_train, X_test, y_test = train_test_split(X, y, 0.3, random_state=0)
    assert X_train.shape == (350, 2) and y_train.shape == (350,)
    assert X_test.shape == (150, 2) and y_test.shape == (150,)
    assert np.bincount(y_test).tolist() == [75, 75]

    X, y = id_data(90, 10)
    X_train, y_train, X_test, y_test = train_test_split(X, y, 0.2, random_state=0)
    assert np.bincount(y_test).tolist() == [18, 2]
    assert np.bincount(y_train).tolist() == [72, 8]
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(100))
    np.testing.assert_array_equal(y[ids], np.concatenate([y_train, y_test]))  # labels travel with their rows
    assert np.all(np.diff(X_train[:, 0]) > 0) and np.all(np.diff(X_test[:, 0]) > 0)  # original order kept


@pytest.mark.parametrize("test_share", [0.01, 0.5, 0.9])
def test_split_keeps_both_classes_in_both_parts(test_share):
    X, y = id_data(10, 10)
    _, y_train, _, y_test = train_test_split(X, y, test_share, random_state=0)
    assert set(y_train.tolist()) == {0, 1} and set(y_test.tolist()) == {0, 1}


def test_split_is_deterministic_and_seeds_differ():
    X, y = id_data(50, 50)
    a = train_test_split(X, y, 0.3, random_state=4)
    b = train_test_split(X, y, 0.3, random_state=4)
    c = train_test_split(X, y, 0.3, random_state=5)
    for part_a, part_b in zip(a, b, strict=True):
        np.testing.assert_array_equal(part_a, part_b)
    assert not np.array_equal(a[2], c[2])


def test_split_with_zero_test_share_gives_empty_test_arrays():
    X, y = make_dataset("circles", 100, random_state=0)
    X_train, y_train, X_test, y_test = train_test_split(X, y, 0)
    assert X_test.shape == (0, 2) and y_test.shape == (0,)
    np.testing.assert_array_equal(X_train, X)
    np.testing.assert_array_equal(y_train, y)


@pytest.mark.parametrize(
    ("X", "y", "test_share", "match"),
    [
        (np.zeros((20, 2)), np.repeat([0, 1], 10), 0.95, r"test_share must be in \[0, 0\.9\], got 0\.95"),
        (np.zeros((20, 2)), np.repeat([0, 1], 10), -0.1, r"test_share must be in \[0, 0\.9\]"),
        (np.zeros((20, 2)), np.repeat([0, 1], 10), math.nan, r"test_share must be a finite number"),
        (np.zeros((20, 3)), np.repeat([0, 1], 10), 0.2, r"X must have shape \(m, 2\); got shape \(20, 3\)"),
        (np.zeros(20), np.repeat([0, 1], 10), 0.2, r"X must have shape \(m, 2\); got shape \(20,\)"),
        (
            np.zeros((20, 2)),
            np.repeat([0, 1], 5),
            0.2,
            r"y must have shape \(m,\) = \(20,\) to match X; got shape \(10,\)",
        ),
        (np.zeros((20, 2)), np.zeros((20, 1)), 0.2, r"y must have shape \(m,\)"),
        (np.zeros((11, 2)), np.repeat([0, 1], [10, 1]), 0.2, r"each class needs at least 2 rows.*class 1 has 1"),
    ],
)
def test_split_rejects_bad_arguments(X, y, test_share, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(X, y, test_share)


# ---------------------------------------------------------------------------------------------
# load_csv

GOOD_ROWS = [(0.5, -1.25, 1), (1.0, 2.0, 0), (-0.75, 0.125, 1), (2.5, -2.0, 0), (0.0, 0.0, 1)] * 2  # 10 rows


def csv_text(rows, header="x1,x2,label", newline="\n"):
    lines = ([header] if header is not None else []) + [",".join(str(v) for v in row) for row in rows]
    return newline.join(lines) + newline


def assert_good(X, y):
    np.testing.assert_array_equal(X, [row[:2] for row in GOOD_ROWS])
    np.testing.assert_array_equal(y, [row[2] for row in GOOD_ROWS])
    assert X.dtype == np.float64 and X.shape == (10, 2) and y.dtype == np.int64 and y.shape == (10,)


def test_load_csv_with_and_without_header():
    assert_good(*load_csv(csv_text(GOOD_ROWS)))
    assert_good(*load_csv(csv_text(GOOD_ROWS, header=None)))
    assert_good(*load_csv(csv_text(GOOD_ROWS, header="  X1 ,x 2,LABEL ", newline="\r\n")))
    assert_good(*load_csv("\n\n" + csv_text(GOOD_ROWS).replace("\n", "\n\n")))  # blank lines are skipped
    assert_good(*load_csv(csv_text(GOOD_ROWS).replace("0.5", '"0.5"')))  # quoted, as spreadsheets may write


def test_load_csv_sources(tmp_path):
    text = csv_text(GOOD_ROWS)
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert_good(*load_csv(path))
    assert_good(*load_csv(text.encode()))
    assert_good(*load_csv(io.StringIO(text)))
    with open(path) as f:  # a text file object: no getvalue, read() gives str
        assert_good(*load_csv(f))

    class UploadedFile(io.BytesIO):  # what Streamlit's file_uploader returns
        name = "data.csv"

    upload = UploadedFile(text.encode())
    upload.read()  # an earlier rerun may have read it already
    assert_good(*load_csv(upload))
    assert_good(*load_csv(upload))


def test_load_csv_strips_a_utf8_bom():
    assert_good(*load_csv(b"\xef\xbb\xbf" + csv_text(GOOD_ROWS).encode()))
    assert_good(*load_csv("\ufeff" + csv_text(GOOD_ROWS, header=None)))


@pytest.mark.parametrize(("labels", "expected"), [((-1, 1), (0, 1)), ((2, 1), (1, 0)), ((1.0, 0.0), (1, 0))])
def test_load_csv_maps_two_label_values_to_0_and_1(labels, expected):
    rows = [(i, -i, labels[i % 2]) for i in range(12)]
    _, y = load_csv(csv_text(rows))
    assert y.tolist() == [expected[i % 2] for i in range(12)]


def test_load_csv_row_limits_are_inclusive():
    rows = [(i, i, i % 2) for i in range(MIN_ROWS)]
    assert load_csv(csv_text(rows))[0].shape == (MIN_ROWS, 2)
    X, y = make_dataset("spiral", MAX_ROWS, random_state=0)
    X_loaded, y_loaded = load_csv(to_csv(X, y))
    assert X_loaded.shape == (MAX_ROWS, 2)


def data_with(bad_row, line=4, header=True):
    """GOOD_ROWS as text with `bad_row` (a str) at `line` of the file."""
    lines = csv_text(GOOD_ROWS, header="x1,x2,label" if header else None).splitlines()
    lines.insert(line - 1, bad_row)
    return "\n".join(lines) + "\n"


LOAD_ERRORS = [
    ("", r"The file is empty; expected rows of three numbers: x1, x2, label"),
    (b"", r"The file is empty"),
    (" \n\r\n  \n", r"The file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\xff\xfe", r"not UTF-8 text \(byte 0x89 at position 0\)"),
    (bytes(range(256)), r"not UTF-8 text \(byte 0x80 at position 128\)"),
    ("x1,x2,label\n1,2,0\n\x00\x00\x00", r"contains NUL bytes, so it is binary"),
    (csv_text(GOOD_ROWS).encode("utf-16"), r"UTF-16 text; save it as CSV in UTF-8"),
    (csv_text(GOOD_ROWS).encode("latin-1").replace(b"label", b"lab\xe9l"), r"not UTF-8 .*0xe9 at position 9"),
    # missing or extra columns, in the header or in a row
    (csv_text(GOOD_ROWS, header="x1,x2"), r"Line 1 is neither numbers nor the header x1, x2, label \(missing label\)"),
    (csv_text(GOOD_ROWS, header="x1,label"), r"\(missing x2\)\. Found 2 column\(s\): 'x1', 'label'"),
    (csv_text(GOOD_ROWS, header="x1,x2,label,weight"), r"\(unexpected 'weight'\)\. Found 4 column"),
    (csv_text(GOOD_ROWS, header="a,b,c"), r"missing x1, x2, label; unexpected 'a', 'b', 'c'"),
    (csv_text(GOOD_ROWS, header="x2,x1,label"), r"wrong order or repeated names"),
    (data_with("1.5,2.5"), r"Line 4 has 2 value\(s\), expected 3 \(x1, x2, label\): missing label"),
    (data_with("1.5"), r"Line 4 has 1 value\(s\).*missing x2, label"),
    (data_with("1.5,2.5,0,9"), r"Line 4 has 4 value\(s\).*extra value '9' after label"),
    (data_with("1.5;2.5;0", 1, header=False), r"Line 1 is neither.*commas, not semicolons or tabs"),
    ("x1;x2;label\n" + "1;2;0\n" * 12, r"Line 1 is neither.*'x1;x2;label'\. Separate the columns with commas"),
    (data_with("1.5\t2.5\t0"), r"Line 4 has 1 value.*commas, not semicolons or tabs"),
    # values
    (data_with("1.5,abc,0"), r"Line 4, column x2: 'abc' is not a number; use plain decimals"),
    (data_with("1.5,abc,0", 1, header=False), r"Line 1, column x2: 'abc' is not a number"),
    (data_with("1,000,2.5,0"), r"Line 4 has 4 value"),
    (data_with("1_000,2.5,0"), r"Line 4, column x1: '1_000' is not a number"),
    (data_with("\u22121.5,2.5,0"), r"Line 4, column x1: '\u22121\.5' is not a number"),
    (data_with("1.5,,0"), r"Line 4, column x2 is empty"),
    (data_with("1.5,2.5,yes"), r"Line 4, column label: 'yes' is not a number"),
    (data_with("nan,2.5,0"), r"Line 4, column x1 is NaN \(not a number\)"),
    (data_with("1.5,NaN,0", 1, header=False), r"Line 1, column x2 is NaN"),
    (data_with("1.5,2.5,-inf"), r"Line 4, column label is infinite \('-inf'\)"),
    (data_with("Infinity,2.5,0"), r"Line 4, column x1 is infinite"),
    (data_with("1.5,2e6,0"), r"Line 4, column x2: '2e6' is too large; values must be within \+/-1e\+06"),
    (data_with("-1000001,2,0"), r"Line 4, column x1: '-1000001' is too large"),
    (data_with("1e400,2,0"), r"column x1: '1e400' is too large"),
    (data_with('1,"2,0'), r'Line 4: a quoted value runs over several lines; look for a stray quote \("\)'),
    ("x1,x2,label\n1,2,0\n\n\n1.5,abc,0\n" + csv_text(GOOD_ROWS, header=None), r"Line 5, column x2: 'abc'"),
    ("1,2," + "9" * 200_000, r"Line 1 is not valid CSV: 'field larger than field limit"),
    # labels
    (csv_text([(i, i, 1) for i in range(12)]), r"Every row has label 1: the label column needs exactly two classes"),
    (
        csv_text([(i, i, i % 3) for i in range(12)]),
        r"The label column has 3 different values \(0, 1, 2\); it needs exactly two classes, such as 0/1 or -1/1",
    ),
    (csv_text([(i, i, i) for i in range(12)]), r"has 12 different values \(0, 1, 2, 3, 4, \.\.\.\)"),
    # row counts
    (csv_text(GOOD_ROWS[:9]), r"The file has 9 data row\(s\); at least 10 are needed"),
    ("x1,x2,label\n", r"The file has 0 data row\(s\)"),
    (csv_text([(0, 0, i % 2) for i in range(MAX_ROWS + 1)]), r"more than 20,000 data rows; the limit is 20,000"),
    (b"1,2,0\n" * 2_000_000, r"The file is larger than 10 MB"),
    # lines, counted before any is read: blank lines cost the row loop time too
    (csv_text(GOOD_ROWS) + "\n" * 5_000_000, r"The file has 5,000,0\d\d lines; at most 100,000 are read"),
    (csv_text(GOOD_ROWS).replace("\n", "\r") + "\r" * 200_000, r"The file has 200,0\d\d lines"),
]


@pytest.mark.parametrize(("source", "match"), LOAD_ERRORS, ids=[match[:40] for _, match in LOAD_ERRORS])
def test_load_csv_errors_say_what_and_where(source, match):
    with pytest.raises(ValueError, match=match) as info:
        load_csv(source)
    assert len(str(info.value)) < 250


def test_a_file_of_blank_lines_is_refused_before_the_row_loop():
    allowed = csv_text(GOOD_ROWS) + "\n" * (MAX_LINES - 100)  # the most a file may have: read row by row
    assert load_csv(allowed)[0].shape == (len(GOOD_ROWS), 2)
    with pytest.raises(ValueError, match="lines; at most"):
        load_csv(allowed + "\n" * 100)
    huge = csv_text(GOOD_ROWS) + "\n" * 5_000_000  # 5 MB: under the size limit, 50x the lines allowed
    start = time.process_time()
    with pytest.raises(ValueError, match="lines; at most"):
        load_csv(huge)
    refused = time.process_time() - start
    start = time.process_time()
    load_csv(allowed)
    read = time.process_time() - start
    assert refused < read  # refused faster than the longest allowed file is read: no line was looked at


def test_load_csv_rejects_other_source_types():
    with pytest.raises(ValueError, match=r"source must be CSV text \(str\), bytes, a path .*; got int"):
        load_csv(123)


@pytest.mark.parametrize(
    "source",
    [
        csv_text(GOOD_ROWS, header="<script>alert(1)</script>,x2,label"),
        csv_text(GOOD_ROWS, header="x1,x2,<b>label</b>"),
        data_with("1.5,2.5,<script>alert(1)</script>"),
        data_with("<img src=x onerror=alert(1)>" + "x" * 500 + ",2.5,0"),
        data_with("1.5,2.5,0,<script>" + "x" * 500),
    ],
)
def test_load_csv_html_in_cells_is_an_error_shown_only_as_a_short_repr(source):
    with pytest.raises(ValueError) as info:
        load_csv(source)
    message = str(info.value)
    assert len(message) < 250
    assert "x" * 40 not in message  # long values are cut
    start = message.find("<")
    assert start > 0 and message[start - 1] == "'"  # markup appears only inside a quoted repr


# Long runs of the characters a number is made of: the cells a hostile file uses to make a number
# expression backtrack. Over this alphabet Python's float() accepts exactly the plain decimals, so it is
# the reference for what load_csv must read (within MAX_CELL characters and +/-MAX_ABS).
NUMBER_PARTS = "0123456789+-.eE"
runs = st.lists(
    st.tuples(st.sampled_from(NUMBER_PARTS), st.integers(1, 3) | st.integers(50, 3_000)), min_size=1, max_size=6
).map(lambda parts: "".join(char * n for char, n in parts))
number_like = st.one_of(
    runs,
    st.text(NUMBER_PARTS, min_size=1, max_size=30),
    st.tuples(runs, st.sampled_from(["x", " ", "e", "..", "_1", "\u0661"])).map("".join),
)


def float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@settings(max_examples=200, deadline=None)
@given(number_like)
@example("1" * 32_000 + "x")  # took 24 s before the number expression was made unambiguous
@example("1" * 100)
@example("1" * 101)
@example("+" + "." * 99)
@example("1e" + "1" * 98)
def test_long_runs_of_digits_signs_dots_and_exponents_read_as_float_reads_them(cell):
    text, plain = cell.strip(), set(cell.strip()) <= set(NUMBER_PARTS)  # float() is the reference on plain text
    start = time.thread_time()
    try:
        X, _ = load_csv("x1,x2,label\n" + f"{cell},0,0\n" + "1,2,1\n" * 9 + "3,4,0\n")
    except ValueError as error:
        message = str(error)
        assert message.startswith("Line 2, column x1") and len(message) < 250, message
        value = float_or_none(text) if plain else None
        assert len(text) > MAX_CELL or value is None or not abs(value) <= MAX_ABS, message
    else:
        assert plain and len(text) <= MAX_CELL and X[0, 0] == float(text)
    assert time.thread_time() - start < 0.5  # 0.1 ms-2 ms for these; the old expression: seconds


# ---------------------------------------------------------------------------------------------
# to_csv


@pytest.mark.parametrize("name", DATASETS)
def test_to_csv_round_trips_exactly(name):
    X, y = make_dataset(name, 300, 0.3, random_state=0)
    X_back, y_back = load_csv(to_csv(X, y))
    assert X_back.tobytes() == X.tobytes()
    np.testing.assert_array_equal(y_back, y)


def test_to_csv_format_and_awkward_floats():
    X = np.array([[0.1 + 0.2, -0.0], [1e-300, -1e6], [5e-324, 123456.789], [1 / 3, 2.0]] * 3)
    y = np.array([0, 1, 1, 0] * 3)
    text = to_csv(X, y)
    lines = text.splitlines()
    assert lines[0] == "x1,x2,label" and len(lines) == 13 and text.endswith("\n")
    assert lines[1] == "0.30000000000000004,-0.0,0"
    X_back, y_back = load_csv(text)
    assert X_back.tobytes() == X.tobytes()
    np.testing.assert_array_equal(y_back, y)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.zeros((4, 3)), np.zeros(4), r"X must have shape \(m, 2\); got shape \(4, 3\)"),
        (np.zeros((4, 2)), np.zeros(5), r"y must have shape \(m,\) = \(4,\) to match X; got shape \(5,\)"),
        (np.zeros((4, 2)), np.array([0, 1, 2, 1]), r"y must contain only 0 and 1; found \[0, 1, 2\]"),
        (np.array([[0.0, math.nan]] * 4), np.zeros(4), r"X must be finite"),
    ],
)
def test_to_csv_rejects_bad_arguments(X, y, match):
    with pytest.raises(ValueError, match=match):
        to_csv(X, y)
