"""Trade credit: deposits, and balances the buyer pays after its term (what sets days sales
outstanding), late, or never (written off), for the offline-credit regime and its two cash
variants.

offline_credit: order (refused above the buyer's credit limit) → deposit → delivery (deposit
applied) → balance after the term, plus a delay when the buyer pays late, or a write-off after
the term plus the write-off limit when the buyer defaults.
prepaid: order → paid in full → delivery (prepayment applied).
deposit_balance: order → deposit → made → balance before shipment → delivery (applied).
"""

from __future__ import annotations

import math

from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.regime import Regime, Settle, balance
from flexsim.model.timer import Environment, after
from flexsim.scenario import PaymentSpec
from flexsim.vocabulary import (
    BAD_DEBT,
    BALANCE,
    BALANCE_BEFORE_SHIPMENT,
    BUYER_DEFAULT,
    CREDIT_LIMIT,
    DEPOSIT,
    DEPOSITS,
    PAID,
    PAYABLES,
    PREPAYMENTS,
    RECEIVABLES,
    REFUND,
    WRITTEN_OFF,
    factory_party,
)


class OfflineCredit(Regime):
    """Credit after delivery: a deposit share at order, the balance after the buyer's term,
    within the factory's credit limit for the buyer."""

    name = "offline_credit"
    gives_credit = True  # what the buyer owes after delivery counts against its credit limit

    def __init__(self, spec: PaymentSpec, env: Environment, ledger: Ledger, settle: Settle):
        super().__init__(spec, env, ledger, settle)
        self.limit = spec.credit_limit if self.gives_credit else None
        # (customer, factory) → unpaid balances of its accepted orders; kept only under a limit
        self.owed: dict[tuple[str, str], float] = {}

    def deposit_share(self) -> float:
        return self.spec.deposit_share

    def upfront(self, order: Order) -> float:
        return self.deposit_share() * order.value

    def refusal(self, order: Order) -> str:
        """Also refused when the order's balance would take what the buyer owes the factory
        above the credit limit."""
        reason = super().refusal(order)
        if reason or self.limit is None:
            return reason
        owed = self.owed.get((order.customer, order.factory), 0.0)
        if owed + order.value - self.upfront(order) > self.limit:
            return CREDIT_LIMIT
        return ""

    def ordered(self, order: Order) -> None:
        order.deposit = self.upfront(order)
        if order.deposit:
            self.buyer_pays(order, order.deposit, PREPAYMENTS, DEPOSITS, DEPOSIT, order.placed_at)
            if balance(order) <= 0:  # paid in full at order (prepaid)
                order.paid_at = order.placed_at
        if self.limit is not None:
            self.owe(order, balance(order))

    def opened(self, order: Order, made: bool) -> None:
        order.deposit = self.upfront(order)
        if self.limit is not None:
            self.owe(order, balance(order))

    def rebilled(self, order: Order, billed: float) -> None:
        """The balance falls with the value; a deposit above the new value (prepaid, or a
        deposit share above the share of pieces delivered) is paid back to the buyer."""
        owed = billed - order.deposit
        excess = order.deposit - order.value
        if excess > 0:
            factory, buyer = factory_party(order.factory), order.buyer.party
            self.ledger.pay(factory, DEPOSITS, buyer, PREPAYMENTS, excess, order.order_id, REFUND)
            order.deposit = order.value
        if self.limit is not None:  # what the buyer owes: the new balance for the old
            self.owe(order, balance(order) - owed)

    def owe(self, order: Order, amount: float) -> None:
        """Add `amount` (negative: subtract) to what the buyer owes the factory."""
        key = (order.customer, order.factory)
        self.owed[key] = self.owed.get(key, 0.0) + amount

    def delivered(self, order: Order) -> None:
        factory, buyer, ledger = factory_party(order.factory), order.buyer, self.ledger
        if order.deposit:
            ledger.post(factory, DEPOSITS, RECEIVABLES, order.deposit, order.order_id, DEPOSIT)
            ledger.post(buyer.party, PAYABLES, PREPAYMENTS, order.deposit, order.order_id, DEPOSIT)
        if balance(order) <= 0:  # nothing left to collect
            if math.isnan(order.paid_at):  # else the last payment already stamped it
                order.paid_at = self.env.now  # an order of value 0
            self.settle(order, PAID)
        else:
            self.expect(order, buyer.term_h())

    def expect(self, order: Order, due_h: float) -> None:
        """The balance falls due `due_h` from now: the buyer pays it then (late by its late
        draw), or defaults and the factory writes it off after the write-off limit."""
        if order.buyer.defaults():
            after(self.env, due_h + self.write_off_h, lambda: self.write_off(order))
        else:
            after(self.env, due_h + order.buyer.late_h(), lambda: self.collect(order))

    def collect(self, order: Order) -> None:
        self.buyer_pays(order, balance(order), PAYABLES, RECEIVABLES, BALANCE)
        order.paid_at = self.env.now
        if self.limit is not None:
            self.owe(order, -balance(order))
        self.settle(order, PAID)

    def write_off(self, order: Order) -> None:
        self.ledger.post(
            factory_party(order.factory), BAD_DEBT, RECEIVABLES, balance(order), order.order_id,
            BUYER_DEFAULT,
        )  # fmt: skip
        order.written_off_at = self.env.now
        if self.limit is not None:  # the factory gives up the claim: it no longer counts
            self.owe(order, -balance(order))
        self.settle(order, WRITTEN_OFF)


class Prepaid(OfflineCredit):
    """Paid in full at order: offline credit with the whole value as the deposit, so nothing
    is left to collect (or to lose) at delivery."""

    name = "prepaid"
    gives_credit = False

    def deposit_share(self) -> float:
        return 1.0


class DepositBalance(OfflineCredit):
    """A deposit at order, the balance when the goods are made, before they ship."""

    name = "deposit_balance"
    gives_credit = False

    def opened(self, order: Order, made: bool) -> None:
        super().opened(order, made)
        if made:  # the balance was paid before it shipped
            order.deposit, order.paid_at = order.value, 0.0

    def made(self, order: Order) -> None:
        self.buyer_pays(order, balance(order), PREPAYMENTS, DEPOSITS, BALANCE_BEFORE_SHIPMENT)
        order.deposit = order.value  # delivery applies it all: nothing is left to collect
        order.paid_at = self.env.now
