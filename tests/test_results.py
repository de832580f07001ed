"""Results folders in either table format: a run written as gzip CSV and as Parquet reads back to
equal tables with the same dtypes, for every table of every built-in scenario; `flexsim audit`
and `flexsim report` work on a Parquet folder (and the audit catches a broken Parquet table);
`--table-format` writes Parquet from `run` and from `experiment --tables`, and is refused in one
paragraph with exit 2 where no tables are written, or where pyarrow is missing."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import at_test_size

import flexsim
from flexsim import metrics, results
from flexsim.audit import LAWS
from flexsim.cli import main
from flexsim.records import COLUMN_TYPES, TABLES

SHORT = {"horizon_days": 90, "warmup_days": 10}
ALL_TABLES = [*TABLES, "cash", "seller_money"]


def write_both(name: str, where: Path) -> tuple[Path, Path]:
    """One short run of a built-in scenario written into where/csv and where/parquet."""
    result = flexsim.run(flexsim.load_builtin(name, SHORT | at_test_size(name)), 5)
    kpis = metrics.scenario_kpis(result.tables, result.scenario)
    folders = where / "csv", where / "parquet"
    for folder, table_format in zip(folders, results.TABLE_FORMATS, strict=True):
        folder.mkdir(parents=True)
        results.write(result, kpis, folder, name, table_format=table_format)
    return folders


@pytest.mark.parametrize("name", flexsim.builtin_names())
def test_a_run_written_as_csv_and_as_parquet_reads_back_to_equal_tables(
    name: str, tmp_path: Path
) -> None:
    as_csv, as_parquet = write_both(name, tmp_path)
    assert sorted(p.name for p in as_csv.glob("*.csv.gz")) == [
        f"{t}.csv.gz" for t in sorted(ALL_TABLES)
    ]
    assert sorted(p.name for p in as_parquet.glob("*.parquet")) == [
        f"{t}.parquet" for t in sorted(ALL_TABLES)
    ]
    assert not list(as_parquet.glob("*.csv.gz"))
    from_csv, from_parquet = results.read_tables(as_csv), results.read_tables(as_parquet)
    assert list(from_csv) == list(from_parquet) == sorted(ALL_TABLES)
    for table in ALL_TABLES:
        pd.testing.assert_frame_equal(from_csv[table], from_parquet[table], check_exact=True)
    for table in TABLES:  # and as the records declare them, empty tables included
        dtypes = {c: str(t) for c, t in from_parquet[table].dtypes.items()}
        assert dtypes == COLUMN_TYPES[table], table
    for folder, table_format in [(as_csv, "csv"), (as_parquet, "parquet")]:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        assert manifest["table_format"] == table_format


def test_empty_text_reads_as_missing_and_text_stays_text_in_both_formats(tmp_path: Path) -> None:
    """What a CSV cannot tell apart (an empty string and a missing value; the name "7" and
    the number 7) reads the same from Parquet, and a record table's text column is text even
    when every value is missing or looks like a number."""
    result = flexsim.run(flexsim.load_builtin("mm1", SHORT), 5)
    orders = result.tables["orders"]
    assert (orders["reason"] == "").all()  # mm1 refuses nothing: the whole column is empty
    edited = dataclasses.replace(
        result, tables=result.tables | {"orders": orders.assign(customer="7")}
    )
    kpis = metrics.scenario_kpis(result.tables, result.scenario)
    read = {}
    for table_format in results.TABLE_FORMATS:
        folder = tmp_path / table_format
        folder.mkdir()
        results.write(edited, kpis, folder, "mm1", table_format=table_format)
        read[table_format] = results.read_tables(folder, ["orders"])["orders"]
    pd.testing.assert_frame_equal(read["csv"], read["parquet"], check_exact=True)
    for frame in read.values():
        assert frame["reason"].isna().all() and pd.api.types.is_string_dtype(frame["reason"])
        assert (frame["customer"] == "7").all()


def extreme_floats(size: int) -> np.ndarray:
    """Floats of every kind a CSV has to spell: random bit patterns (subnormals and the extremes
    included), whole numbers, money in cents, powers of ten, zero of either sign, infinities."""
    rng = np.random.default_rng(16)
    bits = rng.integers(0, 2**64, size, dtype=np.uint64).view(np.float64)
    special = [0.0, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, 1e15, 1e16, 1e-5]
    return np.concatenate(
        [
            bits[np.isfinite(bits)],
            np.floor(rng.normal(size=size) * 1e9),
            np.round(rng.normal(size=size) * 1e6, 2),
            10.0 ** rng.integers(-20, 25, size),
            special,
        ]
    )


def assert_same_bits(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal frames, and every float the same bits (-0.0 is not 0.0 here)."""
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    for column in left.select_dtypes("float64"):
        values = [frame[column].to_numpy() for frame in (left, right)]
        assert (np.signbit(values[0]) == np.signbit(values[1])).all(), column


def test_csv_tables_read_back_the_same_whether_pyarrow_or_pandas_formats_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow formats the CSV tables where it is installed (ten times pandas' speed), pandas
    where not: every table of a run, and floats of every magnitude, read back bit for bit the
    same either way, and exactly as they were made. pyarrow writes a whole number as `9`, which
    the reader takes back as a float; the same table always makes the same bytes."""
    result = flexsim.run(flexsim.load_builtin("tao-factory", SHORT), 5)
    floats = extreme_floats(20_000)
    capacity = pd.DataFrame(  # as the capacity table: two text columns, four floats
        {"factory": pd.array(["f"] * len(floats), dtype="str")}
        | {"line": pd.array(['a "line", too'] * len(floats), dtype="str")}
        | {"at": floats, "day_at": floats[::-1], "open_h": np.round(floats), "booked_h": -floats}
    )
    tables = result.tables | results.derived_tables(result) | {"capacity": capacity}
    by_pyarrow, by_pandas, again = tmp_path / "pyarrow", tmp_path / "pandas", tmp_path / "again"
    for folder in (by_pyarrow, by_pandas, again):
        folder.mkdir()
    results._write_tables(tables, by_pyarrow, "csv")
    results._write_tables(tables, again, "csv")
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pyarrow.csv", None)  # `import pyarrow.csv` raises
        results._write_tables(tables, by_pandas, "csv")
    written = {folder: (folder / "capacity.csv.gz").read_bytes() for folder in tmp_path.iterdir()}
    assert written[by_pyarrow] == written[again] != written[by_pandas]
    from_pyarrow, from_pandas = results.read_tables(by_pyarrow), results.read_tables(by_pandas)
    assert list(from_pyarrow) == sorted(tables)
    for name, table in tables.items():
        assert_same_bits(from_pyarrow[name], from_pandas[name])
        if name != "orders":  # (an empty `reason` reads as missing: the one change a CSV makes)
            assert_same_bits(from_pyarrow[name], table.reset_index(drop=True))


def test_a_table_not_as_declared_is_written_by_pandas_and_keeps_its_floats(
    tmp_path: Path,
) -> None:
    """Only a table whose columns are as TYPES declares them is formatted by pyarrow, since the
    reader takes a whole number back as a float from TYPES alone."""
    tables = {
        "extra": pd.DataFrame({"x": [1.0, 2.0]}),  # no TYPES of its own
        "sales_days": pd.DataFrame({"day": [1, 2], "demand": [3.0, 4.0]}),  # not its columns
    }
    results._write_tables(tables, tmp_path, "csv")
    read = results.read_tables(tmp_path)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(read[name], table, check_exact=True)


def test_a_table_in_both_formats_is_refused(tmp_path: Path) -> None:
    as_csv, as_parquet = write_both("mm1", tmp_path)
    (as_csv / "orders.parquet").write_bytes((as_parquet / "orders.parquet").read_bytes())
    with pytest.raises(results.TableFormatError, match=r"orders\.csv\.gz and orders\.parquet"):
        results.read_tables(as_csv, ["orders"])
    (as_csv / "orders.parquet").unlink()  # (the fixture that audits tmp_path's runs would fail)


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short run of the default scenario written by `run --table-format parquet`."""
    folder = tmp_path_factory.mktemp("parquet") / "run"
    argv = ["run", "--set", "horizon_days=120", "--set", "warmup_days=30", "--out", str(folder)]
    assert main([*argv, "--table-format", "parquet"]) == 0
    return folder


def test_run_table_format_parquet_writes_parquet_tables(
    parquet_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sorted(p.name for p in parquet_run.glob("*.parquet")) == [
        f"{t}.parquet" for t in sorted(ALL_TABLES)
    ]
    assert not list(parquet_run.glob("*.csv.gz"))
    assert pd.read_parquet(parquet_run / "ledger.parquet").shape[0] > 0  # plain Parquet files
    manifest = json.loads((parquet_run / "manifest.json").read_text("utf-8"))
    assert manifest["table_format"] == "parquet"


def test_audit_holds_on_a_parquet_folder_and_catches_a_broken_parquet_table(
    parquet_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["audit", str(parquet_run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"holds  {law}" for law in LAWS]
    broken = tmp_path.parent / f"{tmp_path.name}-broken"  # outside tmp_path: not re-audited
    broken.mkdir()
    for path in parquet_run.iterdir():
        if path.is_file():
            (broken / path.name).write_bytes(path.read_bytes())
    ledger = pd.read_parquet(broken / "ledger.parquet")
    ledger.drop(ledger.index[ledger["party"] == "world"][-1]).to_parquet(
        broken / "ledger.parquet", index=False
    )
    assert main(["audit", str(broken)]) == 1
    assert "FAILS  parties" in capsys.readouterr().out


def test_report_works_on_a_parquet_folder(
    parquet_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    for path in parquet_run.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    assert main(["report", str(folder), "--quiet"]) == 0
    page = (folder / "report.html").read_text("utf-8")
    assert page.count("<img ") == len(list((folder / "figures").iterdir())) >= 6


def test_experiment_tables_in_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file, out = tmp_path / "tiny.toml", tmp_path / "out"
    file.write_text(
        '[experiment]\nname = "tiny"\nscenario = "mm1"\nreplications = 2\n'
        'set = { "horizon_days" = 60, "warmup_days" = 10 }\n',
        encoding="utf-8",
    )
    argv = ["experiment", str(file), "--tables", "--table-format", "parquet", "--jobs", "1"]
    assert main([*argv, "--quiet", "--out", str(out)]) == 0
    runs = sorted((out / "tables").iterdir())
    assert len(runs) == 2
    for run in runs:
        assert (run / "orders.parquet").is_file() and not list(run.glob("*.csv.gz"))
        assert results.read_tables(run, ["orders"])["orders"].shape[0] > 0


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["run", "mm1", "--table-format", "parquet"], ["--table-format parquet", "--out DIR"]),
        (
            ["run", "mm1", "--table-format", "parquet", "--replications", "2", "--out", "X"],
            ["--table-format parquet", "--replications"],
        ),
        (["experiment", "X.toml", "--table-format", "parquet"], ["--tables"]),
    ],
)
def test_table_format_where_no_tables_are_written_exits_2(
    argv: list[str], fragments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(tmp_path / a) if a in ("X", "X.toml") else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flexsim: error:") and err.count("\n") == 1, err
    assert all(fragment in err for fragment in fragments), err
    assert not list(tmp_path.iterdir())


def test_format_parquet_points_to_table_format(capsys: pytest.CaptureFixture[str]) -> None:
    """--format is the figures' format (png, svg); asking it for a table format says which
    option writes the tables."""
    with pytest.raises(SystemExit) as stop:
        main(["run", "mm1", "--out", "x", "--format", "parquet"])
    assert stop.value.code == 2
    assert "--table-format parquet" in capsys.readouterr().err


def test_parquet_without_pyarrow_exits_2_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    parquet_run: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    out = tmp_path / "run"
    assert main(["run", "mm1", "--out", str(out), "--table-format", "parquet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flexsim: error: --table-format parquet:") and err.count("\n") == 1
    assert "pyarrow" in err and "flexsim[parquet]" in err
    assert not out.exists() and not list(tmp_path.iterdir())  # refused before the run
    with pytest.raises(results.TableFormatError, match=r"flexsim\[parquet\]"):
        results.read_tables(parquet_run, ["orders"])
    assert main(["audit", str(parquet_run)]) == 2  # reading one: the same paragraph
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "flexsim[parquet]" in err
    monkeypatch.undo()
    assert results.read_tables(parquet_run, ["orders"])["orders"].shape[0] > 0  # a control


def test_the_table_formats_are_documented() -> None:
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "results.md").read_text("utf-8")
    readme = (root / "README.md").read_text("utf-8")
    for suffix in results.TABLE_FORMATS.values():
        assert all(f"`{table}{suffix}`" in page for table in ALL_TABLES)
    assert "--table-format parquet" in page and "--table-format parquet" in readme
    assert '".[parquet]"' in readme
