"""Polling: a line that visits its families in a fixed cycle (the polling model of a flow shop).

visit a family → serve its orders, first come first served: all of them, including those that
arrive meanwhile (exhaustive), or only those waiting when the line arrived (gated) → switch to
the next family, paying the other-family changeover, even when nothing of that family waits →
visit it. A line whose switches take no time would spin forever on an empty queue, so it waits
idle instead, where it is, until an order arrives.
"""

from __future__ import annotations

from flexsim.calendar import Calendar
from flexsim.model.line import Breakdowns, Host, Line, UnitTimes
from flexsim.model.order import Order
from flexsim.model.overtime import Overtime
from flexsim.model.timer import Environment
from flexsim.scenario import LineSpec
from flexsim.vocabulary import CHANGEOVER, NO_ORDER


class PollingLine(Line):
    """A line that visits its families in a fixed cycle (the polling model of a flow shop)."""

    __slots__ = ("cycle", "gate", "gated", "position")

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
        gated: bool,
    ) -> None:
        super().__init__(env, host, spec, calendar, unit_time, breakdowns, by_family, overtime)
        self.cycle, self.gated = list(spec.families), gated
        self.position, self.gate = 0, 0
        self.visiting = self.cycle[0]

    def start(self) -> None:
        self.visit(self.env.now)

    def wake(self, order: Order, now: float) -> None:
        self.host.enqueue(order)
        self.visit(now)

    def visit(self, now: float) -> None:
        """The line arrives at a family: a gated line counts what it will serve here."""
        self.visiting = self.cycle[self.position]
        self.item, self.family = None, self.visiting  # the switch set the line up for it
        if self.gated:
            self.host.catch_up(now)
            self.gate = sum(
                1 for o in self.host.waiting() if o.family == self.visiting and self.serves(o)
            )
        self.serve(now)

    def serve(self, now: float) -> None:
        """Take the family's next order, or move on."""
        following = None if self.gated and self.gate == 0 else self.host.next_for(self, now)
        if following is None:
            self.switch(now)
        else:
            self.gate -= 1
            self.take(following, now)

    def finished(self) -> None:
        order = self.current
        assert order is not None
        order.finished_at = now = self.env.now
        self.item, self.current = order.item, None
        self.host.finish(order)
        self.host.catch_up(now)
        self.bookings.busy_until = now  # as in Line.finished
        self.serve(now)

    def switch(self, now: float) -> None:
        """Move to the next family in the cycle, paying the changeover on the way."""
        here = self.cycle[self.position]
        self.position = (self.position + 1) % len(self.cycle)
        there = self.cycle[self.position]
        hours = self.changeover_h.value(here, there)
        self.host.spend_on_line(self.changeover_cost.value(here, there), CHANGEOVER)
        if hours > 0:
            self.enter(CHANGEOVER, NO_ORDER, now)
            end = self.calendar.finish(now, hours)
            self.env.call_in(end - now, self.arrived)
        elif any(self.serves(order) for order in self.host.waiting()):
            self.visit(now)
        else:
            self.rest(now)

    def arrived(self) -> None:
        self.visit(self.env.now)
