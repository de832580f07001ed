"""Factory: lines that make one order at a time in their open hours.

order arrives → refused (below the channel's MOQ) or queued, or taken at once by an idle line →
setup: materials bought on supplier terms → changeover when the line last made a different item
(its cost paid) → processing (quantity × one unit-time draw; materials issued to WIP) →
finished (piece-rate labour paid, cost moved to finished goods) → shipped. Work pauses outside
the line's calendar; the pauses are computed by calendar arithmetic and written as off-shift
state records, not simulated hour by hour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import simpy

from flexsim.calendar import HOURS_PER_DAY, Calendar
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
from flexsim.scenario import FactorySpec, LineSpec

PROCESSING, CHANGEOVER, IDLE, DOWN = "processing", "changeover", "idle", "down"
OFF_SHIFT = "off_shift"
NEVER = math.inf


class Breakdowns:
    """A line's failure and repair draws: processing hours between failures, repair hours."""

    def __init__(self, between_h: Callable[[], float], repair_h: Callable[[], float]) -> None:
        self.between_h, self.repair_h = between_h, repair_h


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
    ) -> None:
        self.env, self.factory, self.calendar, self.unit_time = env, factory, calendar, unit_time
        self.breakdowns = breakdowns
        self.until_failure = breakdowns.between_h() if breakdowns else NEVER  # processing h
        self.work_left = 0.0  # processing hours the current order still needs
        self.always = calendar.always
        self.name = spec.name
        self.channels: frozenset[str] = frozenset(spec.channels)
        self.families: frozenset[str] = frozenset(spec.families)
        self.serves_all = self.channels >= {"ecommerce", "offline"} and not self.families
        self.visiting = ""  # the family a polling line is at
        self.rule: Rule = DISPATCH[spec.dispatch]
        self.changeover_h, self.changeover_cost = spec.changeover_h, spec.changeover_cost
        self.item: str | None = None  # the last item made: a fresh line needs no changeover
        self.family: str | None = None
        self.current: Order | None = None
        self.states = factory.recorder.line_states
        self.state, self.since, self.state_order = IDLE, env.now, NO_ORDER
        self.states.append((factory.name, self.name, env.now, IDLE, NO_ORDER))

    def serves(self, order: Order) -> bool:
        """Whether the line may make the order: its channel, and its family if listed."""
        return order.channel in self.channels and (
            not self.families or order.family in self.families
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
        work_h = order.quantity * self.unit_time()
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
        self.factory.finish(order)
        following = self.factory.next_for(self, now)
        if following is None:
            self.enter(IDLE, NO_ORDER, now)
            self.factory.go_idle(self)
        else:
            self.take(following, now)

    def enter(self, state: str, order_id: int, now: float) -> None:
        """Record a state change now, after the off-shift spans of the state it leaves."""
        if state == self.state and order_id == self.state_order:
            return
        if not self.always:
            self.close(now)
        self.states.append((self.factory.name, self.name, now, state, order_id))
        self.state, self.since, self.state_order = state, now, order_id

    def close(self, until: float) -> None:
        """Write the off-shift spans between the last state change and `until`."""
        if self.calendar.always:
            return
        factory, states = self.factory.name, self.states
        for start, end in self.calendar.closed_spans(self.since, until):
            states.append((factory, self.name, start, OFF_SHIFT, self.state_order))
            if end < until:
                states.append((factory, self.name, end, self.state, self.state_order))


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
        gated: bool,
    ) -> None:
        super().__init__(env, factory, spec, calendar, unit_time, breakdowns)
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
        self.item, self.current = order.item, None
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
            self.enter(IDLE, NO_ORDER, now)
            self.factory.go_idle(self)

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
        """Whether the order meets its channel's MOQ; a refusal is noted on the order."""
        if order.quantity < self.moq[order.channel]:
            order.refused = "below_moq"
            return False
        return True

    def receive(self, order: Order) -> None:
        """An accepted order arrives: hand it to an idle line that serves it, or queue it."""
        if not self.catching_up:
            self.catch_up(order.placed_at)  # orders placed before it go first
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

    def close(self, at: float) -> None:
        """At the horizon: stream orders placed before it come in (to be recorded as open by
        the trade), and the lines' last off-shift spans are written."""
        self.catch_up(math.nextafter(at, -math.inf))  # SimPy's run(until) stops before `at`
        for line in self.lines:
            line.close(at)
