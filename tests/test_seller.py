"""Seller tests (unit): one Seller on its own, on a bare Environment with a one-row shelf, a
stub trade that keeps the orders placed (and can refuse them) and a stub sample room that makes
each sample at once; no scenario is run. The seller launches items at its rate, orders a trial
batch of its trial quantity (at least the MOQ) once a sample is approved, lists the trial when
it arrives, orders a repeat when the shelf's reorder policy asks, and books a day's sales
through escrow."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from flexsim.model.ledger import Ledger
from flexsim.model.order import Order
from flexsim.model.seasons import SeasonCalendar
from flexsim.model.seller import Seller
from flexsim.model.shelf import NEVER, Shelf
from flexsim.model.timer import Environment
from flexsim.records import Recorder
from flexsim.scenario import EcommerceChannel, SampleRoomSpec, SellersSpec
from flexsim.streams import Streams
from flexsim.vocabulary import HOURS_PER_DAY, HOURS_PER_WEEK, PLATFORM, REPEAT, TRIAL

MOQ = EcommerceChannel().moq  # 30
REVIEW_DAYS = SampleRoomSpec().review_days.expectation  # 3: a sample is judged 3 days after


def sellers_spec(**changes: Any) -> SellersSpec:
    """One seller at factory `plant`, 7 launches a week, items selling 20 a day."""
    data = {
        "count": 1,
        "factory": "plant",
        "launches_per_week": 7.0,
        "popularity": {"dist": "deterministic", "value": 20},
        "trial_quantity": {"dist": "deterministic", "value": 120},
        "reorder": {"lead_time_days": 2.0, "review_days": 7.0},
    }
    return SellersSpec.model_validate(data | changes)


class StubFactory:
    party = "factory/plant"
    withdrawn_at = float("inf")  # in no alliance, or still in it: takes the seller's orders


class StubRoom:
    """A sample room that makes every sample at once, and counts the requests."""

    def __init__(self) -> None:
        self.spec = SampleRoomSpec()
        self.requests = 0

    def request(self, buyer: str, done: Any) -> None:
        self.requests += 1
        done()


class StubTrade:
    """Keeps every order placed; refuses them all when `refuse` is set."""

    def __init__(self, env: Environment) -> None:
        self.ledger, self.recorder = Ledger(env, []), Recorder()
        self.placed: list[Order] = []
        self.refuse = False

    def place(self, order: Order, factory: Any) -> None:
        order.refused = "capacity" if self.refuse else ""
        self.placed.append(order)


def make_seller(spec: SellersSpec | None = None) -> tuple[Seller, Environment, StubTrade]:
    spec = spec or sellers_spec()
    env = Environment()
    trade, room = StubTrade(env), StubRoom()
    seasons = SeasonCalendar([], dt.date(2026, 1, 5))
    shelf = Shelf(env, spec, seasons, trade.recorder, rows=1)
    seller = Seller(
        env, "seller-0", spec, EcommerceChannel(), {"plant": StubFactory()},  # type: ignore[dict-item]
        {"plant": room}, trade, Streams(3), itertools.count(), seasons, shelf,  # type: ignore[arg-type]
    )  # fmt: skip
    return seller, env, trade


def test_a_seller_takes_its_row_when_it_is_made_and_a_full_shelf_refuses_another() -> None:
    seller, env, trade = make_seller()
    assert seller.row == 0 and seller.shelf.sellers == [seller]
    with pytest.raises(ValueError, match="rows are taken"):
        Seller(
            env, "seller-1", seller.spec, EcommerceChannel(), seller.factories, seller.rooms,
            trade, Streams(3), itertools.count(), seller.seasons, seller.shelf,  # type: ignore[arg-type]
        )  # fmt: skip


def test_a_seller_launches_items_at_its_rate_each_with_a_sample() -> None:
    seller, env, _ = make_seller()
    env.process(seller.launch_items())
    weeks = 20
    env.run(until=weeks * HOURS_PER_WEEK)
    launched = len(seller.items)
    assert 7 * weeks * 0.7 < launched < 7 * weeks * 1.3  # Poisson, mean 140: sd about 12
    assert seller.rooms["plant"].requests == launched  # type: ignore[attr-defined]
    names = [f"seller-0/item-{n}" for n in range(launched)]
    assert list(seller.items) == names
    assert all(item.factory == "plant" and item.samples == 1 for item in seller.items.values())


@pytest.mark.parametrize(("trial", "quantity"), [(120, 120), (10, MOQ)])
def test_an_approved_sample_orders_a_trial_of_the_trial_quantity_at_least_the_moq(
    trial: int, quantity: int
) -> None:
    seller, env, trade = make_seller(
        sellers_spec(trial_quantity={"dist": "deterministic", "value": trial})
    )
    seller.launch(0)
    env.run(until=(REVIEW_DAYS + 1) * HOURS_PER_DAY)
    (order,) = trade.placed
    item = seller.items["seller-0/item-0"]
    assert (order.kind, order.quantity, order.item, order.factory) == (
        TRIAL, quantity, item.name, "plant",
    )  # fmt: skip
    assert order.placed_at == item.sampled_at == REVIEW_DAYS * HOURS_PER_DAY
    assert item.ordered == item.on_order == quantity


def test_a_refused_trial_leaves_nothing_on_order() -> None:
    seller, env, trade = make_seller()
    trade.refuse = True
    seller.launch(0)
    env.run(until=(REVIEW_DAYS + 1) * HOURS_PER_DAY)
    item = seller.items["seller-0/item-0"]
    assert len(trade.placed) == 1 and item.ordered == item.on_order == 0


def test_a_repeat_the_policy_asks_for_is_at_least_the_moq() -> None:
    seller, _, trade = make_seller()
    seller.launch(0)
    item = seller.items["seller-0/item-0"]
    seller.reorder(item, 5)
    seller.reorder(item, 80)
    assert [(o.kind, o.quantity) for o in trade.placed] == [(REPEAT, MOQ), (REPEAT, 80)]
    assert item.repeats == 2 and item.on_order == MOQ + 80


def test_the_trial_arrives_is_listed_sells_and_the_sell_through_trigger_orders_a_repeat() -> None:
    """120 pieces at 20 a day: half sell within the 14 days of sell_through, so the shelf's
    policy triggers the first repeat, which the seller places."""
    seller, env, trade = make_seller()
    env.process(seller.shelf.trade_days())
    seller.launch(0)
    env.run(until=(REVIEW_DAYS + 1) * HOURS_PER_DAY)
    (trial,) = trade.placed
    trial.finished_at = env.now
    seller.receive(trial)  # delivered at once: listed, stocked, trigger armed
    item, shelf = seller.items[trial.item], seller.shelf
    assert item.listed_at == env.now and item.slot == 0
    assert shelf.threshold[0, 0] == 60 and shelf.stock[0, 0] == 120
    env.run(until=env.now + 14 * HOURS_PER_DAY)
    repeats = [order for order in trade.placed if order.kind == REPEAT]
    assert repeats and repeats[0].quantity >= MOQ and item.repeats == len(repeats)
    assert shelf.threshold[0, 0] == NEVER  # the trigger fired once; reviews follow
    assert shelf.next_review[0, 0] < NEVER


def test_a_days_sales_go_through_escrow_and_reach_the_seller_escrow_days_later() -> None:
    seller, env, trade = make_seller()
    cash = trade.ledger.cash
    seller.book_sales(100.0, 40.0)
    assert cash[PLATFORM] == 100.0 and cash.get(seller.party, 0.0) == 0.0
    env.run(until=seller.spec.escrow_days * HOURS_PER_DAY + 1)
    assert cash[PLATFORM] == 0.0 and cash[seller.party] == 100.0
