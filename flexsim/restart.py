"""Restart: a run's open orders at a day as an order book, with each factory's cash then, to
start another run from that day.

An order of a customer (an order stream; sellers' orders are left out) is open at time
t = day × 24 h when it was placed before t, accepted, and not yet settled: waiting (no line
had begun work on it, or a polling line had, which cannot resume it), in production (begun,
not finished: its `hours_done` are the processing hours its line had put in; at a routed factory
in hand at a station making one order at a time, its hours there, else waiting again at its
routing's first step: between steps, out at a workshop step, or in a batch), in transit
(finished, not delivered) or delivered and unpaid. Dates are the run's own: hours after its
start date. A delivered order's payment is due when the run paid it (the balance, or the
platform's payout at confirmation), `write_off_days` before it wrote it off, or at the run's
horizon when neither happened; its materials are due to the supplier `supplier_terms_days`
after the line bought them, when that is at or after t. Each factory's cash is that of its
books before t, as the cash table has it at the end of day − 1.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexsim.results import write_text
from flexsim.scenario import POLLING_RULES, Scenario
from flexsim.scenario.orderbook import OpeningOrder
from flexsim.vocabulary import (
    CASH,
    DELIVERED_UNPAID,
    HOURS_PER_DAY,
    IN_PRODUCTION,
    IN_TRANSIT,
    MATERIALS,
    NO_BATCH,
    PAYABLES,
    PROCESSING,
    REFUSED,
    SELLER_KINDS,
    WAITING,
    WORKSHOP_PREFIX,
    factory_party,
)

COLUMNS = list(OpeningOrder.model_fields)


def order_book(tables: dict[str, pd.DataFrame], scenario: Scenario, day: float) -> pd.DataFrame:
    """The customers' orders open at `day` of the run, one row per order in the columns of an
    order book (dates as ISO text), oldest placed first."""
    at, orders = day * HOURS_PER_DAY, tables["orders"]
    mine = orders[
        (orders["placed_at"] < at)
        & (orders["status"] != REFUSED)
        & ~orders["kind"].isin(SELLER_KINDS)
        & ~(orders["paid_at"] < at)
        & ~(orders["written_off_at"] < at)
    ].sort_values("placed_at", kind="stable")
    status = pd.Series(WAITING, index=mine.index)
    status[mine["setup_at"] < at] = IN_PRODUCTION
    status[mine["finished_at"] < at] = IN_TRANSIT
    status[mine["delivered_at"] < at] = DELIVERED_UNPAID
    polling = {
        (f.name, n.name) for f in scenario.factories for n in f.lines if n.dispatch in POLLING_RULES
    }
    resumed = pd.Series(list(zip(mine["factory"], mine["line"], strict=True)), index=mine.index)
    status[(status == IN_PRODUCTION) & resumed.isin(polling)] = WAITING
    # an order out at a workshop starts again waiting at its factory, on no line: a book
    # names no workshop
    out = mine["line"].str.startswith(WORKSHOP_PREFIX, na=False)
    status[(status == IN_PRODUCTION) & out] = WAITING
    # a made order delivers, and is billed for, the pieces its workshop did not scrap
    pieces = mine["quantity"] - mine["scrapped"].where(
        status.isin([IN_TRANSIT, DELIVERED_UNPAID]), 0
    )
    booked = {f.name for f in scenario.factories if f.booking is not None}
    keep_line = ((status == IN_PRODUCTION) | mine["factory"].isin(booked)) & ~out
    line = mine["line"].where(keep_line, "")
    hours_done = _hours_done(tables["line_states"], mine, at)
    routed = mine["factory"].isin([f.name for f in scenario.factories if f.routing])
    if routed.any():  # at a routed factory: in production at the station that has it in hand
        station, done_there = _in_hand_at(tables, mine[routed], at)
        begun = routed & (status == IN_PRODUCTION)
        status[begun & (station.reindex(mine.index) == "")] = WAITING
        line = line.where(~routed, station.reindex(mine.index).where(status == IN_PRODUCTION, ""))
        hours_done = hours_done.where(~routed, done_there.reindex(mine.index))
    book = pd.DataFrame(
        {
            **{c: mine[c] for c in ("customer", "factory", "family", "item")},
            "quantity": pieces,
            "line": line,
            "placed_date": _dates(scenario, mine["placed_at"]),
            "due_date": _dates(scenario, mine["due_at"]),
            "status": status,
            "hours_done": hours_done.where(status == IN_PRODUCTION, np.nan),
            "value": mine["price"] * pieces,
            "payment_due_date": _dates(
                scenario, _payment_due(mine, scenario).where(status == DELIVERED_UNPAID)
            ),
            "materials_due_date": _dates(
                scenario,
                _materials_due(tables["ledger"], mine, scenario, at).where(status != WAITING),
            ),
        }
    )
    return book[COLUMNS].reset_index(drop=True)


def cash_at(tables: dict[str, pd.DataFrame], scenario: Scenario, day: float) -> dict[str, float]:
    """Each factory's cash from its postings before `day` (its opening cash from then)."""
    ledger = tables["ledger"]
    before = ledger[ledger["at"] < day * HOURS_PER_DAY]
    cash = {}
    for factory in scenario.factories:
        books = before[before["party"] == factory_party(factory.name)]
        debit = books.loc[books["debit"] == CASH, "amount"].sum()
        cash[factory.name] = float(debit - books.loc[books["credit"] == CASH, "amount"].sum())
    return cash


def alliance_state(reviews: pd.DataFrame, scenario: Scenario, day: float) -> dict[str, Any]:
    """The `--set` keys that carry each alliance's state at `day` into a restart: the core
    members that had withdrawn by then (`withdrawn`; with fewer than 2 core members left the
    alliance has ended, and the restart starts it ended), each core member's bad periods in a
    row (`bad_streak`) and the days to its next review (`first_review_days`). A review at
    `day` itself counts as held."""
    at, overrides = day * HOURS_PER_DAY, dict[str, Any]()
    for alliance in scenario.alliances:
        key = f"alliances.{alliance.name}"
        held = reviews[(reviews["alliance"] == alliance.name) & (reviews["end_at"] <= at)]
        for member in alliance.members:
            if member.role != "core":
                continue
            mine = held[held["member"] == member.name].sort_values("end_at", kind="stable")
            withdrawn = member.withdrawn or bool(mine["withdrawn"].any())
            bad = mine["bad"].astype(bool).tolist()
            trailing = bad[::-1].index(False) if False in bad else len(bad)
            streak = trailing + (member.bad_streak if all(bad) else 0)
            if withdrawn and not member.withdrawn:
                overrides[f"{key}.members.{member.name}.withdrawn"] = True
            if not withdrawn and streak != member.bad_streak:
                overrides[f"{key}.members.{member.name}.bad_streak"] = streak
        period_h = alliance.review_days * HOURS_PER_DAY
        first_h = (alliance.first_review_days or alliance.review_days) * HOURS_PER_DAY
        laps = 0 if at < first_h else math.floor((at - first_h) / period_h) + 1
        overrides[f"{key}.first_review_days"] = (first_h + laps * period_h - at) / HOURS_PER_DAY
    return overrides


def restart_overrides(
    scenario: Scenario,
    day: float,
    book: Path,
    cash: dict[str, float],
    reviews: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The `--set` keys that start the scenario at `day` from the order book at `book` and
    each factory's cash: the same calendar dates, the rest of the horizon and warm-up, and
    each alliance's state then from its `reviews` (alliance_state)."""
    overrides: dict[str, Any] = {
        "start_date": scenario.start_date + dt.timedelta(days=day),
        "horizon_days": scenario.horizon_days - day,
        "warmup_days": max(0.0, scenario.warmup_days - day),
        "order_book": str(book),
    }
    if scenario.opening_orders:  # the book read for this run gives way to the new one
        overrides["opening_orders"] = []
    for name, amount in cash.items():
        if amount < 0:
            raise ValueError(
                f"factory {name}'s cash at day {day:g} is {amount:,.2f}: a run cannot start "
                "with a factory overdrawn (initial_cash is at least 0)"
            )
        overrides[f"factories.{name}.initial_cash"] = amount
    if scenario.alliances:
        if reviews is None:
            raise ValueError("a scenario with alliances restarts with its alliance_reviews table")
        overrides |= alliance_state(reviews, scenario, day)
    return overrides


def write_book(book: pd.DataFrame, path: Path) -> None:
    """Write an order book as CSV (written to a temporary name and renamed)."""
    write_text(path, book.to_csv(index=False))


def _dates(scenario: Scenario, hours: pd.Series) -> pd.Series:
    """Hours of the run as ISO date-times (to the second); empty where NaN."""
    start = pd.Timestamp(scenario.start_date)
    stamps = start + pd.to_timedelta(hours.round(6), unit="h")
    return stamps.dt.round("s").dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")


def _hours_done(line_states: pd.DataFrame, orders: pd.DataFrame, at: float) -> pd.Series:
    """Each order's processing hours before `at`: its line's processing records, each held
    until the line's next record, clipped at `at`."""
    states = line_states.sort_values(["factory", "line", "at"], kind="stable")
    until = states.groupby(["factory", "line"])["at"].shift(-1).fillna(np.inf)
    held = until.clip(upper=at) - states["at"].clip(upper=at)
    processing = states["state"] == PROCESSING
    done = held[processing].groupby(states.loc[processing, "order_id"]).sum()
    return orders["order_id"].map(done).fillna(0.0).round(6)


def _in_hand_at(
    tables: dict[str, pd.DataFrame], orders: pd.DataFrame, at: float
) -> tuple[pd.Series, pd.Series]:
    """For routed orders: the station that has each in hand at `at` (its step reached by
    then, set up before it and not finished), "" when none does or the step is a workshop's or
    a batch's (the order then starts again waiting at its routing's first step), and its
    processing hours there before `at`."""
    steps = tables.get("steps")
    station = pd.Series("", index=orders.index, dtype=object)
    done = pd.Series(0.0, index=orders.index)
    if steps is None or steps.empty:
        return station, done
    reached = steps[steps["order_id"].isin(orders["order_id"]) & (steps["queued_at"] < at)]
    current = reached.sort_values(["order_id", "step"]).groupby("order_id").tail(1)
    in_hand = current[
        (current["setup_at"] < at)
        & ~(current["finished_at"] < at)
        & ~current["station"].astype(str).str.startswith(WORKSHOP_PREFIX)
        & (current["batch_id"] == NO_BATCH)
    ].set_index("order_id")["station"]
    station = orders["order_id"].map(in_hand).fillna("").astype(object)
    states = tables["line_states"]
    states = states.sort_values(["factory", "line", "at"], kind="stable")
    until = states.groupby(["factory", "line"])["at"].shift(-1).fillna(np.inf)
    held = until.clip(upper=at) - states["at"].clip(upper=at)
    processing = states["state"] == PROCESSING
    keys = ["factory", "line", "order_id"]
    by = held[processing].groupby([states.loc[processing, k] for k in keys]).sum()
    there = pd.MultiIndex.from_arrays([orders["factory"], station, orders["order_id"]])
    done = pd.Series(by.reindex(there).to_numpy(), index=orders.index).fillna(0.0).round(6)
    return station, done


def _payment_due(orders: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """When each delivered order's payment was due: paid, written off less the write-off
    limit, or else the horizon."""
    write_off_h = pd.Series(
        [
            scenario.channels.get(c).payment.write_off_days * HOURS_PER_DAY
            for c in orders["channel"]
        ],
        index=orders.index,
        dtype=float,
    )
    due = orders["paid_at"].fillna(orders["written_off_at"] - write_off_h)
    return due.fillna(scenario.horizon_h)


def _materials_due(
    ledger: pd.DataFrame, orders: pd.DataFrame, scenario: Scenario, at: float
) -> pd.Series:
    """When each order's materials are due to the supplier, where that is at or after `at`."""
    bought = ledger[(ledger["credit"] == PAYABLES) & (ledger["reason"] == MATERIALS)]
    bought_at = orders["order_id"].map(
        bought.drop_duplicates("order_id").set_index("order_id")["at"]
    )
    terms = orders["factory"].map(
        {f.name: f.supplier_terms_days * HOURS_PER_DAY for f in scenario.factories}
    )
    due = bought_at.astype(float) + terms.astype(float)  # (typed even without open orders)
    return due.where(due >= at)
