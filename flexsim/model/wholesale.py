"""Wholesale: customers whose orders arrive as a renewal stream (offline business, validation).

interarrival → draw quantity, family, style and due date → the order goes to the factory
through the trade. With one line, exponential interarrivals, quantity 1 and an exponential unit
time this is M/M/1. These customers belong to the outside world: they pay from its cash.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import simpy

from flexsim.calendar import HOURS_PER_DAY
from flexsim.dists import choice_sampler
from flexsim.model.factory import Factory
from flexsim.model.ledger import WORLD
from flexsim.model.order import Order
from flexsim.model.trade import Trade, make_buyer
from flexsim.scenario import ChannelSpec, CustomerSpec
from flexsim.streams import Streams


def place_orders(
    env: simpy.Environment,
    customer: str,
    spec: CustomerSpec,
    channel: ChannelSpec,
    factory: Factory,
    trade: Trade,
    streams: Streams,
    order_ids: itertools.count[int],
) -> Generator[simpy.Event, Any, None]:
    """One customer's order stream; each random quantity has its own named stream."""
    buyer = make_buyer(WORLD, customer, channel, spec.transit_days, spec.confirm_days, streams)
    interarrival_h = spec.interarrival_days.sampler(
        streams[f"orders.interarrival/{customer}"], HOURS_PER_DAY
    )
    quantity = spec.quantity.sampler(streams[f"orders.quantity/{customer}"])
    due_h = spec.due_days.sampler(streams[f"orders.due/{customer}"], HOURS_PER_DAY)
    families = list(spec.families)
    family = choice_sampler(streams[f"orders.family/{customer}"], list(spec.families.values()))
    style = choice_sampler(streams[f"orders.style/{customer}"], [1.0] * spec.styles_per_family)
    while True:
        yield env.timeout(interarrival_h())
        name = families[family()]
        now = env.now
        order = Order(
            order_id=next(order_ids),
            kind=spec.channel,  # a stream order is labelled by its channel
            channel=spec.channel,
            customer=customer,
            factory=factory.name,
            family=name,
            item=f"{customer}/{name}/{style()}",
            quantity=round(quantity()),
            placed_at=now,
            due_at=now + due_h(),
            price=spec.factory_price,
            buyer=buyer,
        )
        trade.place(order, factory)
