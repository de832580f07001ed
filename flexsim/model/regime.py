"""Regime: the hooks a payment regime fills in, each at its moment in an order's life, and what
the regimes share (the buyer's refusal for want of cash, a payment from buyer to factory).

refusal (before the factory looks at the order) → ordered (accepted; an opening order: opened)
→ rebilled (back from a workshop that scrapped pieces: the value falls to price × the pieces
delivered) → made (finished, about to ship) → delivered (sale and receivable booked) →
confirmed (by the buyer or the platform's auto-confirmation). The regimes: model/credit.py
(offline credit, prepaid, deposit and balance), model/voucher.py; by name in model/payment.py.
"""

from __future__ import annotations

from collections.abc import Callable

from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.timer import Environment
from flexsim.scenario import PaymentSpec
from flexsim.vocabulary import BUYER_CASH, HOURS_PER_DAY, WORLD, factory_party

Settle = Callable[[Order, str], None]


def balance(order: Order) -> float:
    """What the buyer still owes the factory beyond its deposit."""
    return order.value - order.deposit


class Regime:
    """The hooks a regime fills in; each runs at its moment in the order's life."""

    name = ""

    def __init__(self, spec: PaymentSpec, env: Environment, ledger: Ledger, settle: Settle):
        self.spec, self.env, self.ledger, self.settle = spec, env, ledger, settle
        # the class's name copied onto the instance: the trade reads it for every order, and
        # CPython 3.11 does not specialise reading a class attribute through an instance
        self.name = type(self).name
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

    def rebilled(self, order: Order, billed: float) -> None:
        """The order's value has fallen from `billed` to price × the pieces it delivers (an
        outside workshop scrapped the others): what the regime holds of it follows."""

    def made(self, order: Order) -> None:
        """The factory finished the order; it is about to ship."""

    def delivered(self, order: Order) -> None:
        """The goods reached the buyer; the factory has booked the sale and the receivable."""

    def confirmed(self, order: Order) -> None:
        """The buyer confirmed receipt (or the platform auto-confirmed it)."""
