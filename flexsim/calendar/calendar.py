"""The shift calendar: when a line is open, repeating every week and closed on holidays, and
the work-time arithmetic over it that the model asks for.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from flexsim.calendar.holidays import Holidays, _holidays
from flexsim.calendar.windows import Window, _merge, _rotate, _subtract
from flexsim.vocabulary import HOURS_PER_WEEK


class Calendar(Holidays):
    """When a line is open, repeating every week, and the work-time arithmetic over it.

    Build one with always_open() or weekly(). Windows are half-open: open at a window's start,
    closed at its end. Times are simulation hours; the calendar handles any t >= 0, years out.

    Holidays (closed periods in simulation time, such as a Spring Festival shutdown) close the
    calendar whatever the weekly pattern says. They cut the time axis into gaps: gap k runs from
    the end of holiday k - 1 (or from 0) to the start of holiday k (or forever). Within a gap the
    weekly arithmetic holds as it is; across gaps, the open hours worked by the start of each
    holiday are a prefix sum, so every question stays a bisect over holidays plus one over a
    week's windows.
    """

    __slots__ = ("_always",)

    def __init__(self, windows: Sequence[Window], holidays: Sequence[Window] = ()) -> None:
        """Take sorted, merged, non-empty windows already in the simulation's weekly frame, and
        sorted, merged (not touching), non-empty holidays at or after time 0.

        This is the internal constructor: always_open() and weekly() validate and rotate.
        """
        super().__init__(windows, holidays)
        self._always = list(windows) == [(0.0, HOURS_PER_WEEK)] and not holidays

    @classmethod
    def always_open(cls, closed: Iterable[Window] = ()) -> Calendar:
        """A calendar open at every moment, except during the holidays in `closed`.

        `closed` holds (start_h, end_h) intervals in simulation hours, as for weekly().
        """
        return cls([(0.0, HOURS_PER_WEEK)], _holidays(closed))

    @classmethod
    def weekly(
        cls, windows: Iterable[Window], offset_h: float = 0.0, closed: Iterable[Window] = ()
    ) -> Calendar:
        """A calendar repeating the given open windows every week, closed during holidays.

        Windows are in hours since Monday 00:00, each within [0, 168] with its end after its
        start; they may be unsorted, overlapping or touching. offset_h is the week time of the
        simulation's t = 0 (the start date's weekday times 24), so simulation time t is week time
        (t + offset_h) mod 168. No windows at all (a line never open), a window outside
        [0, 168] or one that is empty or reversed raises ValueError.

        `closed` holds holidays: (start_h, end_h) intervals of simulation time, half-open like
        windows, during which the calendar is closed whatever the weekly pattern says. They may
        be unsorted, overlapping or touching, and are merged; empty ones are dropped, and any
        part before time 0 is outside the simulation and ignored. A non-finite bound or an end
        before its start raises ValueError.
        """
        windows = list(windows)
        if not windows:
            raise ValueError("a weekly calendar needs at least one open window")
        for lo, hi in windows:
            if not 0.0 <= lo < hi <= HOURS_PER_WEEK:
                raise ValueError(
                    f"window ({lo}, {hi}) must satisfy 0 <= start < end <= 168 hours since Monday"
                )
        if not math.isfinite(offset_h):
            raise ValueError(f"offset_h must be a finite number of hours, got {offset_h!r}")
        return cls(_merge(_rotate(windows, offset_h)), _holidays(closed))

    @property
    def always(self) -> bool:
        """True when the calendar is open at every moment: always_open, or a full week, and no
        holidays."""
        return self._always

    def is_open(self, t: float) -> bool:
        """Whether time t falls inside an open window [start, end) and outside every holiday."""
        if self._always:
            return True
        hour = divmod(t, HOURS_PER_WEEK)[1]
        i = bisect_right(self._starts, hour)
        return i > 0 and hour < self._ends[i - 1] and not self._in_holiday(t)

    def next_open(self, t: float) -> float:
        """The earliest open time at or after t: t itself when open, else the next window start
        outside the holidays."""
        if self._always:
            return t
        begin = self._weekly_next_open(t)
        k = bisect_right(self._hol_starts, begin)
        if k == 0 or begin >= self._hol_ends[k - 1]:
            return begin
        # `begin` falls in holiday k - 1. Skip every later gap without open time (its worked
        # total does not grow) in one bisect, then open at the first window of the gap after.
        j = bisect_right(self._hol_worked, self._hol_worked[k - 1], k)
        return self._weekly_next_open(self._hol_ends[j - 1])

    def worked(self, t: float) -> float:
        """Open hours in [0, t], for t >= 0, in O(log windows + log holidays) however large t is."""
        if self._always:
            return t
        if not self._hol_starts:  # the weekly arithmetic alone, kept short for the hot loop
            week, hour = divmod(t, HOURS_PER_WEEK)
            return week * self._week_open + self._open_before(hour)
        k = bisect_right(self._hol_starts, t)
        if k > 0 and t < self._hol_ends[k - 1]:
            return self._hol_worked[k - 1]  # nothing is worked during a holiday
        return self._worked_in_gap(k, t)

    def open_hours(self, t0: float, t1: float) -> float:
        """Open hours in [t0, t1]; t1 before t0 raises ValueError."""
        if t1 < t0:
            raise ValueError(f"open_hours needs t0 <= t1, got t0={t0}, t1={t1}")
        return self.worked(t1) - self.worked(t0)

    def finish(self, t: float, work_h: float) -> float:
        """The earliest time by which work_h hours of open time after t are done.

        That is the smallest t' with open_hours(t, t') == work_h. Zero work returns t unchanged,
        even when closed; work that ends exactly at a window's end or a holiday's start returns
        that time, not the next opening. Negative work raises ValueError.
        """
        if not work_h > 0.0:
            if work_h == 0.0:
                return t
            raise ValueError(f"work_h must be >= 0 hours, got {work_h!r}")
        if self._always:
            return t + work_h
        if not self._hol_starts:
            return self._weekly_finish(t, work_h)
        starts = self._hol_starts
        k = bisect_right(starts, t)
        if k == 0 or t >= self._hol_ends[k - 1]:
            # t lies in gap k: weekly arithmetic alone is exact when the work is done by the
            # next holiday's start, as most work is; only work the holiday interrupts pays more.
            done = self._weekly_finish(t, work_h)
            if k == len(starts) or done <= starts[k]:
                return done
        return self._finish_across_holidays(t, work_h)

    def closed_spans(self, t0: float, t1: float) -> list[Window]:
        """The closed periods inside [t0, t1], clipped to it, in time order, each of positive
        length and none touching the next (a holiday and the weekly closed time around it are one
        span); none when always open. Cost grows with the number of windows crossed outside
        holidays."""
        if self._always or t1 <= t0:
            return []
        # an open span that rounding left empty would split a closed one
        return _subtract(t0, t1, [(lo, hi) for lo, hi in self._open_spans(t0, t1) if hi > lo])

    def open_spans(self, t0: float, t1: float) -> list[Window]:
        """The open periods inside [t0, t1], clipped to it, in time order."""
        if self._always:
            return [(t0, t1)] if t1 > t0 else []
        return list(self._open_spans(t0, t1))

    def _finish_across_holidays(self, t: float, work_h: float) -> float:
        """finish() for work that starts in a holiday or runs into one, by inverting worked().

        In the worked domain the work ends at `target`, and the first holiday whose worked total
        reaches it closes the gap the work ends in: a bisect however many holidays it jumps.
        Inside that gap the weekly arithmetic finishes what is left after the holiday before.
        """
        begin = self.next_open(t)
        k = bisect_right(self._hol_starts, begin)  # begin is open, so it lies in gap k
        target = self._worked_in_gap(k, begin) + work_h
        j = bisect_left(self._hol_worked, target, k)
        if j == k:
            done = self._weekly_finish(begin, work_h)
        else:
            done = self._weekly_finish(self._hol_ends[j - 1], target - self._hol_worked[j - 1])
        # Rounding may carry work that ends at a holiday's start past it; it is done there.
        return done if j == len(self._hol_starts) else min(done, self._hol_starts[j])
