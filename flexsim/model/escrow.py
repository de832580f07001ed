"""Escrow: a seller's retail takings, held by the platform and released to the seller later.

a day's retail revenue → consumers pay the platform, which holds it in escrow (the seller books
a receivable) → released to the seller `escrow_days` later (one event per seller-day); with no
escrow the seller is paid at once.
"""

from __future__ import annotations

from functools import partial

from flexsim.model.ledger import Ledger
from flexsim.model.timer import Environment, after
from flexsim.vocabulary import (
    ESCROW,
    ESCROW_RELEASE,
    FLOWS,
    HOURS_PER_DAY,
    NO_ORDER,
    PLATFORM,
    RECEIVABLES,
    RETAIL_SALES,
    REVENUE,
    WORLD,
)


class Escrow:
    """One seller's escrow account at the platform."""

    def __init__(self, env: Environment, ledger: Ledger, party: str, escrow_days: float) -> None:
        self.env, self.ledger, self.party = env, ledger, party
        self.escrow_h = escrow_days * HOURS_PER_DAY

    def take(self, revenue: float) -> None:
        """The day's retail revenue, into escrow (or to the seller at once with no escrow)."""
        if self.escrow_h <= 0:
            self.ledger.pay(WORLD, FLOWS, self.party, REVENUE, revenue, NO_ORDER, RETAIL_SALES)
            return
        if revenue <= 0:
            return
        self.ledger.pay(WORLD, FLOWS, PLATFORM, ESCROW, revenue, NO_ORDER, RETAIL_SALES)
        self.ledger.post(self.party, RECEIVABLES, REVENUE, revenue, NO_ORDER, RETAIL_SALES)
        after(self.env, self.escrow_h, partial(self.release, revenue))

    def release(self, revenue: float) -> None:
        self.ledger.pay(
            PLATFORM, ESCROW, self.party, RECEIVABLES, revenue, NO_ORDER, ESCROW_RELEASE
        )
