"""Shift calendars: when a line is open, and work-time arithmetic over open windows.

Time is in hours (floats); simulation time 0 is 00:00 of the scenario's start date. A weekly
calendar is a set of open windows in hours since Monday 00:00. At construction the windows are
rotated into the simulation's own frame, so that simulation week k is exactly
[168k, 168(k + 1)): splitting a time into its week and the hour within it is then one exact
`divmod`, and every question (is it open, how much open time so far, when is the work done) is a
bisect over one week's windows plus whole weeks counted in O(1), however many weeks apart.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["DAYS_PER_WEEK", "HOURS_PER_DAY", "HOURS_PER_WEEK", "Calendar", "shift_windows"]

HOURS_PER_DAY = 24.0
DAYS_PER_WEEK = 7
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK

Window = tuple[float, float]


def shift_windows(
    days: Iterable[int],
    start_h: float,
    end_h: float,
    breaks: Iterable[tuple[float, float]] = (),
) -> list[Window]:
    """Open windows in hours since Monday 00:00 of a shift worked on the given weekdays.

    Weekdays count from 0 = Monday to 6 = Sunday. The shift runs from start_h to end_h, hours of
    day in [0, 24], minus its breaks, each a (start_h, end_h) pair of hours of day lying inside
    the shift. A shift whose end_h is at or before its start_h crosses midnight into the next
    day; Sunday's night shift wraps into Monday morning, so its window is split at 168 into
    [x, 168) and [0, y). The windows come back sorted, with touching ones merged. Hours outside
    [0, 24], a break that is not inside its shift, a weekday outside 0-6 and start_h == end_h
    raise ValueError.
    """
    _check_hour(start_h, "start_h")
    _check_hour(end_h, "end_h")
    shift_end = _shift_end(start_h, end_h)
    if start_h == end_h or shift_end <= start_h:
        raise ValueError(f"shift {start_h:g}-{end_h:g} has no length; a full day is 0-24")
    holes = [_break_in_shift(brk, start_h, end_h) for brk in breaks]
    pieces = _subtract(start_h, shift_end, holes)
    windows: list[Window] = []
    for day in sorted({_check_day(day) for day in days}):
        midnight = day * HOURS_PER_DAY
        for lo, hi in pieces:
            windows += _wrap_week(midnight + lo, midnight + hi)
    return _merge(windows)


def _check_hour(hour: float, name: str) -> None:
    """Reject an hour of day outside [0, 24] (NaN included, since it fails every comparison)."""
    if not 0.0 <= hour <= HOURS_PER_DAY:
        raise ValueError(f"{name}={hour!r} is not an hour of day in [0, 24]")


def _check_day(day: int) -> int:
    """A weekday number 0 (Monday) to 6 (Sunday), as an int."""
    if day not in range(DAYS_PER_WEEK):
        raise ValueError(f"weekday {day!r} is not in 0 (Monday) … 6 (Sunday)")
    return int(day)


def _shift_end(start_h: float, end_h: float) -> float:
    """A shift's end in hours since the midnight it starts after: past 24 when it ends the next
    day, which is what an end at or before the start means."""
    return end_h if end_h > start_h else end_h + HOURS_PER_DAY


def _break_in_shift(brk: tuple[float, float], start_h: float, end_h: float) -> Window:
    """A break as hours since the midnight the shift starts after, checked to lie in the shift.

    Hours before the shift's start belong to the next day (a night shift's 02:00 is 26 hours
    after the midnight that opens it); a break ending at 00:00 ends at the next midnight.
    """
    lo, hi = brk
    _check_hour(lo, "break start")
    _check_hour(hi, "break end")
    lo_s = lo if lo >= start_h else lo + HOURS_PER_DAY
    hi_s = hi if hi > start_h else hi + HOURS_PER_DAY
    if not start_h <= lo_s < hi_s <= _shift_end(start_h, end_h):
        raise ValueError(
            f"break {lo:g}-{hi:g} is not a positive-length interval inside its shift "
            f"{start_h:g}-{end_h:g}"
        )
    return lo_s, hi_s


def _subtract(lo: float, hi: float, holes: Iterable[Window]) -> list[Window]:
    """The parts of [lo, hi) not covered by any hole (holes may overlap)."""
    pieces: list[Window] = []
    cursor = lo
    for hole_lo, hole_hi in sorted(holes):
        if hole_lo > cursor:
            pieces.append((cursor, hole_lo))
        cursor = max(cursor, hole_hi)
    if cursor < hi:
        pieces.append((cursor, hi))
    return pieces


def _wrap_week(lo: float, hi: float) -> list[Window]:
    """An interval of week time that may run past 168, folded back into [0, 168]."""
    if hi <= HOURS_PER_WEEK:
        return [(lo, hi)]
    if lo >= HOURS_PER_WEEK:
        return [(lo - HOURS_PER_WEEK, hi - HOURS_PER_WEEK)]
    return [(lo, HOURS_PER_WEEK), (0.0, hi - HOURS_PER_WEEK)]


def _merge(windows: Iterable[Window]) -> list[Window]:
    """Sorted windows with overlapping or touching ones merged; empty ones dropped."""
    merged: list[Window] = []
    for lo, hi in sorted(windows):
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _rotate(windows: Iterable[Window], offset_h: float) -> list[Window]:
    """Week-time windows moved into the simulation's frame, where week time offset_h is hour 0.

    A window straddling the new week boundary is split in two; a piece that rounding leaves
    empty is dropped later by _merge.
    """
    shift = offset_h % HOURS_PER_WEEK
    rotated: list[Window] = []
    for lo, hi in windows:
        lo_s, hi_s = lo - shift, hi - shift
        if hi_s <= 0.0:
            rotated.append((lo_s + HOURS_PER_WEEK, hi_s + HOURS_PER_WEEK))
        elif lo_s < 0.0:
            rotated += [(lo_s + HOURS_PER_WEEK, HOURS_PER_WEEK), (0.0, hi_s)]
        else:
            rotated.append((lo_s, hi_s))
    return rotated


class Calendar:
    """When a line is open, repeating every week, and the work-time arithmetic over it.

    Build one with always_open() or weekly(). Windows are half-open: open at a window's start,
    closed at its end. Times are simulation hours; the calendar handles any t >= 0, years out.
    """

    __slots__ = ("_always", "_cum_end", "_cum_start", "_ends", "_starts", "_week_open")

    def __init__(self, windows: Sequence[Window]) -> None:
        """Take sorted, merged, non-empty windows already in the simulation's weekly frame.

        This is the internal constructor: always_open() and weekly() validate and rotate.
        """
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
        self._always = list(windows) == [(0.0, HOURS_PER_WEEK)]

    @classmethod
    def always_open(cls) -> Calendar:
        """A calendar open at every moment."""
        return cls([(0.0, HOURS_PER_WEEK)])

    @classmethod
    def weekly(cls, windows: Iterable[Window], offset_h: float = 0.0) -> Calendar:
        """A calendar repeating the given open windows every week.

        Windows are in hours since Monday 00:00, each within [0, 168] with its end after its
        start; they may be unsorted, overlapping or touching. offset_h is the week time of the
        simulation's t = 0 (the start date's weekday times 24), so simulation time t is week time
        (t + offset_h) mod 168. No windows at all (a line never open), a window outside
        [0, 168] or one that is empty or reversed raises ValueError.
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
        return cls(_merge(_rotate(windows, offset_h)))

    @property
    def always(self) -> bool:
        """True when the calendar is open at every moment (always_open, or a full week)."""
        return self._always

    @property
    def open_hours_per_week(self) -> float:
        """Open hours in any one week: 168 when always open."""
        return self._week_open

    def is_open(self, t: float) -> bool:
        """Whether time t falls inside an open window [start, end)."""
        if self._always:
            return True
        hour = divmod(t, HOURS_PER_WEEK)[1]
        i = bisect_right(self._starts, hour)
        return i > 0 and hour < self._ends[i - 1]

    def next_open(self, t: float) -> float:
        """The earliest open time at or after t: t itself when open, else the next window start."""
        if self._always:
            return t
        week, hour = divmod(t, HOURS_PER_WEEK)
        i = bisect_right(self._starts, hour)
        if i > 0 and hour < self._ends[i - 1]:
            return t
        if i == len(self._starts):
            week, i = week + 1.0, 0
        return _compose(week, self._starts[i])

    def worked(self, t: float) -> float:
        """Open hours in [0, t], for t >= 0, in O(log windows) however large t is."""
        if self._always:
            return t
        week, hour = divmod(t, HOURS_PER_WEEK)
        return week * self._week_open + self._open_before(hour)

    def open_hours(self, t0: float, t1: float) -> float:
        """Open hours in [t0, t1]; t1 before t0 raises ValueError."""
        if t1 < t0:
            raise ValueError(f"open_hours needs t0 <= t1, got t0={t0}, t1={t1}")
        return self.worked(t1) - self.worked(t0)

    def finish(self, t: float, work_h: float) -> float:
        """The earliest time by which work_h hours of open time after t are done.

        That is the smallest t' with open_hours(t, t') == work_h. Zero work returns t unchanged,
        even when closed; work that ends exactly at a window's end returns that end, not the next
        window's start. Negative work raises ValueError.
        """
        if not work_h > 0.0:
            if work_h == 0.0:
                return t
            raise ValueError(f"work_h must be >= 0 hours, got {work_h!r}")
        if self._always:
            return t + work_h
        begin = self.next_open(t)
        week, hour = divmod(begin, HOURS_PER_WEEK)
        # Open hours from the start of `week` to the moment the work is done, split into whole
        # weeks and the open hours still needed in the last week, in (0, W]: a remainder of 0
        # means the work ends at the last window end of the week before, not the next start.
        extra, need = divmod(self._open_before(hour) + work_h, self._week_open)
        if need <= 0.0:
            extra, need = extra - 1.0, self._week_open
        i = min(bisect_left(self._cum_end, need), len(self._cum_end) - 1)
        done = min(self._starts[i] + (need - self._cum_start[i]), self._ends[i])
        # The max guards against rounding placing a tiny job before its own start.
        return max(begin, _compose(week + extra, done))

    def closed_spans(self, t0: float, t1: float) -> list[Window]:
        """The closed periods inside [t0, t1], clipped to it, in time order, each of positive
        length; none when always open. Cost grows with the number of windows crossed."""
        if self._always or t1 <= t0:
            return []
        spans: list[Window] = []
        cursor = t0
        for lo, hi in self._open_spans(t0, t1):
            if lo > cursor:
                spans.append((cursor, lo))
            cursor = max(cursor, hi)
        if cursor < t1:
            spans.append((cursor, t1))
        return spans

    def _open_before(self, hour: float) -> float:
        """Open hours from the start of a week to the given hour of the week."""
        i = bisect_right(self._starts, hour) - 1
        if i < 0:
            return 0.0
        return self._cum_start[i] + (min(hour, self._ends[i]) - self._starts[i])

    def _open_spans(self, t0: float, t1: float) -> Iterator[Window]:
        """The open windows overlapping [t0, t1] in simulation time, clipped to it, in order."""
        week, hour = divmod(t0, HOURS_PER_WEEK)
        i = bisect_right(self._ends, hour)  # the first window still open after t0
        count = len(self._starts)
        while True:
            if i == count:
                week, i = week + 1.0, 0
            base = week * HOURS_PER_WEEK
            lo = base + self._starts[i]
            if lo >= t1:
                return
            yield max(lo, t0), min(base + self._ends[i], t1)
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
