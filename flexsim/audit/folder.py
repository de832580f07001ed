"""A run's results folder as the audit reads it: its tables, scenario and KPIs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from flexsim.records import COLUMN_TYPES, TABLES
from flexsim.results import read_tables, table_path
from flexsim.scenario import Scenario

DERIVED = ("cash", "seller_money")  # tables results.write derives from the ledger
# tables added after folders were first written: a folder from before has none, read as empty
LATER = ("alliance_reviews", "steps")
FILES = ("kpis.json", "scenario.json", "manifest.json")


class AuditError(Exception):
    """The folder is not a run's results folder; the message is one paragraph."""


@dataclass(frozen=True)
class Run:
    """What a results folder holds: its tables by name, its scenario and its KPIs."""

    tables: dict[str, pd.DataFrame]
    scenario: Scenario
    kpis: dict[str, Any]


def read_run(folder: Path) -> Run:
    """The tables, scenario and KPIs of a run folder; AuditError when it is not one."""
    if not folder.is_dir():
        raise AuditError(
            f"{folder}: not a folder (expected a run results folder: `flexsim run --out DIR`)"
        )
    names = [*TABLES, *DERIVED]
    later = [n for n in LATER if not table_path(folder, n).is_file()]
    names = [n for n in names if n not in later]
    paths = [table_path(folder, name) for name in names]
    missing = [path.name for path in paths if not path.is_file()]
    missing += [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise AuditError(
            f"{folder}: not a run's results folder (written by `flexsim run --out DIR`): "
            f"{', '.join(missing)} missing"
        )
    try:
        tables = read_tables(folder, names)
        tables.update({name: empty_table(name) for name in later})
        scenario = Scenario.model_validate_json((folder / "scenario.json").read_text("utf-8"))
        kpis = json.loads((folder / "kpis.json").read_text("utf-8"))
    except (OSError, ValueError, EOFError, ValidationError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise AuditError(f"{folder}: cannot read the run's files ({first})") from None
    for name in TABLES:
        absent = set(TABLES[name]) - set(tables[name].columns)
        if absent:
            raise AuditError(
                f"{table_path(folder, name)}: columns {', '.join(sorted(absent))} missing"
            )
    return Run(tables, scenario, kpis if isinstance(kpis, dict) else {})


Verdict = tuple[list[str], str]  # the problems found (none: the law holds), what was counted


def empty_table(name: str) -> pd.DataFrame:
    """A record table without rows, its columns typed as a run makes them."""
    return pd.DataFrame({c: pd.Series(dtype=kind) for c, kind in COLUMN_TYPES[name].items()})
