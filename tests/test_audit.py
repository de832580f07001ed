"""`flexsim audit DIR`: every law holds on a run folder of each built-in scenario, and each
law fails, with exit 1 and its name, on a folder corrupted to break it (the negative
controls); a folder that is not a run folder is refused in one paragraph with exit 2."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import at_test_size_args

import flexsim
from flexsim import results
from flexsim.audit import LAWS
from flexsim.cli import main

SHORT = ["--set", "horizon_days=60", "--set", "warmup_days=10"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A short run folder of each built-in scenario, never changed (tests corrupt copies)."""
    where = tmp_path_factory.mktemp("audited")
    folders = {}
    for name in flexsim.builtin_names():
        folders[name] = where / name
        args = [*SHORT, *at_test_size_args(name), "--seed", "3", "--out", str(folders[name])]
        assert main(["run", name, *args]) == 0
    return folders


@pytest.mark.parametrize("name", flexsim.builtin_names())
def test_every_law_holds_on_a_run_of_each_builtin(
    name: str, pristine: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["audit", str(pristine[name])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"holds  {law}" for law in LAWS]


def _edit(folder: Path, table: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = folder / f"{table}.csv.gz"
    frame = change(pd.read_csv(path, keep_default_na=False, na_values=[""]))
    frame.to_csv(path, index=False, compression="gzip")


def _drop_a_payment(ledger: pd.DataFrame) -> pd.DataFrame:
    """Drop the world's side of a payment: money no longer only moves between parties."""
    return ledger.drop(ledger.index[(ledger["party"] == "world")][-1])


def _stamp_past_the_horizon(orders: pd.DataFrame) -> pd.DataFrame:
    delivered = orders.index[orders["delivered_at"].notna()][0]
    return orders.assign(confirmed_at=orders["confirmed_at"].where(orders.index != delivered, 1e9))


def _finish_before_start(orders: pd.DataFrame) -> pd.DataFrame:
    made = orders.index[orders["finished_at"].notna()][0]
    earlier = orders["start_at"] - 1.0
    return orders.assign(finished_at=orders["finished_at"].where(orders.index != made, earlier))


def _lose_an_order(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.iloc[1:]


def _say_a_delivered_order_waits(orders: pd.DataFrame) -> pd.DataFrame:
    delivered = orders.index[orders["status"] == "delivered"][0]
    return orders.assign(status=orders["status"].where(orders.index != delivered, "waiting"))


def _lose_a_sale(items: pd.DataFrame) -> pd.DataFrame:
    return items.assign(sold=items["sold"] - (items.index == items["sold"].idxmax()))


def _raise_a_cash_balance(cash: pd.DataFrame) -> pd.DataFrame:
    return cash.assign(cash=cash["cash"] + (cash.index == len(cash) // 2) * 100.0)


def _negative_amount(ledger: pd.DataFrame) -> pd.DataFrame:
    return ledger.assign(amount=ledger["amount"].where(ledger.index != 5, -ledger["amount"]))


def _cheaper_changeovers(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.assign(changeover_cost=orders["changeover_cost"] * 0.5)


def _open_an_order(orders: pd.DataFrame) -> pd.DataFrame:
    """Say an order placed in the run came from the order book, which the scenario has not."""
    return orders.assign(opening=orders.index == 0)


CORRUPTIONS = {  # law → the table and the edit that breaks it
    "parties": ("ledger", _drop_a_payment),
    "horizon": ("orders", _stamp_past_the_horizon),
    "timestamps": ("orders", _finish_before_start),
    "orders": ("orders", _say_a_delivered_order_waits),
    "pieces": ("items", _lose_a_sale),
    "cash_table": ("cash", _raise_a_cash_balance),
    "postings": ("ledger", _negative_amount),
    "factory_cash": ("orders", _cheaper_changeovers),
    "opening": ("orders", _open_an_order),
}


def test_every_law_has_a_negative_control() -> None:
    assert set(CORRUPTIONS) == set(LAWS)


def _audit_corrupted(
    pristine: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    table: str,
    change: Callable[[pd.DataFrame], pd.DataFrame],
) -> tuple[int, str]:
    """The audit's exit code and output on a copy of tao-factory's folder with `table` changed
    (outside tmp_path, which conftest audits after each test and must stay sound)."""
    folder = tmp_path_factory.mktemp("corrupt") / table
    shutil.copytree(pristine["tao-factory"], folder)
    _edit(folder, table, change)
    capsys.readouterr()
    code = main(["audit", str(folder)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("law", CORRUPTIONS)
def test_a_corrupted_table_fails_the_audit_naming_the_law(
    law: str,
    pristine: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _audit_corrupted(pristine, tmp_path_factory, capsys, *CORRUPTIONS[law])
    assert code == 1
    assert f"FAILS  {law}:" in out, out
    assert "Traceback" not in out


def test_an_order_lost_from_the_table_fails_orders_and_pieces(
    pristine: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _audit_corrupted(pristine, tmp_path_factory, capsys, "orders", _lose_an_order)
    assert code == 1
    assert "FAILS  orders: order ids are not 0" in out and "FAILS  pieces:" in out


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p / "absent", "not a folder"),
        (lambda p: p, "ledger.csv.gz"),  # an empty folder
        (lambda p: _broken_gzip(p), "cannot read"),
        (lambda p: _without_column(p), "order_id"),
    ],
)
def test_a_folder_that_is_not_a_run_folder_is_refused_in_one_paragraph(
    make: Callable[[Path], Path],
    fragment: str,
    pristine: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = tmp_path_factory.mktemp("notrun")
    shutil.copytree(pristine["mm1"], where / "run")
    folder = make(where if fragment in ("not a folder", "ledger.csv.gz") else where / "run")
    capsys.readouterr()
    assert main(["audit", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flexsim: error:") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err


def _broken_gzip(folder: Path) -> Path:
    (folder / "ledger.csv.gz").write_bytes(b"\x1f\x8b not gzip after all")
    return folder


def _without_column(folder: Path) -> Path:
    path = folder / "orders.csv.gz"
    frame = pd.read_csv(path).drop(columns="order_id")
    with gzip.open(path, "wt") as file:
        frame.to_csv(file, index=False)
    return folder


def test_run_audit_checks_the_folder_it_wrote_in_the_same_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --out DIR --audit` prints every law after writing DIR and exits 1 when one fails
    (here a run whose written ledger loses a posting); without --out it is refused, exit 2."""
    out = tmp_path / "run"
    assert main(["run", "mm1", *SHORT, "--out", str(out), "--audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[-len(LAWS) :]] == [f"holds  {x}" for x in LAWS]
    write = results._write_tables

    def drop_a_payment(tables: dict[str, pd.DataFrame], *args: Any) -> list[Path]:
        return write(tables | {"ledger": _drop_a_payment(tables["ledger"])}, *args)

    monkeypatch.setattr(results, "_write_tables", drop_a_payment)
    assert main(["run", "tao-factory", *SHORT, "--out", str(tmp_path / "bad"), "--audit"]) == 1
    assert "FAILS  parties" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "bad")  # broken on purpose: not for conftest's audit of tmp_path
    assert main(["run", "mm1", *SHORT, "--audit"]) == 2
    assert "--audit checks the results folder of one run" in capsys.readouterr().err


def _lose_a_days_sale(days: pd.DataFrame) -> pd.DataFrame:
    busiest = days["sold"].idxmax()
    return days.assign(
        sold=days["sold"] - (days.index == busiest), lost=days["lost"] + (days.index == busiest)
    )


def test_all_sellers_days_that_differ_from_their_items_fail_pieces(
    pristine: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sale moved to lost in `sales_days` keeps demand = sold + lost but not the items' sum."""
    code, out = _audit_corrupted(
        pristine, tmp_path_factory, capsys, "sales_days", _lose_a_days_sale
    )
    assert code == 1
    assert "FAILS  pieces:" in out
