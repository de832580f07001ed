"""Voucher: the platform pays the factory for the buyer and the buyer repays the platform later;
where a voucher's payout and its repayment (on time, late, or written off) are decided.

voucher: order (its value locked on the buyer's platform credit line, refused above what is
left) → delivery → confirmation: the platform pays the factory the value less its fee → the
buyer repays the platform after the interest-free period, or later when a late payer (the line
frees), or defaults and the platform writes off.
"""

from __future__ import annotations

from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.regime import Regime, Settle
from flexsim.model.timer import Environment, after
from flexsim.scenario import PaymentSpec
from flexsim.vocabulary import (
    BAD_DEBT,
    BUYER_DEFAULT,
    CREDIT_LINE,
    FEES,
    HOURS_PER_DAY,
    PAID,
    PAYABLES,
    PLATFORM,
    PLATFORM_FEE,
    RECEIVABLES,
    REVENUE,
    VOUCHER_FLOAT,
    VOUCHER_PAYOUT,
    VOUCHER_REPAYMENT,
    factory_party,
)


class Voucher(Regime):
    """The platform's voucher: it pays the factory at confirmation, less its fee, and is
    repaid by the buyer after the interest-free period."""

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

    def rebilled(self, order: Order, billed: float) -> None:
        """The lock on the buyer's credit line falls with the value."""
        if self.line is not None:
            self.used[order.customer] -= billed - order.value

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
