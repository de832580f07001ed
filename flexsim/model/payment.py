"""Payment regimes: when money moves for an order, as small policy objects in a registry.

offline_credit: order (refused above the buyer's credit limit) → deposit → delivery (deposit
applied) → balance after the term, plus a delay when the buyer pays late, or a write-off after
the term plus the write-off limit when the buyer defaults.
prepaid: order → paid in full → delivery (prepayment applied).
deposit_balance: order → deposit → made → balance before shipment → delivery (applied).
voucher: order (its value locked on the buyer's platform credit line, refused above what is
left) → delivery → confirmation: the platform pays the factory the value less its fee → the
buyer repays the platform after the interest-free period, or later when a late payer (the line
frees), or defaults and the platform writes off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.timer import Environment, after
from flexsim.scenario import PaymentSpec, RegimeName
from flexsim.vocabulary import (
    BAD_DEBT,
    BALANCE,
    BALANCE_BEFORE_SHIPMENT,
    BUYER_CASH,
    BUYER_DEFAULT,
    CREDIT_LIMIT,
    CREDIT_LINE,
    DEPOSIT,
    DEPOSITS,
    FEES,
    HOURS_PER_DAY,
    PAID,
    PAYABLES,
    PLATFORM,
    PLATFORM_FEE,
    PREPAYMENTS,
    RECEIVABLES,
    REVENUE,
    VOUCHER_FLOAT,
    VOUCHER_PAYOUT,
    VOUCHER_REPAYMENT,
    WORLD,
    WRITTEN_OFF,
    check_names,
    factory_party,
)

Settle = Callable[[Order, str], None]


def balance(order: Order) -> float:
    """What the buyer still owes the factory beyond its deposit."""
    return order.value - order.deposit


class Regime:
    """The hooks a regime fills in; each runs at its moment in the order's life."""

    name = ""

    def __init__(self, spec: PaymentSpec, env: Environment, ledger: Ledger, settle: Settle):
        self.spec, self.env, self.ledger, self.settle = spec, env, ledger, settle
        self.write_off_h = spec.write_off_days * HOURS_PER_DAY

    def upfront(self, order: Order) -> float:
        """What the buyer must pay when the factory accepts the order."""
        return 0.0

    def refusal(self, order: Order) -> str:
        """Why the order of a priced buyer is refused before the factory looks at it, or ""
        when it is not: a buyer short of the cash its regime asks for at order cannot place
        it (the outside world always has the cash)."""
        party, upfront = order.buyer.party, self.upfront(order)
        # an order that asks for nothing up front (voucher) goes through below zero cash
        if party != WORLD and upfront > 0 and upfront > self.ledger.cash.get(party, 0.0):
            return BUYER_CASH
        return ""

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
            order.buyer.party, buyer_debit, factory_party(order.factory), factory_credit,
            amount, order.order_id, reason, at,
        )  # fmt: skip

    def ordered(self, order: Order) -> None:
        """The factory accepted the order."""

    def opened(self, order: Order, made: bool) -> None:
        """An order of the opening book, accepted (and `made`: finished) before the start:
        what its buyer paid by then is its `deposit`, a liability of the factory's opening
        books; the buyer's credit is taken up as for an order placed in the run."""
        self.ordered(order)  # (a voucher locks its value on the buyer's line)

    def made(self, order: Order) -> None:
        """The factory finished the order; it is about to ship."""

    def delivered(self, order: Order) -> None:
        """The goods reached the buyer; the factory has booked the sale and the receivable."""

    def confirmed(self, order: Order) -> None:
        """The buyer confirmed receipt (or the platform auto-confirmed it)."""


class OfflineCredit(Regime):
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


class Voucher(Regime):
    name = "voucher"

    def __init__(self, spec: PaymentSpec, env: Environment, ledger: Ledger, settle: Settle):
        super().__init__(spec, env, ledger, settle)
        self.fee_share, self.line = spec.platform_fee_share, spec.credit_line
        self.used: dict[str, float] = {}  # customer → credit line locked; kept only with a line

    def refusal(self, order: Order) -> str:
        """Also refused when the order's value is more than is left of the buyer's line."""
        reason = super().refusal(order)
        if reason or self.line is None:
            return reason
        if self.used.get(order.customer, 0.0) + order.value > self.line:
            return CREDIT_LINE
        return ""

    def ordered(self, order: Order) -> None:
        """The voucher locks the order's value on the buyer's credit line."""
        if self.line is not None:
            self.used[order.customer] = self.used.get(order.customer, 0.0) + order.value

    def confirmed(self, order: Order) -> None:
        ledger, value = self.ledger, order.value
        if value == 0:  # nothing to pay out or repay
            order.paid_at = self.env.now
            self.settle(order, PAID)
            return
        factory, fee = factory_party(order.factory), value * self.fee_share
        ledger.pay(
            PLATFORM, VOUCHER_FLOAT, factory, RECEIVABLES,
            value - fee, order.order_id, VOUCHER_PAYOUT,
        )  # fmt: skip
        if fee:  # the platform keeps its fee out of the payout
            ledger.post(PLATFORM, VOUCHER_FLOAT, REVENUE, fee, order.order_id, PLATFORM_FEE)
            ledger.post(factory, FEES, RECEIVABLES, fee, order.order_id, PLATFORM_FEE)
        order.paid_at = self.env.now
        self.settle(order, PAID)
        repay_h = self.spec.repay_days * HOURS_PER_DAY
        if order.buyer.defaults():
            after(self.env, repay_h + self.write_off_h, lambda: self.platform_write_off(order))
        else:  # a late payer repays late_days after the interest-free period
            after(self.env, repay_h + order.buyer.late_h(), lambda: self.repay(order))

    def repay(self, order: Order) -> None:
        self.ledger.pay(
            order.buyer.party, PAYABLES, PLATFORM, VOUCHER_FLOAT,
            order.value, order.order_id, VOUCHER_REPAYMENT,
        )  # fmt: skip
        if self.line is not None:  # a defaulted voucher never frees its share of the line
            self.used[order.customer] -= order.value

    def platform_write_off(self, order: Order) -> None:
        self.ledger.post(
            PLATFORM, BAD_DEBT, VOUCHER_FLOAT, order.value, order.order_id, BUYER_DEFAULT
        )


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


REGIMES: dict[str, type[Regime]] = {
    "offline_credit": OfflineCredit,
    "voucher": Voucher,
    "prepaid": Prepaid,
    "deposit_balance": DepositBalance,
}
check_names(REGIMES, RegimeName, "payment.REGIMES")
