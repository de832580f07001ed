"""Audit: the conservation laws of one run, recomputed from the tables of its results folder.

Each law is a function of the written tables (and the scenario they came from) that never
calls the model or the metrics it checks, and says in one line what holds and what does not:

pieces        every piece ordered is refused, waiting, in production, in transit or delivered;
              what sellers received is what was delivered to them, and sold, salvaged or in
              stock; their daily sales add up to their items' sales
orders        ids 0 … n − 1 once each; each status and payment state is the one the timestamps
              say; the counts of kpis.json are the table's
postings      every posting moves a positive, finite amount between two different accounts;
              the world keeps only cash against flows
parties       money only moves between parties: the cash of all of them, the world's included,
              adds up to zero after every instant
cash_table    cash.csv.gz is the ledger's running balances at the end of each day, and
              seller_money.csv.gz each seller's cash at the horizon
factory_cash  each factory's cash at the horizon, rebuilt from the orders table, the scenario's
              costs (investments, overhead, the lines' fixed costs and payroll) and terms and
              the line states (the ledger giving only interest, sample fees and when materials
              were bought); its depreciation as its investments and their lives say
horizon       no event is stamped at or after the horizon (promises and plans are exempt)
timestamps    placed ≤ fabric ≤ setup ≤ start ≤ finished ≤ delivered ≤ confirmed where present;
              line states and postings in the order docs/results.md gives
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flexsim.audit.folder import AuditError, Run, Verdict, read_run
from flexsim.audit.goods import events_at_or_after, horizon, order_states, pieces, timestamps
from flexsim.audit.money import (
    balance,
    cash_table,
    expected_factory_cash,
    factory_cash,
    parties,
    postings,
)
from flexsim.limits import MAX_PROBLEMS

LAWS: dict[str, Callable[[Run], Verdict]] = {
    "pieces": pieces,
    "orders": order_states,
    "postings": postings,
    "parties": parties,
    "cash_table": cash_table,
    "factory_cash": factory_cash,
    "horizon": horizon,
    "timestamps": timestamps,
}
"""Each law by name, in the order the audit prints them."""


@dataclass(frozen=True)
class Finding:
    """One law's verdict on a run: whether it holds, and what was counted or found."""

    law: str
    holds: bool
    detail: str

    def line(self) -> str:
        return f"{'holds' if self.holds else 'FAILS'}  {self.law}: {self.detail}"


def audit(folder: Path) -> list[Finding]:
    """Every law's verdict on the run in `folder` (AuditError when it is not a run folder)."""
    return check(read_run(folder))


def check(run: Run) -> list[Finding]:
    """Every law's verdict on a run; a law whose columns hold what it cannot read fails."""
    findings = []
    for law, function in LAWS.items():
        try:
            problems, counted = function(run)
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            problems, counted = [f"cannot be checked ({type(error).__name__}: {error})"], ""
        more = len(problems) - MAX_PROBLEMS
        detail = "; ".join(problems[:MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        findings.append(Finding(law, not problems, detail or counted))
    return findings


__all__ = [
    "LAWS",
    "AuditError",
    "Finding",
    "Run",
    "audit",
    "balance",
    "check",
    "events_at_or_after",
    "expected_factory_cash",
    "read_run",
]
