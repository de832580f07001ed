"""Opening orders: each status of the order book lands where it should (a waiting order is
made, one in production finishes after its remaining hours, one in transit arrives, a delivered
one is paid on its payment date), the opening balance keeps the books and the audit whole, a
run's open orders at a day make an order book, and bad rows are refused naming the file, the
row and the column (exit 2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

import flexsim
from flexsim.cli import main
from flexsim.scenario import ScenarioError, load

SCENARIO = """
name = "book"
start_date = 2026-03-02
horizon_days = 60
warmup_days = 0
order_book = "book.csv"

[channels.offline.payment]
regime = "offline_credit"
deposit_share = 0.3
term_days = 20

[finance]
overdraft_rate = 0.0
deposit_rate = 0.0

[[factories]]
name = "plant"
initial_cash = 100000.0
material_cost = 2.0
labour_cost = 1.0

[[factories.lines]]
name = "a"
unit_time_h = 0.01

[[factories.lines]]
name = "b"
unit_time_h = 0.01

[[customers]]
name = "shop"
factory = "plant"
interarrival_days = 1000
quantity = 100
due_days = 30
factory_price = 5.0
transit_days = 2
"""

HEADER = "customer,factory,line,family,item,quantity,placed_date,due_date,status,hours_done,value"
BOOK = f"""{HEADER},payment_due_date,materials_due_date
shop,plant,,default,shop/default/0,1000,2026-02-20,2026-03-20,waiting,,5000,,
shop,plant,a,default,shop/default/1,1000,2026-02-10,2026-03-10,in_production,4,5000,,2026-03-12
shop,plant,,default,shop/default/0,500,2026-01-20,2026-02-25,in_transit,,2500,,
shop,plant,,default,shop/default/2,2000,2025-12-01,2026-01-15T12:00,delivered_unpaid,,10000,2026-03-12,
"""


def write(folder: Path, book: str = BOOK, scenario: str = SCENARIO) -> Path:
    (folder / "book.csv").write_text(textwrap.dedent(book), "utf-8")
    path = folder / "book.toml"
    path.write_text(scenario, "utf-8")
    return path


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A run folder of the scenario started from the book, and its orders table."""
    where = tmp_path_factory.mktemp("book")
    path = write(where)
    assert main(["run", str(path), "--out", str(where / "run")]) == 0
    orders = flexsim.results.read_tables(where / "run", ["orders"])["orders"]
    return where / "run", orders.set_index("order_id")


def test_the_book_is_read_relative_to_the_scenario_file(tmp_path: Path) -> None:
    scenario = load(write(tmp_path))
    assert scenario.order_book == ""  # read: the orders are in the scenario itself
    assert [o.status for o in scenario.opening_orders][:2] == ["waiting", "in_production"]


def test_opening_orders_take_the_first_ids_oldest_placed_first(opened: tuple) -> None:
    _, orders = opened
    first = orders[orders["opening"]]
    assert list(first.index) == [0, 1, 2, 3]
    assert list(first["placed_at"]) == sorted(first["placed_at"])
    assert (first["placed_at"] < 0).all()  # placed before the start date: negative hours
    assert first.loc[0, "placed_at"] == -(31 + 31 + 28 + 1) * 24  # 2025-12-01, 91 days before
    assert not orders.loc[orders.index > 3, "opening"].any()


def test_an_order_in_production_finishes_after_its_remaining_hours(opened: tuple) -> None:
    _, orders = opened
    order = orders.loc[2]  # placed 2026-02-10: the third oldest
    assert order["line"] == "a" and order["setup_at"] == 0 and order["changeover"] == "none"
    assert order["finished_at"] == pytest.approx(1000 * 0.01 - 4)  # 10 h of work, 4 h done


def test_a_waiting_order_is_made_by_a_free_line(opened: tuple) -> None:
    _, orders = opened
    order = orders.loc[3]  # placed 2026-02-20: the youngest
    assert order["item"] == "shop/default/0" and order["line"] == "b"
    assert order["setup_at"] == 0 and order["finished_at"] == pytest.approx(10)
    assert order["delivered_at"] == pytest.approx(10 + 48)


def test_an_order_in_transit_arrives_after_its_transit_time(opened: tuple) -> None:
    _, orders = opened
    order = orders.loc[1]  # placed 2026-01-20
    assert order["finished_at"] == 0 and order["delivered_at"] == pytest.approx(48)
    # delivered at 48 h, its balance due 20 days later
    assert order["paid_at"] == pytest.approx(48 + 20 * 24) and order["payment"] == "paid"


def test_a_delivered_order_is_paid_on_its_payment_date(opened: tuple) -> None:
    folder, orders = opened
    order = orders.loc[0]  # placed 2025-12-01
    assert order["status"] == "delivered" and order["delivered_at"] == 0
    assert order["paid_at"] == pytest.approx(10 * 24) and order["payment"] == "paid"
    ledger = flexsim.results.read_tables(folder, ["ledger"])["ledger"]
    balance = ledger[(ledger["order_id"] == 0) & (ledger["reason"] == "balance")]
    assert list(balance["amount"]) == [pytest.approx(0.7 * 10000)] * 2  # world and factory


def test_the_audit_holds_on_a_run_started_from_a_book(opened: tuple, capsys) -> None:
    folder, _ = opened
    capsys.readouterr()
    assert main(["audit", str(folder)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("regime", ["voucher", "prepaid", "deposit_balance"])
def test_the_books_balance_under_every_payment_regime(tmp_path: Path, regime: str) -> None:
    """The run is audited after the test (conftest): opening orders of every regime keep the
    money laws; nothing is owed after delivery under prepaid and deposit_balance, so no
    delivered, unpaid order there."""
    terms = f'regime = "{regime}"\nplatform_fee_share = 0.01'
    scenario = SCENARIO.replace('regime = "offline_credit"', terms)
    book = BOOK if regime == "voucher" else BOOK.replace(BOOK.splitlines()[-1], "").strip()
    path = write(tmp_path, book + "\n", scenario)
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 0
    orders = flexsim.results.read_tables(tmp_path / "run", ["orders"])["orders"]
    assert (orders.loc[orders["opening"], "payment"] == "paid").all()


BAD = [
    ("shop,plant,,default,x,ten,2026-02-20,2026-03-20,waiting,,5000", "row 2, column quantity"),
    ("shop,plant,,default,x,10,2026-02-30,2026-03-20,waiting,,5000", "row 2, column placed_date"),
    ("shop,plant,,default,x,10,2026-03-05,2026-03-20,waiting,,5000", "row 2, column placed_date"),
    ("shop,plant,,default,x,10,2026-02-20,2026-03-20,lost,,5000", "row 2, column status"),
    ("shop,plant,c,default,x,10,2026-02-20,2026-03-20,waiting,,5000", "row 2, column line"),
    ("shop,plant,,default,x,10,2026-02-20,2026-03-20,in_production,1,5000", "row 2, column line"),
    ("nobody,plant,,default,x,10,2026-02-20,2026-03-20,waiting,,5000", "row 2, column customer"),
    ("shop,plant,,default,x,10,2026-02-20,2026-03-20,delivered_unpaid,,5", "payment_due_date"),
    ("shop,plant,,default,x,10,2026-02-20,2026-03-20,waiting,,-5", "row 2, column value"),
]


@pytest.mark.parametrize(("row", "named"), BAD)
def test_a_bad_row_is_refused_naming_file_row_and_column(
    tmp_path: Path, row: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f"{HEADER}\n{row}\n")
    assert main(["check", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path / "book.csv") in error and named in error, error
    assert "Traceback" not in error


def test_rows_are_numbered_as_in_the_file_blank_ones_included(tmp_path: Path) -> None:
    good = "shop,plant,,default,x,10,2026-02-20,2026-03-20,waiting,,5000"
    path = write(tmp_path, f"{HEADER}\n{good}\n\n{good.replace('waiting', 'done')}\n\n")
    with pytest.raises(ScenarioError, match="a problem in the order book: row 4, column status"):
        load(path)


def test_an_unknown_column_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace("quantity", "quantty") + "\n")
    with pytest.raises(ScenarioError, match="unknown column 'quantty' \\(did you mean 'quantity'"):
        load(path)


def test_a_missing_book_is_one_paragraph(tmp_path: Path) -> None:
    path = write(tmp_path)
    (tmp_path / "book.csv").unlink()
    with pytest.raises(ScenarioError, match="order_book: cannot read"):
        load(path)


ROUTED = SCENARIO.replace(
    "labour_cost = 1.0\n", 'labour_cost = 1.0\nrouting = { default = ["a", "b"] }\n'
)
ROUTED_BOOK = f"""{HEADER},payment_due_date,materials_due_date
shop,plant,,default,shop/default/0,1000,2026-02-20,2026-03-20,waiting,,5000,,
shop,plant,a,default,shop/default/1,1000,2026-02-10,2026-03-10,in_production,4,5000,,2026-03-12
shop,plant,b,default,shop/default/3,1000,2026-02-15,2026-03-10,in_production,4,5000,,2026-03-12
shop,plant,,default,shop/default/0,500,2026-01-20,2026-02-25,in_transit,,2500,,
shop,plant,,default,shop/default/2,2000,2025-12-01,2026-01-15T12:00,delivered_unpaid,,10000,2026-03-12,
"""


@pytest.mark.parametrize("booking", [False, True])
def test_a_routed_factory_opens_its_book_at_its_stations(tmp_path: Path, booking: bool) -> None:
    """Each of a and b takes 10 h an order. In production at a with 4 h done: 6 h more there,
    then b (free at 6 h, once the order in production there is done) 6-16 h. The waiting order
    starts at a when it is free, 6-16 h, then b 16-26 h. Under booking the waiting order is
    quoted against a (the bottleneck on a tie, the first)."""
    scenario = ROUTED
    if booking:
        scenario = ROUTED.replace("routing = {", "booking = { horizon_days = 30 }\nrouting = {")
    path = write(tmp_path, ROUTED_BOOK, scenario)
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 0
    tables = flexsim.results.read_tables(tmp_path / "run", ["orders", "steps"])
    orders, steps = tables["orders"].set_index("order_id"), tables["steps"]
    at_a, at_b, waiting = 2, 3, 4
    assert orders.loc[at_b, ["line", "setup_at", "finished_at"]].tolist() == ["b", 0.0, 6.0]
    assert orders.loc[at_a, ["line", "setup_at", "finished_at"]].tolist() == ["a", 0.0, 16.0]
    assert orders.loc[waiting, ["line", "setup_at", "finished_at"]].tolist() == ["a", 6.0, 26.0]
    rows = steps.set_index(["order_id", "step"])[["station", "queued_at", "finished_at"]]
    assert rows.loc[(at_b, 1)].tolist() == ["b", 0.0, 6.0]
    assert (at_b, 0) not in rows.index  # its step before the start has no row
    assert rows.loc[(at_a, 0)].tolist() == ["a", 0.0, 6.0]
    assert rows.loc[(at_a, 1)].tolist() == ["b", 6.0, 16.0]
    assert rows.loc[(waiting, 1)].tolist() == ["b", 16.0, 26.0]
    if booking:  # from 0: a busy 6 h, then its 10 h; b after, 10 h more
        assert orders.loc[waiting, "quote_at"] == pytest.approx(26.0)
    assert main(["audit", str(tmp_path / "run")]) == 0


ROUTED_BAD = [
    ("shop,plant,b,default,x,10,2026-02-20,2026-03-20,waiting,,5000", "starts at its routing's"),
    ("shop,plant,c,default,x,10,2026-02-20,2026-03-20,in_production,1,5000", "not a station"),
    ("shop,plant,,default,x,10,2026-02-20,2026-03-20,in_production,1,5000", "needs the station"),
    ("shop,plant,,shirts,x,10,2026-02-20,2026-03-20,waiting,,5000", "no routing for family"),
]


@pytest.mark.parametrize(("row", "named"), ROUTED_BAD)
def test_a_bad_row_at_a_routed_factory_is_refused_naming_its_column(
    tmp_path: Path, row: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f"{HEADER}\n{row}\n", ROUTED)
    assert main(["check", str(path)]) == 2
    error = capsys.readouterr().err
    assert "row 2, column" in error and named in error, error
    assert "Traceback" not in error
