"""Sample room tests: the room's queue by hand (unit), what the items table says about
samples (invariants), and the approval probability and the makers driving the sellers' results
(behaviour, paired over common random numbers, and against the closed-form ordered share)."""

from __future__ import annotations

from typing import Any

import pytest

import flexsim
from flexsim.calendar import Calendar
from flexsim.experiment import compare, replicate
from flexsim.metrics import seller_factories
from flexsim.model.samples import SampleRoom
from flexsim.model.timer import Environment
from flexsim.scenario import SampleRoomSpec
from flexsim.stats import mean_interval
from flexsim.streams import PerBuyer, Streams

# sellers only, every one of them judging its samples
SHORT = {"horizon_days": 200, "warmup_days": 50, "customers": [], "sellers.sample_only_share": 0.0}
REPLICATIONS = 4
ROOM = "factories.fuchun.sample_room"
ORDERED = "sellers.ordered_share"  # of the items proofed, the share that reached an order


def made_at(makers: int, requests_at: list[float], calendar: Calendar) -> list[float]:
    """When each request's sample is made, in a room of 2-hour samples."""
    env = Environment()
    spec = SampleRoomSpec(sample_makers=makers)
    room = SampleRoom(env, spec, calendar, PerBuyer(Streams(1), "making", lambda _rng: lambda: 2.0))
    done: list[float] = []
    for at in requests_at:
        env.timeout(at).callbacks.append(
            lambda _e: room.request("seller-0", lambda: done.append(env.now))
        )
    env.run()
    return done


def test_samples_wait_for_a_free_maker_first_come_first_served() -> None:
    always = Calendar.always_open()
    assert made_at(1, [0, 0, 0], always) == [2, 4, 6]
    assert made_at(2, [0, 0, 0], always) == [2, 2, 4]
    assert made_at(1, [0, 5], always) == [2, 7]  # an idle maker starts at once


def test_samples_are_made_in_the_rooms_open_hours() -> None:
    nine_to_five = Calendar.weekly([(d * 24 + 9, d * 24 + 17) for d in range(7)])
    assert made_at(1, [0], nine_to_five) == [11]  # waits for 09:00
    assert made_at(1, [16], nine_to_five) == [24 + 10]  # one hour today, one tomorrow


def short(overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
    return flexsim.load_builtin("tao-factory", SHORT | (overrides or {}))


def run(overrides: dict[str, Any], seed: int) -> flexsim.RunResult:
    return flexsim.run(short(overrides), seed)


def test_dropped_items_had_every_sample_and_no_order() -> None:
    result = run({f"{ROOM}.approval_probability": 0.5, f"{ROOM}.max_remakes": 2}, seed=3)
    items = result.tables["items"]
    dropped = items[items["dropped_at"].notna()]
    approved = items[items["sampled_at"].notna()]
    assert len(dropped) > 0 and len(approved) > 0
    assert (dropped["samples"] == 3).all()
    assert (dropped[["ordered", "received", "sold"]] == 0).all().all()
    assert dropped["listed_at"].isna().all() and dropped["sampled_at"].isna().all()
    assert approved["samples"].between(1, 3).all()
    assert (approved["sampled_at"] > approved["launched_at"]).all()
    # with remakes the sample lead time grows: an approved third sample took the longest
    lead = approved["sampled_at"] - approved["launched_at"]
    assert lead[approved["samples"] == 3].mean() > lead[approved["samples"] == 1].mean()


@pytest.mark.slow
def test_ordered_share_matches_one_minus_the_chance_of_every_sample_rejected() -> None:
    """Each judged item reaches an order unless all its 1 + max_remakes samples are rejected:
    1 − (1 − p)^(1 + r). Negative control: the same interval rejects the share without
    remakes (p)."""
    spec = flexsim.load_builtin("tao-factory").factories[0].sample_room
    p, r = spec.approval_probability, spec.max_remakes
    assert r >= 1  # the default scenario remakes, so the control differs from the claim
    interval = mean_interval(replicate(short(), REPLICATIONS, kpis=[ORDERED]).runs[ORDERED])
    assert interval.covers(1 - (1 - p) ** (1 + r)), interval
    assert not interval.covers(p), interval


def test_sample_only_sellers_drop_every_item_after_its_first_sample() -> None:
    result = run({"sellers.sample_only_share": 1.0}, seed=2)
    items, orders = result.tables["items"], result.tables["orders"]
    dropped = items[items["dropped_at"].notna()]
    assert len(dropped) > 50 and (dropped["samples"] == 1).all()
    assert items["sampled_at"].isna().all()  # none approved; the rest still under review
    assert (items["samples"] <= 1).all() and (items["ordered"] == 0).all()
    assert not orders["kind"].isin(["trial", "repeat"]).any()


ORDERING = "seller_factories.ordering_share_from_start"


def sellers_ordering_share(result: flexsim.RunResult) -> float:
    """Of the sellers who asked Fuchun for samples since the start, the share who ordered."""
    return float(seller_factories(result.tables, 0.0)["fuchun"]["ordering_share"])


@pytest.mark.slow  # replications for an interval: 6-14 s
def test_the_share_of_sellers_who_order_is_one_minus_the_sample_only_share() -> None:
    """With every sample approved, a seller who asked for samples orders unless it is
    sample-only: the share of such sellers who order has mean 1 − s. The interval over seeds
    (each seed one draw of 270 sellers) covers 1 − s and rejects 1, what the model gives when
    sample-only sellers are ignored."""
    sample_only = 0.3
    overrides = {f"{ROOM}.approval_probability": 1.0, "sellers.sample_only_share": sample_only}
    measures = {ORDERING: sellers_ordering_share}
    runs = replicate(short(overrides), REPLICATIONS, kpis=[ORDERING], measures=measures).runs
    interval = mean_interval(runs[ORDERING])
    assert interval.covers(1 - sample_only), interval
    assert interval.high < 1.0, interval


@pytest.mark.slow
def test_a_higher_approval_probability_raises_the_share_of_items_ordered() -> None:
    approval = f"{ROOM}.approval_probability"
    likelier = {"likelier": {approval: 0.8}}
    result = compare(short({approval: 0.4}), likelier, replications=REPLICATIONS, kpis=[ORDERED])
    assert result.value("likelier", ORDERED, "diff_low") > 0, result.summary


@pytest.mark.slow
def test_fewer_sample_makers_lengthen_the_sample_lead_time() -> None:
    slow = {f"{ROOM}.making_h": {"dist": "exponential", "mean": 8.0}}
    makers, lead = f"{ROOM}.sample_makers", "sellers.sample_lead_mean_days"
    result = compare(
        short(slow | {makers: 4}), {"one": {makers: 1}}, replications=REPLICATIONS, kpis=[lead]
    )
    assert result.value("one", lead, "diff_low") > 0, result.summary


@pytest.mark.parametrize("key", ["calendar"])
def test_an_unknown_sample_room_calendar_is_named_at_load(key: str) -> None:
    with pytest.raises(flexsim.ScenarioError, match=r"factories\.0\.sample_room\.calendar"):
        flexsim.load_builtin("tao-factory", {f"{ROOM}.{key}": "nights"})
