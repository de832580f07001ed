"""Planning files: a planning problem read and validated, and the scenario of each candidate.

A planning file is TOML with a `[plan]` table (the base scenario, its `set` overrides, the seed,
the budget of simulation runs, the replications per candidate, the confidence, δ and the number
of finalists), `[variables.NAME]` tables (a `--set` key or `lines_of = "FACTORY.LINE"`, with an
integer or real range `low`…`high` and optional `step`, or a list of `choices`), an
`[objective]` (a flat KPI and its direction) and `[[constraints]]` (a flat KPI, a bound `<=` or
`>=` and a tolerance). Every variable is tried at its ends (or each choice) when the file is
loaded, so a bad key fails before anything runs. docs/planning.md documents every key.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from flexsim.experiment import ExperimentError
from flexsim.experiment.names import check_kpi
from flexsim.inputs import InputError, Unreadable, decode, parse, read_bytes
from flexsim.limits import MAX_REPLICATIONS, MAX_RUNS
from flexsim.metrics import split_kpi_name
from flexsim.scenario import (
    DEFAULT_SCENARIO,
    Name,
    Scenario,
    ScenarioError,
    format_validation_error,
    load,
)
from flexsim.spec import Spec

Value = int | float | str | bool
MAX_FINALISTS = 20
MAX_BATCH = 64
MAX_CHOICES = 1_000


class PlanError(ExperimentError):
    """Bad planning input; one paragraph naming the file and the dotted key."""


class Settings(Spec):
    """The `[plan]` table."""

    name: Name
    description: str = ""
    scenario: str = Field(DEFAULT_SCENARIO, description="built-in name or file (relative here)")
    set: dict[str, Any] = Field({}, description="quoted dotted keys applied to every candidate")
    seed: Annotated[int, Field(ge=0, lt=2**62)] = 1
    budget: Annotated[int, Field(ge=1, le=MAX_RUNS)] = Field(
        200, description="simulation runs the search may spend"
    )
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = Field(
        5, description="replications of each candidate in the search"
    )
    batch: Annotated[int, Field(ge=1, le=MAX_BATCH)] = Field(
        4, description="candidates asked of the sampler at once (not the worker count)"
    )
    startup: Annotated[int, Field(ge=1, le=10_000)] = Field(
        10, description="random candidates before the sampler models the results"
    )
    common_random_numbers: bool = True
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    delta: Annotated[float, Field(gt=0)] = Field(
        description="indifference zone: objective differences smaller than this do not matter"
    )
    finalists: Annotated[int, Field(ge=0, le=MAX_FINALISTS)] = Field(
        3, description="best candidates re-evaluated with fresh seeds (0: the search's best)"
    )
    first_stage: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 10
    max_final: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 200


class Variable(Spec):
    """A `[variables.NAME]` table: a dotted key or a line's copies, and its values."""

    key: str = ""
    lines_of: str = Field("", description="FACTORY.LINE: the line's copies (its count)")
    low: int | float | None = None
    high: int | float | None = None
    step: int | float | None = None
    choices: list[Value] | None = Field(None, min_length=1, max_length=MAX_CHOICES)

    @model_validator(mode="after")
    def _one_kind(self) -> Variable:
        if bool(self.key) == bool(self.lines_of):
            raise ValueError("give either key (a dotted key) or lines_of (FACTORY.LINE)")
        if self.lines_of and len(self.lines_of.split(".")) != 2:
            raise ValueError(f"lines_of: expected FACTORY.LINE, got {self.lines_of!r}")
        ranged = self.low is not None or self.high is not None
        if ranged == (self.choices is not None):
            raise ValueError("give either low and high (a range) or choices (a list)")
        if self.choices is not None:
            if self.step is not None:
                raise ValueError("step: only a range has a step")
            if len(set(map(repr, self.choices))) < len(self.choices):
                raise ValueError("choices: a value is listed twice")
            if self.lines_of and not all(
                isinstance(c, int) and _is_int(c) and c >= 1 for c in self.choices
            ):
                raise ValueError("choices: a line's copies are whole numbers ≥ 1")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs both low and high")
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.step is not None and self.step <= 0:
            raise ValueError(f"step must be positive, got {self.step}")
        if self.lines_of and not (_is_int(self.low) and _is_int(self.high) and self.low >= 1):
            raise ValueError("low, high: a line's copies are whole numbers, low ≥ 1")
        return self

    @property
    def integer(self) -> bool:
        """An integer range: both ends (and the step) whole numbers."""
        ends = (self.low, self.high, self.step if self.step is not None else 1)
        return self.choices is None and all(_is_int(v) for v in ends)

    def values(self) -> list[Value] | None:
        """Every value the variable takes when there are finitely many (None: a real range
        without a step)."""
        if self.choices is not None:
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.integer:
            step = int(self.step or 1)
            return list(range(int(self.low), int(self.high) + 1, step))
        if self.step is None:
            return None
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return [self.low + i * self.step for i in range(count)]

    def overrides(self, value: Value) -> dict[str, Any]:
        """The dotted keys this variable sets at `value`."""
        if self.lines_of:
            factory, line = self.lines_of.split(".")
            return {f"factories.{factory}.lines.{line}.count": value}
        return {self.key: value}


class Objective(Spec):
    """The `[objective]` table: a flat KPI's mean, or a numeric decision variable's value (the
    number of lines, say), to minimise or maximise."""

    kpi: str = ""
    variable: str = Field("", description="a numeric variable's name instead of a KPI")
    direction: Literal["minimize", "maximize"] = "minimize"

    @model_validator(mode="after")
    def _one(self) -> Objective:
        if bool(self.kpi) == bool(self.variable):
            raise ValueError("give either kpi (a flat KPI name) or variable (a variable's name)")
        if self.kpi:
            split_kpi_name(self.kpi)
        return self

    @property
    def name(self) -> str:
        """What the objective is called in a candidate's values and the tables."""
        return self.kpi or self.variable


class Constraint(Spec):
    """A `[[constraints]]` entry: a KPI's mean at most (`<=`) or at least (`>=`) a bound; a
    plan missing it by less than `tolerance` may pass or fail."""

    kpi: str
    at_most: float | None = Field(None, description='the bound of "<="')
    at_least: float | None = Field(None, description='the bound of ">="')
    tolerance: Annotated[float, Field(gt=0)]

    @model_validator(mode="before")
    @classmethod
    def _signs(cls, data: Any) -> Any:
        if isinstance(data, dict):
            names = {"<=": "at_most", ">=": "at_least"}
            return {names.get(k, k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        split_kpi_name(self.kpi)
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError('give one bound: "<=" = VALUE or ">=" = VALUE')
        return self

    @property
    def upper(self) -> bool:
        return self.at_most is not None

    @property
    def bound(self) -> float:
        bound = self.at_most if self.at_most is not None else self.at_least
        assert bound is not None
        return bound

    def describe(self) -> str:
        return f"{self.kpi} {'≤' if self.upper else '≥'} {self.bound:g}"


class PlanFile(Spec):
    """A whole planning file as parsed."""

    plan: Settings
    variables: dict[Name, Variable] = Field(min_length=1)
    objective: Objective
    constraints: list[Constraint] = Field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """A loaded planning problem: its settings, variables, objective, constraints, the base
    scenario (with `set`) and where it came from."""

    settings: Settings
    variables: dict[str, Variable]
    objective: Objective
    constraints: list[Constraint]
    base: Scenario
    source: str
    digest: str

    @property
    def kpis(self) -> list[str]:
        """The KPIs a candidate is measured by: the objective's, then each constraint's."""
        named = [self.objective.kpi] if self.objective.kpi else []
        return list(dict.fromkeys([*named, *(c.kpi for c in self.constraints)]))

    def scenario(self, params: dict[str, Value], where: str = "") -> Scenario:
        """The scenario of a candidate: the base with each variable's keys at its value."""
        overrides: dict[str, Any] = {}
        for name, value in params.items():
            overrides |= self.variables[name].overrides(value)
        source = where or f"{self.source}: candidate {params}"
        try:
            return self.base.with_overrides(overrides, source)
        except ScenarioError as error:
            raise PlanError(str(error)) from None

    def space_size(self) -> int | None:
        """How many distinct candidates there are (None: infinitely many)."""
        sizes = [v.values() for v in self.variables.values()]
        if any(values is None for values in sizes):
            return None
        return math.prod(len(values or []) for values in sizes)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_plan_file(path: str | Path) -> bool:
    """Whether `path` is a TOML file with a top-level `[plan]` table."""
    path = Path(path)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        return "plan" in parse(decode(read_bytes(path)), "TOML")
    except InputError:
        return False


def load_plan(path: str | Path) -> Plan:
    """Read and validate a planning file; every error is one PlanError naming the file and
    the dotted key."""
    path = Path(path)
    try:
        raw = read_bytes(path)
        data = parse(decode(raw), "TOML")
    except Unreadable as error:
        raise PlanError(f"{path}: cannot read the planning file ({error.reason}).") from None
    except InputError as error:
        raise PlanError(f"{path}: {error}.") from None
    source = str(path)
    try:
        spec = PlanFile.model_validate(data)
    except ValidationError as error:
        message = format_validation_error(error, source)
        raise PlanError(message.replace(" in the scenario: ", " in the planning file: ")) from None
    settings = spec.plan
    reference = path.parent / settings.scenario
    name = str(reference) if reference.suffix in (".toml", ".json") else settings.scenario
    for key, value in settings.set.items():
        if "." not in key and isinstance(value, dict):
            raise PlanError(
                f"{source}: plan.set.{key}: a nested table; write each setting as one quoted "
                'dotted key, e.g. "horizon_days" = …, as --set takes it'
            )
    try:
        base = load(name, settings.set)
    except ScenarioError as error:
        raise PlanError(f"{source}: plan.scenario: {error}") from None
    if settings.max_final < settings.first_stage:
        raise PlanError(
            f"{source}: plan.max_final: {settings.max_final} is below plan.first_stage "
            f"({settings.first_stage})"
        )
    plan = Plan(
        settings,
        dict(spec.variables),
        spec.objective,
        list(spec.constraints),
        base,
        source,
        hashlib.sha256(raw).hexdigest(),
    )
    _check_variables(plan)
    first = plan.scenario(_lows(plan), f"{source}: the first candidate (each variable at its low)")
    if spec.objective.kpi:
        check_kpi(spec.objective.kpi, first, f"{source}: objective.kpi")
    elif spec.objective.variable not in plan.variables:
        raise PlanError(
            f"{source}: objective.variable: no variable {spec.objective.variable!r}; the "
            "variables: " + ", ".join(plan.variables)
        )
    elif not all(
        isinstance(v, int | float) and not isinstance(v, bool)
        for v in plan.variables[spec.objective.variable].values() or [0.0]
    ):
        raise PlanError(
            f"{source}: objective.variable: {spec.objective.variable!r} takes values that are "
            "not numbers"
        )
    for i, constraint in enumerate(spec.constraints):
        check_kpi(constraint.kpi, first, f"{source}: constraints.{i}.kpi")
    return plan


def _lows(plan: Plan) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for name, variable in plan.variables.items():
        values = variable.values()
        out[name] = values[0] if values else variable.low  # type: ignore[assignment]
    return out


def _check_variables(plan: Plan) -> None:
    """Each variable alone at its ends (or each of its choices) on the base scenario, then
    all at their lows: a key the scenario lacks, or a value it refuses, fails here, naming
    the variable, before anything runs."""
    for name, variable in plan.variables.items():
        values = variable.values()
        tried = (
            values if values is not None and len(values) <= 50 else [variable.low, variable.high]
        )
        for value in tried:
            assert value is not None
            plan.scenario({name: value}, f"{plan.source}: variables.{name} = {value!r}")
