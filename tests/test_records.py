"""Records: every row the model writes into a Recorder list has its table's NamedTuple fields, in
number and in type (COLUMN_TYPES), on the built-in and validation scenarios, so that a field
missing, added or moved onto a field of another type is caught where it is written; and each
table is written by the functions listed in WRITERS alone. The model writes plain tuples by
position, which the type checks cannot tell apart when two fields of one type swap (two
timestamps): the orders writer is checked here with a value of its own in every field, the
line_states writer likewise in tests/test_line.py, and the capacity rows by the order their
fields keep (a day after its publication, booked within open)."""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import test_orderbook
import test_routing
from conftest import at_test_size

import flexsim
from flexsim.model.order import Buyer, Order
from flexsim.records import COLUMN_TYPES, TABLES, CapacityRecord, OrderRecord, Recorder
from flexsim.scenario import validate

ROOT = Path(__file__).resolve().parents[1]
engine = importlib.import_module("flexsim.run")  # the module; flexsim.run is its function

# Table → the one function that appends its rows (module:function).
WRITERS = {
    "orders": {"flexsim.model.order:Order.record"},
    "line_states": {"flexsim.model.line:Line.record"},
    "ledger": {"flexsim.model.ledger:Ledger.post"},
    "items": {"flexsim.model.seller:Seller.record"},
    "sales_days": {"flexsim.model.shelf:Shelf.record_days"},
    "seller_days": {"flexsim.model.shelf:Shelf.record_days"},
    "capacity": {"flexsim.model.factory:Factory.publish"},
    "alliance_reviews": {"flexsim.model.alliance:Alliance.review"},
    "steps": {"flexsim.model.station:Routing.record"},
}
KINDS: dict[str, type] = {"int64": int, "float64": float, "str": str, "bool": bool}


class Written(list[Any]):
    """A Recorder list that keeps every row written into it (run() empties its lists once the
    tables are built) and the function that wrote it; any other way of writing fails."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []
        self.writers: set[str] = set()

    def append(self, row: Any) -> None:
        self._note([row])
        super().append(row)

    def extend(self, rows: Iterable[Any]) -> None:
        rows = list(rows)
        self._note(rows)
        super().extend(rows)

    def _note(self, rows: list[Any]) -> None:
        writer = sys._getframe(2)  # the caller of append or extend
        self.writers.add(f"{writer.f_globals['__name__']}:{writer.f_code.co_qualname}")
        self.rows.extend(rows)

    def _unseen(self, *args: Any) -> Any:
        raise AssertionError("records are written with append or extend, which this list sees")

    __iadd__ = insert = __setitem__ = _unseen


MADE: list[WrittenRecorder] = []


class WrittenRecorder(Recorder):
    """A Recorder of Written lists, each kept in MADE."""

    def __init__(self) -> None:
        super().__init__()
        for name in TABLES:
            setattr(self, name, Written())
        MADE.append(self)


def row_problems(table: str, rows: Iterable[Any]) -> list[str]:
    """What is wrong with rows written into `table`: not a tuple, the wrong number of fields,
    or a value whose type is not its column's (an int is a float only when it is SimPy's clock
    at its start, the int 0)."""
    columns = COLUMN_TYPES[table]
    problems = []
    for row in rows:
        if not isinstance(row, tuple) or len(row) != len(columns):
            problems.append(f"{table}: {row!r} is not a tuple of {len(columns)} fields")
            continue
        for (column, dtype), value in zip(columns.items(), row, strict=True):
            kind = KINDS[dtype]
            clock_start = kind is float and type(value) is int and value == 0
            if type(value) is not kind and not clock_start:
                problems.append(f"{table}.{column}: {value!r} is not a {kind.__name__}")
    return problems


@pytest.fixture(scope="module")
def recorders(tmp_path_factory: pytest.TempPathFactory) -> list[WrittenRecorder]:
    """The recorders of short runs of each built-in and validation scenario, of the order
    book test's scenario (opening orders of every status) and of the routing test's."""
    cases = [flexsim.load_builtin(n, at_test_size(n)) for n in flexsim.builtin_names()]
    cases += [
        flexsim.load(path) for path in sorted((ROOT / "experiments/validation").glob("*.toml"))
    ]
    cases.append(flexsim.load(test_orderbook.write(tmp_path_factory.mktemp("book"))))
    cases.append(flexsim.load(ROOT / "experiments/alliance/guild.toml"))  # an alliance's reviews
    cases.append(validate(test_routing.routed(), "routed"))  # stations' steps
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "Recorder", WrittenRecorder)
        MADE.clear()
        for scenario in cases:
            short = {"horizon_days": 150.0, "warmup_days": 10.0, "sellers.record_days": True}
            flexsim.run(scenario.with_overrides(short), 1)
    return list(MADE)


@pytest.mark.parametrize("table", list(TABLES))
def test_every_written_row_has_its_records_fields_and_types(
    recorders: list[WrittenRecorder], table: str
) -> None:
    rows = [row for recorder in recorders for row in getattr(recorder, table).rows]
    assert rows, f"no scenario wrote a row into {table}: the check would prove nothing"
    problems = row_problems(table, rows)
    assert not problems, problems[:10]


@pytest.mark.parametrize("table", list(TABLES))
def test_each_table_is_written_by_its_known_writers(
    recorders: list[WrittenRecorder], table: str
) -> None:
    """A new writer is caught; a writer no longer seen must leave the list."""
    seen = set().union(*(getattr(recorder, table).writers for recorder in recorders))
    assert seen == WRITERS[table]


def order_row() -> tuple[Any, ...]:
    """A plausible order row, written by position as the model writes it."""
    values: dict[str, Any] = {"str": "x", "int64": 1, "float64": 2.5, "bool": False}
    return tuple(values[dtype] for dtype in COLUMN_TYPES["orders"].values())


def test_the_checks_catch_swapped_missing_and_foreign_fields() -> None:
    """Negative control: the changeover (a word) and its cost (money) swapped, a field
    dropped, a bool for an int and an int time other than 0 each fail; the good row passes."""
    good = order_row()
    assert row_problems("orders", [good]) == []
    fields = list(OrderRecord._fields)
    word, money = fields.index("changeover"), fields.index("changeover_cost")
    swapped = list(good)
    swapped[word], swapped[money] = good[money], good[word]
    assert row_problems("orders", [tuple(swapped)]) == [
        "orders.changeover: 2.5 is not a str",
        "orders.changeover_cost: 'x' is not a float",
    ]
    assert row_problems("orders", [good[:-1]]) == [
        f"orders: {good[:-1]!r} is not a tuple of {len(fields)} fields"
    ]
    placed = fields.index("placed_at")
    assert row_problems("orders", [(True, *good[1:])]) == ["orders.order_id: True is not a int"]
    at = [(*good[:placed], t, *good[placed + 1 :]) for t in (0, math.nan, 7)]
    assert row_problems("orders", at) == ["orders.placed_at: 7 is not a float"]


def test_the_writers_are_the_calling_functions() -> None:
    written = Written()
    written.append((1,))
    written.extend([(2,)])
    assert written.writers == {f"{__name__}:test_the_writers_are_the_calling_functions"}
    assert written.rows == [(1,), (2,)] == list(written)


def test_the_order_writer_puts_each_attribute_in_its_column() -> None:
    """Order.record, the only writer of orders, on an order with a value of its own in every
    field (each timestamp its own float, each word its own string): two swapped columns of one
    type fail here. The reason column is the order's `refused`; the status is the one given."""
    attribute = {"reason": "refused"}
    values: dict[str, Any] = {}
    for i, (column, dtype) in enumerate(COLUMN_TYPES["orders"].items()):
        kind = KINDS[dtype]
        values[column] = {str: f"{column}-text", int: 100 + i, float: i + 0.25, bool: True}[kind]
    assert len(set(values.values())) == len(values)
    never = lambda: 0.0  # noqa: E731
    buyer = Buyer("world", never, never, never, never, lambda: False, lambda late_h: False)
    order = Order(0, "", "", "", "", "", "", 0, 0.0, 0.0, 0.0, buyer)
    for column, value in values.items():
        if column != "status":
            setattr(order, attribute.get(column, column), value)
    table: list[Any] = []
    order.record(table, values["status"])
    assert OrderRecord(*table[0])._asdict() == values


def test_capacity_rows_keep_a_day_after_its_publication_and_booked_within_open(
    recorders: list[WrittenRecorder],
) -> None:
    """Each capacity row is for a day at or after it was published, with no more hours booked
    than open, and for a line that writes line states; rows with a later day and with hours
    left open exist, so that `at` and `day_at`, or `open_h` and `booked_h`, swapped would fail."""
    for recorder in recorders:
        lines = {(row[0], row[1]) for row in recorder.line_states.rows}
        rows = [CapacityRecord(*row) for row in recorder.capacity.rows]
        assert all(row.at <= row.day_at and row.booked_h <= row.open_h for row in rows)
        assert {(row.factory, row.line) for row in rows} <= lines
    rows = [CapacityRecord(*row) for recorder in recorders for row in recorder.capacity.rows]
    assert any(row.at < row.day_at for row in rows)
    assert any(row.booked_h < row.open_h for row in rows)


# -- tables made block by block (flexsim/run.py's _Columns) --------------------------------------


def test_tables_are_the_same_whatever_the_blocks() -> None:
    """Records turned into columns every few events, at every look at the clock, give the same
    tables as records turned into columns once at the end (a guard that never looks)."""
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 120.0, "warmup_days": 10.0})
    often = flexsim.run(scenario, 3, guard=engine.Guard(10**9, 10**9, every=50))
    once = flexsim.run(scenario, 3, guard=engine.Guard(10**9, 10**9, every=10**9))
    assert len(once.tables["ledger"]) > 10 * engine.BLOCK_ROWS  # so made of many blocks
    for name, table in once.tables.items():
        assert table.equals(often.tables[name]), name
        assert list(table.dtypes) == list(often.tables[name].dtypes), name


@pytest.mark.parametrize(
    ("column", "kind", "whole"),
    [
        ((1.5, 1.5, 1.5), "float64", True),
        ((2, 2), "int64", True),
        ((0, 0), "int64", True),  # an integer zero has one sign
        ((False, False), "bool", True),
        ((0.0, 0.0), "float64", False),  # a float zero may hide a -0.0, which equals it
        ((0.0, -0.0), "float64", False),
        ((0, -0.0), "float64", False),  # SimPy's clock starts at the int 0
        ((math.nan, math.nan), "float64", True),  # one NaN object: the model's NOT_YET
        ((float("nan"), float("nan")), "float64", False),  # two NaNs need not share their bits
        ((1.5, 2.5), "float64", False),
    ],
)
def test_a_numeric_block_is_made_whole_only_when_every_value_has_the_first_ones_bits(
    column: tuple[Any, ...], kind: str, whole: bool
) -> None:
    assert engine._one_value(column, len(column), kind) is whole


def _blocks(pattern: str, rows: int) -> list[tuple[str, ...]]:
    """Blocks of a string column: "x" a block all of x, "*" a block of several values."""
    several = ("x", "y", "杭州", "")  # another script and the empty string too
    return [  # each block of several values its own: blocks out of order would show
        tuple(several[(i + b) % len(several)] for i in range(rows))
        if kind == "*"
        else (kind,) * rows
        for b, kind in enumerate(pattern)
    ]


@pytest.mark.parametrize(
    ("pattern", "rows"),
    [
        ("x", 5),
        ("xxx", engine.REPEAT_ROWS // 2 + 7),  # a run longer than the array it repeats
        ("", 3),  # the empty string
        ("*", 9),
        ("xx*yy**x", 1_000),  # blocks of one value between blocks of several
        ("xy" * 10, 3),  # blocks of one value, two values in turn
    ],
)
@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_a_string_column_holds_its_blocks_values_in_order(
    pattern: str, rows: int, storage: str
) -> None:
    """Whether pandas keeps its strings in Arrow or in Python, the column made of the blocks
    is pandas' "str" with every value in its place, and says whether it holds one value."""
    blocks = _blocks(pattern, rows) if pattern else [("",) * rows]
    values = [value for block in blocks for value in block]
    with pd.option_context("mode.string_storage", storage):
        column, single = engine._strings(blocks)
        assert column.dtype == pd.StringDtype(storage, na_value=math.nan)
    assert list(column) == values
    assert single is (len(set(values)) == 1)
