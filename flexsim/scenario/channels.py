"""Channel specs: the sales channels with their terms and payment regimes, the wholesale
customers, and the cost of money."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from flexsim.dists import Deterministic, DistSpec, Exponential, mean_at_least
from flexsim.limits import (
    MAX_BUYERS,
    MAX_CUSTOMER_ITEMS,
    MAX_HORIZON_DAYS,
    MAX_NUMBER,
    MAX_RATE_PER_YEAR,
    MIN_GAP_H,
    MIN_INTEREST_DAYS,
)
from flexsim.scenario.fields import (
    ChannelName,
    Days,
    Families,
    Money,
    Name,
    PositiveDays,
    RegimeName,
    Share,
)
from flexsim.spec import Spec
from flexsim.vocabulary import HOURS_PER_DAY

Rate = Annotated[float, Field(ge=0, le=MAX_RATE_PER_YEAR, description="per year")]


class PaymentSpec(Spec):
    """How a channel's buyers pay the factory. One flat table for every regime, so that
    `--set channels.ecommerce.payment.regime=voucher` switches regimes; each key says which
    regime reads it.

    offline_credit: `deposit_share` at order, the balance `term_days` after delivery, and with
    `late_probability` a further `late_days` later; with `default_probability` the buyer never
    pays and the factory writes the receivable off `write_off_days` after the due date. The
    factory refuses an order that would take what a buyer owes it (unpaid balances of its
    accepted orders, the new one included) above `credit_limit`.
    voucher: the factory is paid when the buyer confirms delivery (at the latest the channel's
    `auto_confirm_days`), less the platform's `platform_fee_share`; the platform guarantees it.
    The buyer repays the platform `repay_days` after confirmation (with `late_probability` a
    further `late_days` later), or defaults with
    `default_probability` and the platform writes it off `write_off_days` after the due date.
    Each order locks its value on the buyer's platform `credit_line` from placement until
    the buyer repays; an order above what is left of the line is refused.
    prepaid: the whole value at order. deposit_balance: `deposit_share` at order, the rest when
    the goods are made, before they ship. Neither leaves anything to default on.
    """

    regime: RegimeName = "offline_credit"
    deposit_share: Share = 0.0
    term_days: DistSpec = Deterministic(value=90)
    default_probability: Share = 0.0
    write_off_days: Days = 180.0
    late_probability: Share = 0.0
    late_days: DistSpec = Deterministic(value=30)
    credit_limit: Money | None = None  # None: unlimited
    repay_days: Days = 30.0
    platform_fee_share: Share = 0.0
    credit_line: Money | None = None  # None: unlimited


class ChannelSpec(Spec):
    """A sales channel's terms: minimum order quantity, promised production time, payment.

    Under capacity booking a buyer quoted a completion date after the order's due date takes
    the later date with `accept_later_probability` when it is at most `accept_later_days`
    late, and withdraws otherwise (the order is refused with reason `late_quote`).
    """

    moq: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))] = 1
    promise_days: PositiveDays = 7.0
    auto_confirm_days: Days = 10.0
    accept_later_probability: Share = 0.5
    accept_later_days: Days = 7.0
    payment: PaymentSpec = PaymentSpec()


class EcommerceChannel(ChannelSpec):
    moq: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))] = 30  # MOQ [seed: Tao-Factory]
    promise_days: PositiveDays = 7.0  # produced within 7 days [seed: Tao-Factory]


class OfflineChannel(ChannelSpec):
    promise_days: PositiveDays = 30.0


class Channels(Spec):
    """Each channel's defaults hold key by key, whether or not its table is written."""

    ecommerce: EcommerceChannel = EcommerceChannel()
    offline: OfflineChannel = OfflineChannel()

    def get(self, name: str) -> ChannelSpec:
        channel: ChannelSpec = getattr(self, name)
        return channel


class CustomerSpec(Spec):
    """Customers placing orders at one factory as a renewal stream (offline wholesale, tests)."""

    name: Name
    factory: Name
    channel: ChannelName = "offline"
    count: Annotated[int, Field(ge=1, le=MAX_BUYERS)] = 1
    interarrival_days: Annotated[
        DistSpec,
        mean_at_least(MIN_GAP_H / HOURS_PER_DAY, "days (one minute)", "orders must be apart"),
    ] = Exponential(dist="exponential", mean=7.0)
    quantity: DistSpec = Deterministic(value=1000)
    families: Families = {"default": 1.0}
    styles_per_family: Annotated[int, Field(ge=1, le=MAX_CUSTOMER_ITEMS)] = 1
    due_days: DistSpec = Deterministic(value=30)
    factory_price: Money = 0.0
    transit_days: DistSpec = Deterministic(value=0)
    confirm_days: DistSpec = Deterministic(value=0)

    def items(self) -> int:
        """How many items the entry's customers order from: count × families × styles."""
        return self.count * len(self.families) * self.styles_per_family

    def customer_names(self) -> list[str]:
        """One name per customer: the spec's name, suffixed -0, -1, … when count > 1."""
        if self.count == 1:
            return [self.name]
        return [f"{self.name}-{i}" for i in range(self.count)]


class FinanceSpec(Spec):
    """The cost of money: interest on each party's cash, settled in cash every
    `interest_days` (a bank in the outside world lends and borrows), and the rate at which
    cash flows are discounted for the net present value."""

    overdraft_rate: Rate = 0.06  # [G]
    deposit_rate: Rate = 0.01  # [G]
    discount_rate: Rate = 0.08  # [G]
    interest_days: Annotated[float, Field(ge=MIN_INTEREST_DAYS, le=MAX_HORIZON_DAYS)] = 30.0
