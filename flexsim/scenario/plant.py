"""Plant specs: the factories, their production lines, shift calendars, sample rooms, fabric
supply and capacity booking.

A calendar is shifts on weekdays minus holidays; a line adds changeovers, breakdowns and
overtime to its unit times; a factory adds its costs and wages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from flexsim.calendar import Calendar, overtime_windows, shift_windows
from flexsim.dists import NOT_TINY, Deterministic, DistSpec, mean_at_least
from flexsim.limits import (
    MAX_BOOKING_DAYS,
    MAX_FACTORY_COPIES,
    MAX_LIFE_YEARS,
    MAX_LINE_COPIES,
    MAX_NUMBER,
    MAX_REMAKES,
    MIN_GAP_H,
)
from flexsim.scenario.fields import (
    ALWAYS_OPEN,
    POLLING_RULES,
    WEEKDAYS,
    ChannelName,
    Days,
    DispatchName,
    Money,
    Name,
    NonNegative,
    Positive,
    RouteStep,
    Share,
    WagesName,
    Weekday,
    require_unique,
    step_workshop,
)
from flexsim.scenario.workshops import SubcontractSpec
from flexsim.spec import Spec
from flexsim.vocabulary import CHANNELS, HOURS_PER_DAY

PerOpenHour = Annotated[float, Field(ge=0, le=MAX_NUMBER, description="per open hour of a line")]
LifeYears = Annotated[float, Field(gt=0, le=MAX_LIFE_YEARS), NOT_TINY]

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def clock_hours(text: str) -> float:
    """'08:30' → 8.5; '24:00' is the end of the day."""
    match = _CLOCK.match(text)
    if not match or (match[1] == "24" and match[2] != "00"):
        raise ValueError(f"expected a clock time 'HH:MM' between 00:00 and 24:00, got {text!r}")
    return int(match[1]) + int(match[2]) / 60


class Shift(Spec):
    """A shift worked on some weekdays; `end` at or before `start` crosses midnight."""

    days: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    start: str = "08:00"
    end: str = "17:00"
    breaks: list[str] = Field(default=[], description="clock ranges like '12:00-13:00'")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        clock_hours(value)
        return value

    @field_validator("breaks")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for text in value:
            _break_hours(text)
        return value

    @model_validator(mode="after")
    def _fits(self) -> Shift:
        self.windows()  # a shift of no length or a break outside it fails here, at load time
        return self

    def windows(self) -> list[tuple[float, float]]:
        """The shift's open windows in hours since Monday 00:00."""
        days = [WEEKDAYS.index(day) for day in self.days]
        breaks = [_break_hours(text) for text in self.breaks]
        return shift_windows(days, clock_hours(self.start), clock_hours(self.end), breaks)


def _break_hours(text: str) -> tuple[float, float]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected a break like '12:00-13:00', got {text!r}")
    return clock_hours(start.strip()), clock_hours(end.strip())


class Holiday(Spec):
    """Days on which the calendar is closed whatever its shifts say, both days included (a
    Spring Festival shutdown is 10-15 days [S])."""

    first_day: dt.date = Field(strict=False)  # ISO text in JSON
    last_day: dt.date = Field(strict=False)

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before first_day {self.first_day}")
        return self

    def hours(self, start_date: dt.date) -> tuple[float, float]:
        """The closed period in simulation hours, from 00:00 of first_day to the end of last_day."""
        first = (self.first_day - start_date).days * HOURS_PER_DAY
        return first, first + ((self.last_day - self.first_day).days + 1) * HOURS_PER_DAY


class CalendarSpec(Spec):
    """When a line works: always, or a weekly pattern of shifts; minus holidays."""

    always_open: bool = False
    shifts: list[Shift] = []
    holidays: list[Holiday] = []

    @model_validator(mode="after")
    def _either(self) -> CalendarSpec:
        if self.always_open == bool(self.shifts):
            raise ValueError("give either always_open = true or at least one [[shifts]], not both")
        return self


def build_calendar(
    spec: CalendarSpec | None, start_date: dt.date, overtime_h: float = 0.0
) -> Calendar:
    """The Calendar a spec describes from `start_date`, each day's last shift extended by
    `overtime_h`; None is the implicit always-open calendar. The model's lines and sample room
    work by it; the audit reads the payroll's open hours off it."""
    if spec is None:
        return Calendar.always_open()
    closed = [holiday.hours(start_date) for holiday in spec.holidays]
    if spec.always_open:
        return Calendar.always_open(closed=closed)
    windows = [window for shift in spec.shifts for window in shift.windows()]
    if overtime_h:
        windows = overtime_windows(windows, overtime_h)
    return Calendar.weekly(windows, offset_h=start_date.weekday() * HOURS_PER_DAY, closed=closed)


class Changeover(Spec):
    """A value paid when the next order on a line is a different item: a style change within
    a family, a change of family, or a specific from-family → to-family change."""

    same_family: NonNegative = 0.0
    other_family: NonNegative = 0.0
    between: dict[Name, dict[Name, NonNegative]] = Field(
        default={}, description="from family → to family → value, instead of other_family"
    )

    def value(self, from_family: str | None, to_family: str) -> float:
        """The value for a change of family (from_family None: the line was never set up)."""
        return self.between.get(from_family or "", {}).get(to_family, self.other_family)


class BreakdownSpec(Spec):
    """Failures of a line while it processes: the processing hours between failures, and the
    open hours a repair takes, after which the interrupted order resumes."""

    between_failures_h: Annotated[
        DistSpec, mean_at_least(MIN_GAP_H, "h", "each failure must find the line working")
    ]
    repair_h: DistSpec


class OvertimeSpec(Spec):
    """Extra hours after each day's last shift, worked while the line's backlog is long.

    When the line starts an order and the hours of work waiting for it (booked hours under
    capacity booking, else the expected hours of the queued orders it may make) exceed
    `backlog_h`, and it has worked less than `hours_per_month` of overtime this calendar month,
    its day is extended by up to `hours_per_day` until it next starts an order or goes idle.
    Each overtime hour costs `premium_per_hour`, paid in cash.
    """

    hours_per_day: Annotated[float, Field(gt=0, le=12), NOT_TINY]
    hours_per_month: Positive
    backlog_h: NonNegative = 0.0
    premium_per_hour: Money = 0.0


class BatchSpec(Spec):
    """A batch station: up to `max_orders` orders made together in one operation, taken when
    the station comes free from those waiting (by its dispatch rule, with `same_family` only
    orders of the first one's family; with `max_pieces`, until the next order would pass it);
    the operation takes one `lay_h` draw plus the batch's pieces × one unit-time draw."""

    max_orders: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))]
    max_pieces: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))] | None = Field(
        default=None,
        description="the most pieces in one batch: it is full when the next order would pass "
        "it; an order of more pieces is made alone; none: no limit in pieces",
    )
    lay_h: DistSpec = Field(
        default=Deterministic(value=0), description="hours per batch, whatever its size"
    )
    same_family: bool = False
    max_wait_h: NonNegative = Field(
        default=0.0, description="hours a short batch waits to fill; 0: it starts at once"
    )


class LineSpec(Spec):
    """A production line: one order at a time, during its calendar's open hours; with its
    own costs: a fixed cost per day, a payroll rate overriding the factory's, an investment."""

    name: Name
    count: Annotated[int, Field(ge=1, le=MAX_LINE_COPIES)] = Field(
        default=1,
        description="identical copies of this line, named NAME-0, NAME-1, …, sharing the "
        "factory's queue",
    )
    unit_time_h: DistSpec = Field(
        description="hours per piece; one draw per order, times the order's quantity"
    )
    unit_time_by_family: dict[Name, DistSpec] = Field(
        default={}, description="hours per piece of the listed families, instead of unit_time_h"
    )
    efficiency: Annotated[float, Field(gt=0, le=2), NOT_TINY] = Field(
        default=1.0, description="output against the unit times: work takes unit time ÷ efficiency"
    )
    overtime: OvertimeSpec | None = None
    changeover_h: Changeover = Changeover()
    changeover_cost: Changeover = Changeover()
    calendar: Name = ALWAYS_OPEN
    channels: list[ChannelName] = ["ecommerce", "offline"]
    families: list[Name] = Field(
        default=[],
        description="the product families the line makes, in polling order; [] = every family",
    )
    dispatch: DispatchName = "fifo"
    breakdowns: BreakdownSpec | None = None
    batch: BatchSpec | None = None
    fixed_cost_per_day: Money = 0.0
    payroll_per_hour: PerOpenHour | None = None  # None: the factory's
    investment: Money = 0.0
    life_years: LifeYears = 10.0

    @model_validator(mode="after")
    def _polling_needs_a_cycle(self) -> LineSpec:
        if self.dispatch in POLLING_RULES and not self.families:
            raise ValueError(
                f"dispatch '{self.dispatch}' visits families in the order of `families`: list them"
            )
        require_unique(self.families, "family")
        if self.batch is not None and self.dispatch in POLLING_RULES:
            raise ValueError(
                f"batch: a batch station dispatches by a rule, not by polling ('{self.dispatch}')"
            )
        if self.families:
            for family in self.unit_time_by_family:
                if family not in self.families:
                    raise ValueError(
                        f"unit_time_by_family: the line does not make family '{family}'; "
                        f"it makes {', '.join(self.families)}"
                    )
        return self

    def unit_time(self, family: str) -> DistSpec:
        """The hours per piece of the family on this line."""
        return self.unit_time_by_family.get(family, self.unit_time_h)

    def serves(self, channel: str, family: str) -> bool:
        return channel in self.channels and (not self.families or family in self.families)


class FabricSpec(Spec):
    """Where an order's fabric comes from: with `in_stock_probability` from stock, available
    at once; otherwise ordered from a supplier when the order is accepted, arriving after
    `lead_days`. Production cannot start before the fabric is in."""

    in_stock_probability: Share = 1.0
    lead_days: DistSpec = Deterministic(value=7)


class BookingSpec(Spec):
    """Capacity booking and order promising: each line publishes its open hours per day for
    the next `horizon_days` (calendar hours minus hours already reserved); an order reserves
    its expected hours on the line that can finish it first and is quoted that completion
    date. A quote after the order's due date is put to the buyer (see the channel's
    `accept_later_*` keys); a quote beyond the horizon is refused for lack of capacity."""

    horizon_days: Annotated[float, Field(gt=0, le=MAX_BOOKING_DAYS), NOT_TINY] = 30.0


class SampleRoomSpec(Spec):
    """A factory's proofing room: `sample_makers` make proof samples one at a time each, first
    come first served, in the open hours of `calendar`, each taking one `making_h` draw; the
    sample then reaches the seller, who judges it after `review_days` and approves it with
    `approval_probability`. A rejected sample is remade, at most `max_remakes` times; after
    that the seller drops the item. The defaults approve every sample 3 days after launch."""

    sample_makers: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))] = 1
    making_h: DistSpec = Deterministic(value=0)
    calendar: Name = ALWAYS_OPEN
    review_days: DistSpec = Deterministic(value=3)
    approval_probability: Share = 1.0
    max_remakes: Annotated[int, Field(ge=0, le=MAX_REMAKES)] = 0


class FactorySpec(Spec):
    """A factory, its lines and its costs: per piece (materials bought on supplier terms,
    piece-rate labour paid when an order is finished), or under `wages = "payroll"` a shift
    payroll for every open hour of each line's calendar instead of the piece rate (at the
    line's own `payroll_per_hour` where it has one); an overhead per day and each line's fixed
    cost per day. Payroll, overhead and fixed costs are paid in cash at the end of each day.
    The factory's and each line's `investment` is paid in cash at time 0 and depreciated
    straight-line over its `life_years`."""

    name: Name
    count: Annotated[int, Field(ge=1, le=MAX_FACTORY_COPIES)] = Field(
        default=1,
        description="copies of this factory, named NAME-0, NAME-1, …; NAME then stands for "
        "them all where sellers and customers name a factory",
    )
    lines: list[LineSpec] = Field(min_length=1)
    sample_room: SampleRoomSpec = SampleRoomSpec()
    initial_cash: Money = 1_000_000.0
    material_cost: Money = 0.0
    labour_cost: Money = 0.0
    supplier_terms_days: Days = 30.0
    booking: BookingSpec | None = None
    fabric: FabricSpec = FabricSpec()
    wages: WagesName = "piece_rate"
    payroll_per_hour: PerOpenHour = 0.0
    overhead_per_day: Money = 0.0
    investment: Money = 0.0
    life_years: LifeYears = 10.0
    subcontract: SubcontractSpec = SubcontractSpec()
    routing: dict[Name, Annotated[list[RouteStep], Field(min_length=1)]] = Field(
        default={},
        description="family (or channel: 'ecommerce', 'offline') → the lines (stations) its "
        "orders go through, in order, 'workshop:NAME' for a step made by an outside workshop; "
        "a channel's routing overrides its families'; {} = one line makes the whole order",
    )

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[LineSpec]) -> list[LineSpec]:
        require_unique([line.name for line in lines], "line")
        return lines

    @model_validator(mode="after")
    def _routes(self) -> FactorySpec:
        """Each routing names the factory's lines, each once, each making the family; the
        parts that do not work with routings yet are refused."""
        lines = {line.name: line for line in self.lines}
        for j, line in enumerate(self.lines):
            if line.batch is not None and not self.routing:
                raise ValueError(
                    f"lines.{j}.batch: batches are made at the stations of a factory with a "
                    "`routing` only (not yet at a line making whole orders); give the factory "
                    "a routing through this line"
                )
        for family, stations in self.routing.items():
            for k, name in enumerate(stations):
                key = f"routing.{family}.{k}"
                if name in stations[:k] and step_workshop(name) is not None:
                    raise ValueError(
                        f"{key}: '{name}' comes twice in the routing of '{family}' (a loop); "
                        "a routing visits each station and workshop once"
                    )
                if step_workshop(name) is not None:
                    continue  # checked against the scenario's workshops (scenario/root.py)
                if name not in lines:
                    raise ValueError(
                        f"{key}: station '{name}' is not a line of factory '{self.name}'; "
                        f"its lines: {', '.join(lines)}"
                    )
                if lines[name].count > 1:
                    raise ValueError(
                        f"{key}: station '{name}' has count {lines[name].count}; copies of a "
                        "station (parallel machines) do not work with routings yet"
                    )
                if name in stations[:k]:
                    raise ValueError(
                        f"{key}: station '{name}' comes twice in the routing of family "
                        f"'{family}' (a loop); a routing visits each station once"
                    )
                if family in CHANNELS:  # a channel's routing: its families are checked at
                    continue  # the scenario, against the families its buyers order
                if lines[name].families and family not in lines[name].families:
                    raise ValueError(
                        f"{key}: station '{name}' does not make family '{family}'; it makes "
                        f"{', '.join(lines[name].families)}"
                    )
            if self.booking is not None and all(step_workshop(s) for s in stations):
                raise ValueError(
                    f"routing.{family}: under capacity booking a routing needs a station of "
                    "the factory to book hours at; this one has workshop steps only"
                )
        if self.routing and self.subcontract.rule != "never":
            raise ValueError(
                "subcontract.rule: subcontracting whole orders does not work with routings "
                "yet; leave it out of a factory with a `routing` (a routing step "
                "'workshop:NAME' sends that step out to a workshop)"
            )
        return self

    def route(self, channel: str, family: str) -> list[str] | None:
        """The stations an order of the channel and family goes through: the channel's
        routing if there is one, else the family's (None: neither)."""
        return self.routing.get(channel, self.routing.get(family))

    def line_payroll(self, line: LineSpec) -> float:
        """The payroll per open hour of a line: its own rate, else the factory's; 0 unless
        the factory pays a shift payroll."""
        if self.wages != "payroll":
            return 0.0
        return self.payroll_per_hour if line.payroll_per_hour is None else line.payroll_per_hour

    def with_line_copies(self) -> FactorySpec:
        """The factory with each line of `count` N > 1 replaced by N copies named NAME-0 …
        NAME-(N-1), each with count 1 (the factory itself when no line has copies)."""
        if all(line.count == 1 for line in self.lines):
            return self
        lines = [
            line.model_copy(update={"name": f"{line.name}-{i}", "count": 1})
            if line.count > 1
            else line
            for line in self.lines
            for i in range(line.count)
        ]
        require_unique([line.name for line in lines], "line (after count)")
        return self.model_copy(update={"lines": lines})

    def investments(self) -> dict[str, tuple[float, float]]:
        """The factory's investments above 0, each (amount, life_years): its own under the
        key "", each line's under the line's name."""
        own = {"": (self.investment, self.life_years)}
        lines = {line.name: (line.investment, line.life_years) for line in self.lines}
        return {key: item for key, item in (own | lines).items() if item[0] > 0}
