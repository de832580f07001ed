"""Costs: a factory's running costs, paid in cash at the end of each day.

day ends → overhead (`overhead_per_day`) and, under a shift payroll, the wages of every open
hour its lines' calendars had that day (`payroll_per_hour`), each paid to the outside world and
booked as an expense of the day (not as a cost of any order).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from flexsim.calendar import Calendar
from flexsim.model.ledger import Ledger
from flexsim.model.schedule import Environment
from flexsim.vocabulary import EXPENSES, HOURS_PER_DAY, NO_ORDER, OVERHEAD, PAYROLL, WAGES, WORLD


def pay_running_costs(
    env: Environment,
    ledger: Ledger,
    party: str,
    overhead_per_day: float,
    payroll_per_hour: float,
    calendars: list[Calendar],
) -> Generator[simpy.Event, Any, None]:
    """At the end of each day pay that day's overhead and the payroll of its open line hours."""
    while True:
        start = env.now
        yield env.timeout(HOURS_PER_DAY)
        if payroll_per_hour:
            open_h = sum(calendar.open_hours(start, env.now) for calendar in calendars)
            ledger.pay(party, WAGES, WORLD, "", payroll_per_hour * open_h, NO_ORDER, PAYROLL)
        ledger.pay(party, EXPENSES, WORLD, "", overhead_per_day, NO_ORDER, OVERHEAD)
