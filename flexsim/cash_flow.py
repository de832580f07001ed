"""Cash flow: each factory's net cash flow per day over the measured window, the owners'
capital and the investments apart: what an investment appraisal compares between variants
(flexsim/experiment/appraisal.py)."""

from __future__ import annotations

import pandas as pd

from flexsim.vocabulary import CASH, HOURS_PER_DAY, INITIAL_CAPITAL, INVESTMENT, is_factory

KPI = "cash_flow_per_day"


def cash_flow_per_day(ledger: pd.DataFrame, party: str, start_h: float, end_h: float) -> float:
    """The party's cash in less cash out over [start_h, end_h), per day, without the owners'
    capital and the investments paid at time 0."""
    books = ledger[
        (ledger["party"] == party)
        & (ledger["at"] >= start_h)
        & (ledger["at"] < end_h)
        & ~ledger["reason"].isin((INITIAL_CAPITAL, INVESTMENT))
    ]
    cash_in = books.loc[books["debit"] == CASH, "amount"].sum()
    cash_out = books.loc[books["credit"] == CASH, "amount"].sum()
    return float(cash_in - cash_out) / ((end_h - start_h) / HOURS_PER_DAY)


def with_cash_flow(
    cycles: dict[str, dict[str, float]], ledger: pd.DataFrame, start_h: float, end_h: float
) -> dict[str, dict[str, float]]:
    """The cash cycles with `cash_flow_per_day` added to each factory's."""
    factories = [party for party in cycles if is_factory(party)]
    for party, books in rows_by(ledger, "party", factories).items():
        cycles[party][KPI] = cash_flow_per_day(books, party, start_h, end_h)
    return cycles


def rows_by(table: pd.DataFrame, column: str, keys: list[str]) -> dict[str, pd.DataFrame]:
    """Each key's rows of `table` (those whose `column` holds it), in table order (none: an
    empty table), found in one pass rather than one per key: with thousands of sellers, most
    postings are theirs, and a factory's orders are a fiftieth of a village's."""
    mine = table[table[column].isin(keys)]
    found = {str(key): rows for key, rows in mine.groupby(column, sort=False)}
    return {key: found.get(key, mine.iloc[:0]) for key in keys}
