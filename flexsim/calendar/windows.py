"""Open windows: a shift's weekly open windows in hours since Monday 00:00, and the window
arithmetic the calendar is built from (merging, wrapping past the week's end, rotating into the
simulation's frame).
"""

from __future__ import annotations

from collections.abc import Iterable

from flexsim.vocabulary import DAYS_PER_WEEK, HOURS_PER_DAY, HOURS_PER_WEEK

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
