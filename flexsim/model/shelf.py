"""The shelf: every seller's listed items in one set of arrays, traded one vectorised day at a time.

Rows are sellers and columns their slots, so a day of all sellers' trading is a handful of numpy
operations however many sellers there are. Only the random draws go row by row, each from its
seller's own streams, so a seller's numbers do not depend on the others (a slot without an item
has rate 0 and draws nothing). Each day: demand × season × life cycle → clicks and favourites →
pre-orders for items listed before their stock → sales limited by stock, the rest lost → per
seller: the day's record and its sales booked → the reorder policy's checks → repeat orders.

The shelf knows a seller only as a `ShelfSeller` (its name, sales stream, and where to book the
day's sales and send a repeat order) and a reorder policy only through the plain values it
returns (model/reorder.py); a seller asks the shelf through its methods (`join`, `place`,
`restock`, `preorders`, `take_off`, `copy_back`), never its arrays.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import simpy

from flexsim.limits import MAX_DAILY_CLICKS
from flexsim.model.order import NOT_YET
from flexsim.model.reorder import REORDER, Arming, Review, Tallies, Trigger
from flexsim.model.seasons import SeasonCalendar, is_flat, life_factor
from flexsim.model.timer import Environment
from flexsim.records import Recorder, SellerDayRecord
from flexsim.scenario import SellersSpec
from flexsim.vocabulary import HOURS_PER_DAY

NEVER = math.inf
FIRST_COLUMNS = 16  # slots per seller to start with; doubled for all sellers when one needs more


@dataclass(slots=True)
class Item:
    """One style a seller launched. While listed, its stock and sales live in the shelf's
    arrays at its seller's row and column `slot`; they are copied back here when it leaves."""

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


class ShelfSeller(Protocol):
    """What the shelf asks of a seller: its name and sales stream for the day's draws, then to
    book the day's sales and to order a repeat batch."""

    name: str
    rng: np.random.Generator

    def book_sales(self, revenue: float, cost: float) -> None: ...

    def reorder(self, item: Item, short: int) -> None: ...


class Shelf:
    """All sellers' listed items, their daily trading and the reorder policy's decisions."""

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

    def __init__(
        self,
        env: Environment,
        spec: SellersSpec,
        seasons: SeasonCalendar,
        records: Recorder,
        rows: int,
    ) -> None:
        """An empty shelf with a row for each of `rows` sellers, who take them as they join."""
        self.env, self.spec, self.seasons, self.records = env, spec, seasons, records
        self.rows = rows
        self.sellers: list[ShelfSeller] = []
        self.slot_items: list[list[Item | None]] = [[] for _ in range(rows)]
        self.free: list[list[int]] = [[] for _ in range(rows)]
        self.listed_count = [0] * rows
        for name, empty, dtype in self.SLOT_FIELDS:
            setattr(self, name, np.full((rows, 0), empty, dtype=dtype))
        self._allocate(FIRST_COLUMNS)
        reorder = spec.reorder
        self.policy = REORDER[reorder.policy](spec)
        self.review_h = reorder.review_days * HOURS_PER_DAY
        self.cover_days = reorder.lead_time_days + reorder.review_days
        self.lead_h = reorder.lead_time_days * HOURS_PER_DAY
        self.life_h = spec.life_days * HOURS_PER_DAY
        self.presale = self.policy.presells
        self.list_at_approval = spec.list_at == "approval" or self.presale
        funnel = spec.funnel
        browse = (1 - funnel.conversion) / funnel.conversion  # non-buying clicks per demand
        favour = funnel.favourite_share
        # mean clicks per unit of rate: buying and favouriting, buying only, browsing and
        # favouriting, browsing only (Poisson splitting; zero means draw nothing)
        self.split = np.array([favour, 1 - favour, browse * favour, browse * (1 - favour)])
        self.flat_life = is_flat(spec.life_cycle)

    def join(self, seller: ShelfSeller) -> int:
        """Give the seller the next free row; returns the row."""
        if len(self.sellers) == self.rows:
            raise ValueError(f"the shelf's {self.rows} rows are taken: {seller.name} cannot join")
        self.sellers.append(seller)
        return len(self.sellers) - 1

    def _allocate(self, columns: int) -> None:
        """Grow every row to `columns` slots (doubling keeps growth amortised). A row's new
        slots queue behind its free ones, so each seller fills its slots lowest first."""
        old = self.rate.shape[1]
        for name, empty, dtype in self.SLOT_FIELDS:
            grown = np.full((self.rows, columns), empty, dtype=dtype)
            grown[:, :old] = getattr(self, name)
            setattr(self, name, grown)
        for items, free in zip(self.slot_items, self.free, strict=True):
            items += [None] * (columns - old)
            free[:0] = range(columns - 1, old - 1, -1)

    # -- an item's stay ------------------------------------------------------------------

    def place(self, row: int, item: Item) -> None:
        """Put the item on sale in the seller's next free slot, without stock yet."""
        if not self.free[row]:
            self._allocate(2 * self.rate.shape[1])
        slot = item.slot = self.free[row].pop()
        self.listed_count[row] += 1
        self.slot_items[row][slot] = item
        self.rate[row, slot], self.listed[row, slot] = item.rate, item.listed_at
        self.retail[row, slot], self.cost[row, slot] = item.retail_price, item.factory_price
        self.awaiting[row, slot] = True
        self.arm(row, slot, self.policy.listed(item.listed_at))

    def restock(self, row: int, item: Item, quantity: int) -> None:
        """Goods arrived for a listed item; the first batch starts the policy's clock."""
        slot = item.slot
        self.stock[row, slot] += quantity
        if not self.awaiting[row, slot]:
            return
        self.awaiting[row, slot] = False
        self.arm(row, slot, self.policy.first_stock(quantity, self.env.now))

    def preorders(self, row: int, item: Item) -> int:
        """The item's pre-orders not yet filled (presale)."""
        return int(self.pending[row, item.slot])

    def take_off(self, row: int, item: Item) -> int:
        """The item leaves the shelf: copy its tallies back, free its slot; returns the stock
        left (pre-orders still pending are cancelled with the item)."""
        stock = self.copy_back(row, item)
        slot = item.slot
        for name, empty, _ in self.SLOT_FIELDS:
            getattr(self, name)[row, slot] = empty
        self.slot_items[row][slot] = None
        self.free[row].append(slot)
        self.listed_count[row] -= 1
        item.slot = -1
        return stock

    def copy_back(self, row: int, item: Item) -> int:
        """Copy the item's tallies from its slot; returns its stock on hand."""
        slot = item.slot
        item.sold, item.lost = int(self.sold[row, slot]), int(self.lost[row, slot])
        item.clicks, item.favourites = int(self.clicks[row, slot]), int(self.favourites[row, slot])
        item.preorders = int(self.preordered[row, slot])
        first_sale = float(self.first_sale[row, slot])
        item.first_sale_at = first_sale if first_sale < NEVER else NOT_YET
        return int(self.stock[row, slot])

    # -- the day -------------------------------------------------------------------------

    def trade_days(self) -> Generator[simpy.Event, Any, None]:
        """One trading day for all sellers at the start of each day."""
        while True:
            self.trade_day()
            yield self.env.timeout(HOURS_PER_DAY)

    def trade_day(self) -> None:
        """Demand for every listed item, sales from stock, the rest lost (or pre-ordered)."""
        now = self.env.now
        active = [row for row, count in enumerate(self.listed_count) if count]
        if not active:  # nothing listed anywhere: a quiet day, no arrays
            self.record_days(now, active, [], [], [])
            return
        rate = self.rate * self.seasons.demand_factor(now)
        if not self.flat_life:
            rate = rate * life_factor(self.spec.life_cycle, (now - self.listed) / HOURS_PER_DAY)
        demand = self.draw(rate, active)
        if self.list_at_approval:
            demand = self.pre_order(demand)
        sold = np.minimum(demand, self.stock)
        if self.policy.censored:
            self.observe(sold)
        self.first_sale[(sold > 0) & (self.first_sale == NEVER)] = now
        self.stock -= sold
        self.sold += sold
        lost = demand - sold
        if self.presale:  # pre-orders the stock could not fill wait for the next batch
            self.pending = np.minimum(lost, self.pending)
            lost -= self.pending
        self.lost += lost
        self.settle(now, active, sold, lost)

    def draw(self, rate: np.ndarray, active: list[int]) -> np.ndarray:
        """The day's demand, clicks and favourites: each seller's clicks split four ways
        (buying or not × favouriting or not) are independent Poisson counts, one draw per
        seller from its own stream; demand is the buying clicks (Poisson with the item's rate)
        and favourites a binomial share of all clicks, as the funnel says. A mean is capped at
        MAX_DAILY_CLICKS: popularity × size × season × clicks per buyer, each within its limits,
        could pass what numpy's Poisson draw takes (about 9·10¹⁸)."""
        means = np.minimum(self.split[:, None, None] * rate, MAX_DAILY_CLICKS)
        parts = np.zeros(means.shape, dtype=np.int64)
        for row in active:
            parts[:, row] = self.sellers[row].rng.poisson(means[:, row])
        demand: np.ndarray = parts[0] + parts[1]
        self.clicks += demand + parts[2] + parts[3]
        self.favourites += parts[0] + parts[2]
        return demand

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

    def observe(self, sold: np.ndarray) -> None:
        """A day with stock left shows its demand; a sold-out day shows demand ≥ stock."""
        kept = sold < self.stock
        self.open_days += kept
        self.open_sales += np.where(kept, sold, 0)
        rows, slots = np.nonzero((sold == self.stock) & (self.stock > 0))
        for row, slot in zip(rows.tolist(), slots.tolist(), strict=True):
            item = self.slot_items[row][slot]
            assert item is not None
            item.sold_out_at.append(int(self.stock[row, slot]))

    def settle(self, now: float, active: list[int], sold: np.ndarray, lost: np.ndarray) -> None:
        """The day's records; then per seller, in row order, its sales booked and its reorders."""
        pieces, missed = sold.sum(axis=1).tolist(), lost.sum(axis=1).tolist()
        revenue = np.einsum("ij,ij->i", sold, self.retail).tolist()
        cost = np.einsum("ij,ij->i", sold, self.cost).tolist()
        rows, slots = np.nonzero(self.due(now))
        due: dict[int, list[int]] = {}  # row → its due slots, in slot order
        for row, slot in zip(rows.tolist(), slots.tolist(), strict=True):
            due.setdefault(row, []).append(slot)
        self.record_days(now, active, pieces, missed, revenue)
        for row in active:
            self.sellers[row].book_sales(revenue[row], cost[row])
            for slot in due.get(row, ()):
                self.reconsider(row, slot, now)

    def record_days(
        self,
        now: float,
        active: list[int],
        pieces: list[int],
        missed: list[int],
        revenue: list[float],
    ) -> None:
        """The day's records (the only writer of sales_days and seller_days): all sellers'
        demand, sales, lost sales and revenue together (indexed by row, summed over the
        active rows); and when the scenario asks for them (`record_days`), every seller's own:
        zeros for those with nothing listed, then each active seller's, in row order."""
        sold, lost = sum(pieces[r] for r in active), sum(missed[r] for r in active)
        self.records.sales_days.append(
            (now, sold + lost, sold, lost, sum(revenue[r] for r in active))
        )
        if not self.spec.record_days:
            return
        days = self.records.seller_days
        listed = set(active)
        # the many all-zero SellerDayRecords as plain tuples: cheaper to build
        days.extend(
            (s.name, now, 0, 0, 0, 0.0) for r, s in enumerate(self.sellers) if r not in listed
        )
        days.extend(
            SellerDayRecord(
                self.sellers[r].name, now, pieces[r] + missed[r], pieces[r], missed[r], revenue[r]
            )
            for r in active
        )

    # -- the reorder policy --------------------------------------------------------------

    def arm(self, row: int, slot: int, arming: Arming) -> None:
        """Apply the policy's arming to the slot: a first-repeat trigger, or the next review."""
        if isinstance(arming, Trigger):
            self.threshold[row, slot], self.deadline[row, slot] = arming.threshold, arming.deadline
        elif isinstance(arming, Review):
            self.next_review[row, slot] = arming.at

    def due(self, now: float) -> np.ndarray:
        """Slots whose first-repeat signal passed its threshold in time, or due for review."""
        signal = self.policy.signal(self.sold, self.favourites)
        return ((signal >= self.threshold) & (now <= self.deadline)) | (self.next_review <= now)

    def reconsider(self, row: int, slot: int, now: float) -> None:
        """Order up to the forecast demand over lead time plus review period, at least MOQ."""
        item = self.slot_items[row][slot]
        assert item is not None
        first = self.threshold[row, slot] < NEVER
        self.threshold[row, slot] = NEVER
        self.next_review[row, slot] = now + self.review_h
        if item.listed_at + self.life_h - now < self.lead_h:
            self.next_review[row, slot] = NEVER
            return
        tallies = Tallies(
            item.listed_at, float(self.sold[row, slot]), float(self.favourites[row, slot]),
            float(self.open_sales[row, slot]), float(self.open_days[row, slot]), item.sold_out_at,
        )  # fmt: skip
        forecast = self.policy.rate(tallies, now) * self.cover_days
        short = forecast - self.stock[row, slot] - item.on_order + self.pending[row, slot]
        short = math.ceil(short)
        if first or short > 0:
            self.sellers[row].reorder(item, short)
