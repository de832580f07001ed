"""Shift calendars: when a line is open, and work-time arithmetic over open windows.

Time is in hours (floats); simulation time 0 is 00:00 of the scenario's start date. A weekly
calendar is a set of open windows in hours since Monday 00:00. At construction the windows are
rotated into the simulation's own frame, so that simulation week k is exactly
[168k, 168(k + 1)): splitting a time into its week and the hour within it is then one exact
`divmod`, and every question (is it open, how much open time so far, when is the work done) is a
bisect over one week's windows plus whole weeks counted in O(1), however many weeks apart.
Holidays, closed periods in simulation time on top of the weekly pattern, add one bisect over
the holidays, with the open hours worked by each holiday precomputed as a prefix sum.

The package re-exports its public names, split by job: `windows` (a shift's weekly open
windows), `week` (work-time arithmetic over one week's windows), `holidays` (closed periods on
top of the week, indexed per gap), `calendar` (the Calendar the model asks, built on both) and
`overtime` (windows extended by overtime, and the spans it adds).
"""

from flexsim.calendar.calendar import Calendar
from flexsim.calendar.overtime import overtime_spans, overtime_windows
from flexsim.calendar.windows import shift_windows

__all__ = [
    "Calendar",
    "overtime_spans",
    "overtime_windows",
    "shift_windows",
]
