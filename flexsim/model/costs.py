"""Costs: a factory's investments, paid at time 0, and its running costs, paid in cash at the
end of each day.

time 0 → each investment (the factory's own, each line's) paid to the outside world and held
as fixed assets;
day ends → overhead (`overhead_per_day`); under a shift payroll, the wages of every open hour
its lines' calendars had that day (each line at its own `payroll_per_hour`, else the
factory's); the lines' fixed costs (`fixed_cost_per_day`); each paid to the outside world and
booked as an expense of the day (not as a cost of any order); then the day's straight-line
depreciation of the investments still within their life, a non-cash expense.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from flexsim.calendar import Calendar
from flexsim.model.ledger import Ledger
from flexsim.model.timer import Environment
from flexsim.vocabulary import (
    DEPRECIATION,
    EXPENSES,
    FIXED_ASSETS,
    FIXED_COST,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    INVESTMENT,
    NO_ORDER,
    OVERHEAD,
    PAYROLL,
    WAGES,
    WORLD,
)


@dataclass
class RunningCosts:
    """What a factory pays at the end of each day, and the investments it depreciates."""

    overhead_per_day: float = 0.0
    fixed_per_day: float = 0.0  # the lines' fixed costs together
    payroll: dict[float, list[Calendar]] = field(default_factory=dict)  # rate → line calendars
    investments: list[tuple[float, float]] = field(default_factory=list)  # (amount, life_years)

    def __bool__(self) -> bool:
        return bool(
            self.overhead_per_day or self.fixed_per_day or any(self.payroll) or self.investments
        )

    def payroll_due(self, start: float, end: float) -> float:
        """The wages of the lines' open hours in [start, end), each group at its rate."""
        return sum(
            rate * sum(calendar.open_hours(start, end) for calendar in calendars)
            for rate, calendars in self.payroll.items()
            if rate
        )

    def depreciation(self, start: float, end: float) -> float:
        """Straight-line depreciation over [start, end) of the investments within their life."""
        total = 0.0
        for amount, life_years in self.investments:
            life_h = life_years * HOURS_PER_YEAR
            total += amount * (min(end, life_h) - min(start, life_h)) / life_h
        return total


def invest(ledger: Ledger, party: str, investments: list[tuple[float, float]]) -> None:
    """Pay each investment in cash to the outside world, now (time 0), as a fixed asset."""
    for amount, _ in investments:
        ledger.pay(party, FIXED_ASSETS, WORLD, "", amount, NO_ORDER, INVESTMENT)


def pay_running_costs(
    env: Environment, ledger: Ledger, party: str, costs: RunningCosts
) -> Generator[simpy.Event, Any, None]:
    """At the end of each day pay that day's payroll, overhead and fixed costs, then book its
    depreciation."""
    while True:
        start = env.now
        yield env.timeout(HOURS_PER_DAY)
        if any(costs.payroll):
            wages = costs.payroll_due(start, env.now)
            ledger.pay(party, WAGES, WORLD, "", wages, NO_ORDER, PAYROLL)
        ledger.pay(party, EXPENSES, WORLD, "", costs.overhead_per_day, NO_ORDER, OVERHEAD)
        ledger.pay(party, EXPENSES, WORLD, "", costs.fixed_per_day, NO_ORDER, FIXED_COST)
        if costs.investments:
            amount = costs.depreciation(start, env.now)
            ledger.post(party, DEPRECIATION, FIXED_ASSETS, amount, NO_ORDER, DEPRECIATION)
