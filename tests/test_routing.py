"""Routings: orders made in steps at stations (a factory's `routing`), the steps table, and the
keyed errors of a routing that cannot work."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flexsim
from flexsim import audit, metrics, report, restart, results
from flexsim.cli import main
from flexsim.metrics import scenario_kpis, station_kpis
from flexsim.scenario import ScenarioError, validate
from flexsim.vocabulary import NO_BATCH


def routed(**factory: Any) -> dict[str, Any]:
    """A scenario of one factory cutting, sewing and finishing shirts, and sewing tees straight
    from the cut; two customers, one per family, with changeovers, a shift calendar on the
    sewing line, materials and piece rates."""
    plant = {
        "name": "plant",
        "material_cost": 2.0,
        "labour_cost": 1.0,
        "routing": {"shirts": ["cut", "sew", "finish"], "tees": ["cut", "sew"]},
        "lines": [
            {"name": "cut", "unit_time_h": {"dist": "exponential", "mean": 0.05}},
            {
                "name": "sew",
                "unit_time_h": {"dist": "exponential", "mean": 0.1},
                "calendar": "day",
                "changeover_h": {"same_family": 0.5, "other_family": 2.0},
                "changeover_cost": {"same_family": 10.0, "other_family": 40.0},
                "dispatch": "edd",
            },
            {"name": "finish", "unit_time_h": {"dist": "deterministic", "value": 0.02}},
            {"name": "spare", "unit_time_h": {"dist": "deterministic", "value": 1.0}},
        ],
    } | factory
    customers = [
        {
            "name": name,
            "factory": "plant",
            "interarrival_days": {"dist": "exponential", "mean": 1.5},
            "quantity": 50,
            "due_days": 10,
            "families": {family: 1.0},
            "styles_per_family": 3,
        }
        for name, family in (("shirt-buyer", "shirts"), ("tee-buyer", "tees"))
    ]
    return {
        "name": "routed",
        "horizon_days": 200,
        "warmup_days": 20,
        "calendars": {"day": {"shifts": [{"start": "08:00", "end": "18:00"}]}},
        "factories": [plant],
        "customers": customers,
    }


@pytest.fixture(scope="module")
def result() -> flexsim.RunResult:
    return flexsim.run(validate(routed(), "test"), 3)


def test_every_accepted_order_goes_through_its_familys_stations_in_order(
    result: flexsim.RunResult,
) -> None:
    orders, steps = result.tables["orders"], result.tables["steps"]
    route = {"shirts": ["cut", "sew", "finish"], "tees": ["cut", "sew"]}
    family = orders.set_index("order_id")["family"]
    for order_id, its in steps.groupby("order_id"):
        stations = list(its["station"])
        assert list(its["step"]) == list(range(len(stations)))
        assert stations == route[family[order_id]][: len(stations)]
    assert (steps["batch_id"] == NO_BATCH).all()
    assert not (steps["station"] == "spare").any()


def test_a_step_queues_when_the_one_before_finishes_and_each_runs_in_order(
    result: flexsim.RunResult,
) -> None:
    steps = result.tables["steps"]
    made = steps.dropna(subset=["finished_at"])
    assert (made["queued_at"] <= made["setup_at"]).all()
    assert (made["setup_at"] <= made["started_at"]).all()
    assert (made["started_at"] < made["finished_at"]).all()
    following = steps.merge(made, on="order_id", suffixes=("", "_before"))
    following = following[following["step"] == following["step_before"] + 1]
    assert len(following)
    assert (following["queued_at"] == following["finished_at_before"]).all()


def test_an_order_reads_its_first_step_start_and_its_last_step_finish(
    result: flexsim.RunResult,
) -> None:
    orders, steps = result.tables["orders"], result.tables["steps"]
    first = steps[steps["step"] == 0].set_index("order_id")
    last = steps.groupby("order_id").tail(1).set_index("order_id")
    accepted = orders[orders["status"] != "refused"].set_index("order_id")
    assert set(first.index) == set(accepted.index)
    pd.testing.assert_series_equal(
        accepted["setup_at"], first["setup_at"].reindex(accepted.index), check_names=False
    )
    pd.testing.assert_series_equal(
        accepted["start_at"], first["started_at"].reindex(accepted.index), check_names=False
    )
    pd.testing.assert_series_equal(
        accepted["finished_at"], last["finished_at"].reindex(accepted.index), check_names=False
    )
    taken = accepted["setup_at"].notna()
    assert (accepted.loc[taken, "line"] == "cut").all()
    assert accepted["status"].isin(["in_production", "in_transit", "delivered"]).any()
    open_steps = steps[steps["finished_at"].isna()]
    assert len(open_steps), "some orders are on their way at the horizon"


def test_changeovers_at_a_station_are_paid_and_summed_on_the_order(
    result: flexsim.RunResult,
) -> None:
    orders, states = result.tables["orders"], result.tables["line_states"]
    assert (states.loc[states["line"] == "sew", "state"] == "changeover").any()
    assert not (states.loc[states["line"] == "cut", "state"] == "changeover").any()
    assert set(orders["changeover"]) <= {"none", "same_family", "other_family"}
    assert orders["changeover_cost"].isin([0.0, 10.0, 40.0]).all()
    ledger = result.tables["ledger"]
    paid = ledger[(ledger["reason"] == "changeover") & (ledger["party"] == "factory/plant")]
    assert paid["amount"].sum() == pytest.approx(orders["changeover_cost"].sum())


def test_materials_are_bought_once_and_labour_paid_once_per_order(
    result: flexsim.RunResult,
) -> None:
    orders, ledger = result.tables["orders"], result.tables["ledger"]
    mine = ledger[ledger["party"] == "factory/plant"]
    bought = mine[(mine["reason"] == "materials") & (mine["debit"] == "materials")]
    bought = bought.groupby("order_id")["amount"].sum()
    quantity = orders.set_index("order_id")["quantity"]
    assert bought.eq(2.0 * quantity.reindex(bought.index)).all()
    labour = mine[mine["reason"] == "labour"].groupby("order_id")["amount"].sum()
    finished = orders.loc[orders["finished_at"].notna(), "order_id"]
    assert sorted(labour.index) == sorted(finished)


def test_stations_write_their_states_under_the_factory(result: flexsim.RunResult) -> None:
    states = result.tables["line_states"]
    assert set(states["factory"]) == {"plant"}
    assert set(states["line"]) == {"cut", "sew", "finish", "spare"}
    assert (states.loc[states["line"] == "sew", "state"] == "off_shift").any()


def test_a_run_folder_with_steps_passes_its_audit(
    tmp_path: Path, result: flexsim.RunResult
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    results.write(result, scenario_kpis(result.tables, result.scenario), folder, "test")
    failed = [finding.line() for finding in audit.audit(folder) if not finding.holds]
    assert not failed
    assert len(results.read_tables(folder, ["steps"])["steps"]) == len(result.tables["steps"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"routing": {"shirts": ["cut", "press"], "tees": ["cut"]}},
         "routing.shirts.1: station 'press' is not a line of factory 'plant'"),
        ({"routing": {"shirts": ["cut", "sew", "cut"], "tees": ["cut"]}},
         "routing.shirts.2: station 'cut' comes twice in the routing of family 'shirts' (a loop)"),
        ({"routing": {"shirts": ["cut", "sew", "finish"]}},
         "factories.0.routing: factory 'plant' declares routings but none for family 'tees'"),
        ({"routing": {"shirts": [], "tees": ["cut"]}}, "routing.shirts"),
    ],
)  # fmt: skip
def test_a_routing_that_cannot_work_is_a_keyed_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        validate(routed(**change), "test")
    assert message in str(error.value)


def test_a_station_that_leaves_out_the_family_is_a_keyed_error() -> None:
    data = routed()
    data["factories"][0]["lines"][2]["families"] = ["tees"]
    with pytest.raises(ScenarioError, match=r"routing\.shirts\.2: station 'finish' does not make"):
        validate(data, "test")


def test_without_a_routing_the_steps_table_is_empty() -> None:
    plain = flexsim.run(flexsim.load_builtin("mm1", {"horizon_days": 30.0, "warmup_days": 0.0}))
    assert plain.tables["steps"].empty
    assert list(plain.tables["steps"].columns) == flexsim.records.TABLES["steps"]
    assert not math.isnan(plain.tables["orders"]["finished_at"].iloc[0])


def test_station_kpis_by_hand() -> None:
    """Two orders through a and b over [0, 10): order 0 queues at a 0-1, is made 1-3, goes
    straight on at b 3-6; order 1 queues at a 2-3, is made 3-4, waits at b 4-6 and is made
    6-10 (unfinished at 10). a is busy 3 h of 10, b 7 h: b is the bottleneck."""
    steps = pd.DataFrame(
        {
            "order_id": [0, 0, 1, 1],
            "step": [0, 1, 0, 1],
            "factory": ["f"] * 4,
            "station": ["a", "b", "a", "b"],
            "queued_at": [0.0, 3.0, 2.0, 4.0],
            "setup_at": [1.0, 3.0, 3.0, 6.0],
            "started_at": [1.0, 3.0, 3.0, 6.0],
            "finished_at": [3.0, 6.0, 4.0, math.nan],
            "batch_id": [NO_BATCH] * 4,
        }
    )
    states = pd.DataFrame(
        {
            "factory": ["f"] * 7,
            "line": ["a", "a", "a", "b", "b", "b", "b"],
            "at": [0.0, 1.0, 4.0, 0.0, 3.0, 6.0, 6.0],
            "state": ["idle", "processing", "idle", "idle", "processing", "idle", "processing"],
            "order_id": [-1, 0, -1, -1, 0, -1, 1],
            "overtime": [False] * 7,
        }
    )
    table = station_kpis(steps, states, 0.0, 10.0)
    assert table.loc["f.a"].to_dict() == pytest.approx(
        {
            "busy_share": 0.3,
            "mean_queue": 0.2,
            "steps": 2,
            "mean_wait_h": 1.0,
            "mean_time_h": 2.5,
            "bottleneck": 0,
        }
    )
    assert table.loc["f.b", "busy_share"] == pytest.approx(0.7)
    assert table.loc["f.b", "mean_queue"] == pytest.approx(0.2)
    assert table.loc["f.b", "mean_time_h"] == pytest.approx(3.0)
    assert table.loc["f.b", "bottleneck"] == 1


def test_a_routed_run_shows_its_stations_and_bottleneck(result: flexsim.RunResult) -> None:
    kpis = scenario_kpis(result.tables, result.scenario)
    stations = kpis["stations"]
    assert set(stations) == {"plant.cut", "plant.sew", "plant.finish"}
    assert [k for k, v in stations.items() if v["bottleneck"]] == ["plant.sew"]
    tables, _ = report.kpi_tables(kpis, result.scenario)
    assert any(table.title.startswith("Stations") for table in tables)
    assert "stations" not in metrics.kpis(
        flexsim.run(flexsim.load_builtin("mm1", {"horizon_days": 30.0, "warmup_days": 0.0})).tables,
        0.0,
        720.0,
    )


def batched(**batch: Any) -> dict[str, Any]:
    """The routed scenario with a cutting table laying up to 3 orders at once."""
    data = routed()
    data["factories"][0]["lines"][0]["batch"] = {
        "max_orders": 3,
        "lay_h": {"dist": "exponential", "mean": 4.0},
    } | batch
    for customer in data["customers"]:
        customer["interarrival_days"] = {"dist": "exponential", "mean": 0.3}
    return data


@pytest.mark.parametrize("same_family", [False, True])
def test_a_batch_station_makes_up_to_k_orders_together(same_family: bool) -> None:
    result = flexsim.run(validate(batched(same_family=same_family), "test"), 5)
    steps, orders = result.tables["steps"], result.tables["orders"]
    cut = steps[steps["station"] == "cut"]
    batches = cut[cut["batch_id"] >= 0].groupby("batch_id")
    sizes = batches.size()
    assert sizes.max() == 3 and sizes.min() >= 1 and (sizes > 1).any()
    for column in ("setup_at", "started_at", "finished_at"):  # one operation for the batch
        assert (batches[column].nunique(dropna=False) == 1).all()
    family = orders.set_index("order_id")["family"]
    mixed = batches["order_id"].agg(lambda ids: family[ids].nunique()).max()
    assert (mixed == 1) if same_family else (mixed == 2)
    assert (steps.loc[steps["station"] != "cut", "batch_id"] == NO_BATCH).all()
    ledger = result.tables["ledger"]
    bought = ledger[(ledger["reason"] == "materials") & (ledger["debit"] == "materials")]
    taken = cut.loc[cut["setup_at"].notna(), "order_id"]
    assert set(bought["order_id"]) == set(taken)


def test_a_batch_run_folder_passes_its_audit(tmp_path: Path) -> None:
    result = flexsim.run(validate(batched(), "test"), 2)
    folder = tmp_path / "run"
    folder.mkdir()
    results.write(result, scenario_kpis(result.tables, result.scenario), folder, "test")
    assert not [finding.line() for finding in audit.audit(folder) if not finding.holds]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_orders": 0}, "max_orders"),
        ({"max_orders": 2, "lay_h": {"dist": "exponential", "mean": -1}}, "lay_h"),
    ],
)
def test_a_bad_batch_is_a_keyed_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=rf"factories\.0\.lines\.0\.batch\.{message}"):
        validate(batched(**change), "test")


def test_a_batch_needs_a_routing_and_a_dispatch_rule() -> None:
    data = batched()
    del data["factories"][0]["routing"]
    with pytest.raises(ScenarioError, match=r"lines\.0\.batch: batches are made at the stations"):
        validate(data, "test")
    data = batched()
    data["factories"][0]["lines"][0] |= {"dispatch": "cyclic_gated", "families": ["shirts", "tees"]}
    with pytest.raises(ScenarioError, match="a batch station dispatches by a rule"):
        validate(data, "test")


def test_a_batch_that_waits_to_fill_starts_fuller_and_a_short_one_waits_it_out() -> None:
    def cut_batches(max_wait_h: float) -> pd.DataFrame:
        data = batched(max_wait_h=max_wait_h)
        for customer in data["customers"]:
            customer["interarrival_days"] = {"dist": "exponential", "mean": 2.0}
        steps = flexsim.run(validate(data, "test"), 4).tables["steps"]
        cut = steps[(steps["station"] == "cut") & (steps["batch_id"] >= 0)]
        return cut.groupby("batch_id").agg(
            size=("order_id", "size"), first=("queued_at", "min"), setup=("setup_at", "first")
        )

    at_once, waiting = cut_batches(0.0), cut_batches(24.0)
    assert waiting["size"].max() == 3 and waiting["size"].mean() > at_once["size"].mean()
    # a batch that never filled waited its whole wait: a batch of one order starts no sooner
    # than 24 h after its order reached the station
    alone = waiting[waiting["size"] == 1]
    assert ((alone["setup"] - alone["first"]) >= 24.0 - 1e-9).all()


def booked_line(hours_per_piece: float, name: str) -> dict[str, Any]:
    return {"name": name, "unit_time_h": {"dist": "deterministic", "value": hours_per_piece}}


def booked(sew_h: float = 3.0, horizon_days: float = 30.0) -> dict[str, Any]:
    """A booked routed factory with deterministic steps: cut 1 h, sew `sew_h` h, finish 0.5 h
    a piece, always open; one buyer of 10 shirts a day, due in 60 days."""
    plant = {
        "name": "plant",
        "booking": {"horizon_days": horizon_days},
        "routing": {"shirts": ["cut", "sew", "finish"]},
        "lines": [booked_line(1.0, "cut"), booked_line(sew_h, "sew"), booked_line(0.5, "finish")],
    }
    customer = {
        "name": "buyer",
        "factory": "plant",
        "interarrival_days": {"dist": "deterministic", "value": 1.0},
        "quantity": 10,
        "due_days": 60,
        "families": {"shirts": 1.0},
    }
    return {
        "name": "booked",
        "horizon_days": 200,
        "warmup_days": 0,
        "factories": [plant],
        "customers": [customer],
    }


def test_a_booked_routed_factory_quotes_by_hand_and_keeps_its_quotes() -> None:
    """Sew (3 h a piece) is the bottleneck. An order placed at p reaches it at p + 10 h; the
    first one's quote is p + 10 + 30 + 5; each later one waits for the order in hand at sew
    (busy until p' + 40), so the quote is 6 h later each day: 45, 51, 57, … hours after its
    placing. Deterministic times make each quote the order's finish exactly."""
    orders = flexsim.run(validate(booked(), "test"), 1).tables["orders"]
    accepted = orders[orders["status"] != "refused"].sort_values("placed_at")
    quoted_h = (accepted["quote_at"] - accepted["placed_at"]).to_numpy()
    hand = 45.0 + 6.0 * pd.RangeIndex(len(quoted_h)).to_numpy()
    assert quoted_h[:10] == pytest.approx(hand[:10])
    made = accepted.dropna(subset=["finished_at"])
    assert len(made) > 50
    assert made["finished_at"].to_numpy() == pytest.approx(made["quote_at"].to_numpy())


def test_a_loaded_bottleneck_quotes_later_and_refuses_beyond_the_horizon() -> None:
    light = flexsim.run(validate(booked(sew_h=1.0), "test"), 1).tables["orders"]
    heavy = flexsim.run(validate(booked(horizon_days=10.0), "test"), 1).tables["orders"]
    lead = {
        name: (table["quote_at"] - table["placed_at"]).iloc[:20].to_numpy()
        for name, table in (("light", light), ("heavy", heavy))
    }
    # sew at 1 h a piece keeps up: every quote is its 10 + 10 + 5 h of work
    assert lead["light"] == pytest.approx(25.0)
    assert (lead["heavy"][1:] > lead["light"][1:]).all()
    assert (light["status"] != "refused").all()
    refused = heavy[heavy["status"] == "refused"]
    assert len(refused) and (refused["reason"] == "no_capacity").all()
    assert ((refused["quote_at"] - refused["placed_at"]) > 10 * 24).all()


def test_a_booked_batch_bottleneck_starts_its_bookings_and_passes_its_audit(
    tmp_path: Path,
) -> None:
    """The cutting table (0.05 h a piece) is the bottleneck: a batch starts the booked hours
    of every order in it, so the hours it publishes as booked at the end are those of the
    orders not yet started there, plus at most the batch in hand."""
    data = batched()
    data["factories"][0]["booking"] = {"horizon_days": 60}
    data["factories"][0]["lines"][0]["unit_time_h"] = {"dist": "exponential", "mean": 0.05}
    data["factories"][0]["lines"][1]["unit_time_h"] = {"dist": "exponential", "mean": 0.02}
    result = flexsim.run(validate(data, "test"), 2)
    capacity, steps = result.tables["capacity"], result.tables["steps"]
    cut = capacity[capacity["line"] == "cut"]
    at = cut["at"].max()
    committed = cut.loc[cut["at"] == at, "booked_h"].sum()
    orders = result.tables["orders"].set_index("order_id")
    accepted = orders[(orders["status"] != "refused") & (orders["placed_at"] <= at)]
    started = steps[steps["station"] == "cut"].set_index("order_id")["started_at"]
    waiting = accepted[~(started.reindex(accepted.index) <= at)]
    booked = 0.05 * waiting["quantity"].sum()
    assert booked <= committed + 1e-6
    assert committed <= booked + 3 * 50 * 0.05 + 1e-6  # and the batch in hand, 3 orders at most
    folder = tmp_path / "run"
    folder.mkdir()
    results.write(result, scenario_kpis(result.tables, result.scenario), folder, "test")
    assert not [finding.line() for finding in audit.audit(folder) if not finding.holds]


def by_channel() -> dict[str, Any]:
    """The routed scenario with an e-commerce buyer of shirts too, whose orders skip cutting
    (the channel's routing overrides the family's)."""
    data = routed()
    data["factories"][0]["routing"]["ecommerce"] = ["sew", "finish"]
    data["customers"].append(
        data["customers"][0] | {"name": "shop", "channel": "ecommerce", "quantity": 40}
    )
    return data


def test_a_channels_routing_overrides_its_families() -> None:
    result = flexsim.run(validate(by_channel(), "test"), 3)
    orders, steps = result.tables["orders"], result.tables["steps"]
    route = {
        ("offline", "shirts"): ["cut", "sew", "finish"],
        ("offline", "tees"): ["cut", "sew"],
        ("ecommerce", "shirts"): ["sew", "finish"],
    }
    kind = orders.set_index("order_id")[["channel", "family"]]
    seen = set()
    for order_id, its in steps.groupby("order_id"):
        key = tuple(kind.loc[order_id])
        assert list(its["station"]) == route[key][: len(its)]
        seen.add(key)
    assert seen == set(route)
    shop = orders[(orders["channel"] == "ecommerce") & orders["setup_at"].notna()]
    assert len(shop) and (shop["line"] == "sew").all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels": ["offline"]}, "routing.ecommerce.0: station 'sew' makes no ecommerce orders"),
        ({"families": ["tees"]}, "routing.ecommerce.0: station 'sew' does not make family"),
    ],
)  # fmt: skip
def test_a_channels_routing_that_cannot_work_is_a_keyed_error(
    change: dict[str, Any], message: str
) -> None:
    data = by_channel()
    data["factories"][0]["lines"][1] |= change
    data["factories"][0]["routing"] |= {"tees": ["cut"], "shirts": ["cut", "finish"]}
    with pytest.raises(ScenarioError, match=re.escape(f"factories.0.{message}")):
        validate(data, "test")


@pytest.mark.parametrize("max_wait_h", [0.0, 24.0])
def test_a_batch_in_pieces_never_passes_its_capacity_and_a_big_order_goes_alone(
    max_wait_h: float,
) -> None:
    """Shirts come in 50s, tees in 80s, and a bulk buyer's shirts in 150s; the table lays
    at most 130 pieces (and 3 orders): 50 + 50, 50 + 80, never 80 + 80, and 150 alone."""
    data = batched(max_pieces=130, max_wait_h=max_wait_h)
    data["customers"][1]["quantity"] = 80
    data["customers"].append(
        data["customers"][0] | {"name": "bulk", "quantity": 150, "interarrival_days": 2.0}
    )
    data["customers"][2]["interarrival_days"] = {"dist": "exponential", "mean": 2.0}
    result = flexsim.run(validate(data, "test"), 6)
    steps, orders = result.tables["steps"], result.tables["orders"]
    cut = steps[(steps["station"] == "cut") & (steps["batch_id"] >= 0)]
    quantity = orders.set_index("order_id")["quantity"]
    batches = cut.groupby("batch_id")["order_id"].agg(list)
    pieces = batches.map(lambda ids: int(quantity[ids].sum()))
    sizes = batches.map(len)
    assert (pieces[sizes > 1] <= 130).all()
    assert set(pieces[sizes > 1]) == {100, 130}
    big = batches[batches.map(lambda ids: (quantity[ids] == 150).any())]
    assert len(big) and (big.map(len) == 1).all()
    # the unit time runs over the pieces laid: a batch of 130 takes longer than one of 50
    made = cut.dropna(subset=["finished_at"]).groupby("batch_id").first()
    spent = made["finished_at"] - made["started_at"]
    assert (
        spent[pieces.reindex(made.index) == 130].mean()
        > spent[pieces.reindex(made.index) == 50].mean()
    )


def test_a_batch_of_no_pieces_is_a_keyed_error() -> None:
    with pytest.raises(ScenarioError, match=r"factories\.0\.lines\.0\.batch\.max_pieces"):
        validate(batched(max_pieces=0), "test")


def outside(**workshop: Any) -> dict[str, Any]:
    """The routed scenario with the shirts sewn out: cut → the workshop ws-0 (a day's
    transport each way, 3 CNY a good piece, some scrap and rework) → finish."""
    data = routed()
    data["factories"][0]["routing"]["shirts"] = ["cut", "workshop:ws-0", "finish"]
    data["workshops"] = [
        {
            "name": "ws-0",
            "unit_time_h": {"dist": "exponential", "mean": 0.1},
            "price_per_piece": 3.0,
            "transport_days": {"dist": "deterministic", "value": 1.0},
            "scrap_probability": 0.05,
            "rework_probability": 0.1,
        }
        | workshop
    ]
    return data


@pytest.fixture(scope="module")
def sewn_out() -> flexsim.RunResult:
    return flexsim.run(validate(outside(), "test"), 4)


def test_a_workshop_step_goes_out_and_back_between_stations(sewn_out: flexsim.RunResult) -> None:
    orders, steps = sewn_out.tables["orders"], sewn_out.tables["steps"]
    family = orders.set_index("order_id")["family"]
    out = steps[steps["station"] == "workshop/ws-0"]
    assert len(out) and (out["step"] == 1).all()
    assert set(family[out["order_id"]]) == {"shirts"}
    made = out.dropna(subset=["finished_at"])
    assert len(made) > 20
    # a day out before the workshop takes it, a day back after it is made
    assert ((made["setup_at"] - made["queued_at"]) >= 24.0 - 1e-9).all()
    assert ((made["finished_at"] - made["started_at"]) > 24.0).all()
    following = steps[steps["step"] == 2].set_index("order_id")["queued_at"]
    back = made.set_index("order_id")["finished_at"]
    pd.testing.assert_series_equal(
        following.reindex(back.index), back, check_names=False, check_index_type=False
    )
    assert (steps.loc[steps["step"] == 2, "station"] == "finish").all()
    # the workshop's line writes its states under its own name
    states = sewn_out.tables["line_states"]
    assert (states["factory"] == "workshop/ws-0").any()


def test_a_workshop_step_is_paid_for_its_good_pieces(sewn_out: flexsim.RunResult) -> None:
    orders, ledger = sewn_out.tables["orders"], sewn_out.tables["ledger"]
    fees = ledger[(ledger["reason"] == "subcontract") & (ledger["credit"] == "payables")]
    fees = fees[fees["party"] == "factory/plant"].set_index("order_id")["amount"]
    steps = sewn_out.tables["steps"]
    back = steps[(steps["station"] == "workshop/ws-0") & steps["finished_at"].notna()]
    assert set(fees.index) == set(back["order_id"])
    good = orders.set_index("order_id").loc[fees.index]
    assert fees.to_numpy() == pytest.approx(3.0 * (good["quantity"] - good["scrapped"]).to_numpy())
    assert good["scrapped"].sum() > 0 and good["reworked"].sum() > 0
    tees = orders[orders["family"] == "tees"]
    assert (tees["scrapped"] == 0).all()


def test_a_run_with_a_workshop_step_passes_its_audit_and_shows_the_workshop(
    sewn_out: flexsim.RunResult, tmp_path: Path
) -> None:
    kpis = scenario_kpis(sewn_out.tables, sewn_out.scenario)
    assert kpis["stations"]["plant.workshop/ws-0"]["busy_share"] > 0
    folder = tmp_path / "run"
    folder.mkdir()
    results.write(sewn_out, kpis, folder, "test")
    assert not [finding.line() for finding in audit.audit(folder) if not finding.holds]


def test_a_workshop_first_step_takes_the_materials_out_and_passes_its_audit(
    tmp_path: Path,
) -> None:
    data = outside()
    data["factories"][0]["routing"]["shirts"] = ["workshop:ws-0", "finish"]
    result = flexsim.run(validate(data, "test"), 4)
    ledger, orders = result.tables["ledger"], result.tables["orders"]
    bought = ledger[(ledger["reason"] == "materials") & (ledger["debit"] == "materials")]
    shirts = orders[(orders["family"] == "shirts") & orders["setup_at"].notna()]
    assert set(shirts["order_id"]) <= set(bought["order_id"])
    assert (shirts["line"] == "workshop/ws-0").all()
    folder = tmp_path / "run"
    folder.mkdir()
    results.write(result, scenario_kpis(result.tables, result.scenario), folder, "test")
    assert not [finding.line() for finding in audit.audit(folder) if not finding.holds]


def test_subcontracting_whole_orders_at_a_routed_factory_is_still_a_keyed_error() -> None:
    data = outside()
    data["factories"][0]["subcontract"] = {"rule": "backlog", "workshops": ["ws-0"]}
    with pytest.raises(ScenarioError, match=r"factories\.0: subcontract\.rule: subcontracting"):
        validate(data, "test")


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (["cut", "workshop:nope"], "factories.0.routing.shirts.1: workshop 'nope' is not defined"),
        (["workshop:ws-0", "cut", "workshop:ws-0"], "shirts.2: 'workshop:ws-0' comes twice"),
        (["cut", "workshop:ws 0"], "routing.shirts.1"),
    ],
)  # fmt: skip
def test_a_bad_workshop_step_is_a_keyed_error(route: list[str], message: str) -> None:
    data = outside()
    data["factories"][0]["routing"]["shirts"] = route
    with pytest.raises(ScenarioError, match=re.escape(message)):
        validate(data, "test")


def test_a_booked_quote_adds_a_workshop_steps_transport_and_work() -> None:
    """Finishing goes out (a day each way, 0.5 h a piece): 10 + 30 h in the factory, then
    24 + 5 + 24 h; the quote is the first order's 93 h, and each quote is kept exactly."""
    data = booked()
    data["factories"][0]["routing"]["shirts"] = ["cut", "sew", "workshop:ws-0"]
    data["workshops"] = [
        {
            "name": "ws-0",
            "unit_time_h": {"dist": "deterministic", "value": 0.5},
            "transport_days": {"dist": "deterministic", "value": 1.0},
        }
    ]
    orders = flexsim.run(validate(data, "test"), 1).tables["orders"]
    accepted = orders[orders["status"] != "refused"].sort_values("placed_at")
    quoted_h = (accepted["quote_at"] - accepted["placed_at"]).to_numpy()
    assert quoted_h[:3] == pytest.approx([93.0, 99.0, 105.0])
    made = accepted.dropna(subset=["finished_at"])
    assert made["finished_at"].to_numpy() == pytest.approx(made["quote_at"].to_numpy())
    data["factories"][0]["routing"]["shirts"] = ["workshop:ws-0"]
    with pytest.raises(ScenarioError, match=r"routing\.shirts: under capacity booking"):
        validate(data, "test")


def test_a_full_batch_closes_rather_than_skip_to_an_order_that_fits() -> None:
    """Each day four orders come at once: 100 pieces, taken alone by the idle table, then 80,
    80 and 20 queue. With at most 100 pieces the next batch is the first 80 alone (the next
    80 would pass it; the 20 behind is not picked ahead), then 80 + 20."""
    data = batched(max_pieces=100)
    data["factories"][0]["lines"][0]["unit_time_h"] = {"dist": "deterministic", "value": 0.01}
    data["factories"][0]["lines"][0]["batch"]["lay_h"] = {"dist": "deterministic", "value": 0}
    base = data["customers"][0] | {"interarrival_days": {"dist": "deterministic", "value": 1.0}}
    data["customers"] = [
        base | {"name": name, "quantity": quantity}
        for name, quantity in (("d", 100), ("a", 80), ("b", 80), ("c", 20))
    ]
    data["channels"] = {"offline": {"moq": 1}}
    result = flexsim.run(validate(data, "test"), 1)
    steps, orders = result.tables["steps"], result.tables["orders"]
    customer = orders.set_index("order_id")["customer"]
    cut = steps[(steps["station"] == "cut") & steps["finished_at"].notna()]
    batches = cut.groupby("batch_id")["order_id"].agg(lambda ids: "".join(sorted(customer[ids])))
    assert len(batches) > 30
    assert set(batches) == {"d", "a", "bc"}


def test_a_bad_routing_step_exits_2_with_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = outside()
    data["factories"][0]["routing"]["shirts"] = ["cut", "workshop:ws-9", "finish"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), "utf-8")
    assert main(["check", str(path)]) == 2
    error = capsys.readouterr().err
    assert "factories.0.routing.shirts.1: workshop 'ws-9' is not defined" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("booking", [False, True])
def test_a_routed_run_restarts_from_its_order_book_and_passes_its_audit(
    tmp_path: Path, booking: bool
) -> None:
    """A routed run's open orders at a day: those in hand at a station making one order at
    a time go on there (their hours done at that station), those between steps, at the
    workshop or in a batch start again waiting at their first step; the restarted run passes
    its audit, and each order resumed at a station makes its first step there."""
    data = outside()
    data["factories"][0]["lines"][0]["batch"] = {"max_orders": 2}
    for customer in data["customers"]:
        customer["interarrival_days"] = {"dist": "exponential", "mean": 0.6}
    if booking:
        data["factories"][0]["booking"] = {"horizon_days": 60}
    scenario = validate(data, "test")
    long = flexsim.run(scenario, 5)
    books = {day: restart.order_book(long.tables, scenario, day) for day in range(30, 120, 7)}
    day, book = next((d, b) for d, b in books.items() if (b["status"] == "in_production").any())
    making = book[book["status"] == "in_production"]
    assert set(making["line"]) <= {"sew", "finish"}  # not the batch table, not the workshop
    assert (making["hours_done"] >= 0).all()
    assert (book.loc[book["status"] == "waiting", "line"] == "").all()
    path = tmp_path / "book.csv"
    restart.write_book(book, path)
    overrides = restart.restart_overrides(
        scenario, day, path, restart.cash_at(long.tables, scenario, day)
    )
    source = tmp_path / "routed.json"
    source.write_text(json.dumps(data), "utf-8")
    again = flexsim.run(flexsim.load(str(source), overrides), 6)
    folder = tmp_path / "restart"
    folder.mkdir()
    results.write(again, scenario_kpis(again.tables, again.scenario), folder, "test")
    assert not [finding.line() for finding in audit.audit(folder) if not finding.holds]
    # the opening orders take the ids 0, 1, … in the book's order
    first = again.tables["steps"].sort_values(["order_id", "step"]).groupby("order_id").head(1)
    first = first.set_index("order_id")
    assert list(first.loc[making.index, "station"]) == list(making["line"])
    expected = making["line"].map({"sew": 1, "finish": 2})  # tees: cut, sew; shirts: …, finish
    assert list(first.loc[making.index, "step"]) == list(expected)
