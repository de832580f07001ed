"""Wholesale: customers whose orders arrive as a renewal stream (offline business, validation).

interarrival → draw quantity, family, style and due date → the order goes to the factory
through the trade. With one line, exponential interarrivals, quantity 1 and an exponential unit
time this is M/M/1. These customers belong to the outside world: they pay from its cash.
"""

from __future__ import annotations

import itertools

from flexsim.dists import Deterministic, DistSpec, choice_sampler
from flexsim.model.factory import Factory
from flexsim.model.order import Order
from flexsim.model.timer import Environment
from flexsim.model.trade import Trade, make_buyer
from flexsim.scenario import ChannelSpec, CustomerSpec
from flexsim.streams import Streams
from flexsim.vocabulary import HOURS_PER_DAY, WORLD


class OrderStream:
    """One customer's order stream; each random quantity has its own named stream.

    The stream needs no process and no events: it knows when its next order is placed, and
    its factory releases the orders placed up to now when it looks at its queue (see
    Factory.catch_up).
    """

    def __init__(
        self,
        env: Environment,
        customer: str,
        spec: CustomerSpec,
        channel: ChannelSpec,
        factory: Factory,
        trade: Trade,
        streams: Streams,
        order_ids: itertools.count[int],
    ) -> None:
        self.env, self.customer, self.spec = env, customer, spec
        self.factory, self.order_ids = factory, order_ids
        priced = spec.factory_price > 0
        self.buyer = make_buyer(
            WORLD, customer, channel, spec.transit_days, spec.confirm_days, streams, priced
        )
        self.interarrival_h = spec.interarrival_days.sampler(
            streams[f"orders.interarrival/{customer}"], HOURS_PER_DAY
        )
        self.quantity = spec.quantity.sampler(streams[f"orders.quantity/{customer}"])
        self.due_h = spec.due_days.sampler(streams[f"orders.due/{customer}"], HOURS_PER_DAY)
        self.families = list(spec.families)
        weights = list(spec.families.values())
        self.family = choice_sampler(streams[f"orders.family/{customer}"], weights)
        styles = [1.0] * spec.styles_per_family
        self.style = choice_sampler(streams[f"orders.style/{customer}"], styles)
        self.items = [  # item names made once, not once per order
            [f"{customer}/{family}/{style}" for style in range(spec.styles_per_family)]
            for family in self.families
        ]
        # what cannot vary is fixed once (validation streams fix most of it): no call per order
        single = len(self.families) == 1 and spec.styles_per_family == 1
        self.only_item = self.items[0][0] if single else None
        fixed_quantity, fixed_due_days = _fixed(spec.quantity), _fixed(spec.due_days)
        self.fixed_quantity = None if fixed_quantity is None else round(fixed_quantity)
        self.fixed_due_h = None if fixed_due_days is None else fixed_due_days * HOURS_PER_DAY
        self.factory_name, self.channel, self.price = factory.name, spec.channel, spec.factory_price
        self.trade = trade
        self.next_at = self.interarrival_h()

    def release(self) -> None:
        """The order placed at next_at goes to the factory; the next one is drawn."""
        # the sampler called through a local: CPython 3.11 looks up `self.x()` of a callable
        # attribute (not a method) unspecialised, at every call
        now, draw = self.next_at, self.interarrival_h
        self.next_at = now + draw()
        if self.only_item is None:
            family = self.family()
            name, item = self.families[family], self.items[family][self.style()]
        else:
            name, item = self.families[0], self.only_item
        quantity, due_h = self.fixed_quantity, self.fixed_due_h
        # Order(...) made in two calls: CPython 3.11 runs a class's __init__ in a nested
        # interpreter loop, and calling it on a bare new object saves about 100 ns an order
        order = _new(Order)
        _init(
            order,
            next(self.order_ids),
            self.channel,  # kind: a stream order is labelled by its channel
            self.channel,
            self.customer,
            self.factory_name,
            name,
            item,
            round(self.quantity()) if quantity is None else quantity,
            now,
            now + (self.due_h() if due_h is None else due_h),
            self.price,
            self.buyer,
        )
        self.trade.place(order, self.factory)


_new, _init = object.__new__, Order.__init__


def _fixed(dist: DistSpec) -> float | None:
    """The value of a deterministic quantity, None for a random one."""
    return dist.value if isinstance(dist, Deterministic) else None
