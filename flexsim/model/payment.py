"""Payment regimes: when money moves for an order, as small policy objects in a registry.

offline_credit: order → deposit → delivery (deposit applied) → balance after the term, or a
write-off after the term plus the write-off limit when the buyer defaults.
prepaid: order → paid in full → delivery (prepayment applied).
deposit_balance: order → deposit → made → balance before shipment → delivery (applied).
voucher: order → delivery → confirmation: the platform pays the factory in full → the buyer
repays the platform after the interest-free period, or defaults and the platform writes off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from flexsim.calendar import HOURS_PER_DAY
from flexsim.model.ledger import (
    BAD_DEBT,
    DEPOSITS,
    PAYABLES,
    PLATFORM,
    PREPAYMENTS,
    RECEIVABLES,
    Ledger,
)
from flexsim.model.order import Order
from flexsim.model.schedule import after
from flexsim.scenario import PaymentSpec

Settle = Callable[[Order, str], None]


def factory_party(order: Order) -> str:
    return f"factory/{order.factory}"


def balance(order: Order) -> float:
    """What the buyer still owes the factory beyond its deposit."""
    return order.value - order.deposit


class Regime:
    """The hooks a regime fills in; each runs at its moment in the order's life."""

    name = ""

    def __init__(self, spec: PaymentSpec, env: simpy.Environment, ledger: Ledger, settle: Settle):
        self.spec, self.env, self.ledger, self.settle = spec, env, ledger, settle
        self.write_off_h = spec.write_off_days * HOURS_PER_DAY

    def upfront(self, order: Order) -> float:
        """What the buyer must pay when the factory accepts the order."""
        return 0.0

    def buyer_pays(
        self,
        order: Order,
        amount: float,
        buyer_debit: str,
        factory_credit: str,
        reason: str,
        at: float | None = None,
    ) -> None:
        """The buyer pays the factory for the order; each side books what the payment settles."""
        self.ledger.pay(
            order.buyer.party, buyer_debit, factory_party(order), factory_credit,
            amount, order.order_id, reason, at,
        )  # fmt: skip

    def ordered(self, order: Order) -> None:
        """The factory accepted the order."""

    def made(self, order: Order) -> None:
        """The factory finished the order; it is about to ship."""

    def delivered(self, order: Order) -> None:
        """The goods reached the buyer; the factory has booked the sale and the receivable."""

    def confirmed(self, order: Order) -> None:
        """The buyer confirmed receipt (or the platform auto-confirmed it)."""


class OfflineCredit(Regime):
    name = "offline_credit"

    def deposit_share(self) -> float:
        return self.spec.deposit_share

    def upfront(self, order: Order) -> float:
        return self.deposit_share() * order.value

    def ordered(self, order: Order) -> None:
        order.deposit = self.upfront(order)
        if order.deposit:
            self.buyer_pays(order, order.deposit, PREPAYMENTS, DEPOSITS, "deposit", order.placed_at)

    def delivered(self, order: Order) -> None:
        factory, buyer, ledger = factory_party(order), order.buyer, self.ledger
        if order.deposit:
            ledger.post(factory, DEPOSITS, RECEIVABLES, order.deposit, order.order_id, "deposit")
            ledger.post(
                buyer.party, PAYABLES, PREPAYMENTS, order.deposit, order.order_id, "deposit"
            )
        if balance(order) <= 0:  # nothing left to collect
            if math.isnan(order.paid_at):  # else the last payment already stamped it
                order.paid_at = order.placed_at if order.deposit else self.env.now
            self.settle(order, "paid")
        elif buyer.defaults():
            after(self.env, buyer.term_h() + self.write_off_h, lambda: self.write_off(order))
        else:
            after(self.env, buyer.term_h(), lambda: self.collect(order))

    def collect(self, order: Order) -> None:
        self.buyer_pays(order, balance(order), PAYABLES, RECEIVABLES, "balance")
        order.paid_at = self.env.now
        self.settle(order, "paid")

    def write_off(self, order: Order) -> None:
        self.ledger.post(
            factory_party(order), BAD_DEBT, RECEIVABLES, balance(order), order.order_id,
            "buyer_default",
        )  # fmt: skip
        order.written_off_at = self.env.now
        self.settle(order, "written_off")


class Voucher(Regime):
    name = "voucher"

    def confirmed(self, order: Order) -> None:
        ledger, value = self.ledger, order.value
        if value == 0:  # nothing to pay out or repay
            order.paid_at = self.env.now
            self.settle(order, "paid")
            return
        ledger.pay(
            PLATFORM, RECEIVABLES, factory_party(order), RECEIVABLES,
            value, order.order_id, "voucher_payout",
        )  # fmt: skip
        order.paid_at = self.env.now
        self.settle(order, "paid")
        repay_h = self.spec.repay_days * HOURS_PER_DAY
        if order.buyer.defaults():
            after(self.env, repay_h + self.write_off_h, lambda: self.platform_write_off(order))
        else:
            after(self.env, repay_h, lambda: self.repay(order))

    def repay(self, order: Order) -> None:
        self.ledger.pay(
            order.buyer.party, PAYABLES, PLATFORM, RECEIVABLES,
            order.value, order.order_id, "voucher_repayment",
        )  # fmt: skip

    def platform_write_off(self, order: Order) -> None:
        self.ledger.post(
            PLATFORM, BAD_DEBT, RECEIVABLES, order.value, order.order_id, "buyer_default"
        )


class Prepaid(OfflineCredit):
    """Paid in full at order: offline credit with the whole value as the deposit, so nothing
    is left to collect (or to lose) at delivery."""

    name = "prepaid"

    def deposit_share(self) -> float:
        return 1.0


class DepositBalance(OfflineCredit):
    """A deposit at order, the balance when the goods are made, before they ship."""

    name = "deposit_balance"

    def made(self, order: Order) -> None:
        self.buyer_pays(order, balance(order), PREPAYMENTS, DEPOSITS, "balance_before_shipment")
        order.deposit = order.value  # delivery applies it all: nothing is left to collect
        order.paid_at = self.env.now


REGIMES: dict[str, type[Regime]] = {
    "offline_credit": OfflineCredit,
    "voucher": Voucher,
    "prepaid": Prepaid,
    "deposit_balance": DepositBalance,
}
