"""The playground's settings and their URL form: round trips, and hostile URLs."""

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appkit.settings import (
    CHOICES,
    DEFAULTS,
    NUMERIC_RANGES,
    URL_NAMES,
    Settings,
    describe_change,
    from_query,
    to_query,
)


def test_defaults_are_the_tutorials_run():
    assert (DEFAULTS.dataset, DEFAULTS.noise, DEFAULTS.samples) == ("moons", 0.2, 500)
    assert (DEFAULTS.learning_rate, DEFAULTS.hidden_size, DEFAULTS.iterations) == (0.3, 5, 5000)
    assert (DEFAULTS.test_share, DEFAULTS.init, DEFAULTS.activation) == (0.0, "he", "tanh")
    assert to_query(DEFAULTS) == {}


def test_every_setting_has_a_url_name():
    assert sorted(URL_NAMES.values()) == sorted(f.name for f in fields(Settings))


def test_a_full_url_round_trips():
    chosen = Settings("spiral", 0.35, 1200, 3.0, 17, 20_000, 0.25, "relu", "small", 0.03, 42, 7, 50)
    query = to_query(chosen)
    assert query["data"] == "spiral" and query["lr"] == "3" and query["iters"] == "20000"
    parsed, warnings = from_query(query)
    assert parsed == chosen and warnings == []


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"lr": "banana"}, "learning_rate", "is not a number"),
        ({"lr": "0.25"}, "learning_rate", "must be one of"),
        ({"lr": "nan"}, "learning_rate", "finite"),
        ({"hidden": "0"}, "hidden_size", "between 1 and 64"),
        ({"hidden": "1e9"}, "hidden_size", "between 1 and 64"),
        ({"hidden": "2.5"}, "hidden_size", "whole number"),
        ({"n": "-5"}, "samples", "between 50 and 5000"),
        ({"noise": "inf"}, "noise", "finite"),
        ({"data": "<script>alert(1)</script>"}, "dataset", "must be one of"),
        ({"act": "softmax"}, "activation", "must be one of"),
        ({"iters": "123"}, "iterations", "must be one of"),
        ({"test": "0.95"}, "test_share", "between 0 and 0.9"),
    ],
)
def test_bad_values_warn_and_fall_back_to_the_default(query, field, message):
    parsed, warnings = from_query(query)
    assert getattr(parsed, field) == getattr(DEFAULTS, field)
    assert len(warnings) == 1 and message in warnings[0] and "using the default" in warnings[0]


def test_unknown_names_are_reported_and_repeated_names_take_the_last_value():
    parsed, warnings = from_query({"hidden": ["3", "8"], "bogus": "1"})
    assert parsed.hidden_size == 8
    assert warnings == ["Ignored the unknown URL parameter `'bogus'`."]


def test_long_values_are_cut_short_in_warnings():
    _, warnings = from_query({"lr": "9" * 500})
    assert len(warnings[0]) < 300


def test_noise_snaps_to_the_slider_step():
    parsed, warnings = from_query({"noise": "0.2000000001"})
    assert parsed.noise == 0.2 and warnings == []


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*URL_NAMES, "x", "present"]), st.text(max_size=60) | st.lists(st.text())))
def test_any_query_gives_valid_settings_or_warnings_never_an_exception(query):
    parsed, warnings = from_query(query)
    for field, allowed in CHOICES.items():
        assert getattr(parsed, field) in allowed
    for field, (low, high, _) in NUMERIC_RANGES.items():
        assert low <= getattr(parsed, field) <= high
    assert all(isinstance(w, str) for w in warnings)
    assert from_query(to_query(parsed)) == (parsed, [])


def test_describe_change_names_what_differs():
    new = Settings(learning_rate=1.0, hidden_size=8)
    assert describe_change(DEFAULTS, new) == "lr 0.3 → 1, hidden 5 → 8"
    assert describe_change(DEFAULTS, DEFAULTS) == ""
