"""Order book: the open orders of a scenario's customers that a run starts from, read from a CSV
file (one row per order) or written inline, and checked against the scenario.

Each row is an `OpeningOrder`; its columns are the model's keys. A file's rows are read with
pandas as text and validated like the scenario (types are read from the text), and every error
names the file, the row (the header is row 1, so the first order is row 2) and the column.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
from pydantic import Field, NaiveDatetime, ValidationError

from flexsim.inputs import InputError, Unreadable, listing, quoted, read_text, shortened
from flexsim.limits import MAX_NAME_CHARS, MAX_PROBLEM_CHARS, MAX_PROBLEMS
from flexsim.scenario.fields import POLLING_RULES, Money, Name, NonNegative
from flexsim.scenario.plant import FactorySpec
from flexsim.spec import Spec, did_you_mean
from flexsim.vocabulary import (
    DELIVERED_UNPAID,
    IN_PRODUCTION,
    OPENING_STATUSES,
    WAITING,
    check_names,
)

if TYPE_CHECKING:
    from flexsim.scenario.root import Scenario

OpeningStatus = Literal["waiting", "in_production", "in_transit", "delivered_unpaid"]
check_names(OPENING_STATUSES, OpeningStatus, "vocabulary.OPENING_STATUSES")
# money is still owed after delivery only under these regimes
OWED_AFTER_DELIVERY = ("offline_credit", "voucher")
When = Annotated[NaiveDatetime, Field(strict=False)]  # "2026-03-01" or "2026-03-01T13:30"
Item = Annotated[str, Field(min_length=1, max_length=3 * MAX_NAME_CHARS)]


class OpeningOrder(Spec):
    """One open order of a customer at the start of the run."""

    customer: Name
    factory: Name
    line: Name | None = None
    family: Name
    item: Item
    quantity: Annotated[int, Field(ge=1, le=10**12)]
    placed_date: When
    due_date: When
    status: OpeningStatus
    hours_done: NonNegative = 0.0
    value: Money
    payment_due_date: When | None = None
    materials_due_date: When | None = None


def hours_since(start: dt.date, when: dt.datetime) -> float:
    """Hours from 00:00 of `start` to `when` (negative before it)."""
    return (when - dt.datetime.combine(start, dt.time())).total_seconds() / 3600


def problems(scenario: Scenario) -> Iterator[tuple[int, str, str]]:
    """(index, column, what is wrong) for each opening order that does not fit its scenario."""
    if not scenario.opening_orders:
        return
    customers = {n: c for c in scenario.customers for n in c.customer_names()}
    factories = {f.name: f for f in scenario.factories}
    sellers = set(scenario.sellers.seller_names())
    in_hand: set[tuple[str, str]] = set()
    for i, order in enumerate(scenario.opening_orders):
        customer = customers.get(order.customer)
        if customer is None:
            why = (
                " (a seller: sellers' orders cannot be opened)" if order.customer in sellers else ""
            )
            names = listing(list(customers)) or "(none)"
            problem = f"{quoted(order.customer)} is not a customer{why}; customers: {names}"
            yield i, "customer", problem
        elif order.factory != customer.factory:
            problem = f"{quoted(order.customer)} orders at {quoted(customer.factory)}"
            yield i, "factory", problem
        else:
            factory = factories[order.factory]
            yield from _row_problems(i, order, scenario, customer.channel, factory)
        if order.status == IN_PRODUCTION and order.line is not None:
            if (order.factory, order.line) in in_hand:
                problem = "another order is in production on this line; it makes one at a time"
                yield i, "line", problem
            in_hand.add((order.factory, order.line))


def _row_problems(
    i: int, order: OpeningOrder, scenario: Scenario, channel: str, factory: FactorySpec
) -> Iterator[tuple[int, str, str]]:
    lines = {line.name: line for line in factory.lines}
    if order.line is None:
        if order.status == IN_PRODUCTION:
            yield i, "line", "an order in production needs the line that is making it"
        elif not any(line.serves(channel, order.family) for line in lines.values()):
            yield (
                i,
                "family",
                (
                    f"no line of factory {quoted(order.factory)} makes family "
                    f"{quoted(order.family)} for channel '{channel}'"
                ),
            )
    elif order.line not in lines:
        yield (
            i,
            "line",
            (
                f"{quoted(order.line)} is not a line of factory {quoted(order.factory)}; lines: "
                f"{listing(list(lines))}"
            ),
        )
    elif not lines[order.line].serves(channel, order.family):
        yield (
            i,
            "line",
            (
                f"line {quoted(order.line)} does not make family {quoted(order.family)} for "
                f"channel '{channel}'"
            ),
        )
    elif order.status == IN_PRODUCTION and lines[order.line].dispatch in POLLING_RULES:
        yield (
            i,
            "line",
            (
                f"line {quoted(order.line)} polls its families ({lines[order.line].dispatch}) and "
                "cannot resume an order in production; give the order as waiting"
            ),
        )
    start = scenario.start_date
    if hours_since(start, order.placed_date) > 0:
        yield i, "placed_date", f"after the start date {start}: an opening order is placed by then"
    if order.due_date < order.placed_date:
        yield i, "due_date", "before placed_date"
    if order.hours_done and order.status != IN_PRODUCTION:
        yield i, "hours_done", "only an order in production has hours done"
    payment = scenario.channels.get(channel).payment
    regime = payment.regime
    if order.status == DELIVERED_UNPAID:
        if order.payment_due_date is None:
            yield i, "payment_due_date", "a delivered, unpaid order needs the date it is due"
        if order.value == 0:
            yield i, "value", "a delivered, unpaid order has a value to be paid"
        if regime not in OWED_AFTER_DELIVERY:
            problem = f"under channel '{channel}''s regime {regime} nothing is owed after delivery"
            yield i, "status", problem
        elif regime == "offline_credit" and payment.deposit_share >= 1:
            yield i, "status", "the deposit covered the whole value: nothing is owed"
    elif order.payment_due_date is not None:
        yield i, "payment_due_date", "only a delivered, unpaid order has a payment due"
    if order.materials_due_date is not None:
        if order.status == WAITING:
            yield i, "materials_due_date", "a waiting order's materials are bought when made"
        elif hours_since(start, order.materials_due_date) < 0:
            problem = f"before the start date {start}: leave it empty when the supplier is paid"
            yield i, "materials_due_date", problem


def read_book(scenario: Scenario, folder: Path, source: str) -> Scenario:
    """The scenario with its `order_book` file read into `opening_orders` (relative to
    `folder`); a ScenarioError naming the file, row and column when the file is bad."""
    from flexsim.scenario.root import ScenarioError, validate

    path = folder / scenario.order_book
    name = str(path)
    if scenario.opening_orders:
        raise ScenarioError(
            f"{source}: order_book and opening_orders are both given; give one of them."
        )
    try:
        text = read_text(path)
    except Unreadable as error:
        raise ScenarioError(f"{source}: order_book: cannot read {name} ({error.reason}).") from None
    except InputError as error:
        raise ScenarioError(f"{source}: order_book: {name} {error}.") from None
    found, orders, numbers = [], [], []
    for number, row in _rows(text, name):
        try:
            orders.append(OpeningOrder.model_validate(row, strict=False))
            numbers.append(number)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                column = str(item["loc"][0]) if item["loc"] else "?"
                found.append((number, column, item["msg"].removeprefix("Value error, ")))
    if not found:
        read = scenario.model_copy(update={"order_book": "", "opening_orders": orders})
        found = [(numbers[i], column, problem) for i, column, problem in problems(read)]
    if found:
        raise ScenarioError(_message(name, found))
    return validate(read.model_dump(mode="python"), source)


def _rows(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as text with their row numbers (the header is row 1), an empty cell left
    out (the column's default then applies) and an empty row skipped."""
    from flexsim.scenario.root import ScenarioError

    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no rows"
        raise ScenarioError(f"{name}: not a CSV file of opening orders ({first}).") from None
    columns = [str(c).strip() for c in frame.columns]
    valid = list(OpeningOrder.model_fields)
    unknown = [c for c in columns if c not in valid]
    if unknown:
        raise ScenarioError(
            f"{name}: row 1: unknown column {quoted(unknown[0])}"
            f"{did_you_mean(unknown[0], valid)}; the columns are: {', '.join(valid)}."
        )
    required = [c for c, f in OpeningOrder.model_fields.items() if f.is_required()]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ScenarioError(
            f"{name}: row 1: column(s) {', '.join(missing)} missing; the columns are: "
            f"{', '.join(valid)}."
        )
    frame.columns = pd.Index(columns)
    rows = [
        (i + 2, {str(column): cell.strip() for column, cell in record.items() if cell.strip()})
        for i, record in enumerate(frame.to_dict("records"))
    ]
    return [(number, row) for number, row in rows if row]


def _message(name: str, found: list[tuple[int, str, str]]) -> str:
    """One paragraph: the first MAX_PROBLEMS problems (row number, column, what is wrong)."""
    listed = [
        shortened(f"row {number}, column {column}: {message}", MAX_PROBLEM_CHARS)
        for number, column, message in found[:MAX_PROBLEMS]
    ]
    more = f"; and {len(found) - MAX_PROBLEMS:,} more" if len(found) > MAX_PROBLEMS else ""
    count = "a problem" if len(found) == 1 else f"{len(found):,} problems"
    return f"{name}: {count} in the order book: " + "; ".join(listed) + more + "."


def book_hours(order: OpeningOrder, start: dt.date) -> dict[str, float]:
    """An opening order's dates as hours since the start (NaN when not given)."""
    nan = float("nan")
    return {
        "placed_at": hours_since(start, order.placed_date),
        "due_at": hours_since(start, order.due_date),
        "payment_due_at": nan
        if order.payment_due_date is None
        else hours_since(start, order.payment_due_date),
        "materials_due_at": nan
        if order.materials_due_date is None
        else hours_since(start, order.materials_due_date),
    }
