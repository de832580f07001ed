"""Every number that passes `check` runs: scenarios with parameters drawn at the edges of every
validated range (each number and each distribution parameter at its least or greatest allowed
value, each distribution swapped for any family at its edges, dates at the first and last day
there is) either run to their horizon, recording no event at or after it, or are stopped by the
engine's guard with a Runaway error; nothing else may be raised.

The ranges are read from the schema itself (the bounds pydantic checks), so a key added later is
drawn at its edges too. Two kinds of value are capped for time's sake: counts (of sellers,
customers, makers; their upper limits are tested by validation in tests/test_robust.py) and the
horizon, at most 30 days.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import flexsim
from flexsim.audit import events_at_or_after
from flexsim.dists import DIST_NAMES
from flexsim.limits import MAX_CV, MAX_ERLANG_K, MAX_NUMBER, MIN_CV, MIN_POSITIVE
from flexsim.run import Guard, Runaway
from flexsim.scenario import Scenario, ScenarioError, validate

COUNT_CAP = 3  # the most sellers, customers per entry, sample makers, styles… a run here gets
GUARD = Guard(at_one_instant=20_000, per_hour=40_000, every=1_000)  # a tight guard: quick stops
HORIZON_CAP = 30.0  # days

Path = tuple[str | int, ...]


SEASON = {
    "first_day": dt.date(2026, 1, 10),
    "last_day": dt.date(2026, 1, 20),
    "launch_factor": 2.0,
    "demand_factor": 1.5,
}
POLICIES: dict[str, dict[str, Any]] = {  # what each reorder policy needs besides its name
    "bayes": {"prior_mean": 2.0, "prior_cv": 1.5},
    "presale": {},
    "early_signal": {"signal_favourites": 5, "favourite_conversion": 2.0},
    "sell_through": {},
}


def rich_scenario(policy: str = "bayes", polling: bool = False) -> dict[str, Any]:
    """The default scenario with every optional part switched on: two factories the sellers
    choose between (the second on payroll, without booking, its e-commerce line polling the
    families when `polling`), breakdowns, credit limits, seasons, a life cycle, a funnel, a
    Dirichlet family mix and the given reorder policy, at a few sellers."""
    data = flexsim.load_builtin("tao-factory").model_dump(mode="python")
    first = data["factories"][0]
    second = copy.deepcopy(first) | {"name": "second", "booking": None, "wages": "payroll"}
    second |= {"payroll_per_hour": 700.0, "overhead_per_day": 500.0}
    first["lines"][0]["breakdowns"] = {
        "between_failures_h": {"dist": "exponential", "mean": 80.0},
        "repair_h": {"dist": "gamma", "mean": 4.0, "cv": 0.5},
    }
    first["lines"][1]["unit_time_by_family"] = {"shirts": 0.01}
    first["lines"][1]["changeover_h"]["between"] = {"shirts": {"tshirts": 1.0}}
    if polling:
        second["lines"][1] |= {"dispatch": "cyclic_gated", "families": ["shirts", "tshirts"]}
    data["factories"] = [first, second]
    data["channels"]["offline"]["payment"]["credit_limit"] = 1e6
    data["channels"]["ecommerce"]["payment"]["credit_line"] = 1e5
    data["sellers"] |= {
        "count": 2,
        "factory": None,
        "factories": ["fuchun", "second"],
        "family_concentration": 1.0,
        "seasons": [SEASON],
        "life_cycle": {"ramp_days": 3, "start_factor": 0.2, "peak_days": 5, "half_life_days": 10},
        "funnel": {"conversion": 0.1, "favourite_share": 0.05},
        "list_at": "approval",
    }
    data["sellers"]["reorder"] |= {"policy": policy} | POLICIES[policy]
    data["sellers"]["choice"]["price_factors"] = {"second": 0.9}
    data["horizon_days"], data["warmup_days"] = 20.0, 2.0
    return data


def bounds(metadata: list[Any]) -> tuple[float, float]:
    """The least and greatest value a field's validation rules allow (a bound excluding 0
    becomes MIN_POSITIVE); an unbounded side is ±inf."""
    low, high = -math.inf, math.inf
    for rule in metadata:
        if isinstance(rule, annotated_types.Ge):
            low = float(rule.ge)  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Gt):
            low = float(rule.gt) + MIN_POSITIVE  # type: ignore[operator]
        elif isinstance(rule, annotated_types.Le):
            high = float(rule.le)  # type: ignore[arg-type]
    return low, high


def dict_values(annotation: Any) -> Any:
    """The annotation of a dict field's values (of dict[Name, Positive] | None: Positive)."""
    while typing.get_origin(annotation) is not dict:
        annotation = typing.get_args(annotation)[0]  # Annotated[...] or X | None
    return typing.get_args(annotation)[1]


def rules_of(annotation: Any) -> list[Any]:
    """The validation rules an Annotated type carries (Positive: ≥ MIN_POSITIVE, ≤ MAX_NUMBER)."""
    return [
        rule for info in typing.get_args(annotation)[1:] for rule in getattr(info, "metadata", [])
    ]


Leaf = tuple[Path, list[Any]]  # where a number or a distribution is, and the rules it obeys


def leaves(model: BaseModel, path: Path = ()) -> Iterator[Leaf]:
    """Every number and distribution in a scenario, nested tables, lists and dicts included."""
    for name, info in type(model).model_fields.items():
        rules = info.metadata or [r for x in typing.get_args(info.annotation) for r in rules_of(x)]
        yield from _leaves_of(getattr(model, name), (*path, name), rules, info.annotation)


def _leaves_of(value: Any, path: Path, rules: list[Any], annotation: Any) -> Iterator[Leaf]:
    if isinstance(value, BaseModel) and hasattr(value, "dist"):  # a distribution
        yield path, rules
    elif isinstance(value, BaseModel):
        yield from leaves(value, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, BaseModel):
                yield from leaves(item, (*path, i))
    elif isinstance(value, dict):
        inner = dict_values(annotation)
        for key, item in value.items():
            yield from _leaves_of(item, (*path, key), rules_of(inner), inner)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, rules


def dist_at_edges(draw: st.DrawFn) -> dict[str, Any]:
    """Any distribution family with each parameter at one end of its range."""
    family = draw(st.sampled_from(DIST_NAMES))
    mean = draw(st.sampled_from([MIN_POSITIVE, MAX_NUMBER]))
    if family == "deterministic":
        return {"dist": family, "value": draw(st.sampled_from([0.0, MAX_NUMBER]))}
    if family in ("uniform", "uniform_int"):
        ends = sorted(draw(st.lists(st.sampled_from([0, int(MAX_NUMBER)]), min_size=2, max_size=2)))
        return {"dist": family, "low": ends[0], "high": ends[1]}
    if family in ("gamma", "lognormal"):
        return {"dist": family, "mean": mean, "cv": draw(st.sampled_from([MIN_CV, MAX_CV]))}
    if family == "poisson":
        return {"dist": family, "mean": draw(st.sampled_from([0.0, MAX_NUMBER]))}
    if family == "erlang":
        return {"dist": family, "k": draw(st.sampled_from([1, MAX_ERLANG_K])), "mean": mean}
    return {"dist": family, "mean": mean}


COUNTS = {"count", "styles_per_family", "sample_makers", "max_remakes", "signal_favourites"}
# Most keys stay as they are in each example, so that a run does something: a few at a time
# go to their edges (hypothesis shrinks a failure towards "as it is", the first choice).
ENDS = st.sampled_from(["as it is"] * 6 + ["least", "greatest"])
STARTS = st.sampled_from(["as it is"] * 2 + ["first", "last"])


@st.composite
def scenarios_at_the_edges(draw: st.DrawFn) -> Scenario:
    policy = draw(st.sampled_from(sorted(POLICIES)), label="policy")
    rich = validate(rich_scenario(policy, polling=draw(st.booleans(), label="polling")), "rich")
    data = rich.model_dump(mode="python")  # every number of the type its key takes
    for path, rules in leaves(rich):
        end = draw(ENDS, label=".".join(map(str, path)))
        if end == "as it is":
            continue
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        name, value = path[-1], node[path[-1]]
        if isinstance(value, dict):  # a distribution: any family at its edges
            node[name] = dist_at_edges(draw)
            continue
        low, high = bounds(rules)
        if name in COUNTS or path == ("horizon_days",):
            high = min(high, COUNT_CAP if name in COUNTS else HORIZON_CAP)
        edge = low if end == "least" else high
        node[name] = int(edge) if isinstance(value, int) else float(edge)
    data["warmup_days"] = min(data["warmup_days"], data["horizon_days"] / 2)
    start = draw(STARTS, label="start_date")
    if start == "first":
        data["start_date"] = dt.date.min
    elif start == "last":
        data["start_date"] = dt.date.max - dt.timedelta(days=math.ceil(data["horizon_days"]) - 1)
    try:
        return validate(data, "edges")
    except ScenarioError:
        assume(False)  # a combination that check refuses: nothing to run
        raise


@pytest.mark.slow
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(scenario=scenarios_at_the_edges())
def test_every_scenario_that_passes_check_runs(scenario: Scenario) -> None:
    try:
        result = flexsim.run(scenario, seed=1, guard=GUARD)
    except Runaway:
        return  # the guard's clean stop: exit 2 with the tables so far
    assert events_at_or_after(result.tables, scenario.horizon_h) == {}
    flexsim.kpis(result.tables, scenario.warmup_h, scenario.horizon_h)


def test_the_edges_cover_every_kind_of_key() -> None:
    """The walk finds numbers and distributions in every part of the rich scenario, inside
    lists and dicts too, each with the bounds validation checks."""
    found = dict(leaves(validate(rich_scenario(), "rich")))
    assert {path[0] for path in found} >= {"horizon_days", "channels", "factories", "customers"}
    assert bounds(found[("horizon_days",)]) == (MIN_POSITIVE, 100_000.0)
    assert bounds(found[("sellers", "families", "shirts")]) == (MIN_POSITIVE, MAX_NUMBER)
    assert bounds(
        found[("factories", 0, "lines", 1, "changeover_h", "between", "shirts", "tshirts")]
    ) == (0.0, MAX_NUMBER)
    assert ("factories", 0, "lines", 1, "unit_time_by_family", "shirts") in found
    assert bounds(found[("finance", "interest_days")]) == (1.0, 100_000.0)
