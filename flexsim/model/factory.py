"""Factory: lines that make one order at a time in their open hours.

order arrives → refused (below the channel's MOQ) or queued, or taken at once by an idle line →
setup: materials bought on supplier terms → changeover when the line last made a different item
(its cost paid) → processing (quantity × one unit-time draw; materials issued to WIP) →
finished (piece-rate labour paid, cost moved to finished goods) → shipped. Work pauses outside
the line's calendar; the pauses are computed by calendar arithmetic and written as off-shift
state records, not simulated hour by hour.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from flexsim.calendar import HOURS_PER_DAY, Calendar
from flexsim.model.ledger import FINISHED_GOODS, MATERIALS, PAYABLES, WIP, WORLD, Ledger
from flexsim.model.order import Order
from flexsim.model.rules import DISPATCH, Rule
from flexsim.model.schedule import after
from flexsim.records import LineStateRecord, Recorder
from flexsim.scenario import FactorySpec, LineSpec

PROCESSING, CHANGEOVER, IDLE, OFF_SHIFT = "processing", "changeover", "idle", "off_shift"
NO_ORDER = -1

Process = Generator[simpy.Event, Any, None]


class Line:
    """One production line: a process that takes orders from its factory's queue."""

    def __init__(
        self,
        env: simpy.Environment,
        factory: Factory,
        spec: LineSpec,
        calendar: Calendar,
        unit_time: Callable[[], float],
    ) -> None:
        self.env, self.factory, self.calendar, self.unit_time = env, factory, calendar, unit_time
        self.name = spec.name
        self.channels: frozenset[str] = frozenset(spec.channels)
        self.serves_all = self.channels >= {"ecommerce", "offline"}
        self.rule: Rule = DISPATCH[spec.dispatch]
        self.changeover_h = {"same_family": spec.changeover_h.same_family}
        self.changeover_h["other_family"] = spec.changeover_h.other_family
        self.changeover_cost = {"same_family": spec.changeover_cost.same_family}
        self.changeover_cost["other_family"] = spec.changeover_cost.other_family
        self.item: str | None = None  # the last item made: a fresh line needs no changeover
        self.family: str | None = None
        self.current: Order | None = None
        self.wake: simpy.Event | None = None
        self.states = factory.recorder.line_states
        self.state, self.since, self.state_order = IDLE, env.now, NO_ORDER
        self.states.append(LineStateRecord(factory.name, self.name, env.now, IDLE, NO_ORDER))

    def operate(self) -> Process:
        """Take the next order the dispatch rule picks, or wait idle until one arrives."""
        factory = self.factory
        while True:
            order = factory.next_for(self)
            if order is None:
                self.enter(IDLE, NO_ORDER)
                self.wake = self.env.event()
                factory.idle.append(self)
                order = yield self.wake
            yield from self.produce(order)

    def produce(self, order: Order) -> Process:
        """Changeover if needed, then process; each is one timeout to its calendar end."""
        env, calendar, factory = self.env, self.calendar, self.factory
        self.current = order
        order.line = self.name
        order.setup_at = calendar.next_open(env.now)
        factory.buy_materials(order)
        kind = self.changeover_kind(order)
        order.changeover = kind
        if kind != "none":
            order.changeover_cost = self.changeover_cost[kind]
            factory.spend(order, order.changeover_cost, "changeover")
            if self.changeover_h[kind] > 0:
                self.enter(CHANGEOVER, order.order_id)
                yield env.timeout(calendar.finish(env.now, self.changeover_h[kind]) - env.now)
        order.start_at = calendar.next_open(env.now)
        factory.issue_materials(order)
        self.enter(PROCESSING, order.order_id)
        work_h = order.quantity * self.unit_time()
        yield env.timeout(calendar.finish(env.now, work_h) - env.now)
        order.finished_at = env.now
        self.item, self.family, self.current = order.item, order.family, None
        self.factory.finish(order)

    def changeover_kind(self, order: Order) -> str:
        if self.item is None or order.item == self.item:
            return "none"
        return "same_family" if order.family == self.family else "other_family"

    def enter(self, state: str, order_id: int) -> None:
        """Record a state change now, after the off-shift spans of the state it leaves."""
        if state == self.state and order_id == self.state_order:
            return
        now = self.env.now
        self.close(now)
        self.states.append(LineStateRecord(self.factory.name, self.name, now, state, order_id))
        self.state, self.since, self.state_order = state, now, order_id

    def close(self, until: float) -> None:
        """Write the off-shift spans between the last state change and `until`."""
        if self.calendar.always:
            return
        factory, states = self.factory.name, self.states
        for start, end in self.calendar.closed_spans(self.since, until):
            states.append(LineStateRecord(factory, self.name, start, OFF_SHIFT, self.state_order))
            if end < until:
                states.append(
                    LineStateRecord(factory, self.name, end, self.state, self.state_order)
                )


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
        self.ship: Callable[[Order], None] = lambda order: None  # set by the trade that sells
        self.lines: list[Line] = []
        self.queue: list[Order] = []
        self.idle: list[Line] = []

    def add_line(self, line: Line) -> None:
        self.lines.append(line)
        self.env.process(line.operate())

    def accepts(self, order: Order) -> bool:
        """Whether the order meets its channel's MOQ; a refusal is noted on the order."""
        if order.quantity < self.moq[order.channel]:
            order.refused = "below_moq"
            return False
        return True

    def receive(self, order: Order) -> None:
        """An accepted order arrives: hand it to an idle line that serves it, or queue it."""
        for i, line in enumerate(self.idle):
            if order.channel in line.channels:
                del self.idle[i]
                assert line.wake is not None
                line.wake.succeed(order)
                return
        self.queue.append(order)

    def next_for(self, line: Line) -> Order | None:
        """The queued order the line's dispatch rule picks, removed from the queue."""
        if not self.queue:
            return None
        i = line.rule(self.queue, line)
        return self.queue.pop(i) if i >= 0 else None

    def buy_materials(self, order: Order) -> None:
        """Materials for the order arrive on supplier terms: a payable, paid when due."""
        amount = self.spec.material_cost * order.quantity
        if amount == 0:
            return
        order.cost += amount
        self.ledger.post(self.party, MATERIALS, PAYABLES, amount, order.order_id, "materials")
        due_h = self.spec.supplier_terms_days * HOURS_PER_DAY
        after(self.env, due_h, lambda: self.pay_supplier(order.order_id, amount))

    def pay_supplier(self, order_id: int, amount: float) -> None:
        self.ledger.pay(self.party, PAYABLES, WORLD, "", amount, order_id, "materials")

    def issue_materials(self, order: Order) -> None:
        amount = self.spec.material_cost * order.quantity
        self.ledger.post(self.party, WIP, MATERIALS, amount, order.order_id, "materials_issued")

    def spend(self, order: Order, amount: float, reason: str) -> None:
        """Cash paid out for work on the order (labour, changeover), added to its cost."""
        if amount == 0:
            return
        order.cost += amount
        self.ledger.pay(self.party, WIP, WORLD, "", amount, order.order_id, reason)

    def finish(self, order: Order) -> None:
        """Labour is paid piece-rate when the order is done; the order's cost becomes stock."""
        self.spend(order, self.spec.labour_cost * order.quantity, "labour")
        self.ledger.post(self.party, FINISHED_GOODS, WIP, order.cost, order.order_id, "finished")
        self.ship(order)

    def close(self, at: float) -> None:
        """At the horizon: the lines' last off-shift spans (open orders are the trade's)."""
        for line in self.lines:
            line.close(at)
