"""Demand: Taobao sellers and their items, traded one vectorised day at a time.

launch (a Poisson stream, thinned by the seasons' launch factors) → proof sample from the
factory's sample room (fee per sample), judged by the seller: approved, remade, or the item
dropped after `max_remakes` remakes → trial order of at least the MOQ (policy presale:
pre-orders first) → listed when the trial arrives, or at
approval (a pre-sale listing) → every day, for all listed items at once: clicks, favourites and
Poisson demand (times season and life-cycle factors), sales limited by stock, the rest lost (or
pre-ordered before the first stock) → repeat orders by the reorder policy → end of life:
leftover stock salvaged, the item recorded once nothing more is on order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import simpy

from flexsim.calendar import HOURS_PER_DAY, HOURS_PER_WEEK
from flexsim.dists import Exponential, Uniform, choice_sampler
from flexsim.model.choice import FactoryChoice
from flexsim.model.factory import Factory
from flexsim.model.forecast import censored_gamma_rate, gamma_prior, naive_rate
from flexsim.model.ledger import (
    COGS,
    ESCROW,
    EXPENSES,
    FLOWS,
    INVENTORY,
    PLATFORM,
    RECEIVABLES,
    REVENUE,
    WORLD,
    Ledger,
)
from flexsim.model.order import NOT_YET, Order
from flexsim.model.samples import SampleRoom
from flexsim.model.schedule import after
from flexsim.model.seasons import SeasonCalendar, is_flat, life_factor
from flexsim.model.trade import Trade, make_buyer
from flexsim.records import ItemRecord, SellerDayRecord
from flexsim.scenario import ChannelSpec, SellersSpec
from flexsim.streams import Streams

NEVER = math.inf
NO_ORDER = -1
SIGNALLED = ("sell_through", "early_signal", "presale")  # policies with a first-repeat trigger


@dataclass(slots=True)
class Item:
    """One style a seller launched. While listed, its stock and sales live in the seller's
    arrays at `slot`; they are copied back here when the slot is freed."""

    name: str
    family: str
    rate: float
    launched_at: float
    retail_price: float = 0.0
    factory_price: float = 0.0
    factory: str = ""
    sampled_at: float = NOT_YET
    listed_at: float = NOT_YET
    ended_at: float = NOT_YET
    slot: int = -1
    ordered: int = 0
    received: int = 0
    on_order: int = 0
    sold: int = 0
    lost: int = 0
    salvaged: int = 0
    repeats: int = 0
    samples: int = 0
    dropped_at: float = NOT_YET
    clicks: int = 0
    favourites: int = 0
    preorders: int = 0
    first_sale_at: float = NOT_YET
    recorded: bool = False
    sold_out_at: list[int] = field(default_factory=list)  # stock on each sold-out day (bayes)


class Seller:
    """A seller's items, its daily trading and its reorder decisions."""

    rate: np.ndarray
    stock: np.ndarray
    sold: np.ndarray
    lost: np.ndarray
    threshold: np.ndarray
    deadline: np.ndarray
    next_review: np.ndarray
    open_days: np.ndarray
    open_sales: np.ndarray
    listed: np.ndarray
    awaiting: np.ndarray
    pending: np.ndarray
    preordered: np.ndarray
    clicks: np.ndarray
    favourites: np.ndarray
    first_sale: np.ndarray
    retail: np.ndarray
    cost: np.ndarray

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: SellersSpec,
        channel: ChannelSpec,
        factories: dict[str, Factory],
        rooms: dict[str, SampleRoom],
        trade: Trade,
        streams: Streams,
        order_ids: itertools.count[int],
        seasons: SeasonCalendar,
    ) -> None:
        self.env, self.name, self.spec, self.trade = env, name, spec, trade
        self.factories, self.rooms, self.seasons = factories, rooms, seasons
        self.choice = FactoryChoice(
            spec.choice, list(factories), Uniform(dist="uniform", low=0, high=1).sampler(
                streams[f"seller.choice/{name}"]
            ),
        )  # fmt: skip
        self.party = f"seller/{name}"
        self.ledger: Ledger = trade.ledger
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
        self.sample_review_h = {
            f: room.spec.review_days.sampler(review_rng, HOURS_PER_DAY) for f, room in rooms.items()
        }
        uniform = Uniform(dist="uniform", low=0, high=1)
        self.verdict = uniform.sampler(streams[f"sample.approval/{name}"])
        self.season_draw = uniform.sampler(streams[f"seller.season/{name}"])
        self.trial = spec.trial_quantity.sampler(streams[f"seller.trial/{name}"])
        self.launch_rng = streams[f"seller.launch/{name}"]
        self.click_rng = streams[f"demand.clicks/{name}"]
        self.items: dict[str, Item] = {}
        self.slot_items: list[Item | None] = []
        self.free: list[int] = []
        self._allocate(16)
        reorder = spec.reorder
        self.policy = reorder.policy
        self.within_h = reorder.within_days * HOURS_PER_DAY
        self.review_h = reorder.review_days * HOURS_PER_DAY
        self.cover_days = reorder.lead_time_days + reorder.review_days
        self.lead_h = reorder.lead_time_days * HOURS_PER_DAY
        self.bayes = reorder.policy == "bayes"
        self.presale = reorder.policy == "presale"
        self.list_at_approval = spec.list_at == "approval" or self.presale
        funnel = spec.funnel
        self.browse = (1 - funnel.conversion) / funnel.conversion  # non-buying clicks per demand
        self.favourite_conversion = reorder.favourite_conversion or (
            funnel.conversion / funnel.favourite_share if funnel.favourite_share else 1.0
        )
        self.flat_life = is_flat(spec.life_cycle)
        mean = reorder.prior_mean or spec.popularity.expectation
        cv = reorder.prior_cv or spec.popularity.variance**0.5 / spec.popularity.expectation
        self.prior = gamma_prior(mean, (mean * max(cv, 1e-6)) ** 2)  # a fixed popularity

    def family_mix(self, streams: Streams) -> list[float]:
        """The seller's family weights: the sellers' own, or a Dirichlet draw around them."""
        weights = np.asarray([*self.spec.families.values()], dtype=float)
        concentration = self.spec.family_concentration
        if concentration is None or len(weights) == 1:
            return [*self.spec.families.values()]
        alpha = concentration * len(weights) * weights / weights.sum()
        mix = streams[f"seller.mix/{self.name}"].dirichlet(alpha)
        return [max(float(w), 1e-12) for w in mix]

    # Per-slot arrays and the value of an empty slot in each: a listed item's demand rate,
    # stock, sales, lost sales, first-repeat threshold and deadline, next review time, …
    SLOT_FIELDS = (
        ("rate", 0.0, float),
        ("stock", 0, np.int64),
        ("sold", 0, np.int64),
        ("lost", 0, np.int64),
        ("threshold", NEVER, float),
        ("deadline", -NEVER, float),
        ("next_review", NEVER, float),
        ("open_days", 0, np.int64),  # days the item kept stock, and its sales on them (bayes)
        ("open_sales", 0, np.int64),
        ("listed", 0.0, float),  # listed_at, for the life cycle
        ("awaiting", False, bool),  # listed before any stock arrived (a pre-sale listing)
        ("pending", 0, np.int64),  # pre-orders not yet filled (presale)
        ("preordered", 0, np.int64),  # pre-orders taken
        ("clicks", 0, np.int64),
        ("favourites", 0, np.int64),
        ("first_sale", NEVER, float),
        ("retail", 0.0, float),  # retail and factory price per piece
        ("cost", 0.0, float),
    )

    def _allocate(self, size: int) -> None:
        """Grow the per-slot arrays to `size` slots (doubling keeps growth amortised)."""
        old = len(self.slot_items)
        for name, empty, dtype in self.SLOT_FIELDS:
            more = np.full(size - old, empty, dtype=dtype)
            setattr(self, name, np.concatenate([getattr(self, name), more]) if old else more)
        self.slot_items += [None] * (size - old)
        self.free += range(size - 1, old - 1, -1)

    # -- processes -----------------------------------------------------------------------

    def launch_items(self) -> Generator[simpy.Event, Any, None]:
        """New items reach this factory as a Poisson stream whose rate follows the seasons
        (thinning: candidates at the highest rate, each kept with factor / highest factor);
        each first gets a proof sample."""
        top = self.seasons.max_launch
        per_week = self.spec.launches_per_week * self.share_at_factory * self.size * top
        if per_week <= 0:
            return
        gap = Exponential(dist="exponential", mean=HOURS_PER_WEEK / per_week)
        gap_h = gap.sampler(self.launch_rng)
        number = 0
        while True:
            yield self.env.timeout(gap_h())
            if top != 1.0 and self.season_draw() * top >= self.seasons.launch_factor(self.env.now):
                continue
            self.launch(number)
            number += 1

    def launch(self, number: int) -> None:
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
        self.rooms[item.factory].request(partial(self.sample_made, item))

    def choose_factory(self, item: Item) -> str:
        """The only factory, or one picked from the factories' quotes for a trial batch."""
        if len(self.factories) == 1:
            return next(iter(self.factories))
        now, quantity = self.env.now, max(self.moq, round(self.spec.trial_quantity.expectation))
        quoted_days = {}
        for name, factory in self.factories.items():
            order = self.new_order(item, "trial", quantity, name)
            quoted_days[name] = (factory.quote(order, now) - now) / HOURS_PER_DAY
        return self.choice.pick(quoted_days)

    def trade_days(self) -> Generator[simpy.Event, Any, None]:
        """Each day: demand for every listed item in one numpy draw, then reorder checks."""
        while True:
            self.trade_day()
            yield self.env.timeout(HOURS_PER_DAY)

    # -- events --------------------------------------------------------------------------

    def sample_made(self, item: Item) -> None:
        """A proof sample is made: pay its fee; it reaches the seller, who judges it."""
        item.samples += 1
        self.ledger.pay(
            self.party, EXPENSES, self.factories[item.factory].party, REVENUE,
            self.spec.sample_fee, NO_ORDER, "sample_fee",
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
            if self.list_at_approval:
                self.list(item)
            if self.presale:
                presale_h = self.spec.reorder.presale_days * HOURS_PER_DAY
                after(self.env, presale_h, partial(self.order_presold, item))
            else:
                self.order(item, "trial", max(self.moq, round(self.trial())))
        elif item.samples <= room.max_remakes:
            self.rooms[item.factory].request(partial(self.sample_made, item))
        else:
            self.drop(item)

    def drop(self, item: Item) -> None:
        item.dropped_at = self.env.now
        self.record(item, in_stock=0)

    def order_presold(self, item: Item) -> None:
        """Presale: the first batch is the pre-orders so far plus the cover at their rate."""
        if item.slot < 0:
            return
        pending = int(self.pending[item.slot])
        rate = pending / max(self.spec.reorder.presale_days, 1.0)
        self.order(item, "trial", max(self.moq, math.ceil(pending + rate * self.cover_days)))

    def new_order(self, item: Item, kind: str, quantity: int, factory: str) -> Order:
        now = self.env.now
        return Order(
            order_id=next(self.order_ids),
            kind=kind,
            channel="ecommerce",
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
        item.ordered += quantity
        item.on_order += quantity
        order = self.new_order(item, kind, quantity, item.factory)
        self.trade.place(order, self.factories[item.factory])
        if order.refused:  # nothing will arrive
            item.ordered -= quantity
            item.on_order -= quantity

    def receive(self, order: Order) -> None:
        """Goods arrive: list a new item, restock a listed one, or salvage for an ended one."""
        item = self.items[order.item]
        self.choice.observe(order.factory, order.finished_at <= order.due_at)
        item.on_order -= order.quantity
        item.received += order.quantity
        if not math.isnan(item.ended_at):
            self.salvage(item, order.quantity)
            self.record_if_done(item)
            return
        if item.slot < 0:
            self.list(item)
        slot = item.slot
        self.stock[slot] += order.quantity
        if self.awaiting[slot]:
            self.awaiting[slot] = False
            self.first_stock(slot, order.quantity)

    def list(self, item: Item) -> None:
        """Put the item on sale (without stock when listed at approval)."""
        if not self.free:
            self._allocate(2 * len(self.slot_items))
        slot = item.slot = self.free.pop()
        now = self.env.now
        item.listed_at = now
        self.slot_items[slot] = item
        self.rate[slot], self.stock[slot], self.listed[slot] = item.rate, 0, now
        self.retail[slot], self.cost[slot] = item.retail_price, item.factory_price
        self.awaiting[slot] = True
        if self.policy == "early_signal":
            self.threshold[slot] = self.spec.reorder.signal_favourites
            self.deadline[slot] = now + self.within_h
        after(self.env, self.spec.life_days * HOURS_PER_DAY, lambda: self.end(item))

    def first_stock(self, slot: int, quantity: int) -> None:
        """The first batch arrived: start the policy's clock from here."""
        now = self.env.now
        if self.policy in ("sell_through", "presale"):
            self.threshold[slot] = self.spec.reorder.sell_through_share * quantity
            self.deadline[slot] = now + self.within_h
        elif self.bayes:
            self.next_review[slot] = now + self.review_h

    def trade_day(self) -> None:
        now = self.env.now
        if len(self.free) == len(self.slot_items):  # nothing listed: a quiet day, no arrays
            self.records.seller_days.append((self.name, now, 0, 0, 0, 0.0))
            return
        rate = self.rate * self.seasons.demand_factor(now)
        if not self.flat_life:
            rate = rate * life_factor(self.spec.life_cycle, (now - self.listed) / HOURS_PER_DAY)
        demand = self.rng.poisson(rate)
        self.observe_funnel(demand, rate)
        if self.list_at_approval:
            demand = self.pre_order(demand)
        sold = np.minimum(demand, self.stock)
        if self.bayes:
            self.observe(sold)
        self.first_sale[(sold > 0) & (self.first_sale == NEVER)] = now
        self.stock -= sold
        self.sold += sold
        lost = demand - sold
        if self.presale:  # pre-orders the stock could not fill wait for the next batch
            self.pending = np.minimum(lost, self.pending)
            lost -= self.pending
        self.lost += lost
        pieces, missed = int(sold.sum()), int(lost.sum())
        revenue = float(sold @ self.retail)
        self.records.seller_days.append(
            SellerDayRecord(
                self.name, self.env.now, pieces + missed, pieces, missed, revenue,
            )
        )  # fmt: skip
        self.book_sales(revenue)
        cost = float(sold @ self.cost)
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, "retail_sales")
        self.check_reorders()

    def observe_funnel(self, demand: np.ndarray, rate: np.ndarray) -> None:
        """Clicks (the buyers' and Poisson non-buying ones) and favourites among them."""
        clicks = demand
        if self.browse > 0:
            clicks = demand + self.click_rng.poisson(rate * self.browse)
        self.clicks += clicks
        if self.spec.funnel.favourite_share > 0:
            self.favourites += self.click_rng.binomial(clicks, self.spec.funnel.favourite_share)

    def pre_order(self, demand: np.ndarray) -> np.ndarray:
        """Items listed before their first stock: presale keeps their demand as pre-orders,
        filled first once stock arrives; other policies only gather signals from them (the
        listing cannot be bought). Returns the demand that meets stock today."""
        awaiting = self.awaiting
        if self.presale:
            taken = np.where(awaiting, demand, 0)
            self.pending += taken
            self.preordered += taken
            return np.where(awaiting, 0, demand + self.pending)  # pre-orders are served first
        return np.where(awaiting, 0, demand)

    def book_sales(self, revenue: float) -> None:
        """The day's retail revenue: consumers pay the platform, which holds it in escrow and
        releases it to the seller escrow_days later (one event per seller-day); with no
        escrow the seller is paid at once."""
        escrow_h = self.spec.escrow_days * HOURS_PER_DAY
        if escrow_h <= 0:
            self.ledger.pay(WORLD, FLOWS, self.party, REVENUE, revenue, NO_ORDER, "retail_sales")
            return
        if revenue <= 0:
            return
        self.ledger.pay(WORLD, FLOWS, PLATFORM, ESCROW, revenue, NO_ORDER, "retail_sales")
        self.ledger.post(self.party, RECEIVABLES, REVENUE, revenue, NO_ORDER, "retail_sales")
        after(self.env, escrow_h, partial(self.release_escrow, revenue))

    def release_escrow(self, revenue: float) -> None:
        self.ledger.pay(
            PLATFORM, ESCROW, self.party, RECEIVABLES, revenue, NO_ORDER, "escrow_release"
        )

    def observe(self, sold: np.ndarray) -> None:
        """A day with stock left shows its demand; a sold-out day shows demand ≥ stock."""
        kept = sold < self.stock
        self.open_days += kept
        self.open_sales += np.where(kept, sold, 0)
        for slot in np.flatnonzero((sold == self.stock) & (self.stock > 0)).tolist():
            item = self.slot_items[slot]
            assert item is not None
            item.sold_out_at.append(int(self.stock[slot]))

    def check_reorders(self) -> None:
        now = self.env.now
        signal = self.favourites if self.policy == "early_signal" else self.sold
        first = (signal >= self.threshold) & (now <= self.deadline)
        due = self.next_review <= now
        for slot in np.flatnonzero(first | due).tolist():
            self.reconsider(slot, now)

    def reconsider(self, slot: int, now: float) -> None:
        """Order up to the forecast demand over lead time plus review period, at least MOQ."""
        item = self.slot_items[slot]
        assert item is not None
        first = self.threshold[slot] < NEVER
        self.threshold[slot] = NEVER
        self.next_review[slot] = now + self.review_h
        remaining_h = item.listed_at + self.spec.life_days * HOURS_PER_DAY - now
        if remaining_h < self.lead_h:
            self.next_review[slot] = NEVER
            return
        forecast = self.forecast_rate(slot, item, now) * self.cover_days
        short = math.ceil(forecast - self.stock[slot] - item.on_order + self.pending[slot])
        if first or short > 0:
            item.repeats += 1
            self.order(item, "repeat", max(self.moq, short))

    def forecast_rate(self, slot: int, item: Item, now: float) -> float:
        """Pieces a day: the censored posterior mean (bayes), or sales per day on sale, for
        early_signal at least favourites per listed day × favourite_conversion."""
        if self.bayes:
            shape, rate = self.prior
            open_sales, open_days = float(self.open_sales[slot]), float(self.open_days[slot])
            return censored_gamma_rate(shape, rate, open_sales, open_days, item.sold_out_at)
        listed_days = max((now - item.listed_at) / HOURS_PER_DAY, 1.0)
        sales = naive_rate(float(self.sold[slot]), listed_days)
        if self.policy == "early_signal":
            signal = float(self.favourites[slot]) * self.favourite_conversion / listed_days
            return max(sales, signal)
        return sales

    def end(self, item: Item) -> None:
        """The item's life is over: sell off what is left, free its slot."""
        item.ended_at = self.env.now
        leftover = int(self.stock[item.slot])
        self.free_slot(item)
        self.salvage(item, leftover)
        self.record_if_done(item)

    def salvage(self, item: Item, pieces: int) -> None:
        item.salvaged += pieces
        proceeds = pieces * self.spec.salvage_price
        self.ledger.pay(WORLD, FLOWS, self.party, REVENUE, proceeds, NO_ORDER, "salvage")
        cost = pieces * item.factory_price
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, "salvage")

    def copy_back(self, item: Item) -> None:
        """Copy the item's tallies from its slot."""
        slot = item.slot
        item.sold, item.lost = int(self.sold[slot]), int(self.lost[slot])
        item.clicks, item.favourites = int(self.clicks[slot]), int(self.favourites[slot])
        item.preorders = int(self.preordered[slot])
        first_sale = float(self.first_sale[slot])
        item.first_sale_at = first_sale if first_sale < NEVER else NOT_YET

    def free_slot(self, item: Item) -> None:
        slot = item.slot
        self.copy_back(item)  # pre-orders still pending are cancelled with the item
        for name, empty, _ in self.SLOT_FIELDS:
            getattr(self, name)[slot] = empty
        self.slot_items[slot] = None
        self.free.append(slot)
        item.slot = -1

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
            stock = int(self.stock[item.slot]) if item.slot >= 0 else 0
            if item.slot >= 0:
                self.copy_back(item)
            self.record(item, in_stock=stock)
