"""Station: a line of a routed factory, with a queue of its own; Outside: a routing step made
by an outside workshop; Routing: an order's way from step to step.

order accepted (fabric in; under capacity booking quoted against its routing's bottleneck
station and its hours booked there) → the first step of its channel's routing, else its
family's: taken at once by the station's idle line, or queued there → made (setup, changeover,
processing, breakdowns, in the station's open hours, as any line) → the step is recorded → the
next step: a station's queue, or out to a workshop and back (model/workshop.py, the fee owed on
return), … → after the last step the factory finishes and ships it (model/factory.py
`Factory.finish`). A station is
the Host of its line (model/line.py), as an outside workshop is (model/workshop.py), so its
states are line-state records under the factory's name. The order keeps its first step's setup
and start and its last step's finish, so the orders table reads as it does without routings;
the steps table has one row per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from flexsim.model.line import Line
from flexsim.model.order import NOT_YET, Order
from flexsim.model.timer import Environment
from flexsim.model.workshop import Workshop
from flexsim.records import Recorder
from flexsim.scenario import BookingSpec, step_workshop
from flexsim.vocabulary import CHANGEOVERS, HOURS_PER_DAY, NO_BATCH, NO_CHANGEOVER

# an order's changeover is the largest kind over its steps
CHANGE_SIZE = {kind: size for size, kind in enumerate(CHANGEOVERS)}


class Maker(Protocol):
    """What a station asks of its factory: its name and recorder, its order streams, and the
    money and hand-over of the order's last step (model/factory.py's Factory is one)."""

    @property
    def name(self) -> str: ...
    @property
    def recorder(self) -> Recorder: ...
    @property
    def material_cost(self) -> float: ...
    @property
    def next_arrival(self) -> float: ...
    @property
    def booking(self) -> BookingSpec | None: ...

    def catch_up(self, until: float) -> None: ...
    def buy_materials(self, order: Order) -> None: ...
    def issue_materials(self, order: Order) -> None: ...
    def spend(self, order: Order, amount: float, reason: str) -> None: ...
    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None: ...
    def finish(self, order: Order) -> None: ...
    def owe_workshop(self, order: Order, workshop: str, price: float) -> None: ...


class Progress:
    """Where a routed order is: its step, when it reached that step's queue, and what its
    earlier steps leave in the orders table (the first setup and start, changeovers)."""

    __slots__ = (
        "changeover",
        "changeover_cost",
        "line",
        "planned_h",
        "queued_at",
        "route",
        "setup_at",
        "start_at",
        "step",
    )

    def __init__(self, queued_at: float, route: list[Step]) -> None:
        self.step, self.queued_at, self.route = 0, queued_at, route
        self.line, self.setup_at, self.start_at = "", NOT_YET, NOT_YET
        self.changeover, self.changeover_cost = NO_CHANGEOVER, 0.0
        self.planned_h = 0.0  # hours booked at its bottleneck station, under capacity booking


class Routing:
    """A factory's routings: each family's (or channel's) stations in order, and its orders on
    their way."""

    def __init__(
        self,
        env: Environment,
        maker: Maker,
        stations: dict[str, Station],
        routing: dict[str, list[str]],
    ) -> None:
        self.env, self.maker, self.stations = env, maker, stations
        # the workshops' steps, each with its workshop once the world has made them (attach)
        self.outside = {
            name: Outside(self, name)
            for names in routing.values()
            for name in names
            if step_workshop(name) is not None
        }
        self.routes: dict[str, list[Step]] = {
            key: [self.outside[name] if name in self.outside else stations[name] for name in names]
            for key, names in routing.items()
        }
        self.steps = maker.recorder.steps
        self.orders: dict[int, Progress] = {}
        # (channel, family) → its bottleneck's step, once asked
        self.bottlenecks: dict[tuple[str, str], int] = {}
        for station in stations.values():
            station.routing = self

    def attach(self, workshops: dict[str, Workshop]) -> None:
        """Give each workshop step its workshop (by its scenario name)."""
        for name, step in self.outside.items():
            shop = step_workshop(name)
            assert shop is not None
            step.workshop = workshops[shop]

    def route(self, order: Order) -> list[Step]:
        """The order's stations: its channel's routing if the factory has one, else its
        family's (scenario/plant.py `FactorySpec.route`)."""
        routes = self.routes
        return routes.get(order.channel) or routes[order.family]

    def bottleneck(self, order: Order) -> int:
        """The step of the order's routing whose station has the most expected work per
        piece of its family (unit time ÷ efficiency; the first such on a tie): the station a
        booked order reserves its hours at."""
        key = (order.channel, order.family)
        step = self.bottlenecks.get(key)
        if step is None:
            work = [
                step.line.bookings.per_piece(order.family) if isinstance(step, Station) else -1.0
                for step in self.route(order)
            ]
            step = self.bottlenecks[key] = work.index(max(work))
        return step

    def quote(self, order: Order, at: float) -> tuple[Line, float, float]:
        """The bottleneck station's line, the completion date quoted for the order at `at`,
        and the hours it reserves there. The steps before the bottleneck take their expected
        work, one after the other on their stations' calendars, from when the fabric is in;
        the bottleneck finishes the order after the hours booked there and not started, and
        not before that work plus its own (booking.py `Bookings.quote`); the steps after it
        add their expected work on their calendars."""
        route, neck = self.route(order), self.bottleneck(order)
        ready = max(at, order.fabric_at)
        for step in route[:neck]:
            ready = step.expect(order, ready)
        line = route[neck].line
        bookings = line.bookings
        done, hours = bookings.quote(order, at, line.calendar, bookings.booked_h, ready)
        for step in route[neck + 1 :]:
            done = step.expect(order, done)
        return line, done, hours

    def start(self, order: Order) -> None:
        """An accepted order whose fabric is in goes to its routing's first station (the hours
        booked for it, if any, wait for its bottleneck step)."""
        now = self.env.now
        route = self.route(order)
        progress = self.orders[order.order_id] = Progress(now, route)
        if order.planned_h:
            progress.planned_h = order.planned_h
            self.at_step(order, progress)
        route[0].arrive(order, now)

    def resume(self, order: Order, station: str, hours_done: float) -> None:
        """An order of the opening book in production at `station`, one of its routing's
        steps: the station's line goes on with it, and it goes on through the steps after
        (its steps before the start have no rows). Under capacity booking it reserves its
        hours at the bottleneck when that step is still to come."""
        now = self.env.now
        route = self.route(order)
        progress = self.orders[order.order_id] = Progress(now, route)
        progress.step = next(
            k
            for k, step in enumerate(route)
            if isinstance(step, Station) and step.line.name == station
        )
        # the orders table's first step is the one it is at: set up and started before the start
        progress.line, progress.setup_at, progress.start_at = (
            station,
            order.setup_at,
            order.start_at,
        )
        step = route[progress.step]
        assert isinstance(step, Station)
        if self.maker.booking is not None and progress.step < self.bottleneck(order):
            line, order.quote_at, hours = self.quote(order, now)
            line.bookings.book(order, hours)
            progress.planned_h, order.planned_h = hours, 0.0
        step.line.resume(order, hours_done, now)

    def at_step(self, order: Order, progress: Progress) -> None:
        """A booked order carries its booked hours at its bottleneck step only, where its
        station's line starts them (line.py `Line.take`)."""
        neck = self.bottleneck(order)
        order.planned_h = progress.planned_h if progress.step == neck else 0.0

    def step_of(self, order: Order) -> int:
        return self.orders[order.order_id].step

    def done(self, order: Order, station: Step) -> None:
        """A station made its step of the order: record it, then the next station, or the
        factory finishes the order."""
        progress = self.orders[order.order_id]
        line = station.line
        self.record(order, progress, line.name, order.finished_at, line.batch_id)
        self.keep_step(order, progress)
        route = progress.route
        progress.step += 1
        if progress.step < len(route):
            progress.queued_at = now = self.env.now
            self.as_first(order, progress)
            order.finished_at = NOT_YET
            if progress.planned_h:
                self.at_step(order, progress)
            route[progress.step].arrive(order, now)
            return
        del self.orders[order.order_id]
        self.as_first(order, progress, changeover=True)
        self.maker.finish(order)

    def keep_step(self, order: Order, progress: Progress) -> None:
        """What a step leaves in the orders table: the first step's line, setup and start; the
        order's changeover so far, the largest kind over its steps, their costs summed (the
        order's own fields are cleared for its next step's line to set)."""
        if progress.step == 0 and not progress.line:
            progress.line, progress.setup_at, progress.start_at = (
                order.line,
                order.setup_at,
                order.start_at,
            )
        if CHANGE_SIZE[order.changeover] > CHANGE_SIZE[progress.changeover]:
            progress.changeover = order.changeover
        progress.changeover_cost += order.changeover_cost
        order.changeover, order.changeover_cost = NO_CHANGEOVER, 0.0

    def as_first(self, order: Order, progress: Progress, changeover: bool = False) -> None:
        """Give the order its first step's line, setup and start, and with `changeover` (once
        it has no step left to make) its changeovers over its steps."""
        order.line, order.setup_at, order.start_at = (
            progress.line,
            progress.setup_at,
            progress.start_at,
        )
        if changeover:
            order.changeover = progress.changeover
            order.changeover_cost = progress.changeover_cost

    def record(
        self,
        order: Order,
        progress: Progress,
        station: str,
        finished_at: float,
        batch_id: int = NO_BATCH,
        at: float = NOT_YET,
    ) -> None:
        """Write a StepRecord row (the only place that builds one); at the horizon `at`, a
        timestamp at or after it has not happened (NaN)."""
        setup_at, started_at = order.setup_at, order.start_at
        if setup_at >= at:
            setup_at = NOT_YET
        if started_at >= at:
            started_at = NOT_YET
        self.steps.append(
            (
                order.order_id,
                progress.step,
                self.maker.name,
                station,
                progress.queued_at,
                setup_at,
                started_at,
                finished_at,
                batch_id,
            )
        )

    def close(self, at: float) -> None:
        """At the horizon: each order on its way has its step so far recorded (its setup and
        start when its station has taken it, NaN when it is queued there), and its first
        step's timestamps back for the orders table."""
        for station in self.stations.values():
            for order in station.queue:
                order.setup_at = order.start_at = NOT_YET
                self.close_step(order, station, NO_BATCH, at)
            for order in station.line.in_hand():
                self.close_step(order, station, station.line.batch_id, at)
        for step in self.outside.values():  # out at a workshop, or on the way there or back
            for order in list(step.away.values()):
                self.close_step(order, step, NO_BATCH, at)

    def close_step(self, order: Order, station: Step, batch_id: int, at: float) -> None:
        progress = self.orders[order.order_id]
        self.record(order, progress, station.line.name, NOT_YET, batch_id, at)
        self.keep_step(order, progress)
        self.as_first(order, progress, changeover=True)


class Station:
    """One station of a routed factory: the Host of its line, with its own queue."""

    # Host: a station's backlog (for overtime) is its queue's work; under capacity booking the
    # factory books each order's hours at its bottleneck station (Routing.quote)
    booking = None
    line: Line  # set once made (model/world.py), before it starts

    def __init__(self, env: Environment, maker: Maker) -> None:
        self.env, self.maker = env, maker
        self.name = maker.name  # the line's records are under the factory's name
        self.recorder = maker.recorder
        self.queue: list[Order] = []
        self.idle: Line | None = None
        self.routing: Routing | None = None  # set by the factory's Routing

    @property
    def material_cost(self) -> float:
        return self.maker.material_cost

    def arrive(self, order: Order, now: float) -> None:
        """An order reaches the station: its idle line takes it, or it joins the queue."""
        order.line = ""  # the station's line checks that the order is not another line's
        line = self.idle
        if line is not None and line.serves(order):
            self.idle = None
            line.wake(order, now)
        elif self.line.holds(order):  # a batch station waiting to fill its batch
            self.line.offer(order, now)
        else:
            self.queue.append(order)

    def first_step(self, order: Order) -> bool:
        assert self.routing is not None
        return self.routing.step_of(order) == 0

    def expect(self, order: Order, at: float) -> float:
        """When the station would finish the order's expected work begun at `at`, on its
        calendar, waiting for nothing (a quote's step other than the bottleneck)."""
        line = self.line
        return line.calendar.finish(at, line.bookings.expected_h(order))

    def quote(self, order: Order, at: float) -> float:
        """The station's line's quote for the order reaching it at `at`."""
        return self.line.quote(order, at)[0]

    # -- Host: what the station's line asks of it -----------------------------------------------

    def waiting(self) -> Sequence[Order]:
        return self.queue

    def enqueue(self, order: Order) -> None:
        self.queue.append(order)

    def catch_up(self, until: float) -> None:
        self.maker.catch_up(until)

    def next_for(self, line: Line, now: float) -> Order | None:
        """The queued order the line's dispatch rule picks, removed from the queue; the
        factory's stream orders placed up to now are brought in first."""
        if self.maker.next_arrival <= now:
            self.maker.catch_up(now)
        if not self.queue:
            return None
        if line.takes_oldest:
            return self.queue.pop(0)
        i = line.rule(self.queue, line)
        return self.queue.pop(i) if i >= 0 else None

    def go_idle(self, line: Line) -> None:
        self.idle = line

    def end_idle(self, line: Line) -> None:
        self.idle = None

    def buy_materials(self, order: Order) -> None:
        """Materials are bought for the order's first step only."""
        if self.first_step(order):
            self.maker.buy_materials(order)

    def issue_materials(self, order: Order) -> None:
        if self.first_step(order):
            self.maker.issue_materials(order)

    def spend(self, order: Order, amount: float, reason: str) -> None:
        self.maker.spend(order, amount, reason)

    def spend_on_line(self, amount: float, reason: str, at: float | None = None) -> None:
        self.maker.spend_on_line(amount, reason, at)

    def finish(self, order: Order) -> None:
        assert self.routing is not None
        self.routing.done(order, self)


class Outside:
    """A routing step made by an outside workshop (`workshop:NAME`): the order is sent out with
    the workshop's transport, made and inspected there (scrap, rework) as a subcontracted order
    is (model/workshop.py), brought back, its good pieces' fee owed on the factory's
    subcontracting terms; then it goes on to its next step."""

    __slots__ = ("away", "name", "routing", "workshop")

    def __init__(self, routing: Routing, name: str) -> None:
        self.routing, self.name = routing, name
        self.workshop: Workshop | None = None  # set once the world has made it (Routing.attach)
        self.away: dict[int, Order] = {}  # the orders out at the workshop or on the way

    @property
    def line(self) -> Line:
        """The workshop's line: its name (`workshop/NAME`) is the step's station."""
        assert self.workshop is not None
        return self.workshop.line

    def arrive(self, order: Order, now: float) -> None:
        """Send the order out (with its materials, when this is its first step)."""
        shop, maker = self.workshop, self.routing.maker
        assert shop is not None
        if maker.material_cost and self.routing.step_of(order) == 0:
            maker.buy_materials(order)
            maker.issue_materials(order)
        order.line = ""
        order.setup_at = order.start_at = NOT_YET  # until the workshop's line takes it
        self.away[order.order_id] = order
        shop.in_hand += 1
        shop.send(order, self.back)

    def back(self, order: Order) -> None:
        """The order is back from the workshop: its fee is owed, and it goes on."""
        shop = self.workshop
        assert shop is not None
        del self.away[order.order_id]
        order.finished_at = self.routing.env.now
        self.routing.maker.owe_workshop(order, shop.name, shop.spec.price_per_piece)
        self.routing.done(order, self)

    def expect(self, order: Order, at: float) -> float:
        """When the order would be back if sent at `at`: the mean transport out, its expected
        work on the workshop's calendar (no queue), the mean transport back."""
        shop = self.workshop
        assert shop is not None
        line, days = shop.line, HOURS_PER_DAY
        made = line.calendar.finish(
            at + shop.spec.transport_days.expectation * days, line.bookings.expected_h(order)
        )
        return made + shop.spec.transport_days.expectation * days

    def quote(self, order: Order, at: float) -> float:
        """As `expect`, behind the work queued at the workshop (its line's quote)."""
        shop = self.workshop
        assert shop is not None
        out_h = shop.spec.transport_days.expectation * HOURS_PER_DAY
        return shop.line.quote(order, at + out_h)[0] + out_h


Step = Station | Outside
