"""Booking: a line's promises, the quotes it gives and the hours booked orders reserve on it.

an order is quoted (from when the work in hand ends, the line's backlog, then the changeover
from the item booked last and the order's expected hours, laid out on the calendar; never
before its fabric is in) → under capacity booking, booked: its hours reserved, its item the
one the next changeover is from → taken: its reservation becomes the work in hand → finished:
the work in hand ends. Each day the factory publishes each line's committed hours.
"""

from __future__ import annotations

from flexsim.calendar import Calendar
from flexsim.model.order import Order
from flexsim.scenario import LineSpec


class Bookings:
    """A line's expected hours per piece, the hours booked orders reserve on it, when its work
    in hand ends, and the item booked last."""

    __slots__ = (
        "booked_h", "busy_until", "changeover_h", "family", "item", "mean_default", "mean_unit",
    )  # fmt: skip

    def __init__(self, spec: LineSpec) -> None:
        families = {*spec.families, *spec.unit_time_by_family}
        self.mean_unit = {f: spec.unit_time(f).expectation / spec.efficiency for f in families}
        self.mean_default = spec.unit_time_h.expectation / spec.efficiency
        self.changeover_h = spec.changeover_h
        self.booked_h = 0.0  # hours reserved by booked orders not yet started
        self.busy_until = 0.0  # when the order in hand is expected to be (or was) done
        self.item: str | None = None  # the last item booked: the next changeover is from it
        self.family: str | None = None

    def expected_h(self, order: Order) -> float:
        """The hours the order is expected to take on the line, without changeover."""
        return order.quantity * self.mean_unit.get(order.family, self.mean_default)

    def per_piece(self, family: str) -> float:
        """The expected hours per piece of the family on the line."""
        return self.mean_unit.get(family, self.mean_default)

    def quote(
        self,
        order: Order,
        at: float,
        calendar: Calendar,
        backlog_h: float,
        ready_at: float | None = None,
    ) -> tuple[float, float]:
        """When the line would finish the order if booked at `at`, after `backlog_h` hours of
        other work, and the hours it reserves (the expected work plus the changeover from the
        last item booked). The order cannot start before `ready_at`: its fabric's arrival, or
        at a routed factory's bottleneck station the end of the steps before it."""
        if self.item is None or order.item == self.item:
            change = 0.0  # a fresh line, or the same item again
        elif order.family == self.family:
            change = self.changeover_h.same_family
        else:
            change = self.changeover_h.value(self.family, order.family)
        hours = change + self.expected_h(order)
        start = max(at, self.busy_until)
        done = calendar.finish(start, backlog_h + hours)
        ready = order.fabric_at if ready_at is None else ready_at
        if ready > at:  # the fabric (or the steps before) come first, whatever the line has on
            done = max(done, calendar.finish(ready, hours))
        return done, hours

    def book(self, order: Order, hours: float) -> None:
        order.planned_h = hours
        self.booked_h += hours
        self.item, self.family = order.item, order.family

    def start(self, order: Order, now: float, calendar: Calendar) -> None:
        """The line takes a booked order: its reservation becomes the work in hand."""
        self.booked_h = max(0.0, self.booked_h - order.planned_h)
        self.busy_until = calendar.finish(now, order.planned_h)

    def start_with(self, others: list[Order], now: float, calendar: Calendar) -> None:
        """A batch station took booked orders along with its leading one: their reservations
        join the work in hand too."""
        hours = sum(other.planned_h for other in others)
        self.booked_h = max(0.0, self.booked_h - hours)
        self.busy_until = calendar.finish(max(now, self.busy_until), hours)

    def hold(self, order: Order, until: float) -> None:
        """The line has the order in hand until `until` (an order of the opening book): the
        next changeover is from its item."""
        self.item, self.family, self.busy_until = order.item, order.family, until

    def committed_h(self, now: float, calendar: Calendar, in_hand: bool) -> float:
        """Open hours of work the line has in hand (when `in_hand`) and booked, from now."""
        held = 0.0
        if in_hand and self.busy_until > now:
            held = calendar.open_hours(now, self.busy_until)
        return held + self.booked_h
