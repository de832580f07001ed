"""World: wires factories, lines, outside workshops, customers, sellers and the trade between
them into one SimPy environment, and closes the books at the horizon."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Generator
from typing import Any

import simpy

from flexsim.dists import DistSpec
from flexsim.model.alliance import Alliance, Member
from flexsim.model.batch import BatchLine
from flexsim.model.costs import RunningCosts, invest, pay_running_costs
from flexsim.model.factory import Fabric, Factory
from flexsim.model.ledger import Ledger
from flexsim.model.line import Breakdowns, Host, Line, UnitTimes
from flexsim.model.opening import open_orders
from flexsim.model.overtime import Overtime
from flexsim.model.polling import PollingLine
from flexsim.model.rules import POLLING
from flexsim.model.samples import SampleRoom
from flexsim.model.seasons import SeasonCalendar
from flexsim.model.seller import Seller
from flexsim.model.shelf import Shelf
from flexsim.model.station import Routing, Station
from flexsim.model.timer import Environment
from flexsim.model.trade import Trade
from flexsim.model.wholesale import OrderStream
from flexsim.model.workshop import Workshop
from flexsim.records import Recorder
from flexsim.scenario import (
    AllianceSpec,
    FactorySpec,
    FinanceSpec,
    LineSpec,
    Scenario,
    ScenarioError,
    build_calendar,
)
from flexsim.streams import PerBuyer, Streams
from flexsim.vocabulary import (
    ECOMMERCE,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    OFFLINE,
    PLATFORM,
    factory_party,
    seller_party,
    workshop_party,
)


class World:
    """The built model: its factories, sellers and trade, and what to do at the horizon."""

    def __init__(
        self,
        factories: dict[str, Factory],
        sellers: list[Seller],
        trade: Trade,
        workshops: list[Workshop] | None = None,
    ):
        self.factories, self.sellers, self.trade = factories, sellers, trade
        self.workshops = workshops or []

    def charge_interest(self, finance: FinanceSpec) -> Generator[simpy.Event, Any, None]:
        """Every interest period the bank settles interest with every party but itself."""
        env, ledger = self.trade.env, self.trade.ledger
        overdraft = finance.overdraft_rate / HOURS_PER_YEAR
        deposit = finance.deposit_rate / HOURS_PER_YEAR
        parties = [f.party for f in self.factories.values()] + [s.party for s in self.sellers]
        while True:
            yield env.timeout(finance.interest_days * HOURS_PER_DAY)
            for party in [*parties, PLATFORM]:
                ledger.settle_interest(party, overdraft, deposit)

    def close(self, at: float) -> None:
        """Record everything still open at the horizon."""
        for factory in self.factories.values():
            factory.close(at)
        for workshop in self.workshops:
            workshop.close(at, paid_at=math.nextafter(at, -math.inf))
        for seller in self.sellers:
            seller.close()
        self.trade.close(at)


def month_starts(start_date: dt.date, horizon_days: float) -> list[float]:
    """The simulation hours at which each calendar month after the start date begins (up to
    December 9999: there is no later month to begin)."""
    starts: list[float] = []
    month = dt.date(start_date.year, start_date.month, 1)
    while (month.year, month.month) < (dt.MAXYEAR, 12):
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        hours = (month - start_date).days * HOURS_PER_DAY
        if hours > horizon_days * HOURS_PER_DAY:
            break
        starts.append(hours)
    return starts


def make_line(
    env: Environment, factory: Host, spec: LineSpec, scenario: Scenario, streams: Streams
) -> Line:
    """A line of a factory (or of one of its stations, whose name is the factory's) with its
    calendars and its random streams: unit times per buyer, breakdowns of its own."""
    calendar_spec = scenario.calendars.get(spec.calendar)
    calendar = build_calendar(calendar_spec, scenario.start_date)
    label = f"{factory.name}.{spec.name}"
    unit_time = unit_times(streams, f"line.unit_time/{label}", spec.unit_time_h, spec.efficiency)
    by_family = {
        family: unit_times(streams, f"line.unit_time/{label}/{family}", dist, spec.efficiency)
        for family, dist in spec.unit_time_by_family.items()
    }
    failures = None
    if spec.breakdowns is not None:
        failures = Breakdowns(
            spec.breakdowns.between_failures_h.sampler(streams[f"line.failure/{label}"]),
            spec.breakdowns.repair_h.sampler(streams[f"line.repair/{label}"]),
        )
    overtime = None
    if spec.overtime is not None:
        extended = build_calendar(calendar_spec, scenario.start_date, spec.overtime.hours_per_day)
        months = month_starts(scenario.start_date, scenario.horizon_days)
        overtime = Overtime(spec.overtime, calendar, extended, months)
    args = (env, factory, spec, calendar, unit_time, failures, by_family, overtime)
    if spec.batch is not None:
        lay_h = spec.batch.lay_h.sampler(streams[f"line.lay/{label}"])
        return BatchLine(*args, lay_h=lay_h)
    if spec.dispatch in POLLING:
        return PollingLine(*args, gated=POLLING[spec.dispatch])
    return Line(*args)


def unit_times(streams: Streams, name: str, dist: DistSpec, efficiency: float) -> UnitTimes:
    """A line's hours per piece, each buyer's drawn from its own stream `NAME/BUYER`."""
    return PerBuyer(streams, name, lambda rng: dist.sampler(rng, 1 / efficiency))


def make_factory(
    env: Environment,
    spec: FactorySpec,
    scenario: Scenario,
    streams: Streams,
    recorder: Recorder,
    ledger: Ledger,
) -> Factory:
    moq = {ECOMMERCE: scenario.channels.ecommerce.moq, OFFLINE: scenario.channels.offline.moq}
    factory = Factory(env, spec, moq, recorder, ledger)
    fabric = spec.fabric
    if fabric.in_stock_probability < 1:  # each buyer's orders draw from its own streams
        factory.fabric = Fabric(
            fabric.in_stock_probability,
            PerBuyer(streams, f"factory.fabric/{spec.name}", lambda rng: rng.random),
            PerBuyer(
                streams,
                f"factory.fabric_lead/{spec.name}",
                lambda rng: fabric.lead_days.sampler(rng, HOURS_PER_DAY),
            ),
        )
    if spec.routing:  # each line a station with its own queue, the orders going through them
        stations = {line.name: Station(env, factory) for line in spec.lines}
        factory.routing = Routing(env, factory, stations, spec.routing)
        for line in spec.lines:
            made = stations[line.name].line = make_line(
                env, stations[line.name], line, scenario, streams
            )
            if spec.booking is not None:  # a booked order's hours start at its bottleneck
                made.plain = False  # station (Line.take), off the fast path
            factory.add_line(made)
    else:
        for line in spec.lines:
            factory.add_line(make_line(env, factory, line, scenario, streams))
    if spec.booking is not None:
        env.process(factory.publish())
    costs = running_costs(spec, factory)
    if costs:
        env.process(pay_running_costs(env, ledger, factory.party, costs))
    return factory


def running_costs(spec: FactorySpec, factory: Factory) -> RunningCosts:
    """A factory's daily costs and investments; the payroll groups its lines' calendars by
    their rate."""
    costs = RunningCosts(
        spec.overhead_per_day,
        sum(line.fixed_cost_per_day for line in spec.lines),
        investments=list(spec.investments().values()),
    )
    for line_spec, line in zip(spec.lines, factory.lines, strict=True):
        costs.payroll.setdefault(spec.line_payroll(line_spec), []).append(line.normal)
    return costs


def make_workshops(
    env: Environment,
    scenario: Scenario,
    streams: Streams,
    recorder: Recorder,
    factories: dict[str, Factory],
) -> list[Workshop]:
    """The outside workshops, each on its calendar with its own streams (unit times per buyer
    `workshop.unit_time/NAME/BUYER`), handed to the factories that subcontract to them."""
    workshops: dict[str, Workshop] = {}
    for shop in scenario.workshops:
        calendar = build_calendar(scenario.calendars.get(shop.calendar), scenario.start_date)
        unit_time = unit_times(streams, f"workshop.unit_time/{shop.name}", shop.unit_time_h, 1.0)
        workshops[shop.name] = Workshop(env, shop, recorder, calendar, unit_time, streams)
    for spec in scenario.factories:
        routing = factories[spec.name].routing
        if routing is not None and routing.outside:  # workshop steps of its routings
            routing.attach(workshops)
        if spec.subcontract.rule != "never":
            factory = factories[spec.name]
            for name in spec.subcontract.workshops:
                factory.workshops.append(workshops[name])
                factory.fees[workshops[name].name] = workshops[name].spec.price_per_piece
    return list(workshops.values())


def make_sample_room(
    env: Environment, spec: FactorySpec, scenario: Scenario, streams: Streams
) -> SampleRoom:
    """A factory's sample room on its calendar; each seller's samples draw their making times
    from the seller's own stream there."""
    room = spec.sample_room
    calendar = build_calendar(scenario.calendars.get(room.calendar), scenario.start_date)
    making_h = PerBuyer(streams, f"sample.making/{spec.name}", room.making_h.sampler)
    return SampleRoom(env, room, calendar, making_h)


def member_parties(role: str, name: str, scenario: Scenario) -> list[str]:
    """The ledger parties whose books make a member's profit: a factory's, a workshop's, or
    every seller's for the lead."""
    if role == "core":
        return [factory_party(name)]
    if role == "outside":
        return [workshop_party(name)]
    return [seller_party(seller) for seller in scenario.sellers.seller_names()]


def alliance_parties(scenario: Scenario) -> list[str]:
    return [
        party
        for spec in scenario.alliances
        for member in spec.members
        for party in member_parties(member.role, member.name, scenario)
    ]


def make_alliance(
    env: Environment,
    spec: AllianceSpec,
    scenario: Scenario,
    factories: dict[str, Factory],
    workshops: list[Workshop],
    ledger: Ledger,
    recorder: Recorder,
) -> Alliance:
    """An alliance of the scenario's members; each core factory's shipping is watched for
    joint orders."""
    shops = {shop.name: shop for shop in workshops}
    members = []
    for i, one in enumerate(spec.members):
        parties = member_parties(one.role, one.name, scenario)
        factory = factories.get(one.name) if one.role == "core" else None
        if factory is not None:
            lines = list(factory.lines)
        elif one.role == "outside":
            lines = [shops[parties[0]].line]
        else:
            lines = []
        member = Member(one.name, one.role, i, parties, lines, factory, streak=one.bad_streak)
        if one.withdrawn:  # withdrew before the start (a restart)
            member.active = False
            if factory is not None and not spec.ended():  # closed to the sellers from time 0
                factory.withdrawn_at = 0.0
        members.append(member)
    alliance = Alliance(env, spec, members, ledger, recorder)
    for member in members:
        if member.factory is not None:
            member.factory.ship = alliance.watch(member, member.factory.ship)
    return alliance


def build(env: Environment, scenario: Scenario, streams: Streams, recorder: Recorder) -> World:
    """Create every entity and start its processes; nothing runs until env.run."""
    channels = {ECOMMERCE: scenario.channels.ecommerce, OFFLINE: scenario.channels.offline}
    ledger = Ledger(env, recorder.ledger)
    if scenario.alliances:  # the ledger counts the members' income and costs from the start
        ledger.tally = {party: [0.0, 0.0] for party in alliance_parties(scenario)}
    trade = Trade(env, channels, ledger, recorder, scenario.horizon_h)
    factories: dict[str, Factory] = {}
    for spec in scenario.factories:
        factory = make_factory(env, spec, scenario, streams, recorder, ledger)
        factories[spec.name] = factory
        factory.ship = trade.ship
        ledger.capitalise(factory.party, spec.initial_cash)
        invest(ledger, factory.party, list(spec.investments().values()))
    ledger.capitalise(PLATFORM, 0.0)
    workshops = make_workshops(env, scenario, streams, recorder, factories)
    order_ids = itertools.count()
    customers: dict[str, OrderStream] = {}
    for customer in scenario.customers:
        channel = channels[customer.channel]
        for name in customer.customer_names():
            factory = factories[customer.factory]
            stream = OrderStream(env, name, customer, channel, factory, trade, streams, order_ids)
            factory.add_stream(stream)
            customers[name] = stream
    if scenario.order_book:
        raise ScenarioError(
            f"order_book {scenario.order_book!r} was not read: it is read when the scenario "
            "file is loaded (flexsim.load), and a variant cannot set it"
        )
    open_orders(env, scenario, factories, customers, trade, order_ids)
    rooms = {
        spec.name: make_sample_room(env, spec, scenario, streams) for spec in scenario.factories
    }
    sellers = []
    spec_s = scenario.sellers
    seasons = SeasonCalendar(spec_s.seasons, scenario.start_date)
    names = spec_s.seller_names()
    shelf = Shelf(env, spec_s, seasons, recorder, rows=len(names))
    mine = spec_s.factory_names()  # the scenario validates the names
    # one dict of each for all sellers, which only read them
    theirs, their_rooms = {f: factories[f] for f in mine}, {f: rooms[f] for f in mine}
    for name in names:
        seller = Seller(
            env, name, spec_s, channels[ECOMMERCE], theirs, their_rooms, trade, streams,
            order_ids, seasons, shelf,
        )  # fmt: skip
        ledger.capitalise(seller.party, spec_s.initial_cash)
        env.process(seller.launch_items())
        sellers.append(seller)
    if sellers:
        env.process(shelf.trade_days())
    world = World(factories, sellers, trade, workshops)
    for pact in scenario.alliances:
        alliance = make_alliance(env, pact, scenario, factories, workshops, ledger, recorder)
        if not pact.ended():  # (a restart after its end: the alliance is over)
            env.process(alliance.reviews())
    if scenario.finance.overdraft_rate or scenario.finance.deposit_rate:
        env.process(world.charge_interest(scenario.finance))
    return world
