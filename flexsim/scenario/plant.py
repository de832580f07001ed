"""Scenario: the validated, frozen input of one run, read from TOML, with overrides and a schema.

Conventions (docs/scenario.md says more): time inside the model is hours; a key ends in `_h`
(hours) or `_days` (24 calendar hours) when it is a duration; money is in the scenario's one
`currency`; random quantities are distribution specs (flexsim.dists) and a bare number means a
deterministic value; MOQ and payment settings belong to a sales channel. Defaults live here and
nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, PositiveFloat, ValidationError, field_validator, model_validator

from flexsim.calendar import HOURS_PER_DAY, shift_windows
from flexsim.dists import DIST_NAMES, Deterministic, DistSpec, Exponential, Lognormal
from flexsim.spec import Spec

ChannelName = Literal["ecommerce", "offline"]
DispatchName = Literal["fifo", "edd", "spt", "family", "cyclic_exhaustive", "cyclic_gated"]
POLLING_RULES = ("cyclic_exhaustive", "cyclic_gated")
RegimeName = Literal["offline_credit", "voucher", "prepaid", "deposit_balance"]
WagesName = Literal["piece_rate", "payroll"]
ReorderPolicyName = Literal["sell_through", "bayes", "early_signal", "presale", "none"]
ListAt = Literal["arrival", "approval"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
ALWAYS_OPEN = "always"  # the calendar every scenario has without declaring it
# no dots: a dot separates the parts of a --set key and of a factory.line label
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")]
NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, description="in the scenario's currency")]
Families = Annotated[
    dict[Name, PositiveFloat],
    Field(min_length=1, description="product family → relative weight"),
]

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

    between_failures_h: DistSpec
    repair_h: DistSpec


class OvertimeSpec(Spec):
    """Extra hours after each day's last shift, worked while the line's backlog is long.

    When the line starts an order and the hours of work waiting for it (booked hours under
    capacity booking, else the expected hours of the queued orders it may make) exceed
    `backlog_h`, and it has worked less than `hours_per_month` of overtime this calendar month,
    its day is extended by up to `hours_per_day` until it next starts an order or goes idle.
    Each overtime hour costs `premium_per_hour`, paid in cash.
    """

    hours_per_day: Annotated[float, Field(gt=0, le=12)]
    hours_per_month: PositiveFloat
    backlog_h: NonNegative = 0.0
    premium_per_hour: Money = 0.0


class LineSpec(Spec):
    """A production line: one order at a time, during its calendar's open hours."""

    name: Name
    unit_time_h: DistSpec = Field(
        description="hours per piece; one draw per order, times the order's quantity"
    )
    unit_time_by_family: dict[Name, DistSpec] = Field(
        default={}, description="hours per piece of the listed families, instead of unit_time_h"
    )
    efficiency: Annotated[float, Field(gt=0, le=2)] = Field(
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

    @model_validator(mode="after")
    def _polling_needs_a_cycle(self) -> LineSpec:
        if self.dispatch in POLLING_RULES and not self.families:
            raise ValueError(
                f"dispatch '{self.dispatch}' visits families in the order of `families`: list them"
            )
        _require_unique(self.families, "family")
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

    horizon_days: PositiveFloat = 30.0


class SampleRoomSpec(Spec):
    """A factory's proofing room: `sample_makers` make proof samples one at a time each, first
    come first served, in the open hours of `calendar`, each taking one `making_h` draw; the
    sample then reaches the seller, who judges it after `review_days` and approves it with
    `approval_probability`. A rejected sample is remade, at most `max_remakes` times; after
    that the seller drops the item. The defaults approve every sample 3 days after launch."""

    sample_makers: Annotated[int, Field(ge=1)] = 1
    making_h: DistSpec = Deterministic(value=0)
    calendar: Name = ALWAYS_OPEN
    review_days: DistSpec = Deterministic(value=3)
    approval_probability: Share = 1.0
    max_remakes: Annotated[int, Field(ge=0)] = 0


class FactorySpec(Spec):
    """A factory, its lines and its costs: per piece (materials bought on supplier terms,
    piece-rate labour paid when an order is finished), or under `wages = "payroll"` a shift
    payroll for every open hour of each line's calendar instead of the piece rate; and an
    overhead per day. Payroll and overhead are paid in cash at the end of each day."""

    name: Name
    lines: list[LineSpec] = Field(min_length=1)
    sample_room: SampleRoomSpec = SampleRoomSpec()
    initial_cash: Money = 1_000_000.0
    material_cost: Money = 0.0
    labour_cost: Money = 0.0
    supplier_terms_days: NonNegative = 30.0
    booking: BookingSpec | None = None
    fabric: FabricSpec = FabricSpec()
    wages: WagesName = "piece_rate"
    payroll_per_hour: Annotated[float, Field(ge=0, description="per open hour of a line")] = 0.0
    overhead_per_day: Money = 0.0

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, lines: list[LineSpec]) -> list[LineSpec]:
        _require_unique([line.name for line in lines], "line")
        return lines


class PaymentSpec(Spec):
    """How a channel's buyers pay the factory. One flat table for every regime, so that
    `--set channels.ecommerce.payment.regime=voucher` switches regimes; each key says which
    regime reads it.

    offline_credit: `deposit_share` at order, the balance `term_days` after delivery, and with
    `late_probability` a further `late_days` later; with `default_probability` the buyer never
    pays and the factory writes the receivable off `write_off_days` after the due date. The
    factory refuses an order that would take what a buyer owes it (unpaid balances of its
    accepted orders, the new one included) above `credit_limit`.
    voucher: the factory is paid when the buyer confirms delivery (at the latest the channel's
    `auto_confirm_days`), less the platform's `platform_fee_share`; the platform guarantees it.
    The buyer repays the platform `repay_days` after confirmation, or defaults with
    `default_probability` and the platform writes it off `write_off_days` after the due date.
    Each order locks its value on the buyer's platform `credit_line` from placement until
    the buyer repays; an order above what is left of the line is refused.
    prepaid: the whole value at order. deposit_balance: `deposit_share` at order, the rest when
    the goods are made, before they ship. Neither leaves anything to default on.
    """

    regime: RegimeName = "offline_credit"
    deposit_share: Share = 0.0
    term_days: DistSpec = Deterministic(value=90)
    default_probability: Share = 0.0
    write_off_days: NonNegative = 180.0
    late_probability: Share = 0.0
    late_days: DistSpec = Deterministic(value=30)
    credit_limit: Money | None = None  # None: unlimited
    repay_days: NonNegative = 30.0
    platform_fee_share: Share = 0.0
    credit_line: Money | None = None  # None: unlimited


class ChannelSpec(Spec):
    """A sales channel's terms: minimum order quantity, promised production time, payment.

    Under capacity booking a buyer quoted a completion date after the order's due date takes
    the later date with `accept_later_probability` when it is at most `accept_later_days`
    late, and withdraws otherwise (the order is refused with reason `late_quote`).
    """

    moq: Annotated[int, Field(ge=1)] = 1
    promise_days: PositiveFloat = 7.0
    auto_confirm_days: NonNegative = 10.0
    accept_later_probability: Share = 0.5
    accept_later_days: NonNegative = 7.0
    payment: PaymentSpec = PaymentSpec()


class EcommerceChannel(ChannelSpec):
    moq: Annotated[int, Field(ge=1)] = 30  # the Tao-factory platform's MOQ [seed]
    promise_days: PositiveFloat = 7.0  # produced within 7 days [seed]


class OfflineChannel(ChannelSpec):
    promise_days: PositiveFloat = 30.0


class Channels(Spec):
    """Each channel's defaults hold key by key, whether or not its table is written."""

    ecommerce: EcommerceChannel = EcommerceChannel()
    offline: OfflineChannel = OfflineChannel()

    def get(self, name: str) -> ChannelSpec:
        channel: ChannelSpec = getattr(self, name)
        return channel


class CustomerSpec(Spec):
    """Customers placing orders at one factory as a renewal stream (offline wholesale, tests)."""

    name: Name
    factory: Name
    channel: ChannelName = "offline"
    count: Annotated[int, Field(ge=1)] = 1
    interarrival_days: DistSpec = Exponential(dist="exponential", mean=7.0)
    quantity: DistSpec = Deterministic(value=1000)
    families: Families = {"default": 1.0}
    styles_per_family: Annotated[int, Field(ge=1)] = 1
    due_days: DistSpec = Deterministic(value=30)
    factory_price: Money = 0.0
    transit_days: DistSpec = Deterministic(value=0)
    confirm_days: DistSpec = Deterministic(value=0)

    def customer_names(self) -> list[str]:
        """One name per customer: the spec's name, suffixed -0, -1, … when count > 1."""
        if self.count == 1:
            return [self.name]
        return [f"{self.name}-{i}" for i in range(self.count)]


class Season(Holiday):
    """A period of a sellers' year, both days included, in which launches and demand run at a
    multiple of their usual rate (the Double Eleven ramp); overlapping seasons multiply."""

    launch_factor: NonNegative = 1.0
    demand_factor: NonNegative = 1.0


class LifeCycleSpec(Spec):
    """How an item's daily demand moves with its days since listing: a linear ramp from
    `start_factor` to 1 over `ramp_days`, `peak_days` at 1, then a decay that halves it every
    `half_life_days` (none: no decay). The defaults keep it at 1 throughout."""

    ramp_days: NonNegative = 0.0
    start_factor: Share = 1.0
    peak_days: NonNegative = 0.0
    half_life_days: PositiveFloat | None = None


class FunnelSpec(Spec):
    """Clicks, favourites and demand of a listed item: clicks are Poisson with mean the item's
    daily rate / `conversion`, each click wants to buy with probability `conversion` (so demand
    stays Poisson with the item's rate) and adds it to favourites with `favourite_share`. The
    defaults (every click buys, none favourites) draw no extra random numbers."""

    conversion: Annotated[float, Field(gt=0, le=1)] = 1.0
    favourite_share: Share = 0.0


class ChoiceSpec(Spec):
    """How a seller with several factories picks one per new item: the lowest score
    `delivery_weight` × quoted days to completion + `price_weight` × the factory's price
    factor − `reputation_weight` × its on-time share with this seller (the mean of a
    Beta(`prior_on_time` + deliveries on time, `prior_late` + late ones) posterior), drawn by
    multinomial logit: probability ∝ exp(−score)."""

    delivery_weight: NonNegative = 1.0
    price_weight: NonNegative = 0.0
    reputation_weight: NonNegative = 5.0
    prior_on_time: PositiveFloat = 1.0
    prior_late: PositiveFloat = 1.0
    price_factors: dict[Name, PositiveFloat] = Field(
        default={}, description="factory → multiplier of an item's factory price; 1 if absent"
    )


class ReorderSpec(Spec):
    """When a seller orders an item again (policy `sell_through`; `none` never reorders).

    First repeat: as soon as the trial batch has sold `sell_through_share` of its pieces within
    `within_days` of listing. After that the item is reviewed every `review_days`: when stock
    plus stock on order falls below the forecast demand over `lead_time_days + review_days`,
    the seller orders up to it. The forecast rate is the item's sales per listed day so far.
    Every order is at least the channel's MOQ, and none is placed when the item's remaining
    life is shorter than the lead time.

    Policy `early_signal` places the first repeat as soon as the item has `signal_favourites`
    favourites within `within_days` of listing, ordering up to its forecast from favourites
    (favourites per listed day × `favourite_conversion`, default the funnel's conversion /
    favourite_share); reviews follow as for sell_through, the forecast the larger of that and
    the sales rate. Policy `presale` (C2F) lists the item at sample approval and collects
    pre-orders instead of placing a trial order; `presale_days` later it orders the pre-orders
    plus the cover at their daily rate (at least the MOQ); the batch fills the pre-orders on
    arrival, then reviews follow as for sell_through.

    Policy `bayes` reviews every `review_days` from listing and orders up to the same cover,
    forecasting with the gamma-Poisson posterior mean of the item's daily rate: a gamma prior
    (moment-matched to the sellers' `popularity` unless `prior_mean`/`prior_cv` are given),
    updated with each day's sales, sold-out days counted as censored (demand ≥ stock).
    """

    policy: ReorderPolicyName = "sell_through"
    sell_through_share: Share = 0.5
    signal_favourites: Annotated[int, Field(ge=1)] = 20
    favourite_conversion: PositiveFloat | None = None
    presale_days: NonNegative = 5.0
    within_days: PositiveFloat = 14.0
    review_days: PositiveFloat = 7.0
    lead_time_days: NonNegative = 12.0
    prior_mean: PositiveFloat | None = None
    prior_cv: PositiveFloat | None = None


class SellersSpec(Spec):
    """Taobao sellers buying from one factory through the e-commerce channel.

    Each seller launches new items (launches_per_week × its share_at_factory draw reach this
    factory, as a Poisson stream); an item's latent popularity is its daily demand rate. A
    seller is sample-only with probability sample_only_share: it compares samples here and
    orders elsewhere, so it drops every item after its first sample. Per item: a proof
    sample from the factory's sample room (remade when rejected, the item dropped after too
    many rejections), a trial order of at least the MOQ, listing when it arrives, daily
    Poisson demand limited by stock (unmet demand is lost), repeat orders by the reorder
    policy, and salvage of leftover stock when its life ends. Consumers pay the platform, which
    holds a day's retail revenue in escrow and releases it to the seller `escrow_days` later.
    """

    count: Annotated[int, Field(ge=0)] = 0
    factory: Name | None = Field(
        default=None, description="required when count > 0 and `factories` is empty"
    )
    factories: list[Name] = []
    choice: ChoiceSpec = ChoiceSpec()
    launches_per_week: NonNegative = 10.0
    share_at_factory: DistSpec = Field(
        default=Deterministic(value=1),
        description="one draw per seller (above 1 counts as 1): the share of its launches "
        "sourced at the factories here",
    )
    sample_only_share: Share = Field(
        default=0.0,
        description="share of sellers who only ask for samples here and order elsewhere",
    )
    size: DistSpec = Field(
        default=Deterministic(value=1),
        description="one draw per seller; multiplies its launch rate and its items' popularity",
    )
    families: Families = {"default": 1.0}
    family_concentration: PositiveFloat | None = None
    seasons: list[Season] = []
    popularity: DistSpec = Field(
        default=Lognormal(dist="lognormal", mean=2.0, cv=2.0),
        description="daily demand rate of an item, pieces per day",
    )
    life_days: PositiveFloat = 60.0
    life_cycle: LifeCycleSpec = LifeCycleSpec()
    funnel: FunnelSpec = FunnelSpec()
    list_at: ListAt = "arrival"
    sample_fee: Money = 0.0
    trial_quantity: DistSpec = Deterministic(value=50)
    retail_price: DistSpec = Deterministic(value=0)
    factory_price: DistSpec = Deterministic(value=0)
    salvage_price: Money = 0.0
    transit_days: DistSpec = Deterministic(value=3)
    confirm_days: DistSpec = Deterministic(value=3)
    escrow_days: NonNegative = 10.0
    initial_cash: Money = 50_000.0
    reorder: ReorderSpec = ReorderSpec()

    @model_validator(mode="after")
    def _signals_exist(self) -> SellersSpec:
        if self.share_at_factory.expectation > 1:
            raise ValueError(
                f"share_at_factory: a share of launches; its mean must be at most 1, got "
                f"{self.share_at_factory.expectation:g}"
            )
        if self.reorder.policy == "early_signal" and self.funnel.favourite_share == 0:
            raise ValueError(
                "reorder.policy: 'early_signal' decides from favourites; give "
                "funnel.favourite_share > 0"
            )
        return self

    def factory_names(self) -> list[str]:
        """The factories the sellers may buy from: `factories`, else the one `factory`."""
        return list(self.factories) or ([self.factory] if self.factory else [])

    def seller_names(self) -> list[str]:
        return [f"seller-{i}" for i in range(self.count)]


class FinanceSpec(Spec):
    """The cost of money: interest on each party's cash, settled in cash every
    `interest_days` (a bank in the outside world lends and borrows), and the rate at which
    cash flows are discounted for the net present value."""

    overdraft_rate: Annotated[float, Field(ge=0, description="per year")] = 0.06  # [G]
    deposit_rate: Annotated[float, Field(ge=0, description="per year")] = 0.01  # [G]
    discount_rate: Annotated[float, Field(ge=0, description="per year")] = 0.08  # [G]
    interest_days: PositiveFloat = 30.0


class Scenario(Spec):
    """Everything one run needs besides the seed."""

    name: Name
    description: str = ""
    currency: str = "CNY"
    start_date: dt.date = Field(default=dt.date(2026, 1, 5), strict=False)  # ISO text in JSON
    horizon_days: PositiveFloat = 365.0
    warmup_days: NonNegative = 30.0
    calendars: dict[Name, CalendarSpec] = {}
    channels: Channels = Channels()
    factories: list[FactorySpec] = Field(min_length=1)
    customers: list[CustomerSpec] = []
    sellers: SellersSpec = SellersSpec()
    finance: FinanceSpec = FinanceSpec()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be shorter than horizon_days "
                f"({self.horizon_days})"
            )
        _require_unique([f.name for f in self.factories], "factory")
        # customers and sellers share one name space: names key their random streams
        buyers = [n for c in self.customers for n in c.customer_names()]
        _require_unique(buyers + self.sellers.seller_names(), "customer or seller")
        if ALWAYS_OPEN in self.calendars:
            raise ValueError(
                f"calendars.{ALWAYS_OPEN}: the name '{ALWAYS_OPEN}' is reserved for the built-in "
                "always-open calendar; choose another name"
            )
        self._check_references()
        return self

    def _check_references(self) -> None:
        calendars = {ALWAYS_OPEN, *self.calendars}
        factories = {f.name: f for f in self.factories}
        for i, factory in enumerate(self.factories):
            for j, line in enumerate(factory.lines):
                if line.calendar not in calendars:
                    raise ValueError(
                        f"factories.{i}.lines.{j}.calendar: calendar '{line.calendar}' is not "
                        f"defined; defined: {', '.join(sorted(calendars))}"
                    )
                spec = self.calendars.get(line.calendar)
                if line.overtime is not None and (spec is None or spec.always_open):
                    raise ValueError(
                        f"factories.{i}.lines.{j}.overtime: the line's calendar "
                        f"'{line.calendar}' is always open, so there are no hours to add; "
                        "give the line a calendar with shifts"
                    )
            if factory.sample_room.calendar not in calendars:
                raise ValueError(
                    f"factories.{i}.sample_room.calendar: calendar "
                    f"'{factory.sample_room.calendar}' is not defined; defined: "
                    f"{', '.join(sorted(calendars))}"
                )
        buyers = [
            (f"customers.{k}", c.factory, c.channel, c.families)
            for k, c in enumerate(self.customers)
        ]
        if self.sellers.count:
            for factory_name in self.sellers.factory_names() or ["(none given)"]:
                buyers.append(("sellers", factory_name, "ecommerce", self.sellers.families))
        for where, factory_name, channel, families in buyers:
            served_by = factories.get(factory_name)
            if served_by is None:
                raise ValueError(
                    f"{where}.factory: factory '{factory_name}' is not defined; "
                    f"defined: {', '.join(factories)}"
                )
            for family in families:
                if not any(line.serves(channel, family) for line in served_by.lines):
                    raise ValueError(
                        f"{where}: no line of factory '{factory_name}' makes family "
                        f"'{family}' for channel '{channel}', so those orders could never be made"
                    )

    def longest_term_days(self) -> float:
        """The longest payment term among the channels that carry money, in days after
        delivery: the upper end of an offline-credit term (its mean plus 3 sd when unbounded),
        plus that of `late_days` when payments can be late, or the auto-confirm delay under the
        voucher. The warm-up should be at least this long."""
        longest = 0.0
        for name in self.priced_channels():
            channel = self.channels.get(name)
            payment = channel.payment
            if payment.regime == "offline_credit":
                high = _upper(payment.term_days)
                if payment.late_probability:
                    high += _upper(payment.late_days)
                longest = max(longest, high)
            elif channel.payment.regime == "voucher":
                longest = max(longest, channel.auto_confirm_days)
        return longest

    def priced_channels(self) -> set[str]:
        """The channels on which some buyer pays a price above zero."""
        priced: set[str] = {c.channel for c in self.customers if c.factory_price > 0}
        if self.sellers.count and self.sellers.factory_price.expectation > 0:
            priced.add("ecommerce")
        return priced

    @property
    def horizon_h(self) -> float:
        return self.horizon_days * HOURS_PER_DAY

    @property
    def warmup_h(self) -> float:
        return self.warmup_days * HOURS_PER_DAY

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A new scenario with dotted keys set, e.g. {"factories.0.lines.ecom.calendar": "day"}.

        A list element is addressed by index or by its `name`. The result is validated in full;
        errors name `source` and the dotted key.
        """
        data = self.model_dump(mode="python")
        for key, value in overrides.items():
            try:
                _set_dotted(data, key, value)
            except ScenarioError as error:
                raise ScenarioError(f"{source}: --set {key}: {error}.") from None
        return validate(data, f"{source} (with --set {', '.join(overrides)})")


def _upper(dist: DistSpec) -> float:
    """A distribution's upper end, or its mean plus 3 sd when it has none."""
    high: float = getattr(dist, "high", dist.expectation + 3 * dist.variance**0.5)
    return high


def _require_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} name '{name}' is used twice; names must be unique")
        seen.add(name)


def _set_dotted(data: Any, key: str, value: Any) -> None:
    """Set `value` at the dotted `key` inside nested dicts and lists."""
    *parents, last = key.split(".")
    node = data
    for depth, part in enumerate(parents):
        node = _child(node, part, ".".join(parents[: depth + 1]))
    if isinstance(node, list):
        node[_index(node, last, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"cannot set '{key}': '{'.'.join(parents)}' is a single value")


def _child(node: Any, part: str, where: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, where)]
    if isinstance(node, dict) and part in node and isinstance(node[part], dict | list):
        return node[part]
    if isinstance(node, dict) and part in node:
        raise ScenarioError(f"cannot set below '{where}': it is a single value")
    raise ScenarioError(f"no key '{where}' in the scenario")


def _index(items: list[Any], part: str, where: str) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    raise ScenarioError(
        f"no element '{part}' at '{where}': give an index below {len(items)} or one of the "
        f"names {', '.join(map(str, names)) or '(none)'}"
    )


class ScenarioError(Exception):
    """Bad scenario input; the message is one paragraph fit to show a person as it is."""


def parse_value(text: str) -> Any:
    """A `--set` value as TOML (numbers, booleans, strings, arrays, inline tables); a bare word
    that is not valid TOML is taken as a string, so `--set x.dispatch=edd` works unquoted."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """['a.b=1', …] → {'a.b': 1, …}."""
    overrides: dict[str, Any] = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ScenarioError(f"--set expects dotted.key=VALUE, got {text!r}")
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def format_validation_error(error: ValidationError, source: str) -> str:
    """One paragraph naming the source and each offending dotted key."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"] if not _is_union_tag(part))
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
    return f"{source}: {count} in the scenario: " + "; ".join(problems) + "."


def _is_union_tag(part: str | int) -> bool:
    """Pydantic puts the chosen union member's tag in the location; people don't write it."""
    return isinstance(part, str) and (part in DIST_NAMES or part.startswith("function-"))


def validate(data: Mapping[str, Any], source: str) -> Scenario:
    """A Scenario from parsed TOML data, or a ScenarioError naming `source` and the keys."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(format_validation_error(error, source)) from None


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file, or a built-in scenario by name, then apply overrides."""
    path = Path(path)
    if path.suffix not in (".toml", ".json") and not path.exists() and str(path) in builtin_names():
        return load_builtin(str(path), overrides)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({error.reason}).") from None
    except OSError as error:
        raise ScenarioError(
            f"{path}: cannot read the scenario file ({error.strerror or error}); give a TOML "
            f"file or one of the built-in scenarios: {', '.join(builtin_names())}"
        ) from None
    return _from_text(text, str(path), overrides)


def load_builtin(name: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario shipped inside the package (see `builtin_names()`)."""
    if name not in builtin_names():
        raise ScenarioError(
            f"no built-in scenario '{name}'; built-ins: {', '.join(builtin_names())}"
        )
    text = resources.files("flexsim.scenarios").joinpath(f"{name}.toml").read_text("utf-8")
    return _from_text(text, f"built-in scenario '{name}'", overrides)


def _from_text(text: str, source: str, overrides: Mapping[str, Any] | None) -> Scenario:
    try:
        data = json.loads(text) if source.endswith(".json") else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        kind = "JSON" if source.endswith(".json") else "TOML"
        raise ScenarioError(f"{source}: not valid {kind}: {error}.") from None
    scenario = validate(data, source)
    return scenario.with_overrides(overrides, source) if overrides else scenario


DEFAULT_SCENARIO = "tao-factory"


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with flexsim, sorted."""
    folder = resources.files("flexsim.scenarios")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def json_schema() -> str:
    """The JSON Schema of a scenario file, for editors and documentation."""
    return json.dumps(Scenario.model_json_schema(), indent=2)
