"""Experiment design: an experiment file read and validated, then expanded into design points.

An experiment file is TOML with a top-level `[experiment]` table (the base scenario, seed,
replications, KPIs, warm-up), optional `[factors]` crossed with every variant, and
`[variants.NAME]` tables of quoted dotted keys applied exactly like `--set`, each with its own
optional `factors` sub-table. A design point is one variant at one combination of its factors;
its scenario is validated when the file is loaded, so `flexsim check` finds every bad key before
anything runs. docs/experiments.md documents every key.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from flexsim.experiment.errors import ExperimentError
from flexsim.experiment.names import FACTORS, check_kpi, headline_kpis, with_names
from flexsim.inputs import InputError, Unreadable, decode, listing, parse, quoted, read_bytes
from flexsim.limits import MAX_POINTS, MAX_REPLICATIONS, MAX_RUNS
from flexsim.metrics import split_kpi_name
from flexsim.scenario import (
    DEFAULT_SCENARIO,
    Name,
    NonNegative,
    Positive,
    Scenario,
    ScenarioError,
    format_validation_error,
    load,
)
from flexsim.spec import Spec

BASE = "base"  # the variant of an experiment without variants, and of `flexsim compare`
Replications = Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)]


class Sequential(Spec):
    """Add replications until the named KPIs are precise."""

    target: Positive = Field(0.05, description="relative half-width to reach")
    abs_tol: NonNegative = Field(0.0, description="or an absolute half-width at most this")
    max: Replications = Field(100, description="replications per design point at most")
    kpis: list[str] = Field([], description="KPIs that must be precise (default: `kpis`)")


class Settings(Spec):
    """The `[experiment]` table."""

    name: Name
    description: str = ""
    scenario: str = Field(DEFAULT_SCENARIO, description="built-in name or file (relative here)")
    set: dict[str, Any] = Field({}, description="quoted dotted keys applied to every variant")
    baseline: str = Field("", description="the variant others are compared with (default: first)")
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    replications: Replications = 10
    sequential: Sequential | None = None
    warmup: Literal["scenario", "auto"] = "scenario"
    warmup_series: str = Field("", description="busy:FACTORY.LINE or waiting:FACTORY (auto)")
    kpis: list[str] = Field([], description="flat KPI names to summarise (default: headline)")

    @field_validator("kpis")
    @classmethod
    def _kpi_names(cls, names: list[str]) -> list[str]:
        for name in names:
            split_kpi_name(name)  # a ValueError becomes this key's validation error
        return names

    @field_validator("warmup_series")
    @classmethod
    def _series(cls, text: str) -> str:
        kind, _, where = text.partition(":")
        if text and (kind not in ("busy", "waiting") or not where):
            raise ValueError(f"expected busy:FACTORY.LINE or waiting:FACTORY, got {text!r}")
        return text


class ExperimentFile(Spec):
    """A whole experiment file as parsed (variants are checked by hand: their keys are free)."""

    names: dict[Name, Name] = Field(
        default_factory=dict, description="placeholders {NAME} in keys, KPIs and warm-up series"
    )
    experiment: Settings
    factors: dict[str, list[Any]] = Field(default_factory=dict)
    variants: dict[Name, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One design point: a variant at one combination of the factors, with its scenario."""

    variant: str
    factors: dict[str, Any]  # dotted key → value, global factors first, then the variant's own
    scenario: Scenario
    cell: tuple[Any, ...]  # the values of the global factors: points of one cell are paired

    @property
    def label(self) -> str:
        """The variant's name, with its own factors' values when it has any: the `variant`
        column of the runs and the summary, where the global factors have columns."""
        own = {k: v for k, v in self.factors.items() if k in self.own_keys}
        return self.variant + "".join(f" {k}={v}" for k, v in own.items())

    @property
    def name(self) -> str:
        """The variant's name with every factor's value: unique among the points."""
        return self.variant + "".join(f" {k}={v}" for k, v in self.factors.items())

    own_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Experiment:
    """A loaded experiment: its settings, design points and where it came from."""

    settings: Settings
    points: list[Point]
    factor_keys: list[str]  # every factor's dotted key, global ones first
    source: str
    digest: str  # sha256 of the file's bytes (or of the arguments that made it)
    base: Scenario  # the scenario with the experiment's `set`, before variants and factors
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        return self.settings.baseline or self.points[0].variant

    @property
    def kpis(self) -> list[str]:
        return self.settings.kpis or headline_kpis(self.points[0].scenario)


def is_experiment_file(path: str | Path) -> bool:
    """Whether `path` is a TOML file with a top-level `[experiment]` table (a file that cannot
    be read within the limits is not: reading it as a scenario then says why)."""
    path = Path(path)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        return "experiment" in parse(decode(read_bytes(path)), "TOML")
    except InputError:
        return False


def load_experiment(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Read, validate and expand an experiment file; every error is one ExperimentError.
    `overrides` (dotted key → value, `--set`) join the file's `set` table, replacing its value
    of the same key; a key that a variant or a factor changes is refused, since the variant's
    or factor's value would win."""
    path = Path(path)
    try:
        raw = read_bytes(path)
        data = parse(decode(raw), "TOML")
    except Unreadable as error:
        raise ExperimentError(
            f"{path}: cannot read the experiment file ({error.reason})."
        ) from None
    except InputError as error:
        raise ExperimentError(f"{path}: {error}.") from None
    data = with_names(data, str(path))
    if overrides:
        data = _with_set(data, dict(overrides), str(path))
        raw += repr(sorted(overrides.items())).encode()  # another experiment: another digest
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as error:
        message = format_validation_error(error, str(path))
        message = message.replace(" in the scenario: ", " in the experiment: ")
        raise ExperimentError(message) from None
    base = spec.experiment.scenario
    scenario_path = path.parent / base
    reference = str(scenario_path) if scenario_path.suffix in (".toml", ".json") else base
    return expand(spec, reference, str(path), hashlib.sha256(raw).hexdigest())


def _with_set(data: dict[str, Any], overrides: dict[str, Any], source: str) -> dict[str, Any]:
    """The parsed file with `overrides` joined to its `set` table; refused for a key that a
    factor or a variant changes."""
    changed = {key: "factors" for key in _table(data.get("factors"))}
    for name, body in _table(data.get("variants")).items():
        changed |= {key: f"variants.{name}" for key in _table(body) if key != FACTORS}
        changed |= {key: f"variants.{name}.factors" for key in _table(_table(body).get(FACTORS))}
    for key in overrides:
        if key in changed:
            raise ExperimentError(
                f"--set {key}: {source} changes this key in {changed[key]}, which would win "
                "over --set; change it in the file instead"
            )
    settings = _table(data.get("experiment"))
    return data | {"experiment": settings | {"set": _table(settings.get("set")) | overrides}}


def _table(value: Any) -> dict[str, Any]:
    """A parsed TOML table, or {} when it is something else (the schema's error, later)."""
    return value if isinstance(value, dict) else {}


def experiment_from(
    scenario: Scenario | str | Path,
    variants: Mapping[str, Mapping[str, Any]],
    **settings: Any,
) -> Experiment:
    """An experiment made from arguments instead of a file (the Python API, `flexsim compare`):
    a scenario (object, built-in name or file), `variants` mapping each name to its dotted-key
    overrides, and settings as in `[experiment]`."""
    base = scenario if isinstance(scenario, Scenario) else None
    reference = base.name if base is not None else str(scenario)
    data = {
        "experiment": {"name": "comparison", "scenario": reference} | settings,
        "variants": {name: dict(overrides) for name, overrides in variants.items()},
    }
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as error:
        raise ExperimentError(format_validation_error(error, "arguments")) from None
    described = repr(sorted(data.items())) + (base.model_dump_json() if base else "")
    digest = hashlib.sha256(described.encode()).hexdigest()
    return expand(spec, base or reference, "arguments", digest)


def expand(spec: ExperimentFile, scenario: Scenario | str, source: str, digest: str) -> Experiment:
    """The design points of a parsed experiment: each variant × the global factors × its own;
    `scenario` is the base scenario, or the name or file to load it from."""
    settings = spec.experiment
    overrides = _overrides(settings.set, f"{source}: experiment.set")
    try:
        if isinstance(scenario, Scenario):
            base = scenario.with_overrides(overrides, source) if overrides else scenario
        else:
            base = load(scenario, overrides)
    except ExperimentError:
        raise
    except ScenarioError as error:
        raise ExperimentError(f"{source}: experiment.scenario: {error}") from None
    _check_series(settings.warmup_series, base, source)
    variants = {
        name: _variant(body, f"{source}: variants.{name}") for name, body in spec.variants.items()
    } or {BASE: ({}, {})}
    global_factors = _factors(spec.factors, f"{source}: factors")
    check_runs(_count_points(global_factors, variants), most_replications(settings), source)
    points, keys = [], list(global_factors)
    for name, (overrides, own) in variants.items():
        keys += [k for k in own if k not in keys]
        grid = global_factors | own
        for values in itertools.product(*grid.values()):
            assignment = dict(zip(grid, values, strict=True))
            where = f"{source}: variant '{name}'" + "".join(
                f", {k}={v!r}" for k, v in assignment.items()
            )
            changes = overrides | assignment
            try:
                scenario = base.with_overrides(changes, where) if changes else base
            except ScenarioError as error:
                raise ExperimentError(str(error)) from None
            cell = tuple(assignment[k] for k in global_factors)
            points.append(Point(name, assignment, scenario, cell, tuple(own)))
    baseline = settings.baseline or next(iter(variants))
    if settings.baseline and settings.baseline not in variants:
        raise ExperimentError(
            f"{source}: experiment.baseline: no variant '{settings.baseline}'; variants: "
            + ", ".join(variants)
        )
    if settings.warmup == "auto" and not settings.warmup_series:
        raise ExperimentError(
            f'{source}: experiment.warmup_series: warmup = "auto" needs a series, '
            "busy:FACTORY.LINE or waiting:FACTORY"
        )
    if variants[baseline][1] if baseline in variants else False:
        raise ExperimentError(
            f"{source}: variants.{baseline}.factors: the baseline is compared at every "
            "combination of the global factors, so it has no factors of its own"
        )
    sequential = settings.sequential.kpis if settings.sequential else []
    for key, names in (("kpis", settings.kpis), ("sequential.kpis", sequential)):
        for name in names:
            check_kpi(name, points[0].scenario, f"{source}: experiment.{key}")
    plain = {name: overrides for name, (overrides, _) in variants.items()}
    return Experiment(settings, points, keys, source, digest, base, plain)


def _count_points(
    global_factors: dict[str, list[Any]],
    variants: Mapping[str, tuple[dict[str, Any], dict[str, list[Any]]]],
) -> int:
    """How many design points the factors make, without making them."""
    count = 0
    for _, own in variants.values():
        count += math.prod(len(values) for values in (global_factors | own).values())
    return count


def most_replications(settings: Settings) -> int:
    """The replications a design point may get: the sequential maximum, or the fixed number."""
    return settings.sequential.max if settings.sequential else settings.replications


def check_runs(points: int, replications: int, source: str) -> None:
    """Refuse, before anything is expanded or run, more than MAX_POINTS design points or more
    than MAX_RUNS runs (points × replications at most)."""
    if points > MAX_POINTS:
        raise ExperimentError(
            f"{source}: the factors make {points:,} design points; at most {MAX_POINTS:,}"
        )
    if points * replications > MAX_RUNS:
        raise ExperimentError(
            f"{source}: {points:,} design points × {replications:,} replications make "
            f"{points * replications:,} runs; at most {MAX_RUNS:,}"
        )


def _check_series(series: str, scenario: Scenario, source: str) -> None:
    """The factory (and line) that `warmup_series` names must be in the base scenario."""
    kind, _, where = series.partition(":")
    if not series:
        return
    factory, _, line = where.partition(".") if kind == "busy" else (where, "", "")
    known = {f.name: [each.name for each in f.lines] for f in scenario.factories}
    if factory not in known:
        raise ExperimentError(
            f"{source}: experiment.warmup_series: no factory {quoted(factory)} in the base "
            f"scenario; its factories: {listing(list(known))}"
        )
    if kind == "busy" and line not in known[factory]:
        raise ExperimentError(
            f"{source}: experiment.warmup_series: factory {quoted(factory)} has no line "
            f"{quoted(line)}; its lines: {listing(known[factory])}"
        )


def _variant(body: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """A variant table's overrides and its own factors."""
    own = body.get(FACTORS, {})
    if not isinstance(own, dict):
        raise ExperimentError(f"{where}.{FACTORS}: expected a table of dotted key = [values]")
    overrides = {k: v for k, v in body.items() if k != FACTORS}
    return _overrides(overrides, where), _factors(own, f"{where}.{FACTORS}")


def _overrides(overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Quoted dotted keys as `--set` takes them; a bare key holding a table is an unquoted
    dotted key that TOML made into nested tables."""
    for key, value in overrides.items():
        if "." not in key and isinstance(value, dict):
            nested = next(iter(_leaves(value, key)), key)
            raise ExperimentError(
                f"{where}.{key}: a nested table; write each setting as one quoted dotted key, "
                f'e.g. "{nested}" = …, as --set takes it'
            )
    return dict(overrides)


def _leaves(table: Mapping[str, Any], prefix: str) -> list[str]:
    out = []
    for key, value in table.items():
        name = f"{prefix}.{key}"
        out += _leaves(value, name) if isinstance(value, dict) else [name]
    return out


def _factors(factors: Mapping[str, Any], where: str) -> dict[str, list[Any]]:
    for key, values in factors.items():
        if not isinstance(values, list) or not values:
            raise ExperimentError(f"{where}.{key}: expected a non-empty list of values")
        if any(isinstance(v, dict | list) for v in values):
            raise ExperimentError(
                f"{where}.{key}: a factor's levels are numbers, strings or booleans (they name "
                "the runs' columns); vary a table's keys one by one, or make each table a variant"
            )
        if len(set(values)) < len(values):
            raise ExperimentError(f"{where}.{key}: a level is listed twice")
    return _overrides(factors, where)
