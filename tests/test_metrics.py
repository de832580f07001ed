"""Metrics on hand-made tables: the one cash-cycle computation for any set of parties, and the
flat KPI names."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import flexsim
from flexsim import metrics

DAY = 24.0


def ledger(rows: list[tuple[float, str, str, str, float, str]]) -> pd.DataFrame:
    """A ledger from (day, party, debit, credit, amount, reason) rows."""
    frame = pd.DataFrame(rows, columns=["day", "party", "debit", "credit", "amount", "reason"])
    return frame.assign(at=frame["day"] * DAY, order_id=-1).drop(columns="day")


TWO_SELLERS = ledger(
    [
        (0, "seller/a", "cash", "equity", 100.0, "initial_capital"),
        (0, "seller/b", "cash", "equity", 50.0, "initial_capital"),
        (1, "seller/a", "inventory", "payables", 40.0, "purchase"),
        (3, "seller/a", "payables", "cash", 40.0, "purchase"),  # a's cash: 100 → 60
        (2, "seller/b", "inventory", "cash", 80.0, "purchase"),  # b's cash: 50 → −30
        (4, "seller/b", "receivables", "revenue", 120.0, "retail_sales"),
        (4, "seller/b", "cogs", "inventory", 80.0, "retail_sales"),
        (6, "seller/b", "cash", "receivables", 120.0, "escrow_release"),
        (5, "seller/a", "fees", "cash", 10.0, "platform_fee"),
        (5, "seller/a", "wages", "cash", 5.0, "payroll"),
        (7, "seller/b", "bad_debt", "receivables", 0.0, "buyer_default"),
    ]
)


def test_party_money_by_hand() -> None:
    """Window days 0-10. Seller b: stock 80 for days 2-4 → 16 average; COGS 8/day → DIO 2;
    receivables 120 for days 4-6 → 24, revenue 12/day → DSO 2; profit 120 − 80 = 40; cash
    falls to −30 on day 2 → funding need 80 beyond its capital of 50. Seller a: payables 40
    for days 1-3 → 8, purchases 4/day → DPO 2; profit −15 (fees and wages count)."""
    money = metrics.party_money(TWO_SELLERS, 0.0, 10 * DAY)
    b, a = money.loc["seller/b"], money.loc["seller/a"]
    assert (b["dio_days"], b["dso_days"], b["profit"]) == pytest.approx((2.0, 2.0, 40.0))
    assert (b["cash_min"], b["peak_funding_need"], b["cash_end"]) == (-30.0, 80.0, 90.0)
    assert math.isnan(b["dpo_days"])  # it bought nothing on credit
    assert (a["dpo_days"], a["profit"], a["peak_funding_need"]) == pytest.approx((2.0, -15.0, 55))
    assert list(money.columns) == list(metrics.MONEY_COLUMNS)


def test_sellers_together_add_up_and_recompute_the_days() -> None:
    """Together: balances, flows, cash and funding needs add up (each seller needs its own
    cash); the day counts come from the sums, so a's purchases give the group a DPO."""
    together = metrics.cash_cycle(TWO_SELLERS, ["seller/a", "seller/b"], 0.0, 10 * DAY)
    money = metrics.party_money(TWO_SELLERS, 0.0, 10 * DAY)
    for column in ("revenue", "avg_inventory", "avg_payables", "profit", "peak_funding_need"):
        assert together[column] == pytest.approx(money[column].sum()), column
    assert together["dpo_days"] == pytest.approx(8.0 / 4.0)
    assert together["dio_days"] == pytest.approx((16 + 36) / 8)  # a holds 40 from day 1 on
    alone = metrics.cash_cycle(TWO_SELLERS, "seller/b", 0.0, 10 * DAY)
    assert alone == pytest.approx(money.loc["seller/b"].to_dict(), nan_ok=True)


def test_the_platform_claims_are_its_voucher_float() -> None:
    books = ledger(
        [
            (0, "platform", "voucher_float", "cash", 100.0, "voucher_payout"),
            (0, "platform", "voucher_float", "revenue", 3.0, "platform_fee"),
            (5, "platform", "cash", "voucher_float", 103.0, "voucher_repayment"),
        ]
    )
    platform = metrics.party_money(books, 0.0, 10 * DAY).loc["platform"]
    assert platform["avg_receivables"] == pytest.approx(103 * 5 / 10)
    assert platform["receivables_end"] == 0.0 and platform["profit"] == 3.0


def test_kpi_row_names_every_kpi_once_and_keeps_its_value() -> None:
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 120, "warmup_days": 30})
    result = flexsim.run(scenario, seed=2)
    kpis = flexsim.kpis(result.tables, scenario.warmup_h, scenario.horizon_h)
    row = metrics.kpi_row(kpis)
    assert (
        row["cash_cycle.factory/fuchun.ccc_days"]
        == kpis["cash_cycle"]["factory/fuchun"]["ccc_days"]
    )
    assert (
        row["utilisation.fuchun.ecom.busy_of_open"]
        == kpis["utilisation"]["fuchun.ecom"]["busy_of_open"]
    )
    assert row["orders.placed"] == kpis["orders"]["placed"]
    assert row["sellers.fill_rate"] == kpis["sellers"]["fill_rate"]
    for name, value in row.items():
        section, key, kpi = metrics.split_kpi_name(name)
        nested = kpis[section][key][kpi] if key else kpis[section][kpi]
        assert nested == value or (value is None and nested is None), name
    nested_count = sum(
        len(v) if isinstance(v, dict) else 1
        for section in kpis.values()
        if isinstance(section, dict)
        for v in section.values()
    )
    assert len(row) == nested_count and not any(n.startswith("window") for n in row)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("cash_cycle.factory/fuchun.ccc_days", ("cash_cycle", "factory/fuchun", "ccc_days")),
        ("utilisation.fuchun.ecom.busy_of_open", ("utilisation", "fuchun.ecom", "busy_of_open")),
        ("orders.placed", ("orders", "", "placed")),
    ],
)
def test_split_kpi_name(name: str, parts: tuple[str, str, str]) -> None:
    assert metrics.split_kpi_name(name) == parts


@pytest.mark.parametrize("name", ["", "orders", ".placed", "orders."])
def test_split_kpi_name_rejects_what_is_not_a_name(name: str) -> None:
    with pytest.raises(ValueError, match="not a KPI name"):
        metrics.split_kpi_name(name)


def test_backlog_counts_the_pieces_accepted_and_not_finished_at_each_day_end() -> None:
    """A: 10 pieces placed at 12 h, finished at 50 h; B: 5 placed at 30 h, never finished; C:
    refused. At the ends of days 0, 1, 2 (24, 48, 72 h): 10, 10 + 5, 5. G's order, finished at
    48 h exactly, still counts on day 1: a day's position is the one just before midnight, as
    in the cash table."""
    orders = pd.DataFrame(
        {
            "factory": ["f", "f", "f", "g"],
            "quantity": [10, 5, 100, 7],
            "placed_at": [12.0, 30.0, 10.0, 0.0],
            "finished_at": [50.0, math.nan, math.nan, 48.0],
            "status": ["delivered", "waiting", "refused", "delivered"],
        }
    )
    backlog = metrics.backlog(orders, 3 * DAY)
    assert list(backlog.columns) == ["factory", "day", "pieces"]
    mine = backlog[backlog["factory"] == "f"]
    assert list(mine["day"]) == [0, 1, 2] and list(mine["pieces"]) == [10, 15, 5]
    assert list(backlog.loc[backlog["factory"] == "g", "pieces"]) == [7, 7, 0]
    assert metrics.backlog(orders.iloc[:0], 2 * DAY).empty


def test_backlog_matches_a_plain_loop_over_a_run() -> None:
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 60, "warmup_days": 10})
    orders = flexsim.run(scenario, 3).tables["orders"]
    backlog = metrics.backlog(orders, scenario.horizon_h).set_index(["factory", "day"])["pieces"]
    for (factory, day), pieces in backlog.items():
        end = (day + 1) * DAY
        expected = sum(
            order.quantity
            for order in orders.itertuples()
            if order.factory == factory
            and order.status != "refused"
            and order.placed_at < end
            and not order.finished_at < end
        )
        assert pieces == expected, (factory, day)


def test_peak_service_by_hand() -> None:
    """Peak windows [10, 20) and [40, 50), end at 100 h. Channel e: A placed at 12, due 30,
    finished 25 (on time); B at 45, due 60, finished 70 (late); C at 15, refused; D at 30 (not
    in a peak); E at 48, due 90, never finished (late: due before the end); F at 49, due 200
    (not yet due, lead time unknown). Channel o: G at 11, due 150, finished 20."""
    nan = math.nan
    orders = pd.DataFrame(
        {
            "channel": ["e", "e", "e", "e", "e", "e", "o"],
            "placed_at": [12.0, 45.0, 15.0, 30.0, 48.0, 49.0, 11.0],
            "due_at": [30.0, 60.0, 40.0, 50.0, 90.0, 200.0, 150.0],
            "finished_at": [25.0, 70.0, nan, 35.0, nan, nan, 20.0],
            "status": ["delivered", "delivered", "refused", "delivered", "waiting", "waiting",
                       "delivered"],
        }
    )  # fmt: skip
    service = metrics.peak_service(orders, [(10.0, 20.0), (40.0, 50.0)], 100.0)
    e, o = service["e"], service["o"]
    assert e["n"] == 4 and e["refused_share"] == pytest.approx(1 / 5)
    assert e["on_time_share"] == pytest.approx(1 / 3)  # A of A, B, E
    assert e["mean_h"] == pytest.approx((13 + 25) / 2)
    assert o["n"] == 1 and math.isnan(o["on_time_share"]) and o["mean_h"] == 9.0
    assert metrics.peak_service(orders, [], 100.0) == {}


def test_the_peak_section_comes_with_a_season_in_the_window() -> None:
    """tao-factory's Double Eleven (20 Oct - 11 Nov 2026) lies in its warm-up: no `peak`
    section; measured from September it has one, and the experiment layer knows its keys."""
    short = {"horizon_days": 60, "warmup_days": 10}
    scenario = flexsim.load_builtin("tao-factory", short)
    assert "peak" not in metrics.scenario_kpis(flexsim.run(scenario, 1).tables, scenario)
    autumn = flexsim.load_builtin("tao-factory", {"warmup_days": 280, "horizon_days": 320})
    kpis = metrics.scenario_kpis(flexsim.run(autumn, 1).tables, autumn)
    assert kpis["peak"]["ecommerce"]["n"] > 0
    assert 0 <= kpis["peak"]["ecommerce"]["on_time_share"] <= 1
    keys = flexsim.experiment.names.kpi_keys(autumn)["peak"]
    assert keys is not None and set(kpis["peak"]) <= set(keys)
