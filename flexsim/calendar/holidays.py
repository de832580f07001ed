"""Holidays: closed periods in simulation time on top of the weekly pattern, checked and
normalised, and indexed so that work-time questions across them stay a bisect.

Holidays cut the time axis into gaps: gap k runs from the end of holiday k - 1 (or from 0) to
the start of holiday k (or forever). Within a gap the weekly arithmetic holds as it is; across
gaps, the open hours worked by the start of each holiday are a prefix sum.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence

from flexsim.calendar.week import Week
from flexsim.calendar.windows import Window, _merge
from flexsim.vocabulary import HOURS_PER_WEEK


class Holidays(Week):
    """A week's open windows and the holidays that close them, indexed per gap."""

    __slots__ = (
        "_base_before",
        "_base_week",
        "_base_worked",
        "_hol_ends",
        "_hol_starts",
        "_hol_worked",
    )

    def __init__(self, windows: Sequence[Window], holidays: Sequence[Window]) -> None:
        """Sorted, merged (not touching), non-empty holidays at or after time 0."""
        super().__init__(windows)
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

    @property
    def holidays(self) -> list[Window]:
        """The holidays as normalised at construction: sorted, merged, non-empty, from 0 on."""
        return list(zip(self._hol_starts, self._hol_ends, strict=True))

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
