"""Scenario files: reading a TOML or JSON file or a built-in scenario, `--set` values, and the
JSON Schema of a scenario file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from flexsim.scenario.root import Scenario, ScenarioError, validate


def parse_value(text: str) -> Any:
    """A `--set` value as TOML (numbers, booleans, strings, arrays, inline tables); a bare word
    that is not valid TOML is taken as a string, so `--set x.dispatch=edd` works unquoted."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """['a.b=1', …] → {'a.b': 1, …}."""
    overrides: dict[str, Any] = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ScenarioError(f"--set expects dotted.key=VALUE, got {text!r}")
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file, or a built-in scenario by name, then apply overrides."""
    path = Path(path)
    if path.suffix not in (".toml", ".json") and not path.exists() and str(path) in builtin_names():
        return load_builtin(str(path), overrides)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({error.reason}).") from None
    except OSError as error:
        raise ScenarioError(
            f"{path}: cannot read the scenario file ({error.strerror or error}); give a TOML "
            f"file or one of the built-in scenarios: {', '.join(builtin_names())}"
        ) from None
    return _from_text(text, str(path), overrides)


def load_builtin(name: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario shipped inside the package (see `builtin_names()`)."""
    return _from_text(builtin_text(name), f"built-in scenario '{name}'", overrides)


def builtin_text(name: str) -> str:
    """The TOML file of a built-in scenario, as shipped."""
    if name not in builtin_names():
        raise ScenarioError(
            f"no built-in scenario '{name}'; built-ins: {', '.join(builtin_names())}"
        )
    return resources.files("flexsim.scenarios").joinpath(f"{name}.toml").read_text("utf-8")


def _from_text(text: str, source: str, overrides: Mapping[str, Any] | None) -> Scenario:
    try:
        data = json.loads(text) if source.endswith(".json") else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        kind = "JSON" if source.endswith(".json") else "TOML"
        raise ScenarioError(f"{source}: not valid {kind}: {error}.") from None
    scenario = validate(data, source)
    return scenario.with_overrides(overrides, source) if overrides else scenario


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
