"""Factory: lines that make one order at a time in their open hours.

order arrives → refused (below the channel's MOQ; under capacity booking also when no line can
finish it within the booking horizon, or when the buyer turns down a quote after its due date) →
fabric from stock, or ordered and waited for → queued, or taken at once by an idle line (under
booking only by the line it reserved hours on) → setup: materials bought on supplier terms →
changeover when the line last made a different item (its cost paid) → processing (quantity ×
one unit-time draw; materials issued to WIP) → finished (piece-rate labour paid, cost moved to
finished goods) → shipped. Work pauses outside the line's calendar; the pauses are computed by
calendar arithmetic and written as off-shift state records, not simulated hour by hour.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from flexsim.calendar import HOURS_PER_DAY, Calendar, overtime_spans
from flexsim.model.ledger import (
    EXPENSES,
    FINISHED_GOODS,
    MATERIALS,
    PAYABLES,
    WIP,
    WORLD,
    Ledger,
)
from flexsim.model.order import Order
from flexsim.model.rules import DISPATCH, Rule
from flexsim.model.schedule import after
from flexsim.records import Recorder
from flexsim.scenario import FactorySpec, LineSpec, OvertimeSpec

PROCESSING, CHANGEOVER, IDLE, DOWN = "processing", "changeover", "idle", "down"
OFF_SHIFT = "off_shift"
NEVER = math.inf


class Breakdowns:
    """A line's failure and repair draws: processing hours between failures, repair hours."""

    def __init__(self, between_h: Callable[[], float], repair_h: Callable[[], float]) -> None:
        self.between_h, self.repair_h = between_h, repair_h


class Overtime:
    """A line's overtime: its calendar with the extra hours, and the hours used per month."""

    def __init__(self, spec: OvertimeSpec, extended: Calendar, month_starts: list[float]):
        self.spec, self.extended, self.month_starts = spec, extended, month_starts
        self.used: dict[int, float] = {}  # month number → overtime hours worked

    def month(self, at: float) -> int:
        return bisect_right(self.month_starts, at)

    def left(self, at: float) -> float:
        """Overtime hours still allowed in the month of `at`."""
        return self.spec.hours_per_month - self.used.get(self.month(at), 0.0)

    def add(self, spans: list[tuple[float, float]]) -> float:
        """Count overtime worked in the spans (each in the month it starts); its hours."""
        total = 0.0
        for lo, hi in spans:
            month = self.month(lo)
            self.used[month] = self.used.get(month, 0.0) + hi - lo
            total += hi - lo
        return total


class Fabric:
    """Where each order's fabric comes from: stock, or a supplier with a lead time."""

    def __init__(self, in_stock: Callable[[], bool], lead_h: Callable[[], float]) -> None:
        self.in_stock, self.lead_h = in_stock, lead_h


class Stream(Protocol):
    """An exogenous order stream: when its next order is placed, and how to release it."""

    next_at: float

    def release(self) -> None: ...


def _next_at(stream: Stream) -> float:
    return stream.next_at


NO_ORDER = -1


class Line:  # writes LineStateRecord rows
    """One production line: takes orders from its factory's queue, one at a time.

    A line is a chain of timeout callbacks, not a generator process: an idle line starts an
    order the moment it arrives, and the end of a changeover or of processing calls the next
    step. With no process to resume and no wake-up event an order costs two SimPy events (its
    arrival and its end), which is most of why flexsim outruns a hand-written SimPy model.
    """

    def __init__(
        self,
        env: simpy.Environment,
        factory: Factory,
        spec: LineSpec,
        calendar: Calendar,
        unit_time: Callable[[], float],
        breakdowns: Breakdowns | None = None,
        by_family: dict[str, Callable[[], float]] | None = None,
        overtime: Overtime | None = None,
    ) -> None:
        self.env, self.factory, self.calendar, self.unit_time = env, factory, calendar, unit_time
        self.by_family = by_family or None  # unit-time draws of families with their own
        self.breakdowns, self.overtime, self.normal = breakdowns, overtime, calendar
        # expected hours per piece, for booking and for the overtime backlog
        families = {*spec.families, *spec.unit_time_by_family}
        self.mean_unit = {f: spec.unit_time(f).expectation / spec.efficiency for f in families}
        self.mean_default = spec.unit_time_h.expectation / spec.efficiency
        self.booked_h = 0.0  # hours reserved by booked orders not yet started
        self.busy_until = 0.0  # when the order in hand is expected to be (or was) done
        self.booked_item: str | None = None  # the last item booked: the next changeover
        self.booked_family: str | None = None
        self.until_failure = breakdowns.between_h() if breakdowns else NEVER  # processing h
        self.work_left = 0.0  # processing hours the current order still needs
        self.always = calendar.always
        self.name = spec.name
        self.channels: frozenset[str] = frozenset(spec.channels)
        self.families: frozenset[str] = frozenset(spec.families)
        self.serves_all = (
            self.channels >= {"ecommerce", "offline"}
            and not self.families
            and factory.booking is None  # booked orders are for one line only
        )
        self.visiting = ""  # the family a polling line is at
        self.rule: Rule = DISPATCH[spec.dispatch]
        self.changeover_h, self.changeover_cost = spec.changeover_h, spec.changeover_cost
        self.item: str | None = None  # the last item made: a fresh line needs no changeover
        self.family: str | None = None
        self.current: Order | None = None
        self.states = factory.recorder.line_states
        self.state, self.since, self.state_order = IDLE, env.now, NO_ORDER
        self.states.append((factory.name, self.name, env.now, IDLE, NO_ORDER, False))

    def serves(self, order: Order) -> bool:
        """Whether the line may make the order: its channel, its family if listed, and, once
        the order has reserved hours on a line, only that line."""
        return (
            order.channel in self.channels
            and (not self.families or order.family in self.families)
            and (not order.line or order.line == self.name)
        )

    def start(self) -> None:
        """At time 0 a line waits idle for work."""
        self.factory.go_idle(self)

    def wake(self, order: Order, now: float) -> None:
        """An idle line is given an order that has just arrived."""
        self.take(order, now)

    def take(self, order: Order, now: float) -> None:
        """Start work on the order now: setup, then a changeover when the item changes."""
        self.current = order
        order.line = self.name
        if self.overtime is not None:
            self.decide_overtime(now)
        if order.planned_h:  # booked: its reservation becomes the work in hand
            self.booked_h = max(0.0, self.booked_h - order.planned_h)
            self.busy_until = self.calendar.finish(now, order.planned_h)
        order.setup_at = now if self.always else self.calendar.next_open(now)
        if self.factory.material_cost:
            self.factory.buy_materials(order)
        # a fresh line, or the same item again, needs no changeover
        if self.item is None or order.item == self.item or not self.change_over(order, now):
            self.process(order, now)

    def change_over(self, order: Order, now: float) -> bool:
        """Pay the changeover to a different item; True when it takes time (a timeout then
        leads to processing), False when processing can start at once."""
        if order.family == self.family:
            kind = "same_family"
            hours, cost = self.changeover_h.same_family, self.changeover_cost.same_family
        else:
            kind = "other_family"
            hours = self.changeover_h.value(self.family, order.family)
            cost = self.changeover_cost.value(self.family, order.family)
        order.changeover, order.changeover_cost = kind, cost
        self.factory.spend(order, cost, "changeover")
        if hours <= 0:
            return False
        self.enter(CHANGEOVER, order.order_id, now)
        end = self.calendar.finish(now, hours)
        self.env.timeout(end - now).callbacks.append(self.changed)
        return True

    def changed(self, _event: simpy.Event) -> None:
        assert self.current is not None
        self.process(self.current, self.env.now)

    def process(self, order: Order, now: float) -> None:
        """Quantity × one unit-time draw of work, ending at its calendar end."""
        by_family = self.by_family
        draw = self.unit_time if by_family is None else by_family.get(order.family, self.unit_time)
        work_h = order.quantity * draw()
        order.start_at = now if self.always else self.calendar.next_open(now)
        if self.factory.material_cost:
            self.factory.issue_materials(order)
        self.enter(PROCESSING, order.order_id, now)
        if self.always and work_h <= self.until_failure:  # the hot path: one timeout, no calls
            self.until_failure -= work_h
            self.env.timeout(work_h).callbacks.append(self.finished)
        else:
            self.work_left = work_h
            self.work(now)

    def work(self, now: float) -> None:
        """Process until the order is done, or until the next failure if that comes first."""
        work_h, until_failure = self.work_left, self.until_failure
        if work_h <= until_failure:
            self.until_failure -= work_h
            self.env.timeout(self.after_open(now, work_h) - now).callbacks.append(self.finished)
        else:
            self.work_left = work_h - until_failure
            end = self.after_open(now, until_failure)
            self.env.timeout(end - now).callbacks.append(self.failed)

    def after_open(self, now: float, hours: float) -> float:
        """When `hours` of open time from now are done (no calendar arithmetic if always open)."""
        return now + hours if self.always else self.calendar.finish(now, hours)

    def failed(self, _event: simpy.Event) -> None:
        """The line breaks down mid-order: it is down for a repair, then the order resumes."""
        assert self.breakdowns is not None and self.current is not None
        now = self.env.now
        self.enter(DOWN, self.current.order_id, now)
        end = self.after_open(now, self.breakdowns.repair_h())
        self.env.timeout(end - now).callbacks.append(self.repaired)

    def repaired(self, _event: simpy.Event) -> None:
        assert self.breakdowns is not None and self.current is not None
        now = self.env.now
        self.until_failure = self.breakdowns.between_h()
        self.enter(PROCESSING, self.current.order_id, now)
        self.work(now)

    def finished(self, _event: simpy.Event) -> None:
        """The order is made: hand it over, then take the next one or go idle."""
        order = self.current
        assert order is not None
        order.finished_at = now = self.env.now
        self.item, self.family, self.current = order.item, order.family, None
        self.busy_until = now  # an order released late is quoted from here
        self.factory.finish(order)
        following = self.factory.next_for(self, now)
        if following is None:
            self.rest(now)
        else:
            self.take(following, now)

    def rest(self, now: float) -> None:
        """Nothing to do: the line goes idle (and works no overtime while it is)."""
        if self.overtime is not None:
            self.use(self.normal, now)
        self.enter(IDLE, NO_ORDER, now)
        self.factory.go_idle(self)

    def enter(self, state: str, order_id: int, now: float) -> None:
        """Record a state change now, after the off-shift spans of the state it leaves."""
        if state == self.state and order_id == self.state_order:
            return
        if not self.always:
            self.close(now)
        self.states.append((self.factory.name, self.name, now, state, order_id, False))
        self.state, self.since, self.state_order = state, now, order_id

    def close(self, until: float) -> None:
        """Write the off-shift spans between the last state change and `until` (and, in
        overtime, the spans of overtime)."""
        if self.calendar.always:
            return
        if self.calendar is not self.normal:
            self.close_overtime(until)
            return
        factory, states = self.factory.name, self.states
        for start, end in self.calendar.closed_spans(self.since, until):
            states.append((factory, self.name, start, OFF_SHIFT, self.state_order, False))
            if end < until:
                states.append((factory, self.name, end, self.state, self.state_order, False))

    # -- overtime ------------------------------------------------------------------------

    def decide_overtime(self, now: float) -> None:
        """Work overtime from now while the backlog is long and the month's hours last."""
        overtime = self.overtime
        assert overtime is not None
        if self.calendar is not self.normal:  # count the overtime worked so far
            self.close(now)
            self.since = now
        long = self.backlog_h() > overtime.spec.backlog_h
        self.use(overtime.extended if long and overtime.left(now) > 0 else self.normal, now)

    def backlog_h(self) -> float:
        """Hours of work waiting for the line: its bookings, or the queued orders it may make."""
        if self.factory.booking is not None:
            return self.booked_h
        return sum(self.expected_h(order) for order in self.factory.queue if self.serves(order))

    def use(self, calendar: Calendar, now: float) -> None:
        """Switch to the normal or the overtime calendar from now on."""
        if calendar is not self.calendar:
            self.close(now)
            self.since = now
            self.calendar = calendar

    def close_overtime(self, until: float) -> None:
        """Write the off-shift and the overtime spans between the last record and `until`,
        and pay the overtime premium."""
        assert self.overtime is not None
        closed = self.calendar.closed_spans(self.since, until)
        extra = overtime_spans(self.normal, self.calendar, self.since, until)
        hours = self.overtime.add(extra)
        self.factory.spend_on_line(hours * self.overtime.spec.premium_per_hour, "overtime")
        # (time, status): 0 normal open time, 1 overtime, 2 closed; an end gives way to a start
        marks: list[tuple[float, int]] = sorted(
            [(lo, 2) for lo, _ in closed]
            + [(hi, 0) for _, hi in closed]
            + [(lo, 1) for lo, _ in extra]
            + [(hi, 0) for _, hi in extra],
            key=lambda mark: (mark[0], mark[1] != 0),
        )
        factory, states = self.factory.name, self.states
        status: int = 0
        for i, (at, mark) in enumerate(marks):
            if at >= until or (i + 1 < len(marks) and marks[i + 1][0] == at) or mark == status:
                continue
            state = OFF_SHIFT if mark == 2 else self.state
            states.append((factory, self.name, at, state, self.state_order, mark == 1))
            status = mark

    # -- capacity booking ----------------------------------------------------------------

    def expected_h(self, order: Order) -> float:
        """The hours the order is expected to take here, without changeover."""
        return order.quantity * self.mean_unit.get(order.family, self.mean_default)

    def quote(self, order: Order, at: float) -> tuple[float, float]:
        """When the line would finish the order if booked at `at`, and the hours it reserves
        (the expected work plus the changeover from the last item booked)."""
        if self.booked_item is None or order.item == self.booked_item:
            change = 0.0  # a fresh line, or the same item again
        elif order.family == self.booked_family:
            change = self.changeover_h.same_family
        else:
            change = self.changeover_h.value(self.booked_family, order.family)
        hours = change + self.expected_h(order)
        start = max(at, self.busy_until)
        done = self.calendar.finish(start, self.backlog_h() + hours)
        if order.fabric_at > at:  # the fabric comes first, whatever the line has on
            done = max(done, self.calendar.finish(order.fabric_at, hours))
        return done, hours

    def book(self, order: Order, hours: float) -> None:
        order.line, order.planned_h = self.name, hours
        self.booked_h += hours
        self.booked_item, self.booked_family = order.item, order.family

    def committed_h(self, now: float) -> float:
        """Open hours of work the line has in hand and booked, from now."""
        in_hand = 0.0
        if self.current is not None and self.busy_until > now:
            in_hand = self.calendar.open_hours(now, self.busy_until)
        return in_hand + self.booked_h


class PollingLine(Line):
    """A line that visits its families in a fixed cycle (the polling model of a flow shop).

    visit a family → serve its orders, first come first served: all of them, including those
    that arrive meanwhile (exhaustive), or only those waiting when the line arrived (gated) →
    switch to the next family, paying the other-family changeover, even when nothing of that
    family waits → visit it. A line whose switches take no time would spin forever on an empty
    queue, so it waits idle instead, where it is, until an order arrives.
    """

    def __init__(
        self,
        env: simpy.Environment,
        factory: Factory,
        spec: LineSpec,
        calendar: Calendar,
        unit_time: Callable[[], float],
        breakdowns: Breakdowns | None,
        by_family: dict[str, Callable[[], float]] | None,
        overtime: Overtime | None,
        gated: bool,
    ) -> None:
        super().__init__(env, factory, spec, calendar, unit_time, breakdowns, by_family, overtime)
        self.cycle, self.gated = list(spec.families), gated
        self.position, self.gate = 0, 0
        self.visiting = self.cycle[0]

    def start(self) -> None:
        self.visit(self.env.now)

    def wake(self, order: Order, now: float) -> None:
        self.factory.queue.append(order)
        self.visit(now)

    def visit(self, now: float) -> None:
        """The line arrives at a family: a gated line counts what it will serve here."""
        self.visiting = self.cycle[self.position]
        self.item, self.family = None, self.visiting  # the switch set the line up for it
        if self.gated:
            self.factory.catch_up(now)
            self.gate = sum(
                1 for o in self.factory.queue if o.family == self.visiting and self.serves(o)
            )
        self.serve(now)

    def serve(self, now: float) -> None:
        """Take the family's next order, or move on."""
        following = None if self.gated and self.gate == 0 else self.factory.next_for(self, now)
        if following is None:
            self.switch(now)
        else:
            self.gate -= 1
            self.take(following, now)

    def finished(self, _event: simpy.Event) -> None:
        order = self.current
        assert order is not None
        order.finished_at = now = self.env.now
        self.item, self.current, self.busy_until = order.item, None, now
        self.factory.finish(order)
        self.serve(now)

    def switch(self, now: float) -> None:
        """Move to the next family in the cycle, paying the changeover on the way."""
        here = self.cycle[self.position]
        self.position = (self.position + 1) % len(self.cycle)
        there = self.cycle[self.position]
        hours = self.changeover_h.value(here, there)
        self.factory.spend_on_line(self.changeover_cost.value(here, there), "changeover")
        if hours > 0:
            self.enter(CHANGEOVER, NO_ORDER, now)
            end = self.calendar.finish(now, hours)
            self.env.timeout(end - now).callbacks.append(self.arrived)
        elif any(self.serves(order) for order in self.factory.queue):
            self.visit(now)
        else:
            self.rest(now)

    def arrived(self, _event: simpy.Event) -> None:
        self.visit(self.env.now)


class Factory:
    """A factory: its lines, one shared queue, and the channels' MOQs."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: FactorySpec,
        moq: dict[str, int],
        recorder: Recorder,
        ledger: Ledger,
    ) -> None:
        self.env, self.name, self.moq, self.recorder = env, spec.name, moq, recorder
        self.spec, self.ledger, self.party = spec, ledger, f"factory/{spec.name}"
        self.material_cost, self.labour_cost = spec.material_cost, spec.labour_cost
        if spec.wages == "payroll":  # the shift payroll (model/costs.py) replaces piece rates
            self.labour_cost = 0.0
        self.ship: Callable[[Order], None] = lambda order: None  # set by the trade that sells
        self.lines: list[Line] = []
        self.queue: list[Order] = []
        self.idle: list[Line] = []
        self.streams: list[Stream] = []
        self.wake_at = math.inf  # when a wake-up for the streams' next arrival is scheduled
        self.catching_up = False
        self.booking = spec.booking
        self.fabric: Fabric | None = None  # None: all fabric from stock

    def add_line(self, line: Line) -> None:
        self.lines.append(line)
        line.start()

    def add_stream(self, stream: Stream) -> None:
        self.streams.append(stream)
        self.schedule_wake()

    def go_idle(self, line: Line) -> None:
        self.idle.append(line)
        self.schedule_wake()

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
        while True:
            stream = streams[0] if len(streams) == 1 else min(streams, key=_next_at)
            if stream.next_at > until:
                break
            stream.release()
        self.catching_up = False

    def schedule_wake(self) -> None:
        """Make sure an idle line hears of the streams' next arrival when it comes."""
        if not self.idle or not self.streams:
            return
        first = min(stream.next_at for stream in self.streams)
        if first < self.wake_at:
            self.wake_at = first
            self.env.timeout(first - self.env.now).callbacks.append(self.wake)

    def wake(self, _event: simpy.Event) -> None:
        self.wake_at = math.inf  # a stale wake-up only leads to a harmless extra check
        self.catch_up(self.env.now)
        self.schedule_wake()

    def accepts(self, order: Order) -> bool:
        """Whether the factory takes the order: it meets its channel's MOQ, and under capacity
        booking a line can make it in time (see `book`); a refusal is noted on the order."""
        if order.quantity < self.moq[order.channel]:
            order.refused = "below_moq"
            return False
        fabric = self.fabric
        if fabric is None or fabric.in_stock():
            order.fabric_at = order.placed_at
        else:
            order.fabric_at = order.placed_at + fabric.lead_h()
        return self.booking is None or self.book(order)

    def quote(self, order: Order, at: float) -> float:
        """The completion date the factory would quote for the order at `at`: the earliest
        among its lines, from their booked hours (or without booking their queued work)."""
        self.catch_up(at)
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
        the booking horizon and, when after the due date, the buyer takes it."""
        assert self.booking is not None
        best, done, hours = self.best_line(order, order.placed_at)
        order.quote_at = done
        if done > order.placed_at + self.booking.horizon_days * HOURS_PER_DAY:
            order.refused = "no_capacity"
        elif done > order.due_at and not order.buyer.accepts_later(done - order.due_at):
            order.refused = "late_quote"
        else:
            best.book(order, hours)
        return not order.refused

    def receive(self, order: Order) -> None:
        """An accepted order arrives: once its fabric is in, an idle line that serves it takes
        it, or it is queued."""
        if not self.catching_up:
            self.catch_up(order.placed_at)  # orders placed before it go first
        if order.fabric_at > self.env.now:
            after(self.env, order.fabric_at - self.env.now, lambda: self.fabric_in(order))
            return
        self.dispatch(order)

    def fabric_in(self, order: Order) -> None:
        self.catch_up(self.env.now)
        self.dispatch(order)

    def dispatch(self, order: Order) -> None:
        for i, line in enumerate(self.idle):
            if line.serves(order):
                del self.idle[i]
                line.wake(order, self.env.now)
                return
        self.queue.append(order)

    def next_for(self, line: Line, now: float) -> Order | None:
        """The queued order the line's dispatch rule picks, removed from the queue."""
        self.catch_up(now)
        if not self.queue:
            return None
        i = line.rule(self.queue, line)
        return self.queue.pop(i) if i >= 0 else None

    def buy_materials(self, order: Order) -> None:
        """Materials for the order arrive on supplier terms: a payable, paid when due."""
        amount = self.material_cost * order.quantity
        order.cost += amount
        self.ledger.post(self.party, MATERIALS, PAYABLES, amount, order.order_id, "materials")
        due_h = self.spec.supplier_terms_days * HOURS_PER_DAY
        after(self.env, due_h, lambda: self.pay_supplier(order.order_id, amount))

    def pay_supplier(self, order_id: int, amount: float) -> None:
        self.ledger.pay(self.party, PAYABLES, WORLD, "", amount, order_id, "materials")

    def issue_materials(self, order: Order) -> None:
        amount = self.material_cost * order.quantity
        self.ledger.post(self.party, WIP, MATERIALS, amount, order.order_id, "materials_issued")

    def spend_on_line(self, amount: float, reason: str) -> None:
        """Cash paid out for a line's own work that belongs to no order (a polling switch)."""
        self.ledger.pay(self.party, EXPENSES, WORLD, "", amount, NO_ORDER, reason)

    def spend(self, order: Order, amount: float, reason: str) -> None:
        """Cash paid out for work on the order (labour, changeover), added to its cost."""
        if amount == 0:
            return
        order.cost += amount
        self.ledger.pay(self.party, WIP, WORLD, "", amount, order.order_id, reason)

    def finish(self, order: Order) -> None:
        """Labour is paid piece-rate when the order is done; the order's cost becomes stock."""
        if self.labour_cost:
            self.spend(order, self.labour_cost * order.quantity, "labour")
        if order.cost:
            self.ledger.post(
                self.party, FINISHED_GOODS, WIP, order.cost, order.order_id, "finished"
            )
        self.ship(order)

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
        self.catch_up(math.nextafter(at, -math.inf))  # SimPy's run(until) stops before `at`
        for line in self.lines:
            line.close(at)
