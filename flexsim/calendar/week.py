"""Work-time arithmetic over one week's open windows, repeated every week: the open hours
before an hour of the week, the next opening, when some hours of work are done, and the windows
overlapping a period. Holidays are left to the subclasses.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence

from flexsim.calendar.windows import Window
from flexsim.vocabulary import HOURS_PER_WEEK


class Week:
    """Sorted, merged, non-empty open windows already in the simulation's weekly frame, with
    the open hours from the start of the week to each window's start and end: every question
    is then a bisect over one week's windows plus whole weeks counted in O(1)."""

    __slots__ = ("_cum_end", "_cum_start", "_ends", "_starts", "_week_open")

    def __init__(self, windows: Sequence[Window]) -> None:
        self._starts = [lo for lo, _ in windows]
        self._ends = [hi for _, hi in windows]
        # Open hours from the start of the week to each window's start and end: the prefix
        # sums that turn "how much work so far" into a bisect.
        self._cum_start: list[float] = []
        self._cum_end: list[float] = []
        total = 0.0
        for lo, hi in windows:
            self._cum_start.append(total)
            total += hi - lo
            self._cum_end.append(total)
        self._week_open = total

    @property
    def open_hours_per_week(self) -> float:
        """Open hours in any one week without holidays: 168 when the weekly pattern is full."""
        return self._week_open

    def _weekly_next_open(self, t: float) -> float:
        """The earliest time at or after t inside a weekly window, holidays aside."""
        week, hour = divmod(t, HOURS_PER_WEEK)
        i = bisect_right(self._starts, hour)
        if i > 0 and hour < self._ends[i - 1]:
            return t
        if i == len(self._starts):
            week, i = week + 1.0, 0
        return _compose(week, self._starts[i])

    def _weekly_finish(self, t: float, work_h: float) -> float:
        """When work_h > 0 hours of weekly open time after t are done, holidays aside."""
        week, hour = divmod(t, HOURS_PER_WEEK)
        i = bisect_right(self._starts, hour)
        if i > 0 and hour < self._ends[i - 1]:
            begin, before = t, self._cum_start[i - 1] + (hour - self._starts[i - 1])
        else:  # closed: the work begins at the next window's start
            if i == len(self._starts):
                week, i = week + 1.0, 0
            begin, before = _compose(week, self._starts[i]), self._cum_start[i]
        # Open hours from the start of `week` to the moment the work is done, split into whole
        # weeks and the open hours still needed in the last week, in (0, W]: a remainder of 0
        # means the work ends at the last window end of the week before, not the next start.
        extra, need = divmod(before + work_h, self._week_open)
        if need <= 0.0:
            extra, need = extra - 1.0, self._week_open
        i = min(bisect_left(self._cum_end, need), len(self._cum_end) - 1)
        done = min(self._starts[i] + (need - self._cum_start[i]), self._ends[i])
        # The max guards against rounding placing a tiny job before its own start.
        return max(begin, _compose(week + extra, done))

    def _open_before(self, hour: float) -> float:
        """Open hours from the start of a week to the given hour of the week."""
        i = bisect_right(self._starts, hour) - 1
        if i < 0:
            return 0.0
        return self._cum_start[i] + (min(hour, self._ends[i]) - self._starts[i])

    def _window_spans(self, t0: float, t1: float) -> Iterator[Window]:
        """The weekly windows overlapping [t0, t1] in simulation time, clipped to it, in order."""
        week, hour = divmod(t0, HOURS_PER_WEEK)
        i = bisect_right(self._ends, hour)  # the first window still open after t0
        count = len(self._starts)
        while True:
            if i == count:
                week, i = week + 1.0, 0
            # Edges composed as next_open and finish compose them, so that a closed span starts
            # where is_open turns false and ends where the line reopens.
            lo = _compose(week, self._starts[i])
            if lo >= t1:
                return
            yield max(lo, t0), min(_compose(week, self._ends[i]), t1)
            i += 1


def _compose(week: float, hour: float) -> float:
    """The simulation time at `hour` of `week`, rounded up rather than down.

    Adding the hour to a large week base can round below the base + hour that was meant, which
    would put a window's start a hair before the window and read as closed. The subtraction is
    exact (Sterbenz), so it tells when that happened, and one step up puts the time back inside.
    """
    base = week * HOURS_PER_WEEK
    t = base + hour
    if t - base < hour:
        t = math.nextafter(t, math.inf)
    return t
