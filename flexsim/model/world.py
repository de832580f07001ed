"""World: wires factories, lines and customers from a scenario into one SimPy environment."""

from __future__ import annotations

import itertools

import simpy

from flexsim.calendar import HOURS_PER_DAY, Calendar, shift_windows
from flexsim.model.factory import Factory, Line
from flexsim.model.wholesale import place_orders
from flexsim.records import Recorder
from flexsim.scenario import WEEKDAYS, CalendarSpec, Scenario, clock_hours
from flexsim.streams import Streams


class World:
    """The built model: its factories, and what to do at the horizon."""

    def __init__(self, factories: dict[str, Factory]) -> None:
        self.factories = factories

    def close(self, at: float) -> None:
        """Record everything still open at the horizon."""
        for factory in self.factories.values():
            factory.close(at)


def make_calendar(spec: CalendarSpec | None, start_weekday: int) -> Calendar:
    """A Calendar from its spec; None is the implicit always-open calendar."""
    if spec is None or spec.always_open:
        return Calendar.always_open()
    windows = []
    for shift in spec.shifts:
        breaks = []
        for text in shift.breaks:
            start, _, end = text.partition("-")
            breaks.append((clock_hours(start.strip()), clock_hours(end.strip())))
        days = [WEEKDAYS.index(day) for day in shift.days]
        windows += shift_windows(days, clock_hours(shift.start), clock_hours(shift.end), breaks)
    return Calendar.weekly(windows, offset_h=start_weekday * HOURS_PER_DAY)


def build(
    env: simpy.Environment, scenario: Scenario, streams: Streams, recorder: Recorder
) -> World:
    """Create every entity and start its processes; nothing runs until env.run."""
    moq = {"ecommerce": scenario.channels.ecommerce.moq, "offline": scenario.channels.offline.moq}
    weekday = scenario.start_date.weekday()
    factories: dict[str, Factory] = {}
    for spec in scenario.factories:
        factory = factories[spec.name] = Factory(env, spec.name, moq, recorder)
        for line in spec.lines:
            calendar = make_calendar(scenario.calendars.get(line.calendar), weekday)
            unit_time = line.unit_time_h.sampler(streams[f"line.unit_time/{spec.name}.{line.name}"])
            factory.add_line(Line(env, factory, line, calendar, unit_time))
    order_ids = itertools.count()
    for customer in scenario.customers:
        for name in customer.customer_names():
            factory = factories[customer.factory]
            env.process(place_orders(env, name, customer, factory, streams, order_ids))
    return World(factories)
