"""Scenario input: built-ins load, scenarios are frozen, overrides make new objects, and every kind
of bad input gives a one-paragraph ScenarioError naming the file and the dotted key."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from flexsim.dists import Deterministic, Exponential
from flexsim.scenario import (
    Scenario,
    ScenarioError,
    builtin_names,
    builtin_text,
    load,
    load_builtin,
    parse_assignments,
    parse_value,
    validate,
)

WriteScenario = Callable[..., Path]

CUSTOMER = """
[[customers]]
name = "shop"
factory = "plant"
"""


def load_error(path: Path) -> str:
    """The message of the ScenarioError loading `path` raises, checked to be one paragraph
    naming the file."""
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message.strip(), f"not one paragraph: {message!r}"
    assert str(path) in message, f"file not named: {message!r}"
    return message


def assert_mentions(message: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# built-ins and the minimal file


def test_builtin_names_include_the_shipped_scenarios() -> None:
    names = builtin_names()
    assert {"mm1", "tao-factory"} <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads(name: str) -> None:
    scenario = load_builtin(name)
    assert isinstance(scenario, Scenario)
    assert scenario.factories


@pytest.mark.parametrize("name", builtin_names())
def test_load_accepts_a_builtin_name(name: str) -> None:
    assert load(name) == load_builtin(name)


def test_unknown_builtin_lists_the_builtins() -> None:
    with pytest.raises(ScenarioError) as info:
        load_builtin("no-such-scenario")
    assert_mentions(str(info.value), "no-such-scenario", "mm1", "tao-factory")


def test_minimal_file_loads_with_defaults(write_scenario: WriteScenario) -> None:
    scenario = load(write_scenario())
    assert scenario.name == "tiny"
    assert scenario.horizon_h == 100 * 24
    assert scenario.warmup_h == 10 * 24
    assert scenario.currency == "CNY"
    assert scenario.factories[0].lines[0].dispatch == "fifo"
    assert scenario.factories[0].lines[0].calendar == "always"


def test_bare_number_for_a_distribution_is_deterministic(write_scenario: WriteScenario) -> None:
    line = load(write_scenario()).factories[0].lines[0]
    assert line.unit_time_h == Deterministic(value=0.5)
    assert line.unit_time_h.expectation == 0.5
    assert line.unit_time_h.variance == 0.0


def test_distribution_table_in_a_file_is_parsed(write_scenario: WriteScenario) -> None:
    path = write_scenario(("unit_time_h = 0.5", 'unit_time_h = { dist = "exponential", mean = 2 }'))
    assert load(path).factories[0].lines[0].unit_time_h == Exponential(dist="exponential", mean=2)


def test_load_applies_overrides(write_scenario: WriteScenario) -> None:
    scenario = load(
        write_scenario(), {"horizon_days": 50, "factories.plant.lines.line.dispatch": "edd"}
    )
    assert scenario.horizon_days == 50
    assert scenario.factories[0].lines[0].dispatch == "edd"


# frozen


def test_scenario_assignment_raises() -> None:
    scenario = load_builtin("mm1")
    with pytest.raises(ValidationError):
        scenario.horizon_days = 1.0  # type: ignore[misc]
    assert scenario.horizon_days == 20500


def test_nested_spec_assignment_raises() -> None:
    scenario = load_builtin("tao-factory")
    with pytest.raises(ValidationError):
        scenario.factories[0].lines[0].dispatch = "edd"  # type: ignore[misc]
    assert scenario.factories[0].lines[0].dispatch == "fifo"


# with_overrides


def test_override_by_element_name_returns_a_new_scenario() -> None:
    original = load_builtin("tao-factory")
    before = original.model_dump()
    changed = original.with_overrides({"factories.fuchun.lines.ecom.dispatch": "edd"})
    assert changed is not original
    assert changed.factories[0].lines[1].name == "ecom"
    assert changed.factories[0].lines[1].dispatch == "edd"
    assert changed.factories[0].lines[0] == original.factories[0].lines[0]
    assert original.factories[0].lines[1].dispatch == "fifo"
    assert original.model_dump() == before


def test_override_by_index_sets_a_nested_key() -> None:
    original = load_builtin("tao-factory")
    before = original.factories[0].lines[1].changeover_h
    changed = original.with_overrides({"factories.0.lines.1.changeover_h.other_family": 0.123})
    assert changed.factories[0].lines[1].changeover_h.other_family == 0.123
    assert changed.factories[0].lines[1].changeover_h.same_family == before.same_family
    assert original.factories[0].lines[1].changeover_h.other_family == before.other_family


def test_override_with_several_keys_sets_all() -> None:
    changed = load_builtin("mm1").with_overrides(
        {"horizon_days": 400, "warmup_days": 50, "customers.poisson.quantity": 3}
    )
    assert (changed.horizon_days, changed.warmup_days) == (400, 50)
    assert changed.customers[0].quantity == Deterministic(value=3)


def test_override_of_a_distribution_with_a_number_is_deterministic() -> None:
    changed = load_builtin("mm1").with_overrides({"factories.0.lines.0.unit_time_h": 12})
    assert changed.factories[0].lines[0].unit_time_h == Deterministic(value=12)


def test_override_of_a_distribution_parameter() -> None:
    changed = load_builtin("mm1").with_overrides(
        {"factories.plant.lines.line.unit_time_h.mean": 20}
    )
    assert changed.factories[0].lines[0].unit_time_h == Exponential(dist="exponential", mean=20)


def test_override_is_validated() -> None:
    with pytest.raises(ScenarioError) as info:
        load_builtin("mm1").with_overrides({"horizon_days": -3})
    assert_mentions(str(info.value), "horizon_days", "greater than 0")


@pytest.mark.parametrize(
    "key",
    [
        "nosuch.key",
        "factories.fuchun.lines.nope.dispatch",
        "factories.9.lines.0.dispatch",
        "factories.0.lines.5",
        "horizon_days.below",
        "factories.0.lines.0.bogus",
    ],
)
def test_override_of_a_missing_key_names_the_key(key: str) -> None:
    original = load_builtin("tao-factory")
    with pytest.raises(ScenarioError) as info:
        original.with_overrides({key: 1}, source="study.toml")
    message = str(info.value)
    assert "\n" not in message
    assert_mentions(message, "study.toml", key)


def test_override_of_a_missing_element_lists_the_names() -> None:
    with pytest.raises(ScenarioError) as info:
        load_builtin("tao-factory").with_overrides({"factories.fuchun.lines.nope.dispatch": "edd"})
    assert_mentions(str(info.value), "nope", "bulk", "ecom")


def test_override_of_an_unknown_top_level_key_suggests_nearest() -> None:
    with pytest.raises(ScenarioError) as info:
        load_builtin("mm1").with_overrides({"horizn_days": 10})
    assert_mentions(str(info.value), "horizn_days", "did you mean 'horizon_days'")


# bad files


def test_toml_syntax_error_names_file_and_line(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(append="broken = \n"))
    assert_mentions(message, "not valid TOML", "line 11")


def test_unknown_key_suggests_nearest(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(("unit_time_h", "unit_tme_h")))
    assert_mentions(
        message, "factories.0.lines.0", "unit_tme_h", "did you mean 'unit_time_h'", "dispatch"
    )


def test_unknown_top_level_key_suggests_nearest(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(("warmup_days", "warmup_dyas")))
    assert_mentions(message, "warmup_dyas", "did you mean 'warmup_days'")


@pytest.mark.parametrize(
    ("edit", "append", "fragments"),
    [
        (("horizon_days = 100", 'horizon_days = "long"'), "", ["horizon_days", "number"]),
        (('name = "tiny"', "name = 5"), "", ["name", "string"]),
        (("[[factories.lines]]", "[factories.lines]"), "", ["factories.0.lines", "list"]),
        (("unit_time_h = 0.5", 'unit_time_h = "fast"'), "", ["factories.0.lines.0.unit_time_h"]),
        (
            ("horizon_days = 100", "horizon_days = 100"),
            "[channels.offline]\nmoq = 2.5\n",
            ["channels.offline.moq", "integer"],
        ),
    ],
    ids=[
        "string-for-number",
        "number-for-string",
        "table-for-list",
        "string-for-dist",
        "float-moq",
    ],
)
def test_wrong_type_names_the_key(
    write_scenario: WriteScenario, edit: tuple[str, str], append: str, fragments: list[str]
) -> None:
    assert_mentions(load_error(write_scenario(edit, append=append)), *fragments)


def test_boolean_for_a_number_is_a_wrong_type(write_scenario: WriteScenario) -> None:
    # TOML `true` is not a count; pydantic's lax mode would quietly read it as 1
    message = load_error(write_scenario(append="[channels.offline]\nmoq = true\n"))
    assert_mentions(message, "channels.offline.moq")


def test_negative_arrival_mean_names_the_key(write_scenario: WriteScenario) -> None:
    append = CUSTOMER + 'interarrival_days = { dist = "exponential", mean = -2 }\n'
    message = load_error(write_scenario(append=append))
    assert_mentions(message, "customers.0.interarrival_days.mean", "greater than 0")


def test_negative_unit_time_mean_names_the_key(write_scenario: WriteScenario) -> None:
    path = write_scenario(("0.5", '{ dist = "gamma", mean = -1, cv = 0.5 }'))
    assert_mentions(load_error(path), "factories.0.lines.0.unit_time_h.mean", "greater than 0")


def test_negative_bare_number_names_the_key(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(("unit_time_h = 0.5", "unit_time_h = -0.5")))
    assert_mentions(message, "factories.0.lines.0.unit_time_h")


def test_negative_changeover_names_the_key(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(append="changeover_h = { other_family = -1 }\n"))
    assert_mentions(message, "factories.0.lines.0.changeover_h.other_family")


def test_infinite_horizon_is_rejected(write_scenario: WriteScenario) -> None:
    # an infinite horizon would make `run` never return
    message = load_error(write_scenario(("horizon_days = 100", "horizon_days = inf")))
    assert_mentions(message, "horizon_days")


def test_unknown_dispatch_lists_valid_names(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(append='dispatch = "lifo"\n'))
    assert_mentions(message, "factories.0.lines.0.dispatch", "fifo", "edd", "spt")


def test_unknown_distribution_lists_valid_names(write_scenario: WriteScenario) -> None:
    path = write_scenario(("0.5", '{ dist = "weibull", mean = 1 }'))
    message = load_error(path)
    assert_mentions(message, "factories.0.lines.0.unit_time_h", "weibull", "exponential", "erlang")


def test_undefined_calendar_names_the_key(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(append='calendar = "night"\n'))
    assert_mentions(message, "night", "always")
    assert any(
        key in message
        for key in ("factories.0.lines.0.calendar", "factories.plant.lines.line.calendar")
    ), f"dotted key of the calendar reference not named: {message!r}"


def test_defined_calendar_is_accepted(write_scenario: WriteScenario) -> None:
    path = write_scenario(append='calendar = "night"\n\n[calendars.night]\nalways_open = true\n')
    assert load(path).factories[0].lines[0].calendar == "night"


def test_duplicate_line_names_name_the_key(write_scenario: WriteScenario) -> None:
    message = load_error(
        write_scenario(append='\n[[factories.lines]]\nname = "line"\nunit_time_h = 1\n')
    )
    assert_mentions(message, "factories.0.lines", "'line'", "twice")


@pytest.mark.parametrize("warmup", [100, 150])
def test_warmup_not_shorter_than_horizon_names_both_keys(
    write_scenario: WriteScenario, warmup: int
) -> None:
    message = load_error(write_scenario(("warmup_days = 10", f"warmup_days = {warmup}")))
    assert_mentions(message, "warmup_days", "horizon_days")


def test_customer_of_unknown_factory_names_the_key(write_scenario: WriteScenario) -> None:
    message = load_error(write_scenario(append=CUSTOMER.replace('"plant"', '"other"')))
    assert_mentions(message, "other", "plant")
    assert any(key in message for key in ("customers.0.factory", "customers.shop.factory")), (
        f"dotted key of the factory reference not named: {message!r}"
    )


def test_customer_of_known_factory_is_accepted(write_scenario: WriteScenario) -> None:
    scenario = load(write_scenario(append=CUSTOMER))
    assert [c.factory for c in scenario.customers] == ["plant"]


def test_missing_file_names_the_file_and_builtins(tmp_path: Path) -> None:
    message = load_error(tmp_path / "absent.toml")
    assert_mentions(message, "cannot read", "mm1", "tao-factory")


def test_file_not_in_utf8_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "café"\n'.encode("latin-1"))
    load_error(path)


# --set values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("1.5", 1.5),
        ("true", True),
        ('"quoted"', "quoted"),
        ("edd", "edd"),
        ("hello world", "hello world"),
        ("[1, 2]", [1, 2]),
        ('{ dist = "exponential", mean = 2 }', {"dist": "exponential", "mean": 2}),
    ],
)
def test_parse_value_reads_toml_and_bare_words(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_parse_assignments_splits_on_first_equals() -> None:
    parsed = parse_assignments(["horizon_days=60", " factories.0.lines.0.dispatch = edd ", "x=a=b"])
    assert parsed == {"horizon_days": 60, "factories.0.lines.0.dispatch": "edd", "x": "a=b"}


@pytest.mark.parametrize("text", ["horizon_days", "=5", "  =5"])
def test_malformed_assignment_raises_and_quotes_it(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_assignments([text])
    assert_mentions(str(info.value), "--set", repr(text))


# factory copies (`count`)


def copied(overrides: dict[str, object] | None = None) -> Scenario:
    """The default scenario with its factory copied three times (fuchun-0 … fuchun-2)."""
    return load_builtin("tao-factory", {"factories.fuchun.count": 3, **(overrides or {})})


def test_factory_count_makes_copies_the_sellers_and_customers_follow() -> None:
    scenario = copied({"sellers.choice.price_factors": {"fuchun": 1.2}})
    names = ["fuchun-0", "fuchun-1", "fuchun-2"]
    assert [f.name for f in scenario.factories] == names
    assert {f.count for f in scenario.factories} == {1}
    original = load_builtin("tao-factory").factories[0]
    assert scenario.factories[2].lines == original.lines
    assert scenario.sellers.factory is None and scenario.sellers.factories == names
    assert scenario.sellers.choice.price_factors == dict.fromkeys(names, 1.2)
    assert [(c.name, c.factory, c.count) for c in scenario.customers] == [
        (f"wholesale-{name}", name, 3) for name in names
    ]


def test_overrides_set_a_group_of_copies_as_written_or_one_copy() -> None:
    scenario = copied()
    again = scenario.with_overrides(
        {"factories.fuchun.count": 4, "factories.fuchun.initial_cash": 7.0}
    )
    assert [(f.name, f.initial_cash) for f in again.factories] == [
        (f"fuchun-{i}", 7.0) for i in range(4)
    ]
    one = again.with_overrides({"factories.fuchun-1.initial_cash": 5.0, "horizon_days": 400})
    assert [f.initial_cash for f in one.factories] == [7.0, 5.0, 7.0, 7.0]
    assert one.horizon_days == 400
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides({"factories.fuchun-9.initial_cash": 5.0})
    assert_mentions(str(info.value), "fuchun-9", "fuchun-0")
    rebuilt = Scenario.model_validate(scenario.model_dump(mode="python"))
    assert rebuilt.model_dump() == scenario.model_dump()  # the copies are the scenario as run


def village(**factory_keys: object) -> dict[str, Any]:
    """taobao-village as read from its file, `factory_keys` set on its small factories."""
    data = tomllib.loads(builtin_text("taobao-village"))
    data["factories"][1].update(factory_keys)
    return data


def test_factory_copy_named_like_another_factory_is_an_error() -> None:
    data = village()
    data["factories"].append(data["factories"][0] | {"name": "small-44", "count": 1})
    with pytest.raises(ScenarioError) as info:
        validate(data, "village")
    assert_mentions(str(info.value), "small-44")


def test_too_many_factory_copies_are_an_error_before_any_is_made() -> None:
    with pytest.raises(ScenarioError) as info:
        validate(village(count=1001), "village")
    assert_mentions(str(info.value), "factories.1.count", "1000")
    with pytest.raises(ScenarioError) as info:
        validate(village(count=996), "village")
    assert_mentions(str(info.value), "1,001 factories after count", "at most 1,000")
