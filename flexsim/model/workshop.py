"""Workshop: a small outside workshop that makes the orders a factory subcontracts to it.

sent out by the factory (with its materials) → transport out → queued at the workshop, first
come first served → made by the workshop's line (one order at a time in its open hours:
quantity × one unit-time draw, from the buyer's own stream at the workshop) → inspected there:
each piece scrapped, reworked or good → the reworked pieces, if any, queued again as a batch of
their own, made and inspected again → transport back, late with 1 − on_time_probability by a
late_days draw → back at the factory, which pays for the good pieces on its terms and ships the
order (model/factory.py `Factory.take_back`). The workshop is the Host of its line
(model/line.py), so its busy and idle spans are line-state records like any line's: factory
`workshop/NAME` (its party) and line NAME. An order it makes has `workshop/NAME` as its line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from flexsim.calendar import Calendar
from flexsim.model.line import Line, UnitTimes
from flexsim.model.order import NOT_YET, Order
from flexsim.model.timer import Environment, after
from flexsim.records import Recorder
from flexsim.scenario import LineSpec, WorkshopSpec
from flexsim.streams import Streams
from flexsim.vocabulary import HOURS_PER_DAY, workshop_party


class Workshop:
    """One outside workshop: its line, its queue, and the orders it has in hand."""

    booking = None  # a workshop gives no quotes (Host)
    material_cost = 0.0  # the factory sends the materials with the order (Host)

    def __init__(
        self,
        env: Environment,
        spec: WorkshopSpec,
        recorder: Recorder,
        calendar: Calendar,
        unit_time: UnitTimes,
        streams: Streams,
    ) -> None:
        self.env, self.spec, self.recorder = env, spec, recorder
        self.name = workshop_party(spec.name)  # its party, and its line's factory and name
        self.queue: list[Order] = []
        self.idle: Line | None = None
        self.in_hand = 0  # orders sent to it and not yet back at their factory
        self.orders: dict[int, tuple[Order, Callable[[Order], None]]] = {}  # id → order, back
        days = HOURS_PER_DAY
        self.transport_out = spec.transport_days.sampler(streams[f"workshop.out/{spec.name}"], days)
        self.transport_back = spec.transport_days.sampler(
            streams[f"workshop.back/{spec.name}"], days
        )
        self.on_time = streams[f"workshop.on_time/{spec.name}"]
        self.late_h = spec.late_days.sampler(streams[f"workshop.late_days/{spec.name}"], days)
        self.quality = streams[f"workshop.quality/{spec.name}"]
        scrap, rework = spec.scrap_probability, spec.rework_probability
        self.shares = np.array([scrap, rework, max(0.0, 1.0 - scrap - rework)])
        # a line of its own, built without validation: its name holds the party's slash
        line_spec = LineSpec.model_construct(
            name=self.name, unit_time_h=spec.unit_time_h, calendar=spec.calendar
        )
        # in line_states: line NAME of party workshop/NAME; its orders' line: workshop/NAME
        self.line = Line(env, self, line_spec, calendar, unit_time, label=spec.name)
        self.line.start()

    # -- the orders' way through the workshop -------------------------------------------------

    def send(self, order: Order, back: Callable[[Order], None]) -> None:
        """The factory sends the order out; `back(order)` is called when it is back."""
        self.orders[order.order_id] = (order, back)
        after(self.env, self.transport_out(), lambda: self.arrive(order))

    def arrive(self, order: Order) -> None:
        """An order (or a batch of reworked pieces) reaches the line, or joins the queue."""
        line, self.idle = self.idle, None
        if line is not None:
            line.wake(order, self.env.now)
        else:
            self.queue.append(order)

    def finish(self, made: Order) -> None:
        """The line made an order or a rework batch: inspect its pieces; the reworked ones are
        queued again, else the order goes back to its factory (Host)."""
        order, back = self.orders[made.order_id]
        order.finished_at = NOT_YET  # it is finished when back at the factory
        self.line.item = None  # the workshop has no changeovers
        if self.shares[2] < 1:
            scrapped, reworked, _ = self.quality.multinomial(made.quantity, self.shares)
            order.scrapped += int(scrapped)
            if reworked:
                order.reworked += int(reworked)
                self.arrive(dataclasses.replace(order, quantity=int(reworked)))
                return
        travel_h = self.transport_back()
        if self.spec.on_time_probability < 1 and self.on_time.random() >= (
            self.spec.on_time_probability
        ):
            travel_h += self.late_h()
        after(self.env, travel_h, lambda: self.returned(order, back))

    def returned(self, order: Order, back: Callable[[Order], None]) -> None:
        del self.orders[order.order_id]
        self.in_hand -= 1
        back(order)

    def close(self, at: float, paid_at: float) -> None:
        """At the horizon: the line's last off-shift spans are written."""
        self.line.close(at, paid_at=paid_at)

    # -- Host: what the workshop's line asks of it ---------------------------------------------

    def waiting(self) -> Sequence[Order]:
        return self.queue

    def enqueue(self, order: Order) -> None:
        self.queue.append(order)

    def catch_up(self, until: float) -> None:
        """No order streams lead to a workshop: nothing to bring in."""

    def next_for(self, line: Line, now: float) -> Order | None:
        return self.queue.pop(0) if self.queue else None

    def go_idle(self, line: Line) -> None:
        self.idle = line

    def end_idle(self, line: Line) -> None:
        self.idle = None

    def buy_materials(self, order: Order) -> None:
        """Never called: the workshop's material cost is 0."""

    def issue_materials(self, order: Order) -> None:
        """Never called: the workshop's material cost is 0."""

    def spend(self, order: Order, amount: float, reason: str) -> None:
        """A workshop's own costs are in its price: nothing is booked."""

    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None:
        """A workshop's own costs are in its price: nothing is booked."""
