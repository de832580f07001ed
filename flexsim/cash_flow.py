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
    return cash_flows_per_day(ledger, [party], start_h, end_h)[party]


def cash_flows_per_day(
    ledger: pd.DataFrame, parties: list[str], start_h: float, end_h: float
) -> dict[str, float]:
    """`cash_flow_per_day` of each of `parties`, in one pass over the ledger."""
    books = ledger[
        ledger["party"].isin(parties)
        & (ledger["at"] >= start_h)
        & (ledger["at"] < end_h)
        & ~ledger["reason"].isin((INITIAL_CAPITAL, INVESTMENT))
    ]
    party = books["party"]
    cash_in = books["amount"].where(books["debit"] == CASH, 0.0).groupby(party).sum()
    cash_out = books["amount"].where(books["credit"] == CASH, 0.0).groupby(party).sum()
    days = (end_h - start_h) / HOURS_PER_DAY
    return {p: float(cash_in.get(p, 0.0) - cash_out.get(p, 0.0)) / days for p in parties}


def with_cash_flow(
    cycles: dict[str, dict[str, float]], ledger: pd.DataFrame, start_h: float, end_h: float
) -> dict[str, dict[str, float]]:
    """The cash cycles with `cash_flow_per_day` added to each factory's."""
    factories = [party for party in cycles if is_factory(party)]
    for party, flow in cash_flows_per_day(ledger, factories, start_h, end_h).items():
        cycles[party][KPI] = flow
    return cycles
