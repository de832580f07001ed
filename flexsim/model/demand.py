"""Demand: Taobao sellers and their items, traded one vectorised day at a time.

launch (a Poisson stream) → proof sample (sample_days, fee) → trial order of at least the MOQ →
listed when the trial arrives → every day, for all listed items at once: Poisson demand, sales
limited by stock, the rest lost → repeat orders by the reorder policy → end of life: leftover
stock salvaged, the item recorded once nothing more is on order.
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
from flexsim.dists import Exponential, choice_sampler
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
from flexsim.model.schedule import after
from flexsim.model.trade import Trade, make_buyer
from flexsim.records import ItemRecord, SellerDayRecord
from flexsim.scenario import ChannelSpec, SellersSpec
from flexsim.streams import Streams

NEVER = math.inf
NO_ORDER = -1


@dataclass(slots=True)
class Item:
    """One style a seller launched. While listed, its stock and sales live in the seller's
    arrays at `slot`; they are copied back here when the slot is freed."""

    name: str
    family: str
    rate: float
    launched_at: float
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

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: SellersSpec,
        channel: ChannelSpec,
        factory: Factory,
        trade: Trade,
        streams: Streams,
        order_ids: itertools.count[int],
    ) -> None:
        self.env, self.name, self.spec, self.factory, self.trade = env, name, spec, factory, trade
        self.party = f"seller/{name}"
        self.ledger: Ledger = trade.ledger
        self.records = trade.recorder
        self.order_ids = order_ids
        self.moq, self.promise_h = channel.moq, channel.promise_days * HOURS_PER_DAY
        self.buyer = make_buyer(
            self.party, name, channel, spec.transit_days, spec.confirm_days, streams,
            priced=spec.factory_price > 0, receive=self.receive,
        )  # fmt: skip
        self.rng = streams[f"demand.sales/{name}"]
        self.popularity = spec.popularity.sampler(streams[f"seller.popularity/{name}"])
        self.family = choice_sampler(streams[f"seller.family/{name}"], [*spec.families.values()])
        self.families = list(spec.families)
        self.sample_h = spec.sample_days.sampler(streams[f"seller.sample/{name}"], HOURS_PER_DAY)
        self.trial = spec.trial_quantity.sampler(streams[f"seller.trial/{name}"])
        self.launch_rng = streams[f"seller.launch/{name}"]
        self.items: dict[str, Item] = {}
        self.slot_items: list[Item | None] = []
        self.free: list[int] = []
        self._allocate(16)
        reorder = spec.reorder
        self.within_h = reorder.within_days * HOURS_PER_DAY
        self.review_h = reorder.review_days * HOURS_PER_DAY
        self.cover_days = reorder.lead_time_days + reorder.review_days
        self.lead_h = reorder.lead_time_days * HOURS_PER_DAY
        self.bayes = reorder.policy == "bayes"
        mean = reorder.prior_mean or spec.popularity.expectation
        cv = reorder.prior_cv or spec.popularity.variance**0.5 / spec.popularity.expectation
        self.prior = gamma_prior(mean, (mean * cv) ** 2)

    # Per-slot arrays and the value of an empty slot in each: a listed item's demand rate,
    # stock, sales, lost sales, sell-through threshold and deadline, and next review time.
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
        """New items reach this factory as a Poisson stream; each first gets a proof sample."""
        per_week = self.spec.launches_per_week * self.spec.share_at_factory
        if per_week <= 0:
            return
        gap = Exponential(dist="exponential", mean=HOURS_PER_WEEK / per_week)
        gap_h = gap.sampler(self.launch_rng)
        for number in itertools.count():
            yield self.env.timeout(gap_h())
            item = Item(
                name=f"{self.name}/item-{number}",
                family=self.families[self.family()],
                rate=self.popularity(),
                launched_at=self.env.now,
            )
            self.items[item.name] = item
            after(self.env, self.sample_h(), partial(self.sampled, item))

    def trade_days(self) -> Generator[simpy.Event, Any, None]:
        """Each day: demand for every listed item in one numpy draw, then reorder checks."""
        while True:
            self.trade_day()
            yield self.env.timeout(HOURS_PER_DAY)

    # -- events --------------------------------------------------------------------------

    def sampled(self, item: Item) -> None:
        """The proof sample is approved: pay its fee, order the trial batch."""
        item.sampled_at = self.env.now
        self.ledger.pay(
            self.party, EXPENSES, self.factory.party, REVENUE,
            self.spec.sample_fee, NO_ORDER, "sample_fee",
        )  # fmt: skip
        self.order(item, "trial", max(self.moq, round(self.trial())))

    def order(self, item: Item, kind: str, quantity: int) -> None:
        now = self.env.now
        item.ordered += quantity
        item.on_order += quantity
        order = Order(
            order_id=next(self.order_ids),
            kind=kind,
            channel="ecommerce",
            customer=self.name,
            factory=self.factory.name,
            family=item.family,
            item=item.name,
            quantity=quantity,
            placed_at=now,
            due_at=now + self.promise_h,
            price=self.spec.factory_price,
            buyer=self.buyer,
        )
        self.trade.place(order, self.factory)
        if order.refused:  # nothing will arrive
            item.ordered -= quantity
            item.on_order -= quantity

    def receive(self, order: Order) -> None:
        """Goods arrive: list a new item, restock a listed one, or salvage for an ended one."""
        item = self.items[order.item]
        item.on_order -= order.quantity
        item.received += order.quantity
        if not math.isnan(item.ended_at):
            self.salvage(item, order.quantity)
            self.record_if_done(item)
        elif item.slot >= 0:
            self.stock[item.slot] += order.quantity
        else:
            self.list(item, order.quantity)

    def list(self, item: Item, quantity: int) -> None:
        if not self.free:
            self._allocate(2 * len(self.slot_items))
        slot = item.slot = self.free.pop()
        now = self.env.now
        item.listed_at = now
        self.slot_items[slot] = item
        self.rate[slot], self.stock[slot] = item.rate, quantity
        self.sold[slot] = self.lost[slot] = self.open_days[slot] = self.open_sales[slot] = 0
        if self.spec.reorder.policy == "sell_through":
            self.threshold[slot] = self.spec.reorder.sell_through_share * quantity
            self.deadline[slot] = now + self.within_h
        elif self.bayes:
            self.next_review[slot] = now + self.review_h
        after(self.env, self.spec.life_days * HOURS_PER_DAY, lambda: self.end(item))

    def trade_day(self) -> None:
        demand = self.rng.poisson(self.rate)
        sold = np.minimum(demand, self.stock)
        if self.bayes:
            self.observe(sold)
        self.stock -= sold
        self.sold += sold
        self.lost += demand - sold
        pieces = int(sold.sum())
        revenue = pieces * self.spec.retail_price
        self.records.seller_days.append(
            SellerDayRecord(
                self.name, self.env.now, int(demand.sum()), pieces, int(demand.sum()) - pieces,
                revenue,
            )
        )  # fmt: skip
        self.book_sales(revenue)
        cost = pieces * self.spec.factory_price
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, "retail_sales")
        self.check_reorders()

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
        first = (self.sold >= self.threshold) & (now <= self.deadline)
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
        short = math.ceil(forecast - self.stock[slot] - item.on_order)
        if first or short > 0:
            item.repeats += 1
            self.order(item, "repeat", max(self.moq, short))

    def forecast_rate(self, slot: int, item: Item, now: float) -> float:
        """Pieces a day: the censored posterior mean (bayes) or sales per listed day."""
        if self.bayes:
            shape, rate = self.prior
            open_sales, open_days = float(self.open_sales[slot]), float(self.open_days[slot])
            return censored_gamma_rate(shape, rate, open_sales, open_days, item.sold_out_at)
        listed_days = max((now - item.listed_at) / HOURS_PER_DAY, 1.0)
        return naive_rate(float(self.sold[slot]), listed_days)

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
        cost = pieces * self.spec.factory_price
        self.ledger.post(self.party, COGS, INVENTORY, cost, NO_ORDER, "salvage")

    def free_slot(self, item: Item) -> None:
        slot = item.slot
        item.sold, item.lost = int(self.sold[slot]), int(self.lost[slot])
        self.rate[slot] = self.stock[slot] = self.sold[slot] = self.lost[slot] = 0
        self.threshold[slot], self.deadline[slot], self.next_review[slot] = NEVER, -NEVER, NEVER
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
                item.sold, item.lost, item.salvaged, in_stock, item.repeats,
            )
        )  # fmt: skip

    def close(self) -> None:
        """At the horizon: record every item not yet recorded, with its stock on hand."""
        for item in self.items.values():
            if item.recorded:
                continue
            stock = int(self.stock[item.slot]) if item.slot >= 0 else 0
            if item.slot >= 0:
                item.sold, item.lost = int(self.sold[item.slot]), int(self.lost[item.slot])
            self.record(item, in_stock=stock)
