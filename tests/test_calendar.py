"""Shift calendars: hand-computed shifts, night shifts across midnight and the week's end,
holidays (a closed week, one starting mid-shift, a Spring Festival in a year), and properties over
random weekly patterns with random holidays checked against a brute-force reference."""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsim.calendar import Calendar, shift_windows
from flexsim.vocabulary import HOURS_PER_DAY, HOURS_PER_WEEK

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = [MON, TUE, WED, THU, FRI]
YEARS_5 = 5 * 365 * HOURS_PER_DAY
TOL = 1e-6


def at(day: int, hour: float, week: int = 0) -> float:
    """Hours since Monday 00:00 of week 0 for a weekday and hour of day."""
    return week * HOURS_PER_WEEK + day * HOURS_PER_DAY + hour


def office(offset_h: float = 0.0) -> Calendar:
    """Mon-Fri 08:00-17:00 with a 12:00-13:00 lunch break: 8 open hours a day, 40 a week."""
    return Calendar.weekly(shift_windows(WEEKDAYS, 8, 17, [(12, 13)]), offset_h=offset_h)


def sunday_night() -> Calendar:
    """One night shift, Sunday 22:00 to Monday 06:00, started on a Monday."""
    return Calendar.weekly(shift_windows([SUN], 22, 6))


# shift_windows


def test_day_shift_with_lunch_break_has_two_windows_per_weekday() -> None:
    windows = shift_windows(WEEKDAYS, 8, 17, [(12, 13)])
    expected = [(at(d, 8), at(d, 12)) for d in WEEKDAYS] + [
        (at(d, 13), at(d, 17)) for d in WEEKDAYS
    ]
    assert windows == sorted(expected)


def test_weekdays_are_deduplicated_and_sorted() -> None:
    assert shift_windows([TUE, MON, TUE], 8, 9) == [(8.0, 9.0), (32.0, 33.0)]


def test_no_weekdays_gives_no_windows() -> None:
    assert shift_windows([], 8, 17) == []


def test_night_shift_crosses_midnight_into_next_day() -> None:
    assert shift_windows([MON], 22, 6) == [(22.0, 30.0)]


def test_sunday_night_shift_wraps_to_monday_morning() -> None:
    assert shift_windows([SUN], 22, 6) == [(0.0, 6.0), (166.0, 168.0)]


def test_night_shifts_every_day_merge_across_midnight() -> None:
    windows = shift_windows(range(7), 22, 6)
    inner = [(at(d, 22), at(d + 1, 6)) for d in range(6)]
    assert windows == [(0.0, 6.0), *inner, (166.0, 168.0)]
    assert Calendar.weekly(windows).open_hours_per_week == 56.0


def test_full_day_shift_is_zero_to_24() -> None:
    assert shift_windows([SAT], 0, 24) == [(120.0, 144.0)]


def test_night_shift_break_after_midnight() -> None:
    assert shift_windows([MON], 22, 6, [(2, 2.5)]) == [(22.0, 26.0), (26.5, 30.0)]


def test_night_shift_break_across_midnight() -> None:
    assert shift_windows([MON], 22, 6, [(23.5, 0.5)]) == [(22.0, 23.5), (24.5, 30.0)]


def test_break_ending_at_midnight_written_as_zero() -> None:
    assert shift_windows([MON], 16, 24, [(23, 0)]) == [(16.0, 23.0)]


def test_overlapping_breaks_are_subtracted_once() -> None:
    assert shift_windows([MON], 8, 17, [(12, 13), (12.5, 14)]) == [(8.0, 12.0), (14.0, 17.0)]


@pytest.mark.parametrize(
    ("days", "start_h", "end_h", "breaks"),
    [
        ([MON], 25, 6, []),  # start after 24:00
        ([MON], 8, -1, []),  # end before 00:00
        ([MON], math.nan, 17, []),
        ([MON], 8, 8, []),  # no length
        ([MON], 24, 0, []),  # 24:00 to 00:00 is also no length
        ([7], 8, 17, []),  # no weekday 7
        ([-1], 8, 17, []),
        ([MON], 8, 17, [(7, 9)]),  # break starts before the shift
        ([MON], 8, 17, [(16, 18)]),  # break ends after the shift
        ([MON], 8, 17, [(12, 12)]),  # break without length
        ([MON], 8, 17, [(13, 12)]),  # reversed break
        ([MON], 22, 6, [(7, 8)]),  # break in the night shift's day off
        ([MON], 8, 17, [(12, 25)]),
    ],
)
def test_invalid_shift_raises_value_error(
    days: list[int], start_h: float, end_h: float, breaks: list[tuple[float, float]]
) -> None:
    with pytest.raises(ValueError):
        shift_windows(days, start_h, end_h, breaks)


# Calendar.weekly construction


@pytest.mark.parametrize(
    "windows",
    [[], [(5.0, 3.0)], [(3.0, 3.0)], [(0.0, 170.0)], [(-1.0, 3.0)], [(math.nan, 3.0)]],
)
def test_invalid_weekly_windows_raise_value_error(windows: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        Calendar.weekly(windows)


def test_non_finite_offset_raises_value_error() -> None:
    with pytest.raises(ValueError):
        Calendar.weekly([(8.0, 17.0)], offset_h=math.inf)


def test_weekly_windows_are_sorted_and_merged() -> None:
    calendar = Calendar.weekly([(10.0, 20.0), (0.0, 5.0), (4.0, 12.0), (30.0, 31.0), (31.0, 32.0)])
    assert calendar.open_hours_per_week == 22.0
    assert calendar.closed_spans(0.0, 40.0) == [(20.0, 30.0), (32.0, 40.0)]


def test_week_fully_covered_counts_as_always_open() -> None:
    calendar = Calendar.weekly([(0.0, 100.0), (100.0, 168.0)], offset_h=48.0)
    assert calendar.always
    assert calendar.finish(3.0, 500.0) == 503.0


def test_shift_calendar_is_not_always_open() -> None:
    assert not office().always
    assert office().open_hours_per_week == 40.0


# Calendar: always open


def test_always_open_calendar_is_plain_clock_time() -> None:
    calendar = Calendar.always_open()
    assert calendar.always
    assert calendar.open_hours_per_week == HOURS_PER_WEEK
    assert calendar.is_open(130.0)
    assert calendar.next_open(130.0) == 130.0
    assert calendar.worked(1000.5) == 1000.5
    assert calendar.open_hours(2.0, 9.5) == 7.5
    assert calendar.finish(5.5, 10.0) == 15.5
    assert calendar.closed_spans(0.0, 1000.0) == []


# Calendar: office hours, simulation starting on a Monday


def test_is_open_uses_half_open_windows() -> None:
    calendar = office()
    assert not calendar.is_open(at(MON, 7.99))
    assert calendar.is_open(at(MON, 8))
    assert not calendar.is_open(at(MON, 12))
    assert calendar.is_open(at(MON, 13))
    assert not calendar.is_open(at(MON, 17))
    assert not calendar.is_open(at(SAT, 10))


def test_next_open_is_t_when_open_else_next_shift_start() -> None:
    calendar = office()
    assert calendar.next_open(at(MON, 9.5)) == at(MON, 9.5)
    assert calendar.next_open(at(MON, 12)) == at(MON, 13)
    assert calendar.next_open(at(MON, 17)) == at(TUE, 8)


def test_work_started_on_saturday_waits_until_monday_0800() -> None:
    calendar = office()
    assert calendar.next_open(at(SAT, 10)) == at(MON, 8, week=1)
    assert calendar.finish(at(SAT, 10), 2.0) == at(MON, 10, week=1)


def test_ten_hours_started_monday_1600_finish_wednesday_0900() -> None:
    # 1 h Monday 16-17, 8 h Tuesday (08-12, 13-17), the last hour Wednesday 08-09.
    assert office().finish(at(MON, 16), 10.0) == at(WED, 9)


def test_work_ending_at_shift_end_returns_shift_end_not_next_start() -> None:
    assert office().finish(at(MON, 16), 9.0) == at(TUE, 17)


def test_work_ending_exactly_at_break_start_ends_at_1200() -> None:
    assert office().finish(at(MON, 8), 4.0) == at(MON, 12)


def test_work_resumes_at_next_shift_after_break() -> None:
    assert office().finish(at(MON, 11), 2.0) == at(MON, 14)


def test_work_started_during_break_waits_for_its_end() -> None:
    assert office().finish(at(MON, 12.5), 1.0) == at(MON, 14)


def test_friday_work_continues_on_monday() -> None:
    # 1 h Friday 16-17, then 2 h Monday 08-10.
    assert office().finish(at(FRI, 16), 3.0) == at(MON, 10, week=1)


def test_a_full_week_of_work_ends_at_the_next_friday_close() -> None:
    assert office().finish(at(MON, 8), 40.0) == at(FRI, 17)
    assert office().finish(at(SAT, 0), 40.0) == at(FRI, 17, week=1)


def test_zero_work_returns_start_even_when_closed() -> None:
    assert office().finish(at(SAT, 10), 0.0) == at(SAT, 10)


def test_negative_work_raises_value_error() -> None:
    with pytest.raises(ValueError):
        office().finish(0.0, -1.0)


def test_worked_counts_open_hours_since_time_zero() -> None:
    calendar = office()
    assert calendar.worked(0.0) == 0.0
    assert calendar.worked(at(MON, 12.5)) == 4.0
    assert calendar.worked(at(MON, 17)) == 8.0
    assert calendar.worked(at(TUE, 0)) == 8.0
    assert calendar.worked(HOURS_PER_WEEK) == 40.0


def test_open_hours_over_52_weeks_is_52_times_40() -> None:
    calendar = office()
    assert calendar.worked(52 * HOURS_PER_WEEK) == 52 * 40.0
    assert calendar.open_hours(at(WED, 10), at(WED, 10, week=52)) == pytest.approx(52 * 40.0)


def test_open_hours_with_t1_before_t0_raises_value_error() -> None:
    with pytest.raises(ValueError):
        office().open_hours(10.0, 5.0)


def test_closed_spans_over_two_days() -> None:
    spans = office().closed_spans(0.0, at(WED, 0))
    assert spans == [(0.0, 8.0), (12.0, 13.0), (17.0, 32.0), (36.0, 37.0), (41.0, 48.0)]


def test_closed_spans_over_a_weekend_is_one_span() -> None:
    assert office().closed_spans(at(FRI, 16), at(MON, 9, week=1)) == [
        (at(FRI, 17), at(MON, 8, week=1))
    ]


def test_closed_spans_inside_one_window_is_empty() -> None:
    assert office().closed_spans(at(MON, 8), at(MON, 12)) == []
    assert office().closed_spans(at(MON, 9), at(MON, 9)) == []


def test_closed_spans_clipped_to_a_closed_interval() -> None:
    assert office().closed_spans(at(SAT, 1), at(SAT, 2)) == [(at(SAT, 1), at(SAT, 2))]


# Calendar: office hours, simulation starting on a Wednesday (t = 0 is Wednesday 00:00)


def test_offset_moves_time_zero_to_the_start_weekday() -> None:
    calendar = office(offset_h=WED * HOURS_PER_DAY)
    assert calendar.is_open(8.5)  # Wednesday 08:30
    assert not calendar.is_open(3 * HOURS_PER_DAY + 8.5)  # Saturday 08:30
    assert calendar.next_open(3 * HOURS_PER_DAY) == 5 * HOURS_PER_DAY + 8  # Monday 08:00


def test_offset_work_from_thursday_afternoon_finishes_monday_0900() -> None:
    # Thursday is simulation day 1: 1 h Thursday, 8 h Friday, 1 h Monday (day 5) 08-09.
    calendar = office(offset_h=WED * HOURS_PER_DAY)
    assert calendar.finish(HOURS_PER_DAY + 16, 10.0) == 5 * HOURS_PER_DAY + 9


def test_offset_worked_counts_from_the_start_weekday() -> None:
    calendar = office(offset_h=WED * HOURS_PER_DAY)
    assert calendar.worked(5 * HOURS_PER_DAY) == 24.0  # Wednesday to Friday
    assert calendar.worked(HOURS_PER_WEEK) == 40.0
    assert calendar.worked(52 * HOURS_PER_WEEK) == 52 * 40.0


# Calendar: night shift across the week's end


def test_sunday_night_shift_continues_into_monday() -> None:
    calendar = sunday_night()
    assert calendar.open_hours_per_week == 8.0
    assert calendar.next_open(at(MON, 7)) == at(SUN, 22)
    assert calendar.finish(at(SUN, 23), 3.0) == at(MON, 2, week=1)
    assert calendar.finish(at(SUN, 23), 1.0) == at(MON, 0, week=1)
    assert calendar.finish(at(MON, 5), 2.0) == at(SUN, 23)


def test_night_shift_started_on_sunday_counts_one_unbroken_shift() -> None:
    calendar = Calendar.weekly(shift_windows([SUN], 22, 6), offset_h=SUN * HOURS_PER_DAY)
    assert calendar.worked(22.0) == 0.0
    assert calendar.finish(22.0, 8.0) == 30.0
    assert calendar.finish(23.0, 1.0) == 24.0
    assert calendar.worked(30.0) == 8.0
    assert calendar.closed_spans(0.0, 48.0) == [(0.0, 22.0), (30.0, 48.0)]


# Calendar: holidays


def office_with(*holidays: tuple[float, float], offset_h: float = 0.0) -> Calendar:
    """The office calendar closed during the given holidays (simulation hours)."""
    windows = shift_windows(WEEKDAYS, 8, 17, [(12, 13)])
    return Calendar.weekly(windows, offset_h=offset_h, closed=holidays)


def test_holidays_are_sorted_merged_and_clipped_to_time_zero() -> None:
    calendar = office_with((50.0, 60.0), (-5.0, 2.0), (55.0, 70.0), (70.0, 80.0), (90.0, 90.0))
    assert calendar.holidays == [(0.0, 2.0), (50.0, 80.0)]
    assert office_with().holidays == []


@pytest.mark.parametrize(
    "holiday",
    [(5.0, 3.0), (math.nan, 3.0), (1.0, math.nan), (1.0, math.inf), (-math.inf, 3.0)],
)
def test_invalid_holiday_raises_value_error(holiday: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        office_with(holiday)
    with pytest.raises(ValueError):
        Calendar.always_open(closed=[holiday])


def test_a_holiday_makes_a_full_week_not_always_open() -> None:
    assert not Calendar.always_open(closed=[(10.0, 20.0)]).always
    assert not Calendar.weekly([(0.0, HOURS_PER_WEEK)], closed=[(10.0, 20.0)]).always
    # Holidays that are empty or wholly before time 0 close nothing.
    assert Calendar.always_open(closed=[(-5.0, 0.0), (3.0, 3.0)]).always


def test_always_open_with_a_holiday_is_clock_time_minus_the_holiday() -> None:
    calendar = Calendar.always_open(closed=[(10.0, 20.0)])
    assert calendar.open_hours_per_week == HOURS_PER_WEEK
    assert calendar.is_open(9.5)
    assert not calendar.is_open(10.0)
    assert calendar.is_open(20.0)
    assert calendar.next_open(15.0) == 20.0
    assert calendar.worked(15.0) == 10.0
    assert calendar.worked(30.0) == 20.0
    assert calendar.finish(5.0, 5.0) == 10.0  # done exactly as the holiday starts
    assert calendar.finish(5.0, 10.0) == 25.0
    assert calendar.finish(12.0, 1.0) == 21.0
    assert calendar.closed_spans(0.0, 30.0) == [(10.0, 20.0)]


# The office closed for all of week 1, Monday 00:00 to the next Monday 00:00.
WEEK_OFF = (at(MON, 0, week=1), at(MON, 0, week=2))


def test_work_started_before_a_holiday_week_resumes_after_it() -> None:
    calendar = office_with(WEEK_OFF)
    # 1 h Friday 16-17 of week 0, then week 1 is off: 2 h on Monday 08-10 of week 2.
    assert calendar.finish(at(FRI, 16), 3.0) == at(MON, 10, week=2)
    assert calendar.finish(at(FRI, 16), 1.0) == at(FRI, 17)
    assert calendar.next_open(at(FRI, 17)) == at(MON, 8, week=2)
    assert calendar.next_open(at(WED, 10, week=1)) == at(MON, 8, week=2)
    assert not calendar.is_open(at(WED, 10, week=1))
    assert calendar.is_open(at(WED, 10, week=2))


def test_a_holiday_week_adds_no_open_hours() -> None:
    calendar = office_with(WEEK_OFF)
    assert calendar.worked(at(MON, 0, week=1)) == 40.0
    assert calendar.worked(at(THU, 9, week=1)) == 40.0
    assert calendar.worked(at(MON, 0, week=2)) == 40.0
    assert calendar.worked(at(MON, 9, week=2)) == 41.0
    assert calendar.open_hours(at(FRI, 16), at(MON, 10, week=2)) == 3.0


def test_a_holiday_week_and_the_weekends_around_it_are_one_closed_span() -> None:
    spans = office_with(WEEK_OFF).closed_spans(at(FRI, 16), at(MON, 9, week=2))
    assert spans == [(at(FRI, 17), at(MON, 8, week=2))]


# A holiday from Tuesday 10:00 to Thursday 00:00 of week 0: it starts mid-shift.
MID_SHIFT = (at(TUE, 10), at(THU, 0))


def test_work_running_into_a_holiday_started_mid_shift_resumes_after_it() -> None:
    calendar = office_with(MID_SHIFT)
    # 2 h Tuesday 08-10, then Thursday 08-10.
    assert calendar.finish(at(TUE, 8), 4.0) == at(THU, 10)
    assert calendar.is_open(at(TUE, 9.99))
    assert not calendar.is_open(at(TUE, 10))
    assert calendar.next_open(at(TUE, 10)) == at(THU, 8)
    assert calendar.worked(at(TUE, 10)) == 10.0
    assert calendar.worked(at(WED, 12)) == 10.0
    assert calendar.worked(at(THU, 12)) == 14.0


def test_finish_landing_exactly_at_a_holiday_start_ends_there() -> None:
    assert office_with(MID_SHIFT).finish(at(TUE, 8), 2.0) == at(TUE, 10)
    assert office_with(MID_SHIFT).finish(at(MON, 16), 3.0) == at(TUE, 10)
    # A holiday starting at a window end: the work ends at Friday's close, not after it.
    shutdown = (at(FRI, 17), at(MON, 0, week=3))
    assert office_with(shutdown).finish(at(FRI, 13), 4.0) == at(FRI, 17)
    assert office_with(shutdown).finish(at(FRI, 13), 4.5) == at(MON, 8.5, week=3)


def test_a_holiday_starting_mid_shift_joins_the_closed_time_after_it() -> None:
    spans = office_with(MID_SHIFT).closed_spans(at(TUE, 9), at(THU, 9))
    assert spans == [(at(TUE, 10), at(THU, 8))]


def test_a_holiday_ending_mid_shift_opens_at_its_end() -> None:
    calendar = office_with((0.0, at(MON, 10)))
    assert calendar.next_open(0.0) == at(MON, 10)
    assert calendar.finish(0.0, 3.0) == at(MON, 14)
    assert calendar.worked(at(MON, 17)) == 6.0
    assert calendar.closed_spans(0.0, at(MON, 14)) == [(0.0, at(MON, 10)), (12.0, 13.0)]


def test_closed_spans_starting_and_ending_inside_holidays() -> None:
    calendar = office_with(MID_SHIFT, WEEK_OFF)
    # From inside the mid-shift holiday to inside the holiday week, which runs on from Friday.
    assert calendar.closed_spans(at(WED, 5), at(TUE, 9, week=1)) == [
        (at(WED, 5), at(THU, 8)),
        (at(THU, 12), at(THU, 13)),
        (at(THU, 17), at(FRI, 8)),
        (at(FRI, 12), at(FRI, 13)),
        (at(FRI, 17), at(TUE, 9, week=1)),
    ]
    assert calendar.closed_spans(at(WED, 5), at(WED, 6)) == [(at(WED, 5), at(WED, 6))]


def test_holiday_weeks_with_only_weekends_between_them_are_skipped_in_one_step() -> None:
    # Ten working weeks off in a row: the weekends between them have no open time.
    calendar = office_with(*[(at(MON, 0, week=w), at(SAT, 0, week=w)) for w in range(10)])
    assert calendar.next_open(at(TUE, 9)) == at(MON, 8, week=10)
    assert calendar.finish(at(TUE, 9), 1.0) == at(MON, 9, week=10)
    assert calendar.finish(0.0, 41.0) == at(MON, 9, week=11)
    assert calendar.worked(at(MON, 0, week=10)) == 0.0
    assert calendar.closed_spans(0.0, at(MON, 9, week=10)) == [(0.0, at(MON, 8, week=10))]


def test_holidays_are_in_simulation_time_whatever_the_offset() -> None:
    # t = 0 is Wednesday 00:00; the holiday closes Wednesday and Thursday.
    calendar = office_with((0.0, 2 * HOURS_PER_DAY), offset_h=WED * HOURS_PER_DAY)
    assert calendar.next_open(0.0) == 2 * HOURS_PER_DAY + 8  # Friday 08:00
    assert calendar.worked(HOURS_PER_WEEK) == 40.0 - 16.0
    assert calendar.finish(0.0, 9.0) == 5 * HOURS_PER_DAY + 9  # Friday's 8 h, then Monday


# A Spring-Festival-like shutdown of 12 days, Thursday 10:00 of week 5 to Tuesday 10:00 of
# week 7. It costs 6 h on Thursday, 8 h on Friday, 40 h in week 6, 8 h on Monday, 2 h on Tuesday.
SPRING_FESTIVAL = (at(THU, 10, week=5), at(TUE, 10, week=7))
SPRING_FESTIVAL_LOST_H = 6.0 + 8.0 + 40.0 + 8.0 + 2.0


def test_a_year_with_a_spring_festival_works_the_weekly_hours_minus_those_lost() -> None:
    assert SPRING_FESTIVAL[1] - SPRING_FESTIVAL[0] == 12 * HOURS_PER_DAY
    assert office().open_hours(*SPRING_FESTIVAL) == SPRING_FESTIVAL_LOST_H
    calendar = office_with(SPRING_FESTIVAL)
    year = 52 * HOURS_PER_WEEK
    assert calendar.worked(year) == office().worked(year) - SPRING_FESTIVAL_LOST_H == 2016.0
    assert calendar.open_hours(*SPRING_FESTIVAL) == 0.0
    assert calendar.worked(at(WED, 0, week=6)) == 5 * 40.0 + 24.0 + 2.0


def test_work_across_the_spring_festival() -> None:
    calendar = office_with(SPRING_FESTIVAL)
    # 1 h Thursday 09-10, then Tuesday 10-12 and 13-17, then Wednesday 08-11.
    assert calendar.finish(at(THU, 9, week=5), 10.0) == at(WED, 11, week=7)
    assert calendar.next_open(at(THU, 10, week=5)) == at(TUE, 10, week=7)
    assert calendar.closed_spans(at(THU, 9, week=5), at(TUE, 11, week=7)) == [
        (at(THU, 10, week=5), at(TUE, 10, week=7))
    ]


# Properties over random weekly patterns and holidays


def _raw_window(start: float, length: float) -> tuple[float, float]:
    return start, min(start + length, HOURS_PER_WEEK)


random_windows = st.lists(
    st.builds(_raw_window, st.floats(0.0, 167.9), st.floats(0.01, HOURS_PER_WEEK)),
    min_size=1,
    max_size=8,
)


def _shift(days: set[int], start_q: int, length_q: int) -> list[tuple[float, float]]:
    """A shift from quarter-hour counts: exact boundaries, sometimes crossing midnight."""
    start, end = start_q / 4, (start_q + length_q) / 4
    return shift_windows(days, start, end if end <= HOURS_PER_DAY else end - HOURS_PER_DAY)


shift_patterns = st.builds(
    _shift, st.sets(st.integers(0, 6), min_size=1), st.integers(0, 95), st.integers(1, 95)
)
patterns = st.one_of(random_windows, shift_patterns)
offsets = st.one_of(st.integers(0, 6).map(lambda d: d * HOURS_PER_DAY), st.floats(0.0, 168.0))
times = st.one_of(st.floats(0.0, YEARS_5), st.integers(0, int(YEARS_5) * 4).map(lambda q: q / 4))
works = st.one_of(st.floats(0.0, 500.0), st.integers(0, 500 * 4).map(lambda q: q / 4))
fast = settings(max_examples=200, deadline=None)


Window = tuple[float, float]


class Built(NamedTuple):
    """A calendar with the raw windows, offset and holidays it was built from."""

    calendar: Calendar
    windows: list[Window]
    offset: float
    holidays: list[Window]


@st.composite
def calendars(draw: st.DrawFn) -> Built:
    """A weekly calendar without holidays."""
    windows = draw(patterns)
    offset = draw(offsets)
    return Built(Calendar.weekly(windows, offset_h=offset), windows, offset, [])


# Holidays placed around the time a property looks at, so that they matter: before it, over it
# and after it, with edges on exact quarter hours (meeting shift edges) or anywhere, lasting
# nothing, whole days (up to a 15-day shutdown) or any length, overlapping and touching at times.
holiday_edges = st.one_of(st.floats(-400.0, 700.0), st.integers(-1600, 2800).map(lambda q: q / 4))
holiday_lengths = st.one_of(
    st.floats(0.0, 400.0),
    st.integers(0, 15).map(lambda d: d * HOURS_PER_DAY),
    st.integers(0, 1600).map(lambda q: q / 4),
)
holiday_sets: st.SearchStrategy[list[tuple[float, float]]] = st.one_of(
    st.just([]), st.lists(st.tuples(holiday_edges, holiday_lengths), min_size=1, max_size=6)
)
full_week = st.just([(0.0, HOURS_PER_WEEK)])  # always open, but for the holidays


@st.composite
def setups(draw: st.DrawFn, time: st.SearchStrategy[float] = times) -> tuple[Built, float]:
    """A time t and a weekly calendar (sometimes a full week) with holidays around t."""
    windows = draw(st.one_of(patterns, full_week))
    offset = draw(offsets)
    t = draw(time)
    holidays = [(t + start, t + start + length) for start, length in draw(holiday_sets)]
    calendar = Calendar.weekly(windows, offset_h=offset, closed=holidays)
    return Built(calendar, windows, offset, holidays), t


def reference_is_open(built: Built, t: float) -> bool:
    """Open at t: inside some window in week time and outside every holiday."""
    hour = (t + built.offset) % HOURS_PER_WEEK
    in_window = any(lo <= hour < hi for lo, hi in built.windows)
    return in_window and not any(lo <= t < hi for lo, hi in built.holidays)


def reference_worked(built: Built, t: float) -> float:
    """Open hours in [0, t], integrated piecewise: between consecutive window or holiday edges
    the calendar is open throughout or closed throughout, so sample each piece's middle."""
    edges = {0.0, t}
    for week in range(-1, int(t // HOURS_PER_WEEK) + 2):
        base = week * HOURS_PER_WEEK - built.offset
        edges.update(base + edge for window in built.windows for edge in window)
    edges.update(edge for holiday in built.holidays for edge in holiday)
    points = sorted(edge for edge in edges if 0.0 <= edge <= t)
    return sum(
        hi - lo
        for lo, hi in itertools.pairwise(points)
        if reference_is_open(built, lo + (hi - lo) / 2)
    )


def near_an_edge(built: Built, t: float) -> bool:
    """Whether t is within rounding of a window or holiday edge, where either answer is fair."""
    hour = (t + built.offset) % HOURS_PER_WEEK
    edges = [edge for window in built.windows for edge in window]
    closures = [edge for holiday in built.holidays for edge in holiday]
    return any(min(abs(hour - e), abs(hour - e + HOURS_PER_WEEK)) <= 1e-9 for e in edges) or any(
        abs(t - e) <= 1e-9 for e in closures
    )


@fast
@given(setups(st.floats(0.0, 4 * HOURS_PER_WEEK)))
def test_worked_and_is_open_match_brute_force_reference(setup: tuple[Built, float]) -> None:
    built, t = setup
    calendar = built.calendar
    assert calendar.worked(t) == pytest.approx(reference_worked(built, t), abs=1e-9)
    if not near_an_edge(built, t):
        assert calendar.is_open(t) == reference_is_open(built, t)


@fast
@given(calendars(), times, st.integers(1, 260))
def test_whole_weeks_add_whole_weeks_of_open_hours(built: Built, t: float, weeks: int) -> None:
    calendar = built.calendar
    later = t + weeks * HOURS_PER_WEEK
    assert calendar.open_hours(t, later) == pytest.approx(
        weeks * calendar.open_hours_per_week, abs=TOL
    )


@fast
@given(setups())
def test_worked_is_the_weekly_figure_minus_the_open_hours_lost_to_holidays(
    setup: tuple[Built, float],
) -> None:
    built, t = setup
    weekly = Calendar.weekly(built.windows, offset_h=built.offset)
    lost = sum(weekly.open_hours(lo, min(hi, t)) for lo, hi in built.calendar.holidays if lo < t)
    assert built.calendar.worked(t) == pytest.approx(weekly.worked(t) - lost, abs=TOL)


@fast
@given(setups(), works, works)
def test_finish_does_exactly_the_work_monotonically_ending_in_a_window(
    setup: tuple[Built, float], w1: float, w2: float
) -> None:
    (calendar, *_), t = setup
    low, high = sorted((w1, w2))
    done = calendar.finish(t, high)
    assert calendar.open_hours(t, done) == pytest.approx(high, abs=TOL)
    assert calendar.finish(t, low) <= done
    if high > 0.0:
        assert done >= calendar.next_open(t)
        # Inside a window, or at the end of one (or at a holiday's start): open just before.
        assert calendar.is_open(done) or calendar.is_open(done - 1e-9)
    else:
        assert done == t


@fast
@given(setups())
def test_next_open_is_open_and_skips_only_closed_time(setup: tuple[Built, float]) -> None:
    (calendar, *_), t = setup
    start = calendar.next_open(t)
    assert start >= t
    assert calendar.is_open(start)
    assert calendar.open_hours(t, start) == pytest.approx(0.0, abs=TOL)
    if calendar.is_open(t):
        assert start == t


@fast
@given(setups(), st.floats(0.0, 2000.0))
def test_closed_spans_are_maximal_and_add_up_with_open_hours_to_the_interval(
    setup: tuple[Built, float], length: float
) -> None:
    built, t0 = setup
    calendar, t1 = built.calendar, t0 + length
    spans = calendar.closed_spans(t0, t1)
    closed = sum(hi - lo for lo, hi in spans)
    assert closed + calendar.open_hours(t0, t1) == pytest.approx(t1 - t0, abs=TOL)
    assert all(t0 <= lo < hi <= t1 for lo, hi in spans)
    assert all(not calendar.is_open(lo) for lo, _ in spans)
    # The middle of a span an ulp or two long rounds to one of its ends; skip those.
    assert all(not calendar.is_open((lo + hi) / 2) for lo, hi in spans if hi - lo > TOL)
    # In time order, none touching the next, with open time between: maximal spans, each
    # ending where the calendar reopens (unless clipped at t1).
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end < start
        assert calendar.is_open((end + start) / 2)
    assert all(calendar.next_open(lo) == hi for lo, hi in spans if hi < t1)
    # Every holiday inside the interval lies within one span.
    for lo, hi in calendar.holidays:
        lo, hi = max(lo, t0), min(hi, t1)
        if lo < hi:
            assert any(a <= lo and hi <= b for a, b in spans)
