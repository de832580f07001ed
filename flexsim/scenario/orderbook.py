"""Order book: the open orders of a scenario's customers that a run starts from, read from a CSV
file (one row per order, scenario/bookfile.py) or written inline, and checked against the
scenario.

Each row is an `OpeningOrder`; its columns are the model's keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, NaiveDatetime

from flexsim.inputs import listing, quoted
from flexsim.limits import MAX_NAME_CHARS
from flexsim.scenario.channels import Channels, CustomerSpec, PaymentSpec
from flexsim.scenario.fields import POLLING_RULES, Money, Name, NonNegative, step_workshop
from flexsim.scenario.plant import FactorySpec
from flexsim.spec import Spec
from flexsim.vocabulary import (
    DELIVERED_UNPAID,
    IN_PRODUCTION,
    OPENING_STATUSES,
    WAITING,
    check_names,
)

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


def problems(
    orders: list[OpeningOrder],
    buyers: list[CustomerSpec],
    sellers: set[str],
    plants: list[FactorySpec],
    start: dt.date,
    channels: Channels,
) -> Iterator[tuple[int, str, str]]:
    """(index, column, what is wrong) for each opening order that does not fit its scenario's
    customers, sellers' names, factories, start date and channels."""
    customers = {n: c for c in buyers for n in c.customer_names()}
    factories = {f.name: f for f in plants}
    in_hand: set[tuple[str, str]] = set()
    for i, order in enumerate(orders):
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
            payment = channels.get(customer.channel).payment
            yield from _row_problems(i, order, start, customer.channel, payment, factory)
        if order.status == IN_PRODUCTION and order.line is not None:
            if (order.factory, order.line) in in_hand:
                problem = "another order is in production on this line; it makes one at a time"
                yield i, "line", problem
            in_hand.add((order.factory, order.line))


def _row_problems(
    i: int,
    order: OpeningOrder,
    start: dt.date,
    channel: str,
    payment: PaymentSpec,
    factory: FactorySpec,
) -> Iterator[tuple[int, str, str]]:
    lines = {line.name: line for line in factory.lines}
    if factory.routing:
        yield from _route_problems(i, order, channel, factory)
    elif order.line is None:
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
    if hours_since(start, order.placed_date) > 0:
        yield i, "placed_date", f"after the start date {start}: an opening order is placed by then"
    if order.due_date < order.placed_date:
        yield i, "due_date", "before placed_date"
    if order.hours_done and order.status != IN_PRODUCTION:
        yield i, "hours_done", "only an order in production has hours done"
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


def _route_problems(
    i: int, order: OpeningOrder, channel: str, factory: FactorySpec
) -> Iterator[tuple[int, str, str]]:
    """At a routed factory a waiting order starts at its routing's first step (its `line`
    empty or that station), and an order in production is at one of its routing's stations."""
    route = factory.route(channel, order.family)
    if route is None:
        problem = (
            f"factory {quoted(order.factory)} has no routing for family {quoted(order.family)} "
            f"nor for channel '{channel}'"
        )
        yield i, "family", problem
        return
    stations = [step for step in route if step_workshop(step) is None]
    if order.status == WAITING and order.line not in (None, route[0]):
        problem = (
            f"a waiting order at factory {quoted(order.factory)} starts at its routing's first "
            f"step, {quoted(route[0])}; leave the line empty"
        )
        yield i, "line", problem
    elif order.status == IN_PRODUCTION and order.line is None:
        yield i, "line", "an order in production needs the station that is making it"
    elif order.status == IN_PRODUCTION and order.line not in stations:
        problem = (
            f"{quoted(order.line or '')} is not a station of the routing of this order "
            f"({', '.join(route)}); an order in production is at one of its stations"
        )
        yield i, "line", problem
    elif order.status == IN_PRODUCTION:
        line = next(line for line in factory.lines if line.name == order.line)
        if line.dispatch in POLLING_RULES:
            problem = (
                f"station {quoted(line.name)} polls its families ({line.dispatch}) and "
                "cannot resume an order in production; give the order as waiting"
            )
            yield i, "line", problem


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
