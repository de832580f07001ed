"""Results folders: a run's tables, KPIs and a manifest of what made them, written atomically."""

from __future__ import annotations

import gzip
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

import numpy as np
import pandas as pd

from flexsim import metrics
from flexsim.records import COLUMN_TYPES
from flexsim.run import RunResult

PACKAGES = ("flexsim", "simpy", "numpy", "pandas", "scipy", "pydantic")
TABLE_FORMATS = {"csv": ".csv.gz", "parquet": ".parquet"}
"""The formats a results folder's tables can be written in, each with its file suffix: gzip CSV
(the default, and what results/ commits) or Parquet (pyarrow, the optional extra `parquet`)."""
TABLE_SUFFIX = TABLE_FORMATS["csv"]
PARQUET_INSTALL = (
    'the optional extra `parquet` (pip install "flexsim[parquet]", or pip install pyarrow)'
)


DERIVED_TYPES: dict[str, dict[str, str]] = {
    "cash": {"party": "str", "day": "int64"} | dict.fromkeys(metrics.CASH_COLUMNS, "float64"),
    "seller_money": {"party": "str"} | dict.fromkeys(metrics.MONEY_COLUMNS, "float64"),
}
"""The derived tables' columns and dtypes, as COLUMN_TYPES gives the record tables'."""
TYPES = COLUMN_TYPES | DERIVED_TYPES


class TableFormatError(ValueError):
    """A table format that cannot be written or read here; the message is one paragraph."""


def write(
    result: RunResult,
    kpis: dict[str, Any],
    folder: Path,
    source: str,
    overrides: dict[str, Any] | None = None,
    table_format: str = "csv",
) -> list[Path]:
    """Write tables, kpis.json, scenario.json and manifest.json into the existing `folder`
    (an output folder's partial one); return the paths. The tables are written in
    `table_format` (TABLE_FORMATS), which the manifest records.

    Each file is written to a temporary name and renamed, so an interrupted write never leaves
    a half file behind; the manifest goes last, so a folder with a manifest is complete.
    """
    written = _write_tables(result.tables | derived_tables(result), folder, table_format)
    texts = {
        "kpis.json": _json(kpis),
        "scenario.json": result.scenario.model_dump_json(indent=2),
        "manifest.json": _json(manifest(result, source, overrides or {}, table_format)),
    }
    for name, text in texts.items():
        write_text(folder / name, text)
        written.append(folder / name)
    return written


def write_partial(result: RunResult, folder: Path, table_format: str = "csv") -> list[Path]:
    """Write what a run stopped by the engine's guard had recorded: its record tables and
    scenario.json, without KPIs, derived tables (both need the whole run) or manifest.json
    (which marks a complete results folder); the folder's PARTIAL file says why it stopped."""
    written = _write_tables(result.tables, folder, table_format)
    write_text(folder / "scenario.json", result.scenario.model_dump_json(indent=2))
    return [*written, folder / "scenario.json"]


def _write_tables(tables: dict[str, pd.DataFrame], folder: Path, table_format: str) -> list[Path]:
    check_table_format(table_format)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}{TABLE_FORMATS[table_format]}"
        if table_format == "parquet":
            _atomic(path, partial(table.to_parquet, index=False, engine="pyarrow"))
        else:
            _atomic(path, partial(_write_csv, table, typed=TYPES.get(name) == _dtypes(table)))
        written.append(path)
    return written


GZIP_LEVEL = 2
"""The tables' gzip level. Level 2 wrote the tables of a 2,000-seller village in 1.0 s of CPU
against 2.4 s at level 6 (gzip's default; both formatted by pyarrow), into 14.9 MB against
12.8 MB; level 1 was no faster and 4 % larger (benchmarks/README.md, The village)."""


def _write_csv(table: pd.DataFrame, path: str, typed: bool) -> None:
    """A table as gzip CSV, formatted by pyarrow where it can be (about ten times pandas'
    speed) into what read_tables reads back to the same frame as pandas' CSV of it: the same
    shortest round-trip digits for every float, though a whole number is `9` where pandas
    writes `9.0`, which the reader takes back as a float because TYPES says the column is one.
    So a table whose columns are not as TYPES declares them (`typed` False), or a machine
    without pyarrow, has pandas format it. The gzip header holds no file name or time: the
    same table makes the same bytes."""
    with open(path, "wb") as file, gzip.GzipFile("", "wb", GZIP_LEVEL, file, mtime=0) as out:
        pyarrow_csv = _pyarrow_csv() if typed else None
        if pyarrow_csv is None:
            table.to_csv(out, index=False, lineterminator="\n")
            return
        out.write(table.head(0).to_csv(index=False, lineterminator="\n").encode())  # as pandas
        options = pyarrow_csv.WriteOptions(include_header=False)  # it quotes every string
        pyarrow_csv.write_csv(_pyarrow_table(table), out, options)


def _pyarrow_csv() -> Any:
    """pyarrow's CSV module, or None without pyarrow."""
    try:
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow.csv


def _pyarrow_table(table: pd.DataFrame) -> Any:
    """The table in pyarrow, its NaN as null (an empty field, as pandas writes NaN); the
    numbers and pandas' pyarrow-backed strings are not copied."""
    import pyarrow

    return pyarrow.Table.from_pandas(table, preserve_index=False)


def _dtypes(table: pd.DataFrame) -> dict[str, str]:
    return {str(column): str(kind) for column, kind in table.dtypes.items()}


def check_table_format(table_format: str) -> None:
    """Raise TableFormatError unless tables can be written and read in `table_format` here:
    a known format, and pyarrow installed for Parquet."""
    if table_format not in TABLE_FORMATS:
        raise TableFormatError(
            f"table format {table_format!r}: expected one of {', '.join(TABLE_FORMATS)}"
        )
    if table_format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise TableFormatError(
                f"Parquet tables need pyarrow, which is not installed: install {PARQUET_INSTALL}"
            ) from None


def table_path(folder: Path, name: str) -> Path:
    """The file of table `name` in a results folder, in whichever format it was written (a
    folder holds one); the CSV file's path when there is neither."""
    for suffix in TABLE_FORMATS.values():
        if (path := folder / f"{name}{suffix}").is_file():
            return path
    return folder / f"{name}{TABLE_SUFFIX}"


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
    """The tables of a results folder by name: all of them, or those named, from gzip CSV or
    Parquet files alike (a folder holds one format; TableFormatError when a table is in both).

    Both formats read back to equal frames, as the CSV reads: an empty field or string is
    missing (NaN), a table's text columns are strings even when every value is missing or looks
    like a number, its float columns are floats even when every value is a whole number (which
    pyarrow writes as `9`), and an empty table has its columns typed (TYPES), as the run made it.
    """
    if names is None:
        names = sorted(
            {
                path.name.removesuffix(suffix)
                for suffix in TABLE_FORMATS.values()
                for path in folder.glob(f"*{suffix}")
            }
        )
    tables = {}
    for name in names:
        both = [folder / f"{name}{suffix}" for suffix in TABLE_FORMATS.values()]
        if all(path.is_file() for path in both):
            raise TableFormatError(
                f"{folder}: table {name} is there as both {' and '.join(p.name for p in both)}; "
                "a results folder holds its tables in one format"
            )
        path = table_path(folder, name)
        if path.suffix == ".parquet":
            check_table_format("parquet")
            table = _blank_as_missing(pd.read_parquet(path, engine="pyarrow"))
        else:
            floats = {c: kind for c, kind in TYPES.get(name, {}).items() if kind == "float64"}
            table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=floats)
        tables[name] = _typed(name, table)
    return tables


def _blank_as_missing(table: pd.DataFrame) -> pd.DataFrame:
    """Empty strings as NaN, which is what an empty CSV field reads as."""
    for column in table.columns:
        if pd.api.types.is_string_dtype(table[column]) and (table[column] == "").any():
            table[column] = table[column].replace("", np.nan)
    return table


def _typed(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """A table's text columns as strings, and an empty table's columns as TYPES declares them."""
    if name not in TYPES:
        return table
    if table.empty:
        return table.astype(TYPES[name])
    text = [c for c, kind in TYPES[name].items() if kind == "str" and c in table.columns]
    untyped = [c for c in text if not pd.api.types.is_string_dtype(table[c])]
    return table.astype(dict.fromkeys(untyped, "str")) if untyped else table


def manifest(
    result: RunResult, source: str, overrides: dict[str, Any], table_format: str = "csv"
) -> dict[str, Any]:
    """What made a run: inputs, seed, versions, commit, machine, wall time; the tables' rows
    and format."""
    made = provenance(PACKAGES + (("pyarrow",) if table_format == "parquet" else ()))
    return {
        "scenario": result.scenario.name,
        "source": source,
        "overrides": overrides,
        "seed": result.seed,
        **made,
        "wall_s": round(result.wall_s, 3),
        "streams": result.streams,
        "tables": {name: len(table) for name, table in result.tables.items()},
        "table_format": table_format,
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
