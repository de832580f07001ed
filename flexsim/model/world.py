"""World: wires factories, lines, customers, sellers and the trade between them into one
SimPy environment, and closes the books at the horizon."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Generator
from typing import Any

import simpy

from flexsim.calendar import HOURS_PER_DAY, Calendar
from flexsim.model.costs import pay_running_costs
from flexsim.model.demand import Seller
from flexsim.model.factory import Breakdowns, Factory, Line, PollingLine
from flexsim.model.ledger import PLATFORM, Ledger
from flexsim.model.rules import POLLING
from flexsim.model.trade import Trade
from flexsim.model.wholesale import OrderStream
from flexsim.records import Recorder
from flexsim.scenario import CalendarSpec, FinanceSpec, Scenario
from flexsim.streams import Streams

HOURS_PER_YEAR = 365 * HOURS_PER_DAY  # interest rates are per year of 365 days


class World:
    """The built model: its factories, sellers and trade, and what to do at the horizon."""

    def __init__(self, factories: dict[str, Factory], sellers: list[Seller], trade: Trade):
        self.factories, self.sellers, self.trade = factories, sellers, trade

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
        for seller in self.sellers:
            seller.close()
        self.trade.close()


def make_calendar(spec: CalendarSpec | None, start_date: dt.date) -> Calendar:
    """A Calendar from its spec; None is the implicit always-open calendar."""
    if spec is None:
        return Calendar.always_open()
    closed = [holiday.hours(start_date) for holiday in spec.holidays]
    if spec.always_open:
        return Calendar.always_open(closed=closed)
    windows = [window for shift in spec.shifts for window in shift.windows()]
    offset_h = start_date.weekday() * HOURS_PER_DAY
    return Calendar.weekly(windows, offset_h=offset_h, closed=closed)


def build(
    env: simpy.Environment, scenario: Scenario, streams: Streams, recorder: Recorder
) -> World:
    """Create every entity and start its processes; nothing runs until env.run."""
    channels = {"ecommerce": scenario.channels.ecommerce, "offline": scenario.channels.offline}
    ledger = Ledger(env, recorder.ledger)
    trade = Trade(env, channels, ledger, recorder)
    moq = {name: channel.moq for name, channel in channels.items()}
    factories: dict[str, Factory] = {}
    for spec in scenario.factories:
        factory = factories[spec.name] = Factory(env, spec, moq, recorder, ledger)
        factory.ship = trade.ship
        ledger.capitalise(factory.party, spec.initial_cash)
        for line in spec.lines:
            calendar = make_calendar(scenario.calendars.get(line.calendar), scenario.start_date)
            label = f"{spec.name}.{line.name}"
            unit_time = line.unit_time_h.sampler(streams[f"line.unit_time/{label}"])
            failures = None
            if line.breakdowns is not None:
                failures = Breakdowns(
                    line.breakdowns.between_failures_h.sampler(streams[f"line.failure/{label}"]),
                    line.breakdowns.repair_h.sampler(streams[f"line.repair/{label}"]),
                )
            if line.dispatch in POLLING:
                gated = POLLING[line.dispatch]
                args = (env, factory, line, calendar, unit_time, failures, gated)
                factory.add_line(PollingLine(*args))
            else:
                factory.add_line(Line(env, factory, line, calendar, unit_time, failures))
        payroll = spec.payroll_per_hour if spec.wages == "payroll" else 0.0
        if payroll or spec.overhead_per_day:
            calendars = [line.calendar for line in factory.lines]
            env.process(
                pay_running_costs(
                    env, ledger, factory.party, spec.overhead_per_day, payroll, calendars
                )
            )
    ledger.capitalise(PLATFORM, 0.0)
    order_ids = itertools.count()
    for customer in scenario.customers:
        channel = channels[customer.channel]
        for name in customer.customer_names():
            factory = factories[customer.factory]
            stream = OrderStream(env, name, customer, channel, factory, trade, streams, order_ids)
            factory.add_stream(stream)
    sellers = []
    spec_s = scenario.sellers
    for name in spec_s.seller_names():
        assert spec_s.factory is not None  # the scenario validates this
        factory = factories[spec_s.factory]
        seller = Seller(
            env, name, spec_s, channels["ecommerce"], factory, trade, streams, order_ids
        )
        ledger.capitalise(seller.party, spec_s.initial_cash)
        env.process(seller.launch_items())
        env.process(seller.trade_days())
        sellers.append(seller)
    world = World(factories, sellers, trade)
    if scenario.finance.overdraft_rate or scenario.finance.deposit_rate:
        env.process(world.charge_interest(scenario.finance))
    return world
