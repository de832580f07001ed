"""Sample room: a factory's proofing of new items, with its own sample makers.

request → waits for a free sample maker (first come, first served) → made in the room's open
hours (one `making_h` draw per sample, from the requesting seller's own stream) → handed back
to the requester, who ships and judges it; a rejected sample comes back as a new request (a
remake), behind the samples already waiting.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial

from flexsim.calendar import Calendar
from flexsim.model.timer import Environment
from flexsim.scenario import SampleRoomSpec
from flexsim.streams import PerBuyer


class SampleRoom:
    """A pool of sample makers and the queue of samples waiting for one; no SimPy process, a
    chain of timeout callbacks like the lines (two events per sample)."""

    def __init__(
        self,
        env: Environment,
        spec: SampleRoomSpec,
        calendar: Calendar,
        making_h: PerBuyer[Callable[[], float]],
    ) -> None:
        self.env, self.spec, self.calendar, self.making_h = env, spec, calendar, making_h
        self.free = spec.sample_makers
        self.waiting: deque[tuple[str, Callable[[], None]]] = deque()
        self.made = 0

    def request(self, buyer: str, done: Callable[[], None]) -> None:
        """Make a sample for `buyer`; `done` is called when it is made."""
        if self.free:
            self.free -= 1
            self.make(buyer, done)
        else:
            self.waiting.append((buyer, done))

    def make(self, buyer: str, done: Callable[[], None]) -> None:
        now = self.env.now
        work_h = self.making_h[buyer]()
        end = self.calendar.finish(now, work_h)
        self.env.call_in(end - now, partial(self.finished, done))

    def finished(self, done: Callable[[], None]) -> None:
        """A sample is made: its maker takes the next waiting sample or goes free."""
        self.made += 1
        if self.waiting:
            self.make(*self.waiting.popleft())
        else:
            self.free += 1
        done()
