"""Shelf tests (unit): all sellers trade in one set of arrays, yet each seller's daily draws
come from its own stream, so what one seller sells does not depend on the others (DESIGN
convention 5), also when another seller's items make the shelf grow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pytest

from flexsim.model.seasons import SeasonCalendar
from flexsim.model.shelf import FIRST_COLUMNS, Item, Shelf
from flexsim.model.timer import Environment
from flexsim.records import Recorder
from flexsim.scenario import SellersSpec
from flexsim.streams import Streams
from flexsim.vocabulary import HOURS_PER_DAY

DAYS = 30
SPEC = SellersSpec.model_validate(
    {
        "reorder": {"policy": "none"},
        "funnel": {"conversion": 0.2, "favourite_share": 0.1},
        "record_days": True,
    }
)


@dataclass
class FakeSeller:
    """What the shelf asks of a seller (a ShelfSeller): its name and sales stream, where to
    book its sales, and a repeat order."""

    name: str
    rng: np.random.Generator
    revenue: list[float] = field(default_factory=list)

    def book_sales(self, revenue: float, cost: float) -> None:
        self.revenue.append(revenue)

    def reorder(self, item: Item, short: int) -> None:
        raise AssertionError("policy none never reorders")


def trade(items_of_other: int, spec: SellersSpec = SPEC) -> tuple[Shelf, FakeSeller]:
    """Thirty days of a shelf whose seller-0 lists 3 items and seller-1 `items_of_other`."""
    env, streams = Environment(), Streams(7)
    sellers = [FakeSeller(n, streams[f"demand.sales/{n}"]) for n in ("seller-0", "seller-1")]
    shelf = Shelf(env, spec, SeasonCalendar([], dt.date(2026, 1, 5)), Recorder(), rows=2)
    assert [shelf.join(seller) for seller in sellers] == [0, 1]
    for row, count in ((0, 3), (1, items_of_other)):
        for i in range(count):
            item = Item(f"{row}/{i}", "default", rate=2.0 + i, launched_at=0.0, listed_at=0.0)
            item.retail_price = 10.0
            shelf.place(row, item)
            shelf.restock(row, item, 40)
    env.process(shelf.trade_days())
    env.run(until=DAYS * HOURS_PER_DAY)
    return shelf, sellers[0]


def test_a_sellers_sales_do_not_depend_on_the_other_sellers_items() -> None:
    alone, seller_alone = trade(items_of_other=0)
    crowded, seller_crowded = trade(items_of_other=FIRST_COLUMNS + 1)  # the shelf grows
    assert crowded.rate.shape[1] > alone.rate.shape[1] == FIRST_COLUMNS
    assert crowded.sold[1].sum() > 0  # the other seller did trade
    for tally in ("sold", "lost", "clicks", "favourites", "stock"):
        mine_alone, mine_crowded = getattr(alone, tally)[0], getattr(crowded, tally)[0]
        assert (mine_alone[:3] == mine_crowded[:3]).all(), tally
        assert mine_crowded[3:].sum() == 0 or tally == "stock"
    assert seller_alone.revenue == seller_crowded.revenue
    assert alone.sold[0].sum() > 0 and alone.lost[0].sum() > 0  # stock ran out: both tallies


def test_each_seller_day_is_recorded_once_with_its_sales() -> None:
    shelf, seller = trade(items_of_other=2)
    days = shelf.records.seller_days
    assert len(days) == 2 * DAYS
    mine = [row for row in days if row[0] == "seller-0"]
    assert [row[1] for row in mine] == [d * HOURS_PER_DAY for d in range(DAYS)]
    assert sum(row[3] for row in mine) == shelf.sold[0].sum()
    assert sum(row[4] for row in mine) == shelf.lost[0].sum()
    assert sum(seller.revenue) == 10.0 * shelf.sold[0].sum()
    together = shelf.records.sales_days  # all sellers' day: the sum of their rows
    assert len(together) == DAYS
    for day, (at, demand, sold, lost, revenue) in enumerate(together):
        rows = [row for row in days if row[1] == at == day * HOURS_PER_DAY]
        assert (demand, sold, lost) == tuple(sum(row[k] for row in rows) for k in (2, 3, 4))
        assert revenue == pytest.approx(sum(row[5] for row in rows))


def test_without_record_days_only_all_sellers_days_are_recorded() -> None:
    shelf, _ = trade(items_of_other=2, spec=SPEC.model_copy(update={"record_days": False}))
    assert shelf.records.seller_days == [] and len(shelf.records.sales_days) == DAYS
