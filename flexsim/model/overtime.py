"""Overtime: a line's extended calendar, the hours it may work in each month, and the spans
it worked.

the line takes an order while its backlog passes the threshold and the month's hours last →
it works its extended calendar → at each later record its overtime spans since the last are
counted in the month each starts (and their premium paid by the line) → the backlog falls
short, or the line goes idle → the normal calendar again.
"""

from __future__ import annotations

from bisect import bisect_right

from flexsim.calendar import Calendar, overtime_spans
from flexsim.scenario import OvertimeSpec

# What a line's time is from a mark on: normal open time, overtime, or closed.
NORMAL, EXTRA, CLOSED = 0, 1, 2


class Overtime:
    """A line's overtime: its normal calendar and the one with the extra hours, and the
    hours used per month."""

    def __init__(
        self, spec: OvertimeSpec, normal: Calendar, extended: Calendar, month_starts: list[float]
    ) -> None:
        self.spec, self.normal, self.extended = spec, normal, extended
        self.month_starts = month_starts
        self.used: dict[int, float] = {}  # month number → overtime hours worked

    def month(self, at: float) -> int:
        return bisect_right(self.month_starts, at)

    def left(self, at: float) -> float:
        """Overtime hours still allowed in the month of `at`."""
        return self.spec.hours_per_month - self.used.get(self.month(at), 0.0)

    def calendar(self, backlog_h: float, now: float) -> Calendar:
        """The calendar to work from now: the extended one while the backlog is long and the
        month's hours last, else the normal one."""
        long = backlog_h > self.spec.backlog_h
        return self.extended if long and self.left(now) > 0 else self.normal

    def add(self, spans: list[tuple[float, float]]) -> float:
        """Count overtime worked in the spans (each in the month it starts); its hours."""
        total = 0.0
        for lo, hi in spans:
            month = self.month(lo)
            self.used[month] = self.used.get(month, 0.0) + hi - lo
            total += hi - lo
        return total

    def worked(self, since: float, until: float) -> tuple[float, list[tuple[float, int]]]:
        """On the extended calendar from `since` to `until`: the overtime hours worked
        (counted in their months), and when the time turned normal, overtime or closed
        (NORMAL, EXTRA, CLOSED), in time order."""
        closed = self.extended.closed_spans(since, until)
        extra = overtime_spans(self.normal, self.extended, since, until)
        hours = self.add(extra)
        # (time, status): an end gives way to a start at the same time
        marks: list[tuple[float, int]] = sorted(
            [(lo, CLOSED) for lo, _ in closed]
            + [(hi, NORMAL) for _, hi in closed]
            + [(lo, EXTRA) for lo, _ in extra]
            + [(hi, NORMAL) for _, hi in extra],
            key=lambda mark: (mark[0], mark[1] != NORMAL),
        )
        changes, status = [], NORMAL
        for i, (at, mark) in enumerate(marks):
            if at >= until or (i + 1 < len(marks) and marks[i + 1][0] == at) or mark == status:
                continue
            changes.append((at, mark))
            status = mark
        return hours, changes
