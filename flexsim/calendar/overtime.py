"""Overtime: a shift's windows extended by overtime at each day's end, and the spans when an
extended calendar is open and the normal one closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flexsim.calendar.windows import Window, _merge, _wrap_week
from flexsim.vocabulary import HOURS_PER_DAY

if TYPE_CHECKING:
    from flexsim.calendar.calendar import Calendar


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
