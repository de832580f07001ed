"""Metrics of lines: the hours each spent in each state, its utilisation and overtime, and the
share of its open hours booked ahead.

Time-weighted from the line-state records, each state holding until the line's next record;
docs/results.md defines every KPI.
"""

from __future__ import annotations

import pandas as pd

from flexsim.vocabulary import BUSY_STATES, HOURS_PER_DAY, LINE_STATES, OPEN_STATES, is_workshop


def state_durations(
    line_states: pd.DataFrame, start_h: float, end_h: float, every: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Hours each line spent in each state inside [start_h, end_h): rows factory, line. With
    `every`, the records of `line_states` are a subset of it and each lasts until the line's
    next record in `every`."""
    whole = line_states if every is None else every
    states = whole.sort_values(["factory", "line", "at"], kind="stable")
    following = states.groupby(["factory", "line"])["at"].shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - states["at"].clip(start_h, end_h)
    states = states.assign(hours=hours)
    if every is not None:
        states = states.loc[states.index.intersection(line_states.index)]
    table = states.pivot_table(
        index=["factory", "line"], columns="state", values="hours", aggfunc="sum", fill_value=0.0
    )
    return table.reindex(columns=list(LINE_STATES), fill_value=0.0)


def utilisation(line_states: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Share of calendar time per state, processing + changeover as a share of open time, and
    the hours of overtime (open time flagged overtime)."""
    hours = state_durations(line_states, start_h, end_h)
    shares = hours / (end_h - start_h)
    open_h = hours[list(OPEN_STATES)].sum(axis=1)
    busy = hours[list(BUSY_STATES)].sum(axis=1)
    shares["busy_of_open"] = (busy / open_h.where(open_h > 0)).fillna(0.0)
    overtime = state_durations(line_states[line_states["overtime"]], start_h, end_h, line_states)
    shares["overtime_h"] = overtime.sum(axis=1).reindex(shares.index, fill_value=0.0)
    return shares


def lines_together(table: pd.DataFrame) -> dict[str, float]:
    """The factories' lines taken together, from `utilisation`'s rows (the workshops' lines,
    factory `workshop/NAME`, left out): each state's hours over all lines / (lines × window),
    the mean of their shares; `busy_of_open` their busy hours over their open hours, all lines
    summed (each line weighted by its open hours, not the mean of their ratios); overtime
    summed. Every line has the same window, so the shares' sums are the hours' sums scaled."""
    own = table[[not is_workshop(str(factory)) for factory, _ in table.index]]
    if own.empty:
        return {}
    out = {state: float(own[state].mean()) for state in LINE_STATES}
    open_share = float(own[list(OPEN_STATES)].to_numpy().sum())
    busy_share = float(own[list(BUSY_STATES)].to_numpy().sum())
    out["busy_of_open"] = busy_share / open_share if open_share > 0 else 0.0
    out["overtime_h"] = float(own["overtime_h"].sum())
    return out


def booked_shares(capacity: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Per line, over the schedules published inside [start_h, end_h): the share of open hours
    already booked in the next 7 days and over the whole booking horizon."""
    published = capacity[(capacity["at"] >= start_h) & (capacity["at"] < end_h)]
    week = published[published["day_at"] < published["at"] + 7 * HOURS_PER_DAY]
    table = pd.DataFrame(
        {
            "booked_share_7d": _booked(week),
            "booked_share_horizon": _booked(published),
        }
    )
    table.index = [f"{factory}.{line}" for factory, line in table.index]
    return table


def _booked(capacity: pd.DataFrame) -> pd.Series:
    sums = capacity.groupby(["factory", "line"])[["booked_h", "open_h"]].sum()
    return sums["booked_h"] / sums["open_h"].where(sums["open_h"] > 0)
