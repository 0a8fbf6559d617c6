"""pkg.untrusted_json: the nesting bound is exact, and NUL characters are found with their place."""

import json

import pytest

from pkg.untrusted_json import TooDeep, find_nul, loads_bounded


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_bound_is_read_and_one_more_level_is_refused():
    assert loads_bounded(nested(5), 5) == json.loads(nested(5))
    with pytest.raises(TooDeep):
        loads_bounded(nested(6), 5)
    with pytest.raises(TooDeep):
        loads_bounded('{"a": {"b": {"c": {}}}}', 3)
    assert loads_bounded('{"a": {"b": {"c": 1}}}', 3) == {"a": {"b": {"c": 1}}}


def test_nesting_past_the_interpreters_recursion_limit_is_refused_not_crashed():
    with pytest.raises(TooDeep):
        loads_bounded(nested(100_000), 32)


def test_scalars_and_bad_json_behave_as_json_loads():
    assert loads_bounded("42", 1) == 42
    with pytest.raises(ValueError):
        loads_bounded("{bad", 5)


def test_find_nul_names_the_place_of_the_first_nul():
    assert find_nul({"a": "ok", "b": ["x", {"c": "y\x00"}]}) == ("b", 1, "c")
    assert find_nul({"a": {"k\x00": 1}}) == ("a",)
    assert find_nul("\x00") == ()
    assert find_nul({"a": ["fine", 1, None, 2.5]}) is None
