"""Opening orders: the scenario's order book, put in place at time 0.

each order of the book, oldest placed first (order ids 0, 1, …) → its opening balance in its
factory's books (at time 0, against equity) and its buyer's credit taken up → in production:
its line goes on with what is left of its work; in transit: delivered after its buyer's transit
time; delivered and unpaid: its balance falls due on its payment date (a voucher is confirmed
then) → finally the waiting orders join their factories' queues (a routed factory's at their
routing's first step), oldest first.

Events before the start that the book does not date are stamped 0, the start: the fabric of
every opening order, the setup and start of one in production or made, its finish when made,
its delivery (and, but under a voucher, its confirmation) when delivered.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

from flexsim.model.credit import OfflineCredit
from flexsim.model.factory import Factory
from flexsim.model.order import Order
from flexsim.model.timer import Environment, after
from flexsim.model.trade import Trade
from flexsim.model.wholesale import OrderStream
from flexsim.scenario import Scenario
from flexsim.scenario.orderbook import OpeningOrder, book_hours
from flexsim.vocabulary import (
    DELIVERED_UNPAID,
    DEPOSITS,
    EQUITY,
    FINISHED_GOODS,
    IN_PRODUCTION,
    IN_TRANSIT,
    OPENING_BALANCE,
    PAYABLES,
    RECEIVABLES,
    WAITING,
    WIP,
)

START = 0.0
STAGES = {  # the timestamps an opening order has reached at the start, by its status
    WAITING: ("fabric_at",),
    IN_PRODUCTION: ("fabric_at", "setup_at", "start_at"),
    IN_TRANSIT: ("fabric_at", "setup_at", "start_at", "finished_at"),
    DELIVERED_UNPAID: ("fabric_at", "setup_at", "start_at", "finished_at", "delivered_at"),
}


def open_orders(
    env: Environment,
    scenario: Scenario,
    factories: Mapping[str, Factory],
    customers: Mapping[str, OrderStream],
    trade: Trade,
    order_ids: itertools.count[int],
) -> None:
    """Put every order of the scenario's book in place; call at time 0, before the run."""
    book = sorted(scenario.opening_orders, key=lambda row: row.placed_date)
    waiting = []
    for row in book:
        stream, factory = customers[row.customer], factories[row.factory]
        order = opening_order(row, scenario, stream, next(order_ids))
        trade.open[order.order_id] = order
        open_books(order, row, factory, trade)
        due = book_hours(row, scenario.start_date)
        if row.status == WAITING:
            waiting.append((order, factory))
        elif row.status == IN_PRODUCTION and factory.routing is not None:
            assert row.line is not None  # at one of its routing's stations
            factory.routing.resume(order, row.line, row.hours_done)
        elif row.status == IN_PRODUCTION:
            line = next(line for line in factory.lines if line.name == row.line)
            line.resume(order, row.hours_done, env.now)
        elif row.status == IN_TRANSIT:
            trade.send(order)
        else:
            expect_payment(order, trade, max(START, due["payment_due_at"]) - env.now)
        if not math.isnan(due["materials_due_at"]):
            pay_supplier_at(env, factory, order, due["materials_due_at"])
    for order, factory in waiting:
        factory.reopen(order)


def pay_supplier_at(env: Environment, factory: Factory, order: Order, at: float) -> None:
    """The factory pays its supplier for the order's materials at `at`."""
    amount = factory.material_cost * order.quantity
    after(env, at - env.now, lambda: factory.pay_supplier(order.order_id, amount))


def opening_order(
    row: OpeningOrder, scenario: Scenario, stream: OrderStream, order_id: int
) -> Order:
    """The Order of a row of the book, with the timestamps its status has reached."""
    hours = book_hours(row, scenario.start_date)
    order = Order(
        order_id, stream.channel, stream.channel, row.customer, row.factory, row.family, row.item,
        row.quantity, hours["placed_at"], hours["due_at"], row.value / row.quantity, stream.buyer,
        line=row.line or "", opening=True,
    )  # fmt: skip
    order.value = row.value
    for stage in STAGES[row.status]:
        setattr(order, stage, START)
    return order


def open_books(order: Order, row: OpeningOrder, factory: Factory, trade: Trade) -> None:
    """The order's opening balance in its factory's books: what the buyer still owes for a
    delivered order, or the deposit it paid for one not yet delivered (a liability); the cost
    of the goods in production (materials) or in transit (materials and piece-rate labour) as
    stock; the materials owed to the supplier when they are due after the start. Equity takes
    the other side: the owners' stake in what the book brings in."""
    regime = trade.regimes[order.channel]
    order.regime = regime.name
    delivered = row.status == DELIVERED_UNPAID
    if order.value:
        regime.opened(order, made=row.status in (IN_TRANSIT, DELIVERED_UNPAID))
    post, party, oid = factory.ledger.post, factory.party, order.order_id
    if delivered:
        post(party, RECEIVABLES, EQUITY, order.value - order.deposit, oid, OPENING_BALANCE)
    else:
        post(party, EQUITY, DEPOSITS, order.deposit, oid, OPENING_BALANCE)
    materials = factory.material_cost * order.quantity
    stock = {IN_PRODUCTION: WIP, IN_TRANSIT: FINISHED_GOODS}.get(row.status)
    if stock is not None:
        labour = factory.labour_cost * order.quantity if row.status == IN_TRANSIT else 0.0
        order.cost = materials + labour
        post(party, stock, EQUITY, labour, oid, OPENING_BALANCE)
    if row.materials_due_date is not None:
        post(party, stock or EQUITY, PAYABLES, materials, oid, OPENING_BALANCE)
    elif stock is not None:
        post(party, stock, EQUITY, materials, oid, OPENING_BALANCE)


def expect_payment(order: Order, trade: Trade, due_h: float) -> None:
    """A delivered, unpaid order: under a voucher the platform pays the factory when the buyer
    confirms, on the payment date; otherwise the buyer confirmed on delivery and the balance
    falls due on the payment date."""
    regime = trade.regimes[order.channel]
    if isinstance(regime, OfflineCredit):
        order.confirmed_at = START
        regime.expect(order, due_h)
    else:
        after(trade.env, due_h, lambda: trade.confirm(order))
