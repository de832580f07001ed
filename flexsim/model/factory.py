"""Factory: lines that make one order at a time in their open hours.

order arrives → refused (below the channel's MOQ; under capacity booking also when no line can
finish it within the booking horizon, or when the buyer turns down a quote after its due date) →
fabric from stock, or ordered and waited for → queued, or taken at once by an idle line (under
booking only by the line it reserved hours on) → setup: materials bought on supplier terms →
changeover when the line last made a different item (its cost paid) → processing (quantity ×
one unit-time draw; materials issued to WIP) → finished (piece-rate labour paid, cost moved to
finished goods) → shipped. Under a subcontracting rule an accepted order may go out instead
(decided at acceptance: its own quote after the due date, or the backlog at or above a
threshold) to an outside workshop (model/workshop.py), with its materials once its fabric is in;
back, the workshop's fee for the good pieces is owed on the factory's terms, and the order is
shipped. Work pauses outside the line's calendar; the pauses are computed by
calendar arithmetic and written as off-shift state records, not simulated hour by hour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from flexsim.model.ledger import Ledger
from flexsim.model.line import Line
from flexsim.model.order import Order
from flexsim.model.station import Routing
from flexsim.model.timer import Environment, after
from flexsim.model.workshop import Workshop
from flexsim.records import Recorder
from flexsim.scenario import FactorySpec
from flexsim.streams import PerBuyer
from flexsim.vocabulary import (
    BELOW_MOQ,
    EXPENSES,
    FINISHED,
    FINISHED_GOODS,
    HOURS_PER_DAY,
    LABOUR,
    LATE_QUOTE,
    MATERIALS,
    MATERIALS_ISSUED,
    NO_CAPACITY,
    NO_ORDER,
    PAYABLES,
    REVENUE,
    SUBCONTRACT,
    WIP,
    WORLD,
    factory_party,
)


class Fabric:
    """Where each order's fabric comes from: stock, or a supplier with a lead time. Each buyer's
    orders draw both from the buyer's own streams (uniforms for stock, hours for the lead)."""

    def __init__(
        self,
        in_stock_probability: float,
        uniform: PerBuyer[Callable[[], float]],
        lead_h: PerBuyer[Callable[[], float]],
    ) -> None:
        self.in_stock_probability, self.uniform, self.lead_h = in_stock_probability, uniform, lead_h

    def wait_h(self, buyer: str) -> float:
        """Hours from the order to its fabric: 0 when in stock, else the supplier's lead."""
        if self.uniform[buyer]() < self.in_stock_probability:
            return 0.0
        return self.lead_h[buyer]()


class Stream(Protocol):
    """An exogenous order stream: when its next order is placed, and how to release it."""

    next_at: float

    def release(self) -> None: ...


def _next_at(stream: Stream) -> float:
    return stream.next_at


def _in_hand(workshop: Workshop) -> int:
    return workshop.in_hand


class Factory:
    """A factory: its lines, one shared queue, and the channels' MOQs."""

    def __init__(
        self,
        env: Environment,
        spec: FactorySpec,
        moq: dict[str, int],
        recorder: Recorder,
        ledger: Ledger,
    ) -> None:
        self.env, self.name, self.moq, self.recorder = env, spec.name, moq, recorder
        self.spec, self.ledger, self.party = spec, ledger, factory_party(spec.name)
        self.material_cost, self.labour_cost = spec.material_cost, spec.labour_cost
        if spec.wages == "payroll":  # the shift payroll (model/costs.py) replaces piece rates
            self.labour_cost = 0.0
        self.ship: Callable[[Order], None] = lambda order: None  # set by the trade that sells
        self.lines: list[Line] = []
        self.queue: list[Order] = []
        self.idle: list[Line] = []
        self.streams: list[Stream] = []
        self.wake_at = math.inf  # when a wake-up for the streams' next arrival is scheduled
        self.wake_up = self.wake  # bound once: reading a method without calling it is slow
        self.next_arrival = math.inf  # when the streams place their next order
        self.catching_up = False
        self.booking = spec.booking
        self.fabric: Fabric | None = None  # None: all fabric from stock
        self.rule = spec.subcontract.rule  # when an order goes out to a workshop
        self.workshops: list[Workshop] = []  # where it may go, set by the world
        self.fees: dict[str, float] = {}  # workshop party → price per good piece
        self.outgoing: dict[int, Workshop] = {}  # accepted orders to be sent out
        self.routing: Routing | None = None  # with routings, its lines are stations
        # when it withdrew from its alliance (model/alliance.py): from then on the sellers
        # place it no new orders (it finishes those it has) until the alliance ends, when it
        # is back to infinity: an ordinary factory again
        self.withdrawn_at = math.inf

    def add_line(self, line: Line) -> None:
        self.lines.append(line)
        line.start()

    def add_stream(self, stream: Stream) -> None:
        self.streams.append(stream)
        self.next_arrival = min(self.next_arrival, stream.next_at)
        self.schedule_wake()

    def go_idle(self, line: Line) -> None:
        self.idle.append(line)
        self.schedule_wake()

    def end_idle(self, line: Line) -> None:
        """The line has work without being woken (an order of the opening book in hand)."""
        self.idle.remove(line)

    def waiting(self) -> list[Order]:
        """The queue, oldest first; its lines read it as a sequence (Host)."""
        return self.queue

    def enqueue(self, order: Order) -> None:
        self.queue.append(order)

    # Order streams are exogenous: when their orders arrive does not depend on the factory. So
    # the factory brings them in when it looks at its queue, all those placed up to now and
    # oldest first, and schedules an event only to wake an idle line at the next arrival.
    # Under load most stream orders then cost no event at all; the queue is complete up to
    # now whenever it is read or added to, so every dispatch rule sees what it would have.

    def catch_up(self, until: float) -> None:
        """Bring in every stream order placed up to `until`, oldest first."""
        if self.catching_up or not self.streams:
            return  # release() → place → receive comes back here: the outer loop goes on
        self.catching_up = True
        streams = self.streams
        if len(streams) == 1:  # one stream: no search for the oldest (a loop run per order)
            stream = streams[0]
            while stream.next_at <= until:
                stream.release()
        else:
            while True:
                stream = min(streams, key=_next_at)
                if stream.next_at > until:
                    break
                stream.release()
        self.next_arrival = stream.next_at  # the stream that places first, in both loops
        self.catching_up = False

    def schedule_wake(self) -> None:
        """Make sure an idle line hears of the streams' next arrival when it comes (with
        routings every arrival is heard of: the first stations idle on their own)."""
        if not (self.idle or self.routing) or not self.streams:
            return
        streams = self.streams
        first = streams[0].next_at if len(streams) == 1 else min(map(_next_at, streams))
        if first < self.wake_at:
            self.wake_at = first
            self.env.call_in(first - self.env.now, self.wake_up)

    def wake(self) -> None:
        self.wake_at = math.inf  # a stale wake-up only leads to a harmless extra check
        self.catch_up(self.env.now)
        self.schedule_wake()

    def accepts(self, order: Order) -> bool:
        """Whether the factory takes the order: it meets its channel's MOQ, and under capacity
        booking a line can make it in time (see `book`); a refusal is noted on the order."""
        if not self.catching_up:
            self.catch_up(order.placed_at)  # stream orders placed before it are booked first
        if order.quantity < self.moq[order.channel]:
            order.refused = BELOW_MOQ
            return False
        fabric = self.fabric
        if fabric is None:
            order.fabric_at = order.placed_at
        else:
            order.fabric_at = order.placed_at + fabric.wait_h(order.customer)
        if self.rule == "backlog" and self.backlog_h() >= self.spec.subcontract.backlog_h:
            self.send_out(order)
            return True
        return self.booking is None or self.book(order)

    def backlog_h(self) -> float:
        """The expected hours of the orders waiting for the factory's lines: under capacity
        booking the hours booked and not started, else the queued orders' hours at the first
        line that may make each."""
        if self.booking is not None:
            return sum(line.bookings.booked_h for line in self.lines)
        hours = 0.0
        for order in self.queue:
            line = next(line for line in self.lines if line.serves(order))
            hours += line.bookings.expected_h(order)
        return hours

    def send_out(self, order: Order) -> None:
        """The accepted order will be made by the workshop with the fewest orders in hand (the
        first listed on a tie); it is sent once its fabric is in (`receive`)."""
        workshop = min(self.workshops, key=_in_hand)
        workshop.in_hand += 1
        order.line = workshop.name
        self.outgoing[order.order_id] = workshop

    def quote(self, order: Order, at: float) -> float:
        """The completion date the factory would quote for the order at `at`: the earliest
        among its lines, from their booked hours (or without booking their queued work)."""
        self.catch_up(at)
        if self.routing is not None and self.booking is not None:
            return self.routing.quote(order, at)[1]  # against the bottleneck station
        if self.routing is not None:  # each station in turn, from the one before's quote
            done = at
            for step in self.routing.route(order):
                done = step.quote(order, done)
            return done
        return self.best_line(order, at)[1]

    def best_line(self, order: Order, at: float) -> tuple[Line, float, float]:
        """The line that would finish the order first, that time, and the hours it needs."""
        best, done, hours = None, math.inf, 0.0
        for line in self.lines:
            if line.serves(order):
                quote, need = line.quote(order, at)
                if quote < done:
                    best, done, hours = line, quote, need
        assert best is not None  # the scenario checks that some line makes every order
        return best, done, hours

    def book(self, order: Order) -> bool:
        """Reserve hours on the line that can finish the order first, if the quote is within
        the booking horizon and, when after the due date, the buyer takes it; under the
        subcontracting rule `quote_late` an order quoted after its due date goes out instead."""
        assert self.booking is not None
        if self.routing is not None:  # hours reserved at the bottleneck station
            best, done, hours = self.routing.quote(order, order.placed_at)
        else:
            best, done, hours = self.best_line(order, order.placed_at)
        order.quote_at = done
        if self.rule == "quote_late" and done > order.due_at:
            self.send_out(order)
        elif done > order.placed_at + self.booking.horizon_days * HOURS_PER_DAY:
            order.refused = NO_CAPACITY
        elif done > order.due_at and not order.buyer.accepts_later(done - order.due_at):
            order.refused = LATE_QUOTE
        elif self.routing is not None:  # the order passes other stations first: its line
            best.bookings.book(order, hours)  # is not fixed to the bottleneck's
        else:
            best.book(order, hours)
        return not order.refused

    def reopen(self, order: Order) -> None:
        """A waiting order of the opening book joins the factory at the start, never refused:
        under capacity booking it reserves hours on its line, or on the line that would finish
        it first (with routings at its bottleneck station); then it is received like an
        accepted order (with routings at its first step)."""
        if self.booking is not None and self.routing is not None:
            order.line = ""  # it waits for its routing's first step
            line, order.quote_at, hours = self.routing.quote(order, self.env.now)
            line.bookings.book(order, hours)
        elif self.booking is not None:
            now = self.env.now
            named = [line for line in self.lines if line.name == order.line]
            if named:
                line, (order.quote_at, hours) = named[0], named[0].quote(order, now)
            else:
                line, order.quote_at, hours = self.best_line(order, now)
            line.book(order, hours)
        self.receive(order)

    def receive(self, order: Order) -> None:
        """An accepted order arrives: once its fabric is in, an idle line that serves it takes
        it, or it is queued (after the stream orders placed before it: `accepts` and
        `fabric_in` brought them in)."""
        if self.fabric is not None and order.fabric_at > self.env.now:
            after(self.env, order.fabric_at - self.env.now, lambda: self.fabric_in(order))
            return
        if self.outgoing and order.order_id in self.outgoing:
            if self.material_cost:  # the materials go out with the order
                self.buy_materials(order)
                self.issue_materials(order)
            self.outgoing.pop(order.order_id).send(order, self.take_back)
            return
        if self.routing is not None:
            self.routing.start(order)
            return
        if self.idle:
            for i, line in enumerate(self.idle):
                if line.serves(order):
                    del self.idle[i]
                    line.wake(order, self.env.now)
                    return
        self.queue.append(order)

    def fabric_in(self, order: Order) -> None:
        """The order's fabric arrives: it joins the queue after the orders placed before now."""
        self.catch_up(self.env.now)
        self.receive(order)

    def next_for(self, line: Line, now: float) -> Order | None:
        """The queued order the line's dispatch rule picks, removed from the queue."""
        if self.next_arrival <= now:  # a stream order placed since the last look: bring it in
            self.catch_up(now)
        if not self.queue:
            return None
        if line.takes_oldest:  # first come, first served, and the line makes everything
            return self.queue.pop(0)
        i = line.rule(self.queue, line)
        return self.queue.pop(i) if i >= 0 else None

    def buy_materials(self, order: Order) -> None:
        """Materials for the order arrive on supplier terms: a payable, paid when due."""
        amount = self.material_cost * order.quantity
        order.cost += amount
        self.ledger.post(self.party, MATERIALS, PAYABLES, amount, order.order_id, MATERIALS)
        due_h = self.spec.supplier_terms_days * HOURS_PER_DAY
        after(self.env, due_h, lambda: self.pay_supplier(order.order_id, amount))

    def pay_supplier(self, order_id: int, amount: float) -> None:
        self.ledger.pay(self.party, PAYABLES, WORLD, "", amount, order_id, MATERIALS)

    def issue_materials(self, order: Order) -> None:
        amount = self.material_cost * order.quantity
        self.ledger.post(self.party, WIP, MATERIALS, amount, order.order_id, MATERIALS_ISSUED)

    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None:
        """Cash paid out, now or `at`, for a line's own work that belongs to no order (a
        polling switch, overtime)."""
        self.ledger.pay(self.party, EXPENSES, WORLD, "", amount, NO_ORDER, reason, at)

    def spend(self, order: Order, amount: float, reason: str) -> None:
        """Cash paid out for work on the order (labour, changeover), added to its cost."""
        if amount == 0:
            return
        order.cost += amount
        self.ledger.pay(self.party, WIP, WORLD, "", amount, order.order_id, reason)

    def finish(self, order: Order) -> None:
        """Labour is paid piece-rate when the order is done; the order's cost becomes stock."""
        if self.labour_cost:
            self.spend(order, self.labour_cost * order.quantity, LABOUR)
        if order.cost:
            self.ledger.post(self.party, FINISHED_GOODS, WIP, order.cost, order.order_id, FINISHED)
        # through a local, as OrderStream.release calls its sampler: `self.ship(...)` of this
        # attribute (not a method) is looked up unspecialised by CPython 3.11
        ship = self.ship
        ship(order)

    def take_back(self, order: Order) -> None:
        """A subcontracted order is back from its workshop: the workshop's fee for its good
        pieces is owed and paid on the factory's terms; the order's cost becomes stock and it
        is shipped."""
        order.finished_at = self.env.now
        self.owe_workshop(order, order.line, self.fees[order.line])
        if order.cost:
            self.ledger.post(self.party, FINISHED_GOODS, WIP, order.cost, order.order_id, FINISHED)
        self.ship(order)

    def owe_workshop(self, order: Order, workshop: str, price: float) -> None:
        """The workshop's fee for the order's good pieces is owed (added to the order's cost)
        and paid on the factory's subcontracting terms."""
        fee = price * order.delivered
        if fee:
            order.cost += fee
            self.ledger.post(self.party, WIP, PAYABLES, fee, order.order_id, SUBCONTRACT)
            due_h = self.spec.subcontract.terms_days * HOURS_PER_DAY
            after(self.env, due_h, lambda: self.pay_workshop(workshop, order.order_id, fee))

    def pay_workshop(self, workshop: str, order_id: int, amount: float) -> None:
        self.ledger.pay(self.party, PAYABLES, workshop, REVENUE, amount, order_id, SUBCONTRACT)

    def publish(self) -> Generator[simpy.Event, Any, None]:
        """Each day, each line's open and booked hours for each day of the booking horizon:
        the work in hand and booked, laid out from now in open hours, day after day."""
        assert self.booking is not None
        days = math.ceil(self.booking.horizon_days)
        capacity = self.recorder.capacity
        while True:
            now = self.env.now
            for line in self.lines:
                left = line.committed_h(now)
                worked = [line.normal.worked(now + day * HOURS_PER_DAY) for day in range(days + 1)]
                for day in range(days):
                    open_h = worked[day + 1] - worked[day]
                    booked = min(open_h, left)
                    left -= booked
                    start = now + day * HOURS_PER_DAY
                    capacity.append((self.name, line.name, now, start, open_h, booked))
            yield self.env.timeout(HOURS_PER_DAY)

    def close(self, at: float) -> None:
        """At the horizon: stream orders placed before it come in (to be recorded as open by
        the trade), and the lines' last off-shift spans are written."""
        before = math.nextafter(at, -math.inf)  # the run simulates [0, at)
        self.catch_up(before)
        for line in self.lines:
            line.close(at, paid_at=before)  # the last overtime's premium, before the horizon
        if self.routing is not None:
            self.routing.close(at)
