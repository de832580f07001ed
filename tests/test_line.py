"""Unit tests of a Line on its own: a line on a stub host (model/line.py's Host protocol) and a
bare environment, given a few orders by hand, without building a scenario run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flexsim.calendar import Calendar
from flexsim.model.line import Breakdowns, Line
from flexsim.model.order import Buyer, Order
from flexsim.model.schedule import Environment
from flexsim.records import LineStateRecord, Recorder
from flexsim.scenario import BookingSpec, LineSpec
from flexsim.vocabulary import NO_ORDER


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
    **spec: Any,
) -> Line:
    """A line whose every piece takes `unit_h` hours (a deterministic draw per buyer), on the
    always-open calendar unless one is given; it starts idle."""
    line_spec = LineSpec.model_validate({"name": "l", "unit_time_h": unit_h, **spec})
    line = Line(
        env, host, line_spec, calendar or Calendar.always_open(), {"c": lambda: unit_h}, breakdowns
    )  # fmt: skip
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
