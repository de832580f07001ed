"""Results folders: a run's tables, KPIs and a manifest of what made them, written atomically."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import metrics
from flexsim.records import COLUMN_TYPES
from flexsim.run import RunResult

PACKAGES = ("flexsim", "simpy", "numpy", "pandas", "scipy", "pydantic")
TABLE_SUFFIX = ".csv.gz"


def write(
    result: RunResult,
    kpis: dict[str, Any],
    folder: Path,
    source: str,
    overrides: dict[str, Any] | None = None,
) -> list[Path]:
    """Write tables, kpis.json, scenario.json and manifest.json into the existing `folder`
    (an output folder's partial one); return the paths.

    Each file is written to a temporary name and renamed, so an interrupted write never leaves
    a half file behind; the manifest goes last, so a folder with a manifest is complete.
    """
    written = _write_tables(result.tables | derived_tables(result), folder)
    texts = {
        "kpis.json": _json(kpis),
        "scenario.json": result.scenario.model_dump_json(indent=2),
        "manifest.json": _json(manifest(result, source, overrides or {})),
    }
    for name, text in texts.items():
        write_text(folder / name, text)
        written.append(folder / name)
    return written


def write_partial(result: RunResult, folder: Path) -> list[Path]:
    """Write what a run stopped by the engine's guard had recorded: its record tables and
    scenario.json, without KPIs, derived tables (both need the whole run) or manifest.json
    (which marks a complete results folder); the folder's PARTIAL file says why it stopped."""
    written = _write_tables(result.tables, folder)
    write_text(folder / "scenario.json", result.scenario.model_dump_json(indent=2))
    return [*written, folder / "scenario.json"]


# zlib's own default level: a third of level 9's time (gzip's default) for about 3 % more bytes
# (the default scenario's ledger and seller days: 1.0 s and 2.44 MB against 3.0 s and 2.36 MB)
_GZIP = {"method": "gzip", "compresslevel": 6}


def _write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    written = []
    for name, table in tables.items():
        path = folder / f"{name}{TABLE_SUFFIX}"
        _atomic(path, partial(table.to_csv, index=False, compression=_GZIP))
        written.append(path)
    return written


def derived_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """Tables computed from the record tables, written beside them: `cash`, each party's
    position at the end of each day, and `seller_money`, each seller's cash cycle."""
    scenario, ledger = result.scenario, result.tables["ledger"]
    return {
        "cash": metrics.cash_positions(ledger, scenario.horizon_h),
        "seller_money": metrics.seller_money(
            ledger, scenario.warmup_h, scenario.horizon_h, scenario.finance.discount_rate
        ),
    }


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (a temporary file beside it, then a rename)."""
    _atomic(path, partial(_write_text, text=text))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a binary file atomically, as write_text does."""
    _atomic(path, partial(_write_bytes, data=data))


def read_tables(folder: Path, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a results folder by name: all of them, or those named (an empty record
    table with its columns typed, as the run made it)."""
    paths = (
        sorted(folder.glob(f"*{TABLE_SUFFIX}"))
        if names is None
        else [folder / f"{name}{TABLE_SUFFIX}" for name in names]
    )
    tables = {}
    for path in paths:
        name = path.name.removesuffix(TABLE_SUFFIX)
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        if table.empty and name in COLUMN_TYPES:
            table = table.astype(COLUMN_TYPES[name])
        tables[name] = table
    return tables


def manifest(result: RunResult, source: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """What made a run: inputs, seed, versions, commit, machine, wall time."""
    return {
        "scenario": result.scenario.name,
        "source": source,
        "overrides": overrides,
        "seed": result.seed,
        **provenance(),
        "wall_s": round(result.wall_s, 3),
        "streams": result.streams,
        "tables": {name: len(table) for name, table in result.tables.items()},
    }


def provenance(packages: tuple[str, ...] = PACKAGES) -> dict[str, Any]:
    """Which code made a result: flexsim version, git commit (and whether the checkout had
    uncommitted changes), Python and package versions, and when."""
    return {
        "flexsim_version": metadata.version("flexsim"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in packages},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _git(*args: str) -> str | None:
    """git's answer about the flexsim source tree when it is a checkout (editable install)."""
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _write_text(path: str, text: str) -> None:
    Path(path).write_text(text, "utf-8")


def _write_bytes(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False, default=str) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write_to: Callable[[str], object]) -> None:
    """Call write_to(temporary path) beside `path`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
    try:
        write_to(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
