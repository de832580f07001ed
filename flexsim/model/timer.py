"""Timer: the model's clock, SimPy's Environment with a cheaper event, and `after`.

Most of the model's events are a call at a later time with nothing waiting on them: the end of
an order's processing, a parcel in transit, a payment due in 90 days. A SimPy Timeout for each
is an Event object built through two Python calls (its __init__ and Environment.schedule) and
handled through its list of callbacks. `Environment.call_in` puts the bare call on SimPy's own
event queue instead, in the (time, priority, id) order a Timeout of the same delay would take,
so the run is the same, event for event; the environment's step calls it. Processes, Timeouts
and every other SimPy event work as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from types import FunctionType, MethodType
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import EventPriority

NORMAL = 1  # SimPy's priority of a Timeout (simpy.events.NORMAL)
Action = Callable[[], object]
# what call_in accepts: a SimPy event is never one of these, so step can tell them apart
ACTIONS: frozenset[Any] = frozenset({FunctionType, MethodType, partial})


class Environment(simpy.Environment):
    """SimPy's environment; `call_in` schedules a bare call, `steps` processes a block."""

    # The clock as a plain attribute, set with SimPy's `_now` at each event: the model reads
    # it a few times per order, and CPython 3.11 cannot specialise a property read (SimPy's
    # `now`), so each took its slow generic attribute lookup; a plain attribute read is
    # specialised. This class attribute shadows SimPy's property.
    now: float = 0.0

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.now = self._now

    def call_in(self, delay: float, action: Action) -> None:
        """Call `action()` when `delay` (≥ 0) hours have passed, where a Timeout of that delay
        would have been processed. `action` is a function, a bound method or a partial."""
        queue: list[Any] = self._queue  # SimPy's queue, typed for its own events
        heappush(queue, (self._now + delay, NORMAL, next(self._eid), action))

    def step(self) -> None:
        self.steps(1)

    def steps(self, count: int) -> None:
        """Process the next `count` events: SimPy's step, inlined (this loop is the run's
        innermost), with a bare call called."""
        queue: list[Any] = self._queue
        event: Any
        for _ in range(count):
            try:
                self.now, _, _, event = heappop(queue)
            except IndexError:
                raise EmptySchedule from None
            self._now = self.now  # what SimPy's own events read
            if event.__class__ in ACTIONS:
                event()
                continue
            callbacks, event.callbacks = event.callbacks, None
            try:
                for callback in callbacks:
                    callback(event)
            except StopSimulation:  # as SimPy: the other callbacks run when the run resumes
                event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                self.schedule(event, EventPriority(-1))
                raise
            if not event._ok and not hasattr(event, "_defused"):
                error = type(event._value)(*event._value.args)
                error.__cause__ = event._value
                raise error


def after(env: Environment, delay_h: float, action: Action) -> None:
    """Run `action()` when `delay_h` hours have passed; a delay of 0 runs it now, inline,
    because an event that changes nothing about time would only cost a heap push and pop."""
    if delay_h <= 0:
        action()
        return
    env.call_in(delay_h, action)
