"""The declared settings (appkit.settings.FIELDS) and their URL form, driven by the table itself: every
field's default, bounds and round trip; what twolayer accepts at each field's extremes; hostile URLs
(hypothesis); the warnings a URL gives."""

import math
import re
from dataclasses import fields, replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appkit.build import batch_size
from appkit.settings import (
    BATCH_SIZES,
    BOOL_TEXT,
    BY_NAME,
    BY_URL,
    DEFAULTS,
    FIELDS,
    MAX_SEED,
    MAX_URL_TEXT,
    MAX_URL_WARNINGS,
    OTHER_URL_NAMES,
    UPLOAD,
    Settings,
    check,
    describe_change,
    from_query,
    short_label,
    to_query,
    url_table,
    url_text,
)
from twolayer import Trainer
from twolayer.data import DATASETS, MAX_NOISE, MAX_SAMPLES, MAX_TEST_SHARE, MIN_SAMPLES, make_dataset, train_test_split
from twolayer.features import DEFAULT_FEATURES, FEATURES

MAX_WARNING = 250  # characters: a warning is one short sentence
FIELD_IDS = [f.name for f in FIELDS]


def values_of(f) -> list:
    """What a field allows, at its edges: every choice, or low, a middle value and high; for the features one
    each, the tutorial's two, a curved pair and all seven."""
    if f.kind is tuple:
        return [(c,) for c in f.choices] + [DEFAULT_FEATURES, ("x1^2", "x2^2"), FEATURES]
    if f.choices:
        return list(f.choices)
    middle = f.kind(round((f.low + f.high) / 2 / f.step) * f.step)
    return [f.kind(f.low), middle, f.kind(f.high)]


def outside_text(f) -> list[str]:
    """URL values just outside what the field allows."""
    if f.kind is bool:
        return ["2", "maybe", "", "truee"]
    if f.kind is tuple:
        return ["", "x3", "x1,,x2", "X1", "x1;x2", ",", "x1^3"]
    return [url_text(v) for v in outside(f)]


def outside(f) -> list:
    """Values just outside what the field allows."""
    if f.kind is bool:
        return [0, 1, "on"]
    if f.kind is tuple:
        return [(), ("x2", "x1"), ("x1", "x1"), ("x3",), ["x1"], "x1", ("x1", 2)]
    if f.kind is str:
        return ["Moons", "", f"{f.choices[0]} "]
    if f.choices:
        return [min(f.choices) - 1, max(f.choices) * 2, (f.choices[0] + f.choices[1]) / 2]
    return [f.low - f.step, f.high + f.step] + ([f.low + 0.5] if f.kind is int else [])


# --- the table ----------------------------------------------------------------------------------


def test_defaults_are_the_tutorials_run():
    assert (DEFAULTS.dataset, DEFAULTS.noise, DEFAULTS.samples) == ("moons", 0.2, 500)
    assert (DEFAULTS.learning_rate, DEFAULTS.hidden_size, DEFAULTS.iterations) == (0.3, 5, 5000)
    assert (DEFAULTS.test_share, DEFAULTS.init, DEFAULTS.activation) == (0.0, "he", "tanh")
    assert to_query(DEFAULTS) == {}


def test_every_setting_is_declared_once_with_its_own_url_name():
    assert [f.name for f in FIELDS] == [f.name for f in fields(Settings)]
    assert len(BY_URL) == len(FIELDS) and not set(BY_URL) & set(OTHER_URL_NAMES)
    for f in FIELDS:
        assert f.label and f.help and f.group in ("Data", "Network", "Advanced")
        assert f.widget in ("select", "radio", "stops", "slider", "number", "toggle", "pills")
        assert bool(f.choices) != (f.widget in ("slider", "number")), f.name
        assert f.kind in (int, float, str, bool, tuple) and type(f.default) is f.kind, f.name


@pytest.mark.parametrize("f", FIELDS, ids=FIELD_IDS)
def test_every_allowed_value_passes_its_check(f):
    assert f.check(f.default) == f.default
    for value in values_of(f):
        checked = f.check(value)
        assert checked == value and type(checked) is f.kind


@pytest.mark.parametrize("f", FIELDS, ids=FIELD_IDS)
def test_values_outside_a_field_are_refused_naming_it(f):
    odd = [None, True, math.nan, math.inf, 10**400, "1" if f.kind is not str else 1]
    for value in [*outside(f), *(v for v in odd if not (f.kind is bool and v is True))]:
        with pytest.raises(ValueError, match=re.escape(f"{f.name} must be {f.allowed()}; got ")):
            f.check(value)
        with pytest.raises(ValueError, match=f"^{f.name} must be "):
            check(replace(DEFAULTS, **{f.name: value}))


@pytest.mark.parametrize("f", FIELDS, ids=FIELD_IDS)
def test_every_allowed_value_survives_the_url(f):
    base = replace(DEFAULTS, samples=5000) if f.name == "batch_size" else DEFAULTS  # room for every batch
    for value in values_of(f):
        chosen = replace(base, **{f.name: value})
        query = to_query(chosen)
        assert query == to_query(base) | ({} if value == f.default else {f.url: url_text(value)})
        parsed, warnings = from_query(query)
        assert parsed == chosen and warnings == [], (f.name, value)


@pytest.mark.parametrize("f", FIELDS, ids=FIELD_IDS)
def test_values_outside_a_field_in_a_url_warn_and_fall_back_to_the_default(f):
    for raw in outside_text(f):
        if raw.strip() in f.choices:
            continue  # a URL value is read stripped: "moons " is moons
        parsed, warnings = from_query({f.url: raw})
        assert parsed == DEFAULTS, (f.name, raw)
        assert len(warnings) == 1 and warnings[0].startswith(f"URL parameter {f.url}="), warnings
        assert warnings[0].endswith(f"; using the default {f.show(f.default)}.")


def test_a_full_url_round_trips():
    chosen = Settings(
        dataset="spiral", noise=0.35, samples=1200, learning_rate=3.0, hidden_size=17, iterations=20_000,
        batch_size=64, features=("x1", "x1*x2", "sin(x2)"), test_share=0.25,
        activation="linear", init="small", l1=0.001, l2=0.03, data_seed=42, init_seed=7, speed=50, discretize=True,
        show_test=False,
    )  # fmt: skip
    query = to_query(chosen)
    assert query["data"] == "spiral" and query["lr"] == "3" and query["iters"] == "20000"
    assert query["batch"] == "64" and query["feat"] == "x1,x1*x2,sin(x2)" and query["l1"] == "0.001"
    assert query["disc"] == "1" and query["showtest"] == "0" and query["act"] == "linear"
    assert len(query) == len(FIELDS)
    assert from_query(query) == (chosen, [])


# Links made before the batch size, L1, features, linear activation, Discretize and Show test data existed.
OLD_LINKS = {
    "": Settings(),
    "data=circles&noise=0.1&hidden=8&lr=1&l2=0.01": Settings(
        dataset="circles", noise=0.1, hidden_size=8, learning_rate=1.0, l2=0.01
    ),
    "n=1200&test=0.3&act=relu&init=small&dseed=5&iseed=9&iters=20000&speed=50": Settings(
        samples=1200, test_share=0.3, activation="relu", init="small", data_seed=5, init_seed=9, iterations=20_000,
        speed=50,
    ),
}  # fmt: skip


@pytest.mark.parametrize("link", OLD_LINKS)
def test_old_links_mean_what_they_meant(link):
    """The tutorial's full batch on x1, x2, no L1, the map in shades, the test points drawn."""
    query = dict(part.split("=") for part in link.split("&") if part)
    parsed, warnings = from_query(query)
    assert (parsed, warnings) == (OLD_LINKS[link], [])
    assert (parsed.batch_size, parsed.features, parsed.l1) == (0, ("x1", "x2"), 0.0)
    assert (parsed.discretize, parsed.show_test) == (False, True)
    assert to_query(parsed) == query  # and the app writes them as before


def test_new_settings_in_a_url():
    parsed, warnings = from_query({"batch": "full", "feat": " x2^2 , x1^2,x1^2", "disc": "true", "showtest": "off"})
    assert warnings == []
    assert (parsed.batch_size, parsed.features, parsed.discretize, parsed.show_test) == (
        0, ("x1^2", "x2^2"), True, False,
    )  # fmt: skip
    assert BY_NAME["batch_size"].allowed() == "one of full, " + ", ".join(map(str, BATCH_SIZES[1:]))


def test_a_batch_larger_than_the_samples_in_a_url_is_the_largest_that_fits():
    parsed, warnings = from_query({"n": "100", "batch": "512"})
    assert (parsed.samples, parsed.batch_size) == (100, 64)
    assert warnings == ["URL parameter batch=512 is more than the 100 samples; using 64."]
    assert from_query({"n": "100", "batch": "64"}) == (Settings(samples=100, batch_size=64), [])


def test_a_large_seed_is_written_in_full():
    """to_query once wrote integers with :g: a seed of 1234567 became '1.23457e+06', then 1234570."""
    assert to_query(Settings(data_seed=1_234_567, init_seed=MAX_SEED)) == {"dseed": "1234567", "iseed": "4294967295"}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"lr": "banana"}, "learning_rate", "is not a number"),
        ({"lr": "0.25"}, "learning_rate", "must be one of 0.001,"),
        ({"lr": "nan"}, "learning_rate", "is not a finite number"),
        ({"hidden": "0"}, "hidden_size", "must be between 1 and 64"),
        ({"hidden": "1e9"}, "hidden_size", "must be between 1 and 64"),
        ({"hidden": "2.5"}, "hidden_size", "must be a whole number"),
        ({"n": "-5"}, "samples", "must be between 50 and 5000"),
        ({"noise": "inf"}, "noise", "is not a finite number"),
        ({"data": "<script>alert(1)</script>"}, "dataset", "must be one of moons,"),
        ({"act": "softmax"}, "activation", "must be one of tanh, relu, sigmoid"),
        ({"iters": "123"}, "iterations", "must be one of 100,"),
        ({"test": "0.95"}, "test_share", "must be between 0 and 0.9"),
        ({"dseed": "4294967296"}, "data_seed", "must be between 0 and 4294967295"),
        ({"batch": "3"}, "batch_size", "must be one of full, 1, 2, 4,"),
        ({"batch": "Full"}, "batch_size", "is not a number"),
        ({"feat": "x1,x3"}, "features", "must be one or more of x1, x2, x1^2,"),
        ({"feat": ""}, "features", "must be one or more of"),
        ({"disc": "2"}, "discretize", "must be 1 (on) or 0 (off)"),
        ({"l1": "0.002"}, "l1", "must be one of 0, 0.001,"),
    ],
)
def test_bad_url_values_say_why(query, field, message):
    parsed, warnings = from_query(query)
    assert getattr(parsed, field) == getattr(DEFAULTS, field)
    assert len(warnings) == 1 and message in warnings[0] and "using the default" in warnings[0]


def test_floats_snap_to_the_sliders_step():
    parsed, warnings = from_query({"noise": "0.2000000001", "test": "0.26"})
    assert (parsed.noise, parsed.test_share) == (0.2, 0.25) and warnings == []


# --- what twolayer accepts: one bound per field, everywhere ------------------------------------------


def test_the_bounds_are_twolayers():
    assert set(BY_NAME["dataset"].choices) == {*DATASETS, UPLOAD}
    assert BY_NAME["samples"].low >= MIN_SAMPLES and BY_NAME["samples"].high <= MAX_SAMPLES
    assert BY_NAME["noise"].high == MAX_NOISE and BY_NAME["test_share"].high == MAX_TEST_SHARE
    assert BY_NAME["data_seed"].high == BY_NAME["init_seed"].high == MAX_SEED == 2**32 - 1


def engine_run(s: Settings) -> Trainer:
    """The settings through twolayer itself, as the app and the reproducing script call it."""
    X, y = make_dataset(s.dataset, s.samples, s.noise, random_state=s.data_seed)
    X_train, y_train, X_test, y_test = train_test_split(X, y, s.test_share, random_state=s.data_seed)
    test = {"X_test": X_test.T, "Y_test": y_test.reshape(1, -1)} if len(y_test) else {}
    trainer = Trainer(
        X_train.T,
        y_train.reshape(1, -1),
        s.hidden_size,
        s.learning_rate,
        activation=s.activation,
        init=s.init,
        l1=s.l1,
        l2=s.l2,
        random_state=s.init_seed,
        batch_size=batch_size(s.batch_size, len(y_train)),
        features=s.features,
        **test,
    )
    trainer.train(1)
    return trainer


ENGINE_FIELDS = [f for f in FIELDS if f.name not in ("dataset", "iterations", "speed", "discretize", "show_test")]


@pytest.mark.parametrize("f", ENGINE_FIELDS, ids=str)
def test_twolayer_accepts_every_value_a_field_allows(f):
    for value in values_of(f):
        engine_run(replace(DEFAULTS, **{f.name: value}))


@pytest.mark.parametrize("dataset", DATASETS)
def test_twolayer_accepts_the_smallest_and_largest_data_with_the_largest_test_share(dataset):
    for samples in (BY_NAME["samples"].low, BY_NAME["samples"].high):
        trainer = engine_run(
            Settings(dataset=dataset, samples=samples, noise=MAX_NOISE, test_share=MAX_TEST_SHARE, data_seed=MAX_SEED)
        )
        assert trainer.has_test


# --- hostile URLs ---------------------------------------------------------------------------------

ODD_TEXT = [
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "0x10", "0b1", "1_000",
    "٥٠٠", "５", " 0.3 ", "0.30000000000000004", "+5", "-0", "5.", ".5", "5e0", "\x00", "None", "True", "[]",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](https://example.com)", ":red[x]", "'; --",
    "%00", "\u202etxt.exe", "\n", "\r\n5", "9" * 400, "1" + "0" * 199, "upload", "tanh\x00", "moons ", "`x`",
]  # fmt: skip
VALID_TEXT = sorted(
    {url_text(v) for f in FIELDS for v in values_of(f)} | {"2147483647", "1234567", "0.45", "full", "true", "off"}
)
url_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ODD_TEXT),
    st.sampled_from(VALID_TEXT),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
)
url_names = st.one_of(st.sampled_from(sorted(BY_URL)), st.sampled_from(sorted(OTHER_URL_NAMES)), st.text(max_size=20))
queries = st.dictionaries(url_names, url_values | st.lists(url_values, max_size=3), max_size=8)


def assert_valid_settings(s: Settings) -> None:
    """Every field holds a value of its type that its check and its widget accept."""
    for f in FIELDS:
        value = getattr(s, f.name)
        assert type(value) is f.kind and f.check(value) == value, (f.name, value)
        if f.kind is float and not f.choices:  # snapped to the slider's step
            assert abs(value / f.step - round(value / f.step)) < 1e-9, (f.name, value)


def assert_short_warning(warning) -> None:
    assert isinstance(warning, str) and 0 < len(warning) <= MAX_WARNING, warning
    assert warning.isprintable(), f"control characters in {warning!r}"  # repr() escaped the user's text


def last(raw):
    return (raw[-1] if raw else "") if isinstance(raw, list) else raw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
@example({"n": "51", "hidden": "64", "iters": "50000", "dseed": "4294967295"})
@example({"lr": ["0.3", "nan"], "noise": "0.2000000001", "": "", "data": "upload"})
@example({name: "1e400" for name in BY_URL})
@example({name: "9" * (MAX_URL_TEXT + 1) for name in BY_URL})
def test_any_url_gives_valid_settings_and_short_warnings_never_an_exception(query):
    parsed, warnings = from_query(query)
    assert_valid_settings(parsed)
    for warning in warnings:
        assert_short_warning(warning)
    unknown = [name for name in query if name not in BY_URL and name not in OTHER_URL_NAMES]
    repeated = [name for name, raw in query.items() if name in BY_URL and isinstance(raw, list) and len(raw) > 1]
    rejected, accepted = [], []
    for name in set(query) & set(BY_URL):
        try:
            BY_URL[name].parse(str(last(query[name])).strip())
        except ValueError:
            rejected.append(name)
        else:
            accepted.append(name)
    wanted = {name: BY_URL[name].parse(str(last(query[name])).strip()) for name in accepted}
    too_big = wanted.get("batch", 0) > wanted.get("n", DEFAULTS.samples)  # the largest batch that fits instead
    if too_big:
        accepted.remove("batch")
        assert parsed.batch_size == max(b for b in BATCH_SIZES if b <= parsed.samples)
    problems = len(unknown) + len(repeated) + len(rejected) + too_big
    assert len(warnings) == min(problems, MAX_URL_WARNINGS)
    if problems > MAX_URL_WARNINGS:
        rest = problems - MAX_URL_WARNINGS + 1
        assert warnings[-1] == f"… and {rest} more URL parameters that could not be used."
    for name in rejected:  # an unusable value falls back to the default
        assert getattr(parsed, BY_URL[name].name) == BY_URL[name].default, name
    for name in accepted:  # a usable one is the value in the URL (snapped to a float slider's step)
        f, raw = BY_URL[name], str(last(query[name])).strip()
        value = getattr(parsed, f.name)
        if f.kind is str:
            assert raw == value
        elif f.kind is bool:
            assert value is BOOL_TEXT[raw.lower()]
        elif f.kind is tuple:
            assert set(value) == {part.strip() for part in raw.split(",")}
        elif f.names and raw in f.names.values():
            assert f.names[value] == raw
        else:
            assert math.isclose(float(raw), value, rel_tol=1e-9, abs_tol=f.step / 2 + 1e-9), (name, raw, value)
    assert from_query(to_query(parsed)) == (parsed, [])


def allowed_values(f) -> st.SearchStrategy:
    """Any value the field's widget can hold."""
    if f.kind is tuple:
        return st.sets(st.sampled_from(f.choices), min_size=1).map(
            lambda chosen: tuple(c for c in f.choices if c in chosen)
        )
    if f.choices:
        return st.sampled_from(f.choices)
    if f.kind is int:
        return st.integers(f.low, f.high)
    return st.integers(0, round(f.high / f.step)).map(lambda k: round(k * f.step, 10))


valid_settings = st.builds(Settings, **{f.name: allowed_values(f) for f in FIELDS}).filter(
    lambda s: s.batch_size <= s.samples  # the sidebar offers no more
)


@settings(max_examples=200, deadline=None)
@given(valid_settings)
def test_every_valid_setting_survives_the_url_the_app_writes(chosen):
    assert from_query(to_query(chosen)) == (chosen, [])


def test_warnings_are_capped():
    query = {f"bogus{i}": "1" for i in range(MAX_URL_WARNINGS + 3)}
    _, warnings = from_query(query)
    assert len(warnings) == MAX_URL_WARNINGS
    assert warnings[:-1] == [f"Ignored the unknown URL parameter `'bogus{i}'`." for i in range(MAX_URL_WARNINGS - 1)]
    assert warnings[-1] == "… and 4 more URL parameters that could not be used."
    _, warnings = from_query({f"bogus{i}": "1" for i in range(MAX_URL_WARNINGS)})
    assert len(warnings) == MAX_URL_WARNINGS and warnings[-1] == "Ignored the unknown URL parameter `'bogus4'`."


def test_a_repeated_name_warns_and_takes_the_last_value():
    parsed, warnings = from_query({"hidden": ["3", "8"], "present": ["1", "1"]})
    assert parsed.hidden_size == 8
    assert warnings == ["URL parameter `'hidden'` is given 2 times; using the last."]


def test_over_long_values_are_refused_before_parsing_and_cut_short_in_warnings():
    long = "0." + "0" * MAX_URL_TEXT + "3"  # a valid number, but too long to be one a person typed
    parsed, warnings = from_query({"lr": long, "data": "m" * 10_000})
    assert parsed == DEFAULTS
    assert [w.split(" is too long")[0][:24] for w in warnings] == [
        "URL parameter lr=`'0.000",
        "URL parameter data=`'mmm",
    ]
    assert all(len(w) < 150 for w in warnings)
    assert from_query({"lr": "0.3" + " " * (MAX_URL_TEXT - 3)}) == (DEFAULTS, [])  # at the limit: read


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("`", "``'`'``"),  # fenced with more backticks than inside
        ("[x](https://example.com)", "`'[x](https://example.com)'`"),  # a code span, never a link
        ("a\nb\x00", "`'a\\nb\\x00'`"),  # control characters escaped
        ("x" * 100, "`'" + "x" * 38 + "…`"),  # 40 characters
    ],
)
def test_unknown_names_are_quoted_as_code(name, shown):
    _, warnings = from_query({name: "1"})
    assert warnings == [f"Ignored the unknown URL parameter {shown}."]


# --- describing settings ------------------------------------------------------------------------------


def test_describe_change_names_what_differs_but_the_speed():
    new = Settings(learning_rate=1.0, hidden_size=8, speed=50)
    assert describe_change(DEFAULTS, new) == "lr 0.3 → 1, hidden 5 → 8"
    assert describe_change(DEFAULTS, DEFAULTS) == describe_change(DEFAULTS, Settings(speed=5)) == ""


def test_short_label_names_the_first_difference():
    assert short_label(Settings(learning_rate=10.0, hidden_size=3), DEFAULTS) == "lr 10"
    assert short_label(Settings(data_seed=1_234_567), DEFAULTS) == "dseed 1234567"
    assert short_label(Settings(speed=5), DEFAULTS) == short_label(DEFAULTS, DEFAULTS) == "same settings"


def test_the_url_table_has_a_row_per_parameter():
    rows = url_table().splitlines()
    assert rows[:2] == ["| parameter | setting | allowed | default |", "|---|---|---|---|"]
    assert [row.split("`")[1] for row in rows[2:]] == [f.url for f in FIELDS] + list(OTHER_URL_NAMES)
    assert "| `n` | Samples | a whole number from 50 to 5000 | 500 |" in rows
    assert "| `dseed` | Data seed | a whole number from 0 to 4294967295 | 0 |" in rows
