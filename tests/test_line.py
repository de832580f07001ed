"""Unit tests of a Line on its own: a line on a stub host (model/line.py's Host protocol) and a
bare environment, given a few orders by hand, without building a scenario run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from flexsim.calendar import Calendar
from flexsim.model.line import Breakdowns, Line
from flexsim.model.order import Buyer, Order
from flexsim.model.overtime import Overtime
from flexsim.model.polling import PollingLine
from flexsim.model.timer import Environment
from flexsim.records import LineStateRecord, Recorder
from flexsim.scenario import (
    BookingSpec,
    CalendarSpec,
    LineSpec,
    OvertimeSpec,
    Shift,
    build_calendar,
)
from flexsim.vocabulary import (
    CHANGEOVER,
    DOWN,
    IDLE,
    NO_CHANGEOVER,
    NO_ORDER,
    OFF_SHIFT,
    OTHER_FAMILY,
    OVERTIME,
    PROCESSING,
    SAME_FAMILY,
)

MONDAY = dt.date(2024, 1, 1)  # a run from this date starts on a Monday at 00:00


class StubHost:
    """A factory of one line, with what model/line.py's Host protocol asks: a plain queue,
    no booking and no materials. It notes what the line pays and the orders it hands over."""

    def __init__(self, name: str = "plant") -> None:
        self.name = name
        self.recorder = Recorder()
        self.booking: BookingSpec | None = None
        self.material_cost = 0.0
        self.queue: list[Order] = []
        self.idle: list[Line] = []
        self.paid: list[tuple[int, float, str]] = []  # (order id, amount, reason)
        self.done: list[Order] = []

    def waiting(self) -> Sequence[Order]:
        return self.queue

    def enqueue(self, order: Order) -> None:
        self.queue.append(order)

    def catch_up(self, until: float) -> None:
        pass  # no order streams

    def next_for(self, line: Line, now: float) -> Order | None:
        i = line.rule(self.queue, line)
        return self.queue.pop(i) if i >= 0 else None

    def go_idle(self, line: Line) -> None:
        self.idle.append(line)

    def end_idle(self, line: Line) -> None:
        self.idle.remove(line)

    def buy_materials(self, order: Order) -> None:
        raise AssertionError("the stub host buys no materials")

    issue_materials = buy_materials

    def spend(self, order: Order, amount: float, reason: str) -> None:
        self.paid.append((order.order_id, amount, reason))

    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None:
        self.paid.append((NO_ORDER, amount, reason))

    def finish(self, order: Order) -> None:
        self.done.append(order)

    def give(self, line: Line, order: Order) -> None:
        """An order arrives now: the idle line takes it, or it waits in the queue."""
        if line in self.idle:
            self.idle.remove(line)
            line.wake(order, line.env.now)
        else:
            self.queue.append(order)


def buyer() -> Buyer:
    never: Callable[[], float] = lambda: 0.0  # noqa: E731
    return Buyer(
        party="world", transit_h=never, confirm_h=never, term_h=never, late_h=never,
        defaults=lambda: False, accepts_later=lambda late_h: False,
    )  # fmt: skip


def order(order_id: int, item: str, family: str = "a", quantity: int = 10) -> Order:
    return Order(
        order_id, "offline", "offline", "c", "plant", family, item, quantity,
        placed_at=0.0, due_at=100.0, price=0.0, buyer=buyer(),
    )  # fmt: skip


def make_line(
    host: StubHost,
    env: Environment,
    unit_h: float = 0.5,
    calendar: Calendar | None = None,
    breakdowns: Breakdowns | None = None,
    overtime: Overtime | None = None,
    **spec: Any,
) -> Line:
    """A line whose every piece takes `unit_h` hours (a deterministic draw per buyer), on the
    always-open calendar unless one is given, with the breakdowns and overtime given; it
    starts idle."""
    line_spec = LineSpec.model_validate({"name": "l", "unit_time_h": unit_h, **spec})
    draws = {"c": lambda: unit_h}
    calendar = calendar or Calendar.always_open()
    line = Line(env, host, line_spec, calendar, draws, breakdowns, None, overtime)
    line.start()
    return line


def states(host: StubHost) -> list[LineStateRecord]:
    return [LineStateRecord(*row) for row in host.recorder.line_states]


def test_the_line_state_writer_puts_each_value_in_its_column() -> None:
    """Line.record, the only writer of line_states, called by keyword with a value of its own
    for every column: two swapped columns of one type (factory and line) fail here."""
    host, env = StubHost("fac"), Environment()
    line = make_line(host, env)
    line.record(at=12.5, state="down", order_id=7, overtime=True)
    assert states(host)[-1] == LineStateRecord(
        factory="fac", line="l", at=12.5, state="down", order_id=7, overtime=True
    )


def run_orders(line: Line, host: StubHost, orders: list[Order], until: float = 500.0) -> None:
    """The first order arrives at the idle line at time 0, the others wait in the queue."""
    host.give(line, orders[0])
    host.queue.extend(orders[1:])
    line.env.run(until=until)
    assert host.done == orders and not host.queue


def state_changes(host: StubHost) -> list[tuple[float, str, int]]:
    return [(row.at, row.state, row.order_id) for row in states(host)]


def test_work_waits_for_the_shift_and_pauses_off_shift() -> None:
    """Monday to Friday 08:00-17:00 from a Monday 00:00: an order given at 0 is set up and
    started at 08:00; 12 hours of work are 9 on Monday and 3 on Tuesday, done at 11:00."""
    host, env = StubHost(), Environment()
    week = build_calendar(CalendarSpec(shifts=[Shift()]), MONDAY)
    line = make_line(host, env, unit_h=1.5, calendar=week)
    first = order(0, "x", quantity=8)
    run_orders(line, host, [first])
    assert (first.setup_at, first.start_at, first.finished_at) == (8.0, 8.0, 24.0 + 11.0)
    assert state_changes(host) == [
        (0.0, IDLE, NO_ORDER),
        (0.0, PROCESSING, 0),
        (0.0, OFF_SHIFT, 0),
        (8.0, PROCESSING, 0),
        (17.0, OFF_SHIFT, 0),
        (32.0, PROCESSING, 0),
        (35.0, IDLE, NO_ORDER),
    ]


def test_a_changeover_comes_when_the_item_changes_and_costs_by_family() -> None:
    """Always open, 0.5 h a piece, 10 pieces an order: another item of the family takes an
    hour's changeover (paid 10), another family three hours (paid 30); the same item again
    none."""
    host, env = StubHost(), Environment()
    line = make_line(
        host, env, changeover_h={"same_family": 1, "other_family": 3},
        changeover_cost={"same_family": 10, "other_family": 30},
    )  # fmt: skip
    made = [order(0, "a1"), order(1, "a2"), order(2, "b1", family="b"), order(3, "b1", "b")]
    run_orders(line, host, made)
    times = [(o.setup_at, o.start_at, o.finished_at, o.changeover) for o in made]
    assert times == [
        (0.0, 0.0, 5.0, NO_CHANGEOVER),
        (5.0, 6.0, 11.0, SAME_FAMILY),
        (11.0, 14.0, 19.0, OTHER_FAMILY),
        (19.0, 19.0, 24.0, NO_CHANGEOVER),
    ]
    assert host.paid == [(1, 10.0, CHANGEOVER), (2, 30.0, CHANGEOVER)]
    assert [o.changeover_cost for o in made] == [0.0, 10.0, 30.0, 0.0]
    assert state_changes(host) == [
        (0.0, IDLE, NO_ORDER),
        (0.0, PROCESSING, 0),
        (5.0, CHANGEOVER, 1),
        (6.0, PROCESSING, 1),
        (11.0, CHANGEOVER, 2),
        (14.0, PROCESSING, 2),
        (19.0, PROCESSING, 3),
        (24.0, IDLE, NO_ORDER),
    ]


def test_a_breakdown_stops_the_order_for_its_repair() -> None:
    """A failure after every 3 processing hours, repaired in 2: an order of 5 hours works 0-3,
    is down 3-5 and works its last 2 hours 5-7; the next order's 5 hours fail after 1 (3 less
    the 2 already worked) at 8 and after 3 more at 13, and end at 16."""
    host, env = StubHost(), Environment()
    line = make_line(host, env, breakdowns=Breakdowns(lambda: 3.0, lambda: 2.0))
    made = [order(0, "x"), order(1, "x")]
    run_orders(line, host, made)
    assert [o.finished_at for o in made] == [7.0, 16.0]
    assert state_changes(host) == [
        (0.0, IDLE, NO_ORDER),
        (0.0, PROCESSING, 0),
        (3.0, DOWN, 0),
        (5.0, PROCESSING, 0),
        (7.0, PROCESSING, 1),
        (8.0, DOWN, 1),
        (10.0, PROCESSING, 1),
        (13.0, DOWN, 1),
        (15.0, PROCESSING, 1),
        (16.0, IDLE, NO_ORDER),
    ]


def test_overtime_lengthens_the_day_while_an_order_waits() -> None:
    """Monday to Friday 08:00-17:00 with two hours of overtime after the shift, worked while
    any work waits: the first order's 12 hours are 9 normal and 2 overtime hours on Monday and
    1 on Tuesday, the overtime recorded as such and its premium paid (2 h × 100); the next
    order, with nothing behind it, is made in normal hours."""
    host, env = StubHost(), Environment()
    shifts = CalendarSpec(shifts=[Shift()])
    week, extended = build_calendar(shifts, MONDAY), build_calendar(shifts, MONDAY, 2.0)
    spec = OvertimeSpec(hours_per_day=2, hours_per_month=36, backlog_h=0, premium_per_hour=100)
    overtime = Overtime(spec, week, extended, month_starts=[])
    line = make_line(host, env, unit_h=1.5, calendar=week, overtime=overtime)
    first, waiting = order(0, "x", quantity=8), order(1, "x", quantity=2)
    host.queue.append(waiting)
    host.give(line, first)
    env.run(until=100.0)
    assert [(o.start_at, o.finished_at) for o in (first, waiting)] == [(8.0, 33.0), (33.0, 36.0)]
    assert [(row.at, row.state, row.overtime) for row in states(host)] == [
        (0.0, IDLE, False),
        (0.0, PROCESSING, False),
        (0.0, OFF_SHIFT, False),
        (8.0, PROCESSING, False),
        (17.0, PROCESSING, True),
        (19.0, OFF_SHIFT, False),
        (32.0, PROCESSING, False),
        (33.0, PROCESSING, False),
        (36.0, IDLE, False),
    ]
    assert sum(amount for _, amount, reason in host.paid if reason == OVERTIME) == 200.0
    assert overtime.used == {0: 2.0}


def test_a_polling_line_serves_the_family_it_visits_before_the_next() -> None:
    """An exhaustive polling line over families a and b, an hour's switch each way: of the
    orders waiting at the start (a, then b, then a), it makes both of family a first, then
    switches to b; with nothing left it keeps switching, paying each switch."""
    host, env = StubHost(), Environment()
    made = [order(0, "a0"), order(1, "b1", family="b"), order(2, "a2")]
    host.queue.extend(made)
    spec = LineSpec.model_validate(
        {"name": "l", "unit_time_h": 0.5, "families": ["a", "b"], "dispatch": "cyclic_exhaustive"}
        | {"changeover_h": {"other_family": 1}, "changeover_cost": {"other_family": 7}}
    )
    line = PollingLine(
        env, host, spec, Calendar.always_open(), {"c": lambda: 0.5}, None, None, None, gated=False
    )
    line.start()
    env.run(until=20.5)
    assert [(o.order_id, o.start_at, o.finished_at) for o in host.done] == [
        (0, 0.0, 5.0),
        (2, 5.0, 10.0),
        (1, 11.0, 16.0),
    ]
    assert state_changes(host) == [
        (0.0, IDLE, NO_ORDER),
        (0.0, PROCESSING, 0),
        (5.0, PROCESSING, 2),
        (10.0, CHANGEOVER, NO_ORDER),
        (11.0, PROCESSING, 1),
        (16.0, CHANGEOVER, NO_ORDER),
    ]
    switches = [(amount, reason) for order_id, amount, reason in host.paid if order_id == NO_ORDER]
    assert switches == [(7.0, CHANGEOVER)] * 6  # at 10, and each hour from 16 to 20
