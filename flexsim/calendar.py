"""Shift calendars: when a line is open, and work-time arithmetic over open windows.

Time is in hours (floats); simulation time 0 is 00:00 of the scenario's start date. A weekly
calendar is a set of open windows in hours since Monday 00:00. At construction the windows are
rotated into the simulation's own frame, so that simulation week k is exactly
[168k, 168(k + 1)): splitting a time into its week and the hour within it is then one exact
`divmod`, and every question (is it open, how much open time so far, when is the work done) is a
bisect over one week's windows plus whole weeks counted in O(1), however many weeks apart.
Holidays, closed periods in simulation time on top of the weekly pattern, add one bisect over
the holidays, with the open hours worked by each holiday precomputed as a prefix sum.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

from flexsim.vocabulary import DAYS_PER_WEEK, HOURS_PER_DAY, HOURS_PER_WEEK

__all__ = [
    "Calendar",
    "overtime_spans",
    "overtime_windows",
    "shift_windows",
]

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


def overtime_windows(windows: Iterable[Window], hours: float) -> list[Window]:
    """Weekly windows with each day's last window extended by `hours` of overtime.

    A day's last window is the one ending latest among those starting that day; its extension
    runs into the next window when the gap is shorter (the two merge), and past Sunday 24:00
    into Monday.
    """
    windows = _merge(windows)
    last_end: dict[int, float] = {}
    for lo, hi in windows:
        day = int(lo // HOURS_PER_DAY)
        last_end[day] = max(last_end.get(day, 0.0), hi)
    extra = [piece for end in last_end.values() for piece in _wrap_week(end, end + hours)]
    return _merge(windows + extra)


def overtime_spans(normal: Calendar, extended: Calendar, t0: float, t1: float) -> list[Window]:
    """The periods in [t0, t1] when `extended` is open and `normal` is closed, in time order."""
    return [
        span
        for lo, hi in normal.closed_spans(t0, t1)
        for span in extended.open_spans(lo, hi)
        if span[1] > span[0]
    ]


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

    Holidays (closed periods in simulation time, such as a Spring Festival shutdown) close the
    calendar whatever the weekly pattern says. They cut the time axis into gaps: gap k runs from
    the end of holiday k - 1 (or from 0) to the start of holiday k (or forever). Within a gap the
    weekly arithmetic holds as it is; across gaps, the open hours worked by the start of each
    holiday are a prefix sum, so every question stays a bisect over holidays plus one over a
    week's windows.
    """

    __slots__ = (
        "_always",
        "_base_before",
        "_base_week",
        "_base_worked",
        "_cum_end",
        "_cum_start",
        "_ends",
        "_hol_ends",
        "_hol_starts",
        "_hol_worked",
        "_starts",
        "_week_open",
    )

    def __init__(self, windows: Sequence[Window], holidays: Sequence[Window] = ()) -> None:
        """Take sorted, merged, non-empty windows already in the simulation's weekly frame, and
        sorted, merged (not touching), non-empty holidays at or after time 0.

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
        self._always = list(windows) == [(0.0, HOURS_PER_WEEK)] and not holidays
        self._index_holidays(holidays)

    def _index_holidays(self, holidays: Sequence[Window]) -> None:
        """Precompute, per gap, where it starts, and per holiday, the open hours worked by then.

        Gap k starts at time 0 (k = 0) or at the end of holiday k - 1; its start is kept as a
        week number and the weekly open hours before it in that week, so that open hours inside
        the gap are measured from it relative to the same week, without the rounding of two large
        absolute totals. Each gap's open hours are then a difference that is exactly 0 when the
        gap holds no open time, which keeps the worked-by-holiday totals non-decreasing and makes
        "the next gap with any open time" a bisect.
        """
        self._hol_starts = [lo for lo, _ in holidays]
        self._hol_ends = [hi for _, hi in holidays]
        self._base_week = [0.0]
        self._base_before = [0.0]
        self._base_worked = [0.0]
        self._hol_worked: list[float] = []
        for k, (lo, hi) in enumerate(holidays):
            # Worked hours are flat across a holiday, so the total reached at its start is also
            # the next gap's base; the max keeps totals non-decreasing, which bisects rely on.
            reached = max(self._base_worked[k], self._worked_in_gap(k, lo))
            self._hol_worked.append(reached)
            week, hour = divmod(hi, HOURS_PER_WEEK)
            self._base_week.append(week)
            self._base_before.append(self._open_before(hour))
            self._base_worked.append(reached)

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

    @property
    def open_hours_per_week(self) -> float:
        """Open hours in any one week without holidays: 168 when the weekly pattern is full."""
        return self._week_open

    @property
    def holidays(self) -> list[Window]:
        """The holidays as normalised at construction: sorted, merged, non-empty, from 0 on."""
        return list(zip(self._hol_starts, self._hol_ends, strict=True))

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
        spans: list[Window] = []
        cursor = t0
        for lo, hi in self._open_spans(t0, t1):
            if hi <= lo:
                continue  # an open span that rounding left empty would split a closed one
            if lo > cursor:
                spans.append((cursor, lo))
            cursor = max(cursor, hi)
        if cursor < t1:
            spans.append((cursor, t1))
        return spans

    def open_spans(self, t0: float, t1: float) -> list[Window]:
        """The open periods inside [t0, t1], clipped to it, in time order."""
        if self._always:
            return [(t0, t1)] if t1 > t0 else []
        return list(self._open_spans(t0, t1))

    def _in_holiday(self, t: float) -> bool:
        """Whether t falls inside a holiday [start, end)."""
        k = bisect_right(self._hol_starts, t)
        return k > 0 and t < self._hol_ends[k - 1]

    def _worked_in_gap(self, k: int, t: float) -> float:
        """Open hours in [0, t] for a time t in gap k: the total at the gap's start plus the
        weekly open hours since, counted from the gap start's own week."""
        week, hour = divmod(t, HOURS_PER_WEEK)
        since = (week - self._base_week[k]) * self._week_open
        return self._base_worked[k] + (since + (self._open_before(hour) - self._base_before[k]))

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

    def _open_spans(self, t0: float, t1: float) -> Iterator[Window]:
        """The open periods overlapping [t0, t1], clipped to it, in order: the weekly windows
        in each gap between holidays, the holidays themselves skipped in one step."""
        starts, ends = self._hol_starts, self._hol_ends
        k = bisect_right(starts, t0)  # t0 is in gap k, or in holiday k - 1 just before it
        lo = t0 if k == 0 else max(t0, ends[k - 1])
        while lo < t1:
            if k == len(starts):
                yield from self._window_spans(lo, t1)
                return
            yield from self._window_spans(lo, min(starts[k], t1))
            lo, k = ends[k], k + 1

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


def _holidays(closed: Iterable[Window]) -> list[Window]:
    """Holidays checked and normalised: finite, not reversed, clipped to t >= 0, sorted, with
    overlapping and touching ones merged (touching holidays would leave an empty gap between
    them) and empty ones dropped."""
    holidays: list[Window] = []
    for lo, hi in closed:
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise ValueError(
                f"holiday ({lo}, {hi}) must be finite simulation hours with start <= end"
            )
        holidays.append((max(float(lo), 0.0), float(hi)))
    return _merge(holidays)


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
