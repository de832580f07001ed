"""Scenario files: reading a TOML or JSON file or a built-in scenario, `--set` values, and the
JSON Schema of a scenario file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from flexsim.inputs import InputError, Malformed, Unreadable, kind_of, parse, quoted, read_text
from flexsim.scenario.bookfile import read_book
from flexsim.scenario.root import Scenario, ScenarioError, validate


def parse_value(text: str) -> Any:
    """A `--set` value as TOML (numbers, booleans, strings, arrays, inline tables); a bare word
    that is not valid TOML is taken as a string, so `--set x.dispatch=edd` works unquoted. A
    value nested too deeply raises InputError."""
    try:
        return parse(f"v = {text}", "TOML")["v"]
    except Malformed:
        return text


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """['a.b=1', …] → {'a.b': 1, …}."""
    overrides: dict[str, Any] = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ScenarioError(f"--set expects dotted.key=VALUE, got {quoted(text)}")
        try:
            overrides[key.strip()] = parse_value(value.strip())
        except InputError as error:
            raise ScenarioError(f"--set {quoted(key.strip())}: in its value, {error}.") from None
    return overrides


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file, or a built-in scenario by name, then apply overrides."""
    path = Path(path)
    if path.suffix not in (".toml", ".json") and not path.exists() and str(path) in builtin_names():
        return load_builtin(str(path), overrides)
    try:
        data = parse(read_text(path), kind_of(path))
    except Unreadable as error:
        raise ScenarioError(
            f"{path}: cannot read the scenario file ({error.reason}); give a TOML file or one "
            f"of the built-in scenarios: {', '.join(builtin_names())}."
        ) from None
    except InputError as error:
        raise ScenarioError(f"{path}: {error}.") from None
    return _validated(data, str(path), overrides, path.parent)


def load_builtin(name: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario shipped inside the package (see `builtin_names()`); an `order_book` set by
    the overrides is read relative to the current folder."""
    source = f"built-in scenario '{name}'"
    return _validated(parse(builtin_text(name), "TOML"), source, overrides, Path())


def builtin_text(name: str) -> str:
    """The TOML file of a built-in scenario, as shipped."""
    if name not in builtin_names():
        raise ScenarioError(
            f"no built-in scenario '{name}'; built-ins: {', '.join(builtin_names())}"
        )
    return resources.files("flexsim.scenarios").joinpath(f"{name}.toml").read_text("utf-8")


def _validated(
    data: Mapping[str, Any], source: str, overrides: Mapping[str, Any] | None, folder: Path
) -> Scenario:
    """The validated scenario, overridden, with its order book (relative to `folder`) read."""
    scenario = validate(data, source)
    if overrides:
        scenario = scenario.with_overrides(overrides, source)
    return read_book(scenario, folder, source) if scenario.order_book else scenario


DEFAULT_SCENARIO = "tao-factory"


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with flexsim, sorted."""
    folder = resources.files("flexsim.scenarios")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def json_schema() -> str:
    """The JSON Schema of a scenario file, for editors and documentation."""
    return json.dumps(Scenario.model_json_schema(), indent=2)
