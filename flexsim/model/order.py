"""Order: what a buyer asks a factory to make; it carries its timestamps through the model.

Its physical status is read off those timestamps (waiting → in_production → in_transit →
delivered), so an order open at the horizon is recorded as it stands without extra state.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from flexsim.records import Row
from flexsim.vocabulary import (
    DELIVERED,
    IN_PRODUCTION,
    IN_TRANSIT,
    NO_CHANGEOVER,
    REFUSED,
    UNPAID,
    WAITING,
)

NOT_YET = math.nan  # a timestamp that has not happened (yet)
# the timestamps of things that happen to an order; due_at and quote_at are promises instead
EVENTS = (
    "fabric_at",
    "setup_at",
    "start_at",
    "finished_at",
    "delivered_at",
    "confirmed_at",
    "paid_at",
    "written_off_at",
)


@dataclass(slots=True)
class Buyer:
    """Who receives and pays for an order, with its own random streams."""

    party: str  # its name in the ledger: seller/NAME, or world for outside customers
    transit_h: Callable[[], float]
    confirm_h: Callable[[], float]
    term_h: Callable[[], float]  # payment term after delivery (offline credit)
    late_h: Callable[[], float]  # extra delay past the term: 0 unless this payment is late
    defaults: Callable[[], bool]  # draws whether this order's debt will never be paid
    # whether it takes a quote this many hours after the due date (capacity booking)
    accepts_later: Callable[[float], bool]
    receive: Callable[[Order], None] | None = None  # called on delivery
    # nothing travels, waits for confirmation or is paid: the trade settles orders as made
    instant: bool = False


@dataclass(slots=True)
class Order:
    order_id: int
    kind: str
    channel: str
    customer: str
    factory: str
    family: str
    item: str
    quantity: int
    placed_at: float
    due_at: float
    price: float
    buyer: Buyer
    line: str = ""
    quote_at: float = NOT_YET
    fabric_at: float = NOT_YET
    planned_h: float = 0.0  # the line hours reserved for it under capacity booking
    setup_at: float = NOT_YET
    start_at: float = NOT_YET
    finished_at: float = NOT_YET
    delivered_at: float = NOT_YET
    confirmed_at: float = NOT_YET
    changeover: str = NO_CHANGEOVER
    changeover_cost: float = 0.0
    cost: float = 0.0
    value: float = 0.0  # price × quantity, set when the order is placed
    deposit: float = 0.0
    regime: str = ""
    paid_at: float = NOT_YET
    written_off_at: float = NOT_YET
    payment: str = UNPAID
    refused: str = field(default="")  # the reason, when the factory refused the order
    opening: bool = False  # from the scenario's order book, open at the start
    scrapped: int = 0  # pieces scrapped at an outside workshop (model/workshop.py)
    reworked: int = 0  # pieces an outside workshop made again

    @property
    def delivered(self) -> int:
        """The pieces that reach the buyer: those ordered less those scrapped."""
        return self.quantity - self.scrapped

    @property
    def status(self) -> str:
        # NaN != NaN: a timestamp equal to itself has happened
        if self.refused:
            return REFUSED
        if self.delivered_at == self.delivered_at:
            return DELIVERED
        if self.finished_at == self.finished_at:
            return IN_TRANSIT
        if self.setup_at == self.setup_at:
            return IN_PRODUCTION
        return WAITING

    def as_of(self, at: float) -> None:
        """Make the order's timestamps say what has happened by `at` (the horizon): an event
        planned for then or later (the fabric of an order still waiting for it, the setup of an
        order a closed line has taken) has not happened, so it is NaN, and the status follows."""
        for name in EVENTS:
            if getattr(self, name) >= at:
                setattr(self, name, NOT_YET)

    def record(self, table: list[Row], status: str | None = None) -> None:
        """Write the order into the orders table as one OrderRecord row (the only place that
        builds one; tests/test_records.py checks its fields against the record's); `status`
        when the caller knows it, else read off the timestamps."""
        # two literal tuples joined: CPython builds a literal of more than 30 values through a
        # list, a value at a time, which cost about a fifth more per order
        row = (  # noqa: RUF005 (unpacking into one literal is that list again)
            self.order_id,
            self.kind,
            self.channel,
            self.customer,
            self.factory,
            self.line,
            self.family,
            self.item,
            self.quantity,
            self.placed_at,
            self.due_at,
            self.quote_at,
            self.fabric_at,
            self.setup_at,
            self.start_at,
            self.finished_at,
        ) + (
            self.delivered_at,
            self.confirmed_at,
            self.changeover,
            self.changeover_cost,
            self.price,
            self.cost,
            self.regime,
            self.paid_at,
            self.written_off_at,
            status or self.status,
            self.payment,
            self.refused,
            self.opening,
            self.scrapped,
            self.reworked,
        )
        table.append(row)
