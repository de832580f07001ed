"""Line: a production line that makes one order at a time in its open hours.

take an order → setup (materials bought) → changeover when the item differs from the last one
(paid) → processing (quantity × one unit-time draw ÷ efficiency, from the buyer's own stream at
the line), interrupted by breakdowns (the line's own streams) →
finished → the next order by the dispatch rule, or idle. A polling line (model/polling.py)
visits its families in a fixed cycle instead. With overtime (model/overtime.py) the line works
the longer days of its extended calendar while its backlog is long; its quotes and booked hours
are model/booking.py's. Off-shift and overtime spans are computed by calendar arithmetic and
written as state records, not simulated hour by hour. What a line asks of its factory is the
Host protocol below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

from flexsim.calendar import Calendar
from flexsim.model.booking import Bookings
from flexsim.model.order import Order
from flexsim.model.overtime import CLOSED, EXTRA, Overtime
from flexsim.model.rules import DISPATCH, Rule, fifo
from flexsim.model.timer import Environment
from flexsim.records import Recorder
from flexsim.scenario import BookingSpec, LineSpec
from flexsim.streams import PerBuyer
from flexsim.vocabulary import (
    CHANGEOVER,
    CHANNELS,
    DOWN,
    IDLE,
    NO_BATCH,
    NO_ORDER,
    OFF_SHIFT,
    OTHER_FAMILY,
    OVERTIME,
    PROCESSING,
    SAME_FAMILY,
)

NEVER = math.inf
UnitTimes = PerBuyer[Callable[[], float]]  # a line's hours per piece, a sampler per buyer


class Breakdowns:
    """A line's failure and repair draws: processing hours between failures, repair hours."""

    def __init__(self, between_h: Callable[[], float], repair_h: Callable[[], float]) -> None:
        self.between_h, self.repair_h = between_h, repair_h


class Host(Protocol):
    """What a line asks of the factory it works for (model/factory.py's Factory is one): its
    name and recorder, whether it books capacity and buys materials, the orders waiting for its
    lines, and the money and hand-over of the line's work."""

    @property
    def name(self) -> str: ...
    @property
    def recorder(self) -> Recorder: ...
    @property
    def booking(self) -> BookingSpec | None: ...
    @property
    def material_cost(self) -> float: ...

    def waiting(self) -> Sequence[Order]:
        """The orders queued for the host's lines, oldest first."""
        ...

    def enqueue(self, order: Order) -> None: ...
    def catch_up(self, until: float) -> None: ...
    def next_for(self, line: Line, now: float) -> Order | None: ...
    def go_idle(self, line: Line) -> None: ...
    def end_idle(self, line: Line) -> None: ...
    def buy_materials(self, order: Order) -> None: ...
    def issue_materials(self, order: Order) -> None: ...
    def spend(self, order: Order, amount: float, reason: str) -> None: ...
    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None: ...
    def finish(self, order: Order) -> None: ...


class Line:  # writes LineStateRecord rows
    """One production line: takes orders from its factory's queue, one at a time.

    A line is a chain of timeout callbacks, not a generator process: an idle line starts an
    order the moment it arrives, and the end of a changeover or of processing calls the next
    step. With no process to resume and no wake-up event an order costs two SimPy events (its
    arrival and its end), which is most of why flexsim outruns a hand-written SimPy model.
    """

    # Slots, because the hot path reads and writes a line's attributes for every order, and a
    # line has more of them than CPython 3.11's compact instance dictionaries hold (30): with a
    # plain __dict__ each of those accesses is a dictionary lookup.
    __slots__ = (
        "always", "bookings", "breakdowns", "by_family", "calendar", "changeover_cost",
        "changeover_h", "channels", "current", "end_order", "env", "factory_name", "families",
        "family", "host", "item", "label", "name", "normal", "overtime", "plain", "rule",
        "serves_all", "since", "state", "state_order", "states", "takes_oldest", "unit_time",
        "until_failure", "visiting", "work_left",
    )  # fmt: skip
    batch_id = NO_BATCH  # the batch its order in hand is made in: none, one order at a time

    def __init__(
        self,
        env: Environment,
        host: Host,
        spec: LineSpec,
        calendar: Calendar,
        unit_time: UnitTimes,
        breakdowns: Breakdowns | None = None,
        by_family: dict[str, UnitTimes] | None = None,
        overtime: Overtime | None = None,
        label: str = "",
    ) -> None:
        self.env, self.host, self.calendar, self.unit_time = env, host, calendar, unit_time
        self.by_family = by_family or None  # unit-time draws of families with their own
        self.breakdowns, self.overtime, self.normal = breakdowns, overtime, calendar
        self.bookings = Bookings(spec)  # expected hours, quotes and booked hours
        self.until_failure = breakdowns.between_h() if breakdowns else NEVER  # processing h
        self.work_left = 0.0  # processing hours the current order still needs
        self.always = calendar.always
        self.name = spec.name  # what it writes in its orders' `line`
        self.label = label or spec.name  # its name in its line-state records (a workshop's own)
        self.channels: frozenset[str] = frozenset(spec.channels)
        self.families: frozenset[str] = frozenset(spec.families)
        self.serves_all = (
            self.channels >= set(CHANNELS)
            and not self.families
            and host.booking is None  # booked orders are for one line only
        )
        self.visiting = ""  # the family a polling line is at
        self.rule: Rule = DISPATCH[spec.dispatch]
        self.takes_oldest = self.rule is fifo and self.serves_all  # what fifo would say, uncalled
        self.changeover_h, self.changeover_cost = spec.changeover_h, spec.changeover_cost
        self.item: str | None = None  # the last item made: a fresh line needs no changeover
        self.family: str | None = None
        self.current: Order | None = None
        # `finished` bound once: reading a method without calling it makes a bound method
        # object through CPython's slow generic lookup, once per order on the hot path
        self.end_order = self.finished
        self.states = host.recorder.line_states
        self.factory_name = host.name
        self.plain = (
            self.always
            and overtime is None
            and breakdowns is None
            and not by_family
            and host.booking is None
            and not host.material_cost
        )
        self.state, self.since, self.state_order = IDLE, env.now, NO_ORDER
        self.record(env.now, IDLE, NO_ORDER)

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
        self.host.go_idle(self)

    def wake(self, order: Order, now: float) -> None:
        """An idle line is given an order that has just arrived."""
        self.take(order, now)

    def take(self, order: Order, now: float) -> None:
        """Start work on the order now: setup, then a changeover when the item changes."""
        self.current = order
        order.line = self.name
        if self.plain and (order.item == self.item or self.item is None):
            # The hot path of a plain line (always open; no overtime, booking, materials,
            # breakdowns or unit times per family) taking the same item again: process() and
            # enter() inlined, one timeout. With the other trims of the same commit it brought
            # the M/M/1 benchmark back from about 0.22 s to 0.16-0.18 s (git log). Pinned to the
            # general path's tables by tests/test_fast_path.py.
            order.setup_at = order.start_at = now
            self.record(now, PROCESSING, order.order_id)
            self.state, self.since, self.state_order = PROCESSING, now, order.order_id
            work_h = order.quantity * self.unit_time[order.customer]()
            self.env.call_in(work_h, self.end_order)
            return
        if self.overtime is not None:
            self.decide_overtime(now)
        if order.planned_h:  # booked: its reservation becomes the work in hand
            self.bookings.start(order, now, self.calendar)
        order.setup_at = now if self.always else self.calendar.next_open(now)
        if self.host.material_cost:
            self.host.buy_materials(order)
        # a fresh line, or the same item again, needs no changeover
        if self.item is None or order.item == self.item or not self.change_over(order, now):
            self.process(order, now)

    def resume(self, order: Order, hours_done: float, now: float) -> None:
        """At the start of the run the line has an order of the opening book in hand, set up
        and started: it makes what is left of the order's work (`work_h` less `hours_done`)."""
        self.host.end_idle(self)
        self.current, order.line = order, self.name
        self.item, self.family = order.item, order.family  # the next changeover is from it
        self.work_left = max(0.0, self.work_h(order) - hours_done)
        self.bookings.hold(order, self.calendar.finish(now, self.work_left))
        self.enter(PROCESSING, order.order_id, now)
        self.work(now)

    def change_over(self, order: Order, now: float) -> bool:
        """Pay the changeover to a different item; True when it takes time (a timeout then
        leads to processing), False when processing can start at once."""
        if order.family == self.family:
            kind = SAME_FAMILY
            hours, cost = self.changeover_h.same_family, self.changeover_cost.same_family
        else:
            kind = OTHER_FAMILY
            hours = self.changeover_h.value(self.family, order.family)
            cost = self.changeover_cost.value(self.family, order.family)
        order.changeover, order.changeover_cost = kind, cost
        self.host.spend(order, cost, CHANGEOVER)
        if hours <= 0:
            return False
        self.enter(CHANGEOVER, order.order_id, now)
        end = self.calendar.finish(now, hours)
        self.env.call_in(end - now, self.changed)
        return True

    def changed(self) -> None:
        assert self.current is not None
        self.process(self.current, self.env.now)

    def work_h(self, order: Order) -> float:
        """Quantity × one unit-time draw of work (the buyer's, of the order's family)."""
        by_family = self.by_family
        draws = self.unit_time if by_family is None else by_family.get(order.family, self.unit_time)
        return order.quantity * draws[order.customer]()

    def process(self, order: Order, now: float) -> None:
        """The order's work (`work_h`) is processed, ending at its calendar end."""
        work_h = self.work_h(order)
        order.start_at = now if self.always else self.calendar.next_open(now)
        if self.host.material_cost:
            self.host.issue_materials(order)
        self.enter(PROCESSING, order.order_id, now)
        if self.always and work_h <= self.until_failure:  # the hot path: one timeout, no calls
            self.until_failure -= work_h
            self.env.call_in(work_h, self.end_order)
        else:
            self.work_left = work_h
            self.work(now)

    def work(self, now: float) -> None:
        """Process until the order is done, or until the next failure if that comes first."""
        work_h, until_failure = self.work_left, self.until_failure
        if work_h <= until_failure:
            self.until_failure -= work_h
            self.env.call_in(self.after_open(now, work_h) - now, self.end_order)
        else:
            self.work_left = work_h - until_failure
            end = self.after_open(now, until_failure)
            self.env.call_in(end - now, self.failed)

    def after_open(self, now: float, hours: float) -> float:
        """When `hours` of open time from now are done (no calendar arithmetic if always open);
        no work at all is done when the line is next open, not before (it was set up then)."""
        if self.always:
            return now + hours
        return self.calendar.finish(now, hours) if hours > 0 else self.calendar.next_open(now)

    def failed(self) -> None:
        """The line breaks down mid-order: it is down for a repair, then the order resumes."""
        assert self.breakdowns is not None and self.current is not None
        now = self.env.now
        self.enter(DOWN, self.current.order_id, now)
        end = self.after_open(now, self.breakdowns.repair_h())
        self.env.call_in(end - now, self.repaired)

    def repaired(self) -> None:
        assert self.breakdowns is not None and self.current is not None
        now = self.env.now
        self.until_failure = self.breakdowns.between_h()
        self.enter(PROCESSING, self.current.order_id, now)
        self.work(now)

    def finished(self) -> None:
        """The order is made: hand it over, then take the next one or go idle."""
        order = self.current
        assert order is not None
        order.finished_at = now = self.env.now
        self.item, self.family, self.current = order.item, order.family, None
        self.host.finish(order)
        # Stream orders placed while it was made are brought in (next_for catches up) and quoted
        # first, from its planned end, as when they were placed; quotes made later start now.
        following = self.host.next_for(self, now)
        self.bookings.busy_until = now
        if following is None:
            self.rest(now)
        else:
            self.take(following, now)

    def rest(self, now: float) -> None:
        """Nothing to do: the line goes idle (and works no overtime while it is)."""
        if self.overtime is not None:
            self.use(self.normal, now)
        self.enter(IDLE, NO_ORDER, now)
        self.host.go_idle(self)

    def enter(self, state: str, order_id: int, now: float) -> None:
        """Record a state change now, after the off-shift spans of the state it leaves."""
        if state == self.state and order_id == self.state_order:
            return
        if not self.always:
            self.close(now)
        self.record(now, state, order_id)
        self.state, self.since, self.state_order = state, now, order_id

    def record(self, at: float, state: str, order_id: int, overtime: bool = False) -> None:
        """Write a LineStateRecord row: the line enters `state` at `at` (the only place that
        builds one; tests/test_records.py checks its fields against the record's)."""
        self.states.append((self.factory_name, self.label, at, state, order_id, overtime))

    def close(self, until: float, paid_at: float | None = None) -> None:
        """Write the off-shift spans between the last state change and `until` (and, in
        overtime, the spans of overtime, their premium paid now or at `paid_at`)."""
        if self.calendar.always:
            return
        if self.calendar is not self.normal:
            self.close_overtime(until, paid_at)
            return
        for start, end in self.calendar.closed_spans(self.since, until):
            self.record(start, OFF_SHIFT, self.state_order)
            if end < until:
                self.record(end, self.state, self.state_order)

    # -- overtime ------------------------------------------------------------------------

    def decide_overtime(self, now: float) -> None:
        """Work overtime from now while the backlog is long and the month's hours last."""
        overtime = self.overtime
        assert overtime is not None
        if self.calendar is not self.normal:  # count the overtime worked so far
            self.close(now)
            self.since = now
        self.use(overtime.calendar(self.backlog_h(), now), now)

    def backlog_h(self) -> float:
        """Hours of work waiting for the line: its bookings, or the queued orders it may make."""
        bookings = self.bookings
        if self.host.booking is not None:
            return bookings.booked_h
        return sum(
            bookings.expected_h(order) for order in self.host.waiting() if self.serves(order)
        )

    def use(self, calendar: Calendar, now: float) -> None:
        """Switch to the normal or the overtime calendar from now on."""
        if calendar is not self.calendar:
            self.close(now)
            self.since = now
            self.calendar = calendar

    def close_overtime(self, until: float, paid_at: float | None = None) -> None:
        """Write the off-shift and the overtime spans between the last record and `until`,
        and pay the overtime premium, now or at `paid_at`."""
        assert self.overtime is not None
        hours, changes = self.overtime.worked(self.since, until)
        self.host.spend_on_line(hours * self.overtime.spec.premium_per_hour, OVERTIME, paid_at)
        for at, status in changes:
            state = OFF_SHIFT if status == CLOSED else self.state
            self.record(at, state, self.state_order, overtime=status == EXTRA)

    # -- quotes and capacity booking (model/booking.py) -------------------------------------

    def quote(self, order: Order, at: float) -> tuple[float, float]:
        """When the line would finish the order if booked at `at`, and the hours it reserves."""
        return self.bookings.quote(order, at, self.calendar, self.backlog_h())

    def book(self, order: Order, hours: float) -> None:
        order.line = self.name
        self.bookings.book(order, hours)

    def holds(self, order: Order) -> bool:
        """Whether the line holds a batch the order may join (model/batch.py): never."""
        return False

    def offer(self, order: Order, now: float) -> None:
        """Give the order to the batch the line holds (model/batch.py)."""
        raise NotImplementedError("only a batch station holds a batch")

    def in_hand(self) -> list[Order]:
        """The orders the line is working on: its order in hand, if any."""
        return [] if self.current is None else [self.current]

    def committed_h(self, now: float) -> float:
        """Open hours of work the line has in hand and booked, from now."""
        return self.bookings.committed_h(now, self.calendar, self.current is not None)
