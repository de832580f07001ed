"""Ledger: double-entry books for every party, as one append-only list of postings.

Parties: `factory/NAME`, `seller/NAME`, `platform`, and `world`, which stands for everyone
outside the model (consumers, suppliers, workers, wholesale customers, owners). Each posting
debits one account and credits another in one party's books; money moving between parties is
a posting in each party's books, so the sum of all cash, the world's included, is always zero.
The world keeps only cash, against one counter-account, `flows`.
"""

from __future__ import annotations

import itertools

from flexsim.model.timer import Environment
from flexsim.records import Row
from flexsim.vocabulary import (
    CASH,
    COST_ACCOUNTS,
    EQUITY,
    FINANCING_COST,
    FLOWS,
    INCOME_ACCOUNTS,
    INITIAL_CAPITAL,
    INTEREST,
    INTEREST_INCOME,
    NO_ORDER,
    WORLD,
)


class Ledger:
    """Posts entries stamped with the simulation clock into the recorder's ledger list."""

    def __init__(self, env: Environment, records: list[Row]) -> None:
        self.env, self.records = env, records
        self.ids = itertools.count()
        self.cash: dict[str, float] = {}  # each party's cash now, for decisions that need it
        # hours × money of positive and of negative cash since the last interest settlement
        self.area: dict[str, list[float]] = {}  # party → [positive, negative, since]
        # party → [income, costs] posted so far, for the parties an alliance watches (None:
        # no alliance, nothing counted)
        self.tally: dict[str, list[float]] | None = None

    def post(
        self,
        party: str,
        debit: str,
        credit: str,
        amount: float,
        order_id: int,
        reason: str,
        at: float | None = None,
    ) -> None:
        """Debit `debit` and credit `credit` by `amount` in `party`'s books, now or `at` (a
        stream order released late is booked at the time it was placed)."""
        if amount < 0:
            raise ValueError(f"negative posting {amount} ({reason}, order {order_id})")
        if amount == 0 or (party == WORLD and CASH not in (debit, credit)):
            return  # nothing moves; the world keeps no books beyond cash
        if CASH in (debit, credit) and party != WORLD:  # the bank charges itself nothing
            self._accrue(party)
            change = amount if debit == CASH else -amount
            self.cash[party] = self.cash.get(party, 0.0) + change
        tally = self.tally
        if tally is not None and party in tally:
            _count(tally[party], debit, credit, amount)
        when = self.env.now if at is None else at
        # a LedgerRecord row
        self.records.append((next(self.ids), when, party, debit, credit, amount, order_id, reason))

    def pay(
        self,
        payer: str,
        payer_debit: str,
        payee: str,
        payee_credit: str,
        amount: float,
        order_id: int,
        reason: str,
        at: float | None = None,
    ) -> None:
        """Cash moves from payer to payee; each side says what the payment settles for it."""
        debit = FLOWS if payer == WORLD else payer_debit
        self.post(payer, debit, CASH, amount, order_id, reason, at)
        credit = FLOWS if payee == WORLD else payee_credit
        self.post(payee, CASH, credit, amount, order_id, reason, at)

    def _accrue(self, party: str) -> None:
        """Add the cash held since the last posting to the party's interest areas (clock
        time: a deposit booked at an earlier placement time counts from when it is booked)."""
        now = self.env.now
        area = self.area.setdefault(party, [0.0, 0.0, now])
        level, hours = self.cash.get(party, 0.0), now - area[2]
        area[0 if level > 0 else 1] += abs(level) * hours
        area[2] = now

    def settle_interest(self, party: str, overdraft_per_h: float, deposit_per_h: float) -> None:
        """The bank charges interest on the party's negative cash and pays it on its positive
        cash since the last settlement, in cash."""
        self._accrue(party)
        area = self.area[party]
        owed = area[1] * overdraft_per_h - area[0] * deposit_per_h
        area[0] = area[1] = 0.0
        if owed > 0:
            self.pay(party, FINANCING_COST, WORLD, "", owed, NO_ORDER, INTEREST)
        elif owed < 0:
            self.pay(WORLD, FLOWS, party, INTEREST_INCOME, -owed, NO_ORDER, INTEREST)

    def capitalise(self, party: str, amount: float) -> None:
        """The owners put `amount` of cash into `party` at the start."""
        self.pay(WORLD, FLOWS, party, EQUITY, amount, NO_ORDER, INITIAL_CAPITAL)


def _count(tally: list[float], debit: str, credit: str, amount: float) -> None:
    """Add a posting to a party's [income, costs]: credited income and debited costs add,
    debited income and credited costs (reversals) take away."""
    if credit in INCOME_ACCOUNTS:
        tally[0] += amount
    elif debit in INCOME_ACCOUNTS:
        tally[0] -= amount
    if debit in COST_ACCOUNTS:
        tally[1] += amount
    elif credit in COST_ACCOUNTS:
        tally[1] -= amount
