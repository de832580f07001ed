"""Sellers: the Taobao sellers, their launches, samples, orders, deliveries and money.

launch (a Poisson stream, thinned by the seasons' launch factors) → proof sample from the
factory's sample room (fee per sample), judged by the seller: approved, remade, or the item
dropped after `max_remakes` remakes (at once by a sample-only seller) → trial order of at least
the MOQ (policy presale: pre-orders first) → listed when the trial arrives, or at approval (a
pre-sale listing) → traded every day on the shelf (model/shelf.py: all sellers' listed items at
once) with repeat orders by the reorder policy → end of life: leftover stock salvaged, the item
recorded once nothing more is on order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from functools import partial
from typing import Any

import numpy as np
import simpy

from flexsim.dists import Exponential, Uniform, choice_sampler
from flexsim.model.choice import FactoryChoice
from flexsim.model.escrow import Escrow
from flexsim.model.factory import Factory
from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.samples import SampleRoom
from flexsim.model.seasons import SeasonCalendar
from flexsim.model.shelf import Item, Shelf
from flexsim.model.timer import Environment, after
from flexsim.model.trade import Trade, make_buyer
from flexsim.records import ItemRecord
from flexsim.scenario import ChannelSpec, SellersSpec
from flexsim.streams import Lazy, Streams
from flexsim.vocabulary import (
    COGS,
    ECOMMERCE,
    EXPENSES,
    FLOWS,
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    INVENTORY,
    NO_ORDER,
    REPEAT,
    RETAIL_SALES,
    REVENUE,
    SALVAGE,
    SAMPLE_FEE,
    TRIAL,
    WORLD,
    seller_party,
)


class Seller:
    """A seller: its launches, samples, orders, deliveries and money. Its listed items trade
    on the shelf, which holds every seller's (`model/shelf.py`)."""

    def __init__(
        self,
        env: Environment,
        name: str,
        spec: SellersSpec,
        channel: ChannelSpec,
        factories: dict[str, Factory],
        rooms: dict[str, SampleRoom],
        trade: Trade,
        streams: Streams,
        order_ids: itertools.count[int],
        seasons: SeasonCalendar,
        shelf: Shelf,
    ) -> None:
        self.env, self.name, self.spec, self.trade = env, name, spec, trade
        self.factories, self.rooms, self.seasons = factories, rooms, seasons
        self.choice = FactoryChoice(
            spec.choice, list(factories), Uniform(dist="uniform", low=0, high=1).sampler(
                streams[f"seller.choice/{name}"]
            ),
        )  # fmt: skip
        self.party = seller_party(name)
        self.ledger: Ledger = trade.ledger
        self.escrow = Escrow(env, self.ledger, self.party, spec.escrow_days)
        self.records = trade.recorder
        self.order_ids = order_ids
        self.moq, self.promise_h = channel.moq, channel.promise_days * HOURS_PER_DAY
        self.buyer = make_buyer(
            self.party, name, channel, spec.transit_days, spec.confirm_days, streams,
            priced=spec.factory_price.expectation > 0, receive=self.receive,
        )  # fmt: skip
        self.rng = streams[f"demand.sales/{name}"]
        self.size = float(spec.size.sample(streams[f"seller.size/{name}"], 1)[0])
        share = spec.share_at_factory.sample(streams[f"seller.share/{name}"], 1)[0]
        self.share_at_factory = min(float(share), 1.0)
        self.sample_only = bool(
            streams[f"seller.sample_only/{name}"].random() < spec.sample_only_share
        )
        self.popularity = spec.popularity.sampler(streams[f"seller.popularity/{name}"], self.size)
        self.family = choice_sampler(streams[f"seller.family/{name}"], self.family_mix(streams))
        self.families = list(spec.families)
        self.retail_price = spec.retail_price.sampler(streams[f"seller.retail_price/{name}"])
        self.factory_price = spec.factory_price.sampler(streams[f"seller.factory_price/{name}"])
        review_rng = streams[f"sample.review/{name}"]
        # one sampler per factory, made when the seller first samples there: a seller of a
        # cluster samples at a few of its many factories (the draws are the same either way, as
        # a sampler draws nothing until it is first called)
        self.sample_review_h = Lazy(
            lambda f: rooms[f].spec.review_days.sampler(review_rng, HOURS_PER_DAY, shared=True)
        )
        uniform = Uniform(dist="uniform", low=0, high=1)
        self.verdict = uniform.sampler(streams[f"sample.approval/{name}"])
        self.season_draw = uniform.sampler(streams[f"seller.season/{name}"])
        self.trial = spec.trial_quantity.sampler(streams[f"seller.trial/{name}"])
        self.launch_rng = streams[f"seller.launch/{name}"]
        self.items: dict[str, Item] = {}
        self.shelf = shelf  # holds every seller's listed items, this seller's in its row
        self.row = shelf.join(self)

    def family_mix(self, streams: Streams) -> list[float]:
        """The seller's family weights: the sellers' own, or a Dirichlet draw around them."""
        weights = np.asarray([*self.spec.families.values()], dtype=float)
        concentration = self.spec.family_concentration
        if concentration is None or len(weights) == 1:
            return [*self.spec.families.values()]
        alpha = concentration * len(weights) * weights / weights.sum()
        mix = streams[f"seller.mix/{self.name}"].dirichlet(alpha)
        return [max(float(w), 1e-12) for w in mix]

    # -- processes -----------------------------------------------------------------------

    def launch_items(self) -> Generator[simpy.Event, Any, None]:
        """New items reach this factory as a Poisson stream whose rate follows the seasons
        (thinning: candidates at the highest rate, each kept with factor / highest factor);
        each first gets a proof sample."""
        top = self.seasons.max_launch
        per_week = self.spec.launches_per_week * self.share_at_factory * self.size * top
        if per_week <= 0:
            return
        # built unvalidated: a small size or share makes the mean gap longer than a scenario
        # may write (MAX_NUMBER), which is harmless here (the launches never come)
        gap = Exponential.model_construct(dist="exponential", mean=HOURS_PER_WEEK / per_week)
        gap_h = gap.sampler(self.launch_rng)
        number = 0
        while True:
            yield self.env.timeout(gap_h())
            if top != 1.0 and self.season_draw() * top >= self.seasons.launch_factor(self.env.now):
                continue
            self.launch(number)
            number += 1

    def launch(self, number: int) -> None:
        if not self.open_factories():  # every factory withdrew from the alliance
            return
        item = Item(
            name=f"{self.name}/item-{number}",
            family=self.families[self.family()],
            rate=self.popularity(),
            launched_at=self.env.now,
            retail_price=self.retail_price(),
            factory_price=self.factory_price(),
        )
        item.factory = self.choose_factory(item)
        item.factory_price *= self.spec.choice.price_factors.get(item.factory, 1.0)
        self.items[item.name] = item
        self.rooms[item.factory].request(self.name, partial(self.sample_made, item))

    def open_factories(self) -> list[str]:
        """The factories that take the seller's new orders: all but those that withdrew from
        their alliance (model/alliance.py)."""
        now = self.env.now
        return [name for name, f in self.factories.items() if f.withdrawn_at > now]

    def choose_factory(self, item: Item) -> str:
        """The only factory open, or one picked from the open factories' quotes for a trial
        batch."""
        names = self.open_factories()
        if len(names) == 1:
            return names[0]
        now, quantity = self.env.now, max(self.moq, round(self.spec.trial_quantity.expectation))
        quoted_days = {}
        for name in names:
            # a quote is not an order: it takes no order id (the orders' ids stay 0 … n − 1)
            order = self.new_order(item, TRIAL, quantity, name, order_id=NO_ORDER)
            quoted_days[name] = (self.factories[name].quote(order, now) - now) / HOURS_PER_DAY
        return self.choice.pick(quoted_days)

    def choose_again(self, item: Item) -> bool:
        """The item's factory withdrew from its alliance: the seller picks another among those
        open (without a new sample), at that factory's price factor; False when none is left."""
        if not self.open_factories():
            return False
        factors = self.spec.choice.price_factors
        old = item.factory
        item.factory = self.choose_factory(item)
        item.factory_price *= factors.get(item.factory, 1.0) / factors.get(old, 1.0)
        return True

    # -- events --------------------------------------------------------------------------

    def sample_made(self, item: Item) -> None:
        """A proof sample is made: pay its fee; it reaches the seller, who judges it."""
        item.samples += 1
        self.ledger.pay(
            self.party, EXPENSES, self.factories[item.factory].party, REVENUE,
            self.spec.sample_fee, NO_ORDER, SAMPLE_FEE,
        )  # fmt: skip
        after(self.env, self.sample_review_h[item.factory](), partial(self.judge, item))

    def judge(self, item: Item) -> None:
        """Approve the sample (list it for pre-sale and/or order the trial batch), ask for a
        remake, or drop the item."""
        room = self.rooms[item.factory].spec
        if self.sample_only:
            self.drop(item)
        elif self.verdict() < room.approval_probability:
            item.sampled_at = self.env.now
            if self.shelf.list_at_approval:
                self.list(item)
            if self.shelf.presale:
                presale_h = self.spec.reorder.presale_days * HOURS_PER_DAY
                after(self.env, presale_h, partial(self.order_presold, item))
            else:
                self.order(item, TRIAL, max(self.moq, round(self.trial())))
        elif item.samples <= room.max_remakes:
            self.rooms[item.factory].request(self.name, partial(self.sample_made, item))
        else:
            self.drop(item)

    def drop(self, item: Item) -> None:
        item.dropped_at = self.env.now
        self.record(item, in_stock=0)

    def order_presold(self, item: Item) -> None:
        """Presale: the first batch is the pre-orders so far plus the cover at their rate."""
        if item.slot < 0:
            return
        pending = self.shelf.preorders(self.row, item)
        rate = pending / max(self.spec.reorder.presale_days, 1.0)
        self.order(item, TRIAL, max(self.moq, math.ceil(pending + rate * self.shelf.cover_days)))

    def new_order(
        self, item: Item, kind: str, quantity: int, factory: str, order_id: int | None = None
    ) -> Order:
        now = self.env.now
        return Order(
            order_id=next(self.order_ids) if order_id is None else order_id,
            kind=kind,
            channel=ECOMMERCE,
            customer=self.name,
            factory=factory,
            family=item.family,
            item=item.name,
            quantity=quantity,
            placed_at=now,
            due_at=now + self.promise_h,
            price=item.factory_price,
            buyer=self.buyer,
        )

    def order(self, item: Item, kind: str, quantity: int) -> None:
        if self.factories[item.factory].withdrawn_at <= self.env.now and not self.choose_again(
            item
        ):
            return  # no factory left to make it
        item.ordered += quantity
        item.on_order += quantity
        order = self.new_order(item, kind, quantity, item.factory)
        self.trade.place(order, self.factories[item.factory])
        if order.refused:  # nothing will arrive
            item.ordered -= quantity
            item.on_order -= quantity

    def reorder(self, item: Item, short: int) -> None:
        """The shelf's reorder policy asks for a repeat batch of `short` pieces, at least MOQ."""
        item.repeats += 1
        self.order(item, REPEAT, max(self.moq, short))

    def receive(self, order: Order) -> None:
        """Goods arrive: list a new item, restock a listed one, or salvage for an ended one."""
        item = self.items[order.item]
        self.choice.observe(order.factory, order.finished_at <= order.due_at)
        item.on_order -= order.quantity
        item.received += order.delivered
        if not math.isnan(item.ended_at):
            self.salvage(item, order.delivered)
            self.record_if_done(item)
            return
        if item.slot < 0:
            self.list(item)
        self.shelf.restock(self.row, item, order.delivered)

    def list(self, item: Item) -> None:
        """Put the item on sale (without stock when listed at approval) for its life."""
        item.listed_at = self.env.now
        self.shelf.place(self.row, item)
        after(self.env, self.spec.life_days * HOURS_PER_DAY, lambda: self.end(item))

    def book_sales(self, revenue: float, cost: float) -> None:
        """The day's retail sales: their revenue into escrow (model/escrow.py), then their cost
        of goods out of inventory."""
        self.escrow.take(revenue)
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, RETAIL_SALES)

    def end(self, item: Item) -> None:
        """The item's life is over: sell off what is left, free its slot."""
        item.ended_at = self.env.now
        self.salvage(item, self.shelf.take_off(self.row, item))
        self.record_if_done(item)

    def salvage(self, item: Item, pieces: int) -> None:
        item.salvaged += pieces
        proceeds = pieces * self.spec.salvage_price
        self.ledger.pay(WORLD, FLOWS, self.party, REVENUE, proceeds, NO_ORDER, SALVAGE)
        cost = pieces * item.factory_price
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, SALVAGE)

    def record_if_done(self, item: Item) -> None:
        if item.on_order == 0 and not item.recorded:
            self.record(item, in_stock=0)

    def record(self, item: Item, in_stock: int) -> None:
        item.recorded = True
        self.records.items.append(
            ItemRecord(
                self.name, item.name, item.family, item.rate, item.launched_at,
                item.sampled_at, item.listed_at, item.ended_at, item.ordered, item.received,
                item.sold, item.lost, item.salvaged, in_stock, item.repeats, item.samples,
                item.dropped_at, item.clicks, item.favourites, item.preorders,
                item.first_sale_at, item.retail_price, item.factory_price, item.factory,
            )
        )  # fmt: skip

    def close(self) -> None:
        """At the horizon: record every item not yet recorded, with its stock on hand."""
        for item in self.items.values():
            if item.recorded:
                continue
            stock = self.shelf.copy_back(self.row, item) if item.slot >= 0 else 0
            self.record(item, in_stock=stock)
