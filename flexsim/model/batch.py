"""BatchLine: a station that makes up to K orders together in one operation (a cutting table
laying several orders' fabric at once).

the station comes free (or an order wakes it) → it takes the order, then up to K − 1 more of
those waiting, picked one after another by its dispatch rule (with `same_family` only orders of
the first one's family; with a capacity in pieces, until the next pick would pass it: the batch
is full, and an order larger than the capacity is made alone); short of K, with a maximum
wait, it holds them (idle) and adds the orders that arrive, until the batch is full or the wait
is over → one changeover, from the last batch's first order's item to this one's →
one operation: a `lay_h` draw plus the batch's pieces × one unit-time draw (the first order's
buyer's stream), with breakdowns and calendar as any line → every order of the batch finished
at once, each handed to its host in turn → the next batch, or idle. Each batch has a number,
counted from 0 at each station: the steps table's batch_id.
"""

from __future__ import annotations

from collections.abc import Callable

from flexsim.calendar import Calendar
from flexsim.model.line import Breakdowns, Host, Line, UnitTimes
from flexsim.model.order import Order
from flexsim.model.overtime import Overtime
from flexsim.model.timer import Environment
from flexsim.scenario import LineSpec
from flexsim.vocabulary import IDLE, NO_ORDER


class BatchLine(Line):
    """A line that makes up to `max_orders` orders at a time (a batch station)."""

    __slots__ = (
        "batch", "batch_id", "holding", "lay_h", "max_orders", "max_pieces", "max_wait_h",
        "same_family",
    )  # fmt: skip

    def __init__(
        self,
        env: Environment,
        host: Host,
        spec: LineSpec,
        calendar: Calendar,
        unit_time: UnitTimes,
        breakdowns: Breakdowns | None,
        by_family: dict[str, UnitTimes] | None,
        overtime: Overtime | None,
        lay_h: Callable[[], float],
    ) -> None:
        super().__init__(env, host, spec, calendar, unit_time, breakdowns, by_family, overtime)
        assert spec.batch is not None
        self.max_orders, self.same_family = spec.batch.max_orders, spec.batch.same_family
        self.max_wait_h = spec.batch.max_wait_h
        self.max_pieces = spec.batch.max_pieces or 0  # 0: no limit in pieces
        self.holding = False  # a short batch waits for more orders, up to max_wait_h
        self.lay_h = lay_h
        self.batch: list[Order] = []  # the orders in hand, the first one leading
        self.batch_id = -1  # the batch in hand (or last made), counted from 0
        self.plain = False  # the fast path makes one order
        if self.same_family:  # the dispatch rule must ask `serves` of every order
            self.serves_all = self.takes_oldest = False

    def serves(self, order: Order) -> bool:
        """As a line; while a batch is being gathered under `same_family`, only orders of its
        family."""
        if self.same_family and self.batch and order.family != self.batch[0].family:
            return False
        return super().serves(order)

    def take(self, order: Order, now: float) -> None:
        """Gather the batch: the order, then those the rule picks, up to `max_orders` (with
        `max_pieces`, until the next one the rule picks would pass it: the batch is full);
        short of them, with `max_wait_h`, hold it for the orders still to come."""
        self.batch = [order]
        order.line = self.name
        full = False
        while len(self.batch) < self.max_orders:
            if self.max_pieces and not self.next_fits(now):
                full = True
                break
            more = self.host.next_for(self, now)
            if more is None:
                break
            more.line = self.name
            self.batch.append(more)
        if not full and len(self.batch) < self.max_orders and self.max_wait_h > 0:
            self.holding = True
            self.current = order  # not free for the host: arrivals are offered to the batch
            self.enter(IDLE, NO_ORDER, now)
            token = self.batch_id
            self.env.call_in(self.max_wait_h, lambda: self.waited(token))
            return
        self.make(now)

    def pieces(self) -> int:
        return sum(one.quantity for one in self.batch)

    def next_fits(self, now: float) -> bool:
        """Whether the order the dispatch rule would pick next (looked at, not taken) fits
        in the batch's `max_pieces`; True when none waits."""
        host = self.host
        host.catch_up(now)
        queue = host.waiting()
        i = self.rule(queue, self)
        return i < 0 or self.pieces() + queue[i].quantity <= self.max_pieces

    def resume(self, order: Order, hours_done: float, now: float) -> None:
        """An order of the opening book in production here is a batch of its own."""
        self.batch = [order]
        self.batch_id += 1
        super().resume(order, hours_done, now)

    def holds(self, order: Order) -> bool:
        return self.holding and self.serves(order)

    def offer(self, order: Order, now: float) -> None:
        """An order arrives while the batch is held: it joins it, which starts once full; with
        `max_pieces`, an order that would pass it starts the batch without it, and queues."""
        if self.max_pieces and self.pieces() + order.quantity > self.max_pieces:
            self.make(now)
            self.host.enqueue(order)
            return
        order.line = self.name
        self.batch.append(order)
        if len(self.batch) == self.max_orders or self.pieces() == self.max_pieces:
            self.make(now)

    def waited(self, token: int) -> None:
        """The longest wait for a full batch is over: the batch held since then starts."""
        if self.holding and token == self.batch_id:
            self.make(self.env.now)

    def make(self, now: float) -> None:
        """Start the gathered batch: its materials, then setup, changeover and work."""
        self.holding = False
        order = self.batch[0]
        self.batch_id += 1
        if self.host.material_cost:
            for other in self.batch[1:]:
                self.host.buy_materials(other)
        super().take(order, now)
        booked = [other for other in self.batch[1:] if other.planned_h]
        if booked:  # their reservations at this (bottleneck) station become work in hand
            self.bookings.start_with(booked, now, self.calendar)
        for other in self.batch[1:]:  # set up together, whether a changeover runs first or not
            other.setup_at = order.setup_at

    def process(self, order: Order, now: float) -> None:
        super().process(order, now)
        for other in self.batch[1:]:
            other.setup_at, other.start_at = order.setup_at, order.start_at
            if self.host.material_cost:
                self.host.issue_materials(other)

    def work_h(self, order: Order) -> float:
        """One lay draw, plus the batch's pieces × one unit-time draw."""
        by_family = self.by_family
        draws = self.unit_time if by_family is None else by_family.get(order.family, self.unit_time)
        pieces = sum(one.quantity for one in self.batch)
        return self.lay_h() + pieces * draws[order.customer]()

    def finished(self) -> None:
        """Every order of the batch is made: the others are handed over first, then the
        leading one, after which the line takes its next batch."""
        now = self.env.now
        for other in self.batch[1:]:
            other.finished_at = now
            self.host.finish(other)
        self.batch = []
        super().finished()

    def in_hand(self) -> list[Order]:
        return list(self.batch)
