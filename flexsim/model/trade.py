"""Trade: an order from placement to settlement, across factory, transit and payment.

place → refused, or accepted (the regime's order hook) → made by the factory → shipped (its
value cut to price × the pieces delivered when a workshop scrapped some) → in transit →
delivered (sale, cost of goods and the buyer's stock booked; the regime's delivery
hook) → confirmed by the buyer, at the latest the channel's auto-confirm delay (the regime's
confirmation hook) → settled when the regime says the factory is paid or has written it off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flexsim.dists import Deterministic, DistSpec, Uniform
from flexsim.model.factory import Factory
from flexsim.model.ledger import Ledger
from flexsim.model.order import Buyer, Order
from flexsim.model.payment import REGIMES
from flexsim.model.regime import Regime
from flexsim.model.timer import Environment, after
from flexsim.records import Recorder
from flexsim.scenario import ChannelSpec, PaymentSpec
from flexsim.streams import Streams
from flexsim.vocabulary import (
    COGS,
    DELIVERED,
    FINISHED_GOODS,
    HOURS_PER_DAY,
    INVENTORY,
    OPEN,
    PAID,
    PAYABLES,
    PURCHASE,
    RECEIVABLES,
    REVENUE,
    SALE,
    UNPAID,
    factory_party,
)


class Trade:
    """Moves every order through its life and records it once, when it is settled."""

    def __init__(
        self,
        env: Environment,
        channels: dict[str, ChannelSpec],
        ledger: Ledger,
        recorder: Recorder,
        horizon_h: float,
    ) -> None:
        self.env, self.ledger, self.recorder = env, ledger, recorder
        self.orders = recorder.orders  # the table every order is recorded in, once
        self.horizon_h = horizon_h  # a refused order's planned fabric may come after it
        self.regimes: dict[str, Regime] = {
            name: REGIMES[spec.payment.regime](spec.payment, env, ledger, self.settle)
            for name, spec in channels.items()
        }
        self.auto_confirm_h = {n: c.auto_confirm_days * HOURS_PER_DAY for n, c in channels.items()}
        self.open: dict[int, Order] = {}

    def place(self, order: Order, factory: Factory) -> None:
        """The buyer sends the order; the factory refuses or accepts it."""
        regime = self.regimes[order.channel]
        order.regime = regime.name
        order.value = order.price * order.quantity
        if order.value:  # an order without value asks for no money and no credit
            order.refused = regime.refusal(order)
        if order.refused or not factory.accepts(order):
            order.as_of(self.horizon_h)
            order.record(self.orders)
            return
        self.open[order.order_id] = order
        if order.value:  # the hook moves money; an order without value has none to move
            regime.ordered(order)
        factory.receive(order)

    def ship(self, order: Order) -> None:
        """The factory finished the order; it travels to the buyer."""
        if order.buyer.instant:  # the same as delivering, confirming and paying nothing now
            # (its finished_at is now: the line stamped it before handing it over)
            order.delivered_at = order.confirmed_at = order.paid_at = order.finished_at
            order.payment = PAID  # settled (as `settle` does, without its call: M/M/1's path)
            order.record(self.orders, DELIVERED)
            del self.open[order.order_id]
            return
        if order.value:
            regime = self.regimes[order.channel]
            if order.scrapped:  # the buyer pays for the pieces it gets
                billed, order.value = order.value, order.price * order.delivered
                regime.rebilled(order, billed)
            regime.made(order)
        self.send(order)

    def send(self, order: Order) -> None:
        """The order travels to its buyer: delivered after the buyer's transit time."""
        after(self.env, order.buyer.transit_h(), lambda: self.deliver(order))

    def deliver(self, order: Order) -> None:
        order.delivered_at = self.env.now
        buyer = order.buyer
        if order.value or order.cost:
            factory, ledger = factory_party(order.factory), self.ledger
            ledger.post(factory, RECEIVABLES, REVENUE, order.value, order.order_id, SALE)
            ledger.post(factory, COGS, FINISHED_GOODS, order.cost, order.order_id, SALE)
            ledger.post(buyer.party, INVENTORY, PAYABLES, order.value, order.order_id, PURCHASE)
        if buyer.receive is not None:
            buyer.receive(order)
        self.regimes[order.channel].delivered(order)
        confirm_h = min(buyer.confirm_h(), self.auto_confirm_h[order.channel])
        after(self.env, confirm_h, lambda: self.confirm(order))

    def confirm(self, order: Order) -> None:
        order.confirmed_at = self.env.now
        self.regimes[order.channel].confirmed(order)

    def settle(self, order: Order, payment: str) -> None:
        """The factory's money for the order is in, or written off: record the order."""
        order.payment = payment
        order.record(self.orders, DELIVERED)  # settled means delivered
        del self.open[order.order_id]

    def close(self, at: float) -> None:
        """At the horizon (or when the run stops) `at`: record every open order as it stands."""
        for order in self.open.values():
            order.as_of(at)
            if not math.isnan(order.paid_at):  # paid in full before delivery
                order.payment = PAID
            else:
                order.payment = OPEN if order.status == DELIVERED else UNPAID
            order.record(self.orders)
        self.open.clear()


def make_buyer(
    party: str,
    name: str,
    channel: ChannelSpec,
    transit_days: DistSpec,
    confirm_days: DistSpec,
    streams: Streams,
    priced: bool,
    receive: Callable[[Order], None] | None = None,
) -> Buyer:
    """A buyer whose transit, confirmation, term and default draws come from its own streams;
    `priced` says whether its orders carry money, `receive` is called on each delivery."""
    payment = channel.payment
    default_p = payment.default_probability
    uniform = Uniform(dist="uniform", low=0, high=1).sampler(streams[f"payment.default/{name}"])
    later = Uniform(dist="uniform", low=0, high=1).sampler(streams[f"booking.later/{name}"])
    later_h, later_p = channel.accept_later_days * HOURS_PER_DAY, channel.accept_later_probability
    return Buyer(
        party=party,
        transit_h=transit_days.sampler(streams[f"transit/{name}"], HOURS_PER_DAY),
        confirm_h=confirm_days.sampler(streams[f"confirm/{name}"], HOURS_PER_DAY),
        term_h=payment.term_days.sampler(streams[f"payment.term/{name}"], HOURS_PER_DAY),
        late_h=_late_sampler(payment, streams, name),
        defaults=lambda: uniform() < default_p,
        accepts_later=lambda late_h: late_h <= later_h and later() < later_p,
        receive=receive,
        instant=not priced
        and receive is None
        and _is_zero(transit_days)
        and _is_zero(confirm_days),
    )


def _late_sampler(payment: PaymentSpec, streams: Streams, name: str) -> Callable[[], float]:
    """Hours a payment comes after its term: `late_days` with `late_probability`, else 0.
    Its own streams, so late payment changes no other draw (common random numbers)."""
    late_p = payment.late_probability
    if late_p == 0:
        return lambda: 0.0
    uniform = Uniform(dist="uniform", low=0, high=1).sampler(streams[f"payment.late/{name}"])
    delay_h = payment.late_days.sampler(streams[f"payment.late_days/{name}"], HOURS_PER_DAY)
    return lambda: delay_h() if uniform() < late_p else 0.0


def _is_zero(dist: DistSpec) -> bool:
    return isinstance(dist, Deterministic) and dist.value == 0
