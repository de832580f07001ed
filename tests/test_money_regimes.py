"""Money tests of the payment regimes in depth: conservation on random scenarios, Little's law
for receivables, bad debt against the default probability, credit limits and lines, late
payment, the platform fee, escrow, and the cash metrics on hand-made ledgers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flexsim
from flexsim.audit import balance, expected_factory_cash
from flexsim.audit.goods import expected_payment
from flexsim.experiment import replicate
from flexsim.metrics import (
    cash_cycle,
    cash_positions,
    cash_to_cash,
    seller_money,
)
from flexsim.stats import paired_difference
from flexsim.vocabulary import SELLERS, sellers_among

DAY = 24.0
Z95 = 1.96
NO_INTEREST = {"finance.deposit_rate": 0.0, "finance.overdraft_rate": 0.0}
# a handful of sellers who each source 5 % of their launches here and all buy
FEW_BUSY_SELLERS = {"sellers.share_at_factory": 0.05, "sellers.sample_only_share": 0.0}
FACTORY = "factory/fuchun"
REGIMES = ["offline_credit", "voucher", "prepaid", "deposit_balance"]


def signed_cash(ledger: pd.DataFrame) -> pd.Series:
    return ledger["amount"] * (
        (ledger["debit"] == "cash").astype(float) - (ledger["credit"] == "cash")
    )


# --- conservation on random scenarios ---------------------------------------------------------

money_terms = st.fixed_dictionaries(
    {
        "regime": st.sampled_from(REGIMES),
        "deposit_share": st.sampled_from([0.0, 0.3, 1.0]),
        "default_probability": st.sampled_from([0.0, 0.1, 0.5]),
        "late_probability": st.sampled_from([0.0, 0.5]),
        "platform_fee_share": st.sampled_from([0.0, 0.05]),
        "credit_limit": st.sampled_from([None, 2_000.0, 150_000.0]),
        "credit_line": st.sampled_from([None, 3_000.0]),
        "write_off_days": st.just(20.0),
        "term_days": st.just(30),
        "repay_days": st.just(20.0),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ecommerce=money_terms,
    offline=money_terms,
    escrow_days=st.sampled_from([0.0, 10.0]),
    seller_cash=st.sampled_from([2_000.0, 30_000.0]),
    interest=st.booleans(),
    wages=st.sampled_from(["piece_rate", "payroll"]),
    overhead=st.sampled_from([0.0, 800.0]),
    seed=st.integers(0, 1000),
)
def test_cash_is_conserved_on_random_scenarios(
    ecommerce: dict[str, Any],
    offline: dict[str, Any],
    escrow_days: float,
    seller_cash: float,
    interest: bool,
    wages: str,
    overhead: float,
    seed: int,
) -> None:
    """Whatever the regimes and terms: at every instant the cash of all parties, the world's
    included, sums to zero; refusals give only the reasons the terms allow; and without
    interest the factory's cash equals what the orders table says it was paid and paid out."""
    overrides: dict[str, Any] = {
        "horizon_days": 150,
        "warmup_days": 30,
        "sellers.count": 6,
        "sellers.escrow_days": escrow_days,
        "sellers.initial_cash": seller_cash,
        "channels.ecommerce.payment": ecommerce,
        "channels.offline.payment": offline,
        "factories.fuchun.wages": wages,
        "factories.fuchun.payroll_per_hour": 1_500.0,
        "factories.fuchun.overhead_per_day": overhead,
    }
    scenario = flexsim.load_builtin("tao-factory", overrides | ({} if interest else NO_INTEREST))
    tables = flexsim.run(scenario, seed).tables
    ledger, orders = tables["ledger"], tables["orders"]
    by_instant = signed_cash(ledger).groupby(ledger["at"]).sum().cumsum()
    assert by_instant.abs().max() < 1e-6 * ledger["amount"].sum()
    assert (ledger["amount"] > 0).all()
    allowed = {"", "below_moq", "buyer_cash", "no_capacity", "late_quote"}  # booking on
    for terms in (ecommerce, offline):
        if terms["regime"] == "offline_credit" and terms["credit_limit"] is not None:
            allowed.add("credit_limit")
        if terms["regime"] == "voucher" and terms["credit_line"] is not None:
            allowed.add("credit_line")
    assert set(orders["reason"].fillna("")) <= allowed
    factory_bad_debt = ledger[(ledger["party"] == FACTORY) & (ledger["debit"] == "bad_debt")]
    offline_credit = {c for c, t in (("ecommerce", ecommerce), ("offline", offline))
                      if t["regime"] == "offline_credit"}  # fmt: skip
    written_off = orders[orders["payment"] == "written_off"]
    assert set(written_off["channel"]) <= offline_credit  # no other regime leaves a bad debt
    assert set(factory_bad_debt["order_id"]) == set(written_off["order_id"])
    assert (orders["payment"] == expected_payment(orders)).all()
    positions = cash_positions(ledger, scenario.horizon_h)
    last_day = positions[positions["day"] == positions["day"].max()].set_index("party")
    sellers = sellers_among(ledger["party"].unique())
    for party in last_day.index:
        books = sellers if party == SELLERS else [party]
        level = sum(balance(ledger, one, ("cash",), scenario.horizon_h) for one in books)
        assert last_day.at[party, "cash"] == pytest.approx(level)
    world = balance(ledger, "world", ("cash",), scenario.horizon_h)
    assert last_day["cash"].sum() == pytest.approx(-world)
    if not interest:
        cash = balance(ledger, FACTORY, ("cash",), scenario.horizon_h)
        assert cash == pytest.approx(expected_factory_cash(scenario, tables))


@pytest.mark.parametrize("regime", ["prepaid", "deposit_balance"])
def test_an_order_paid_in_full_before_delivery_is_paid_at_the_horizon(regime: str) -> None:
    """Prepaid orders are paid in full at order, deposit-balance ones when made: an order
    still waiting or in transit at the horizon has its `paid_at` and the payment state `paid`
    (the last payment is stamped when it comes, not at delivery)."""
    terms = {"regime": regime, "deposit_share": 0.3}
    overrides = {"horizon_days": 120, "warmup_days": 10, "channels.ecommerce.payment": terms}
    scenario = flexsim.load_builtin("tao-factory", overrides)
    orders = flexsim.run(scenario, 1).tables["orders"]
    ecommerce = orders[(orders["channel"] == "ecommerce") & (orders["status"] != "refused")]
    undelivered = ecommerce[ecommerce["delivered_at"].isna()]
    paid_early = undelivered[undelivered["paid_at"].notna()]
    assert len(paid_early) > 0
    assert (paid_early["payment"] == "paid").all()
    assert (orders["payment"] == expected_payment(orders)).all()
    if regime == "prepaid":
        assert (ecommerce["paid_at"] == ecommerce["placed_at"]).all()
    else:
        made = ecommerce[ecommerce["finished_at"].notna()]
        assert (made["paid_at"] == made["finished_at"]).all()


# --- Little's law for receivables --------------------------------------------------------------


COLLECTION = "receivables.collection_days"


def collection_days(result: flexsim.RunResult) -> float:
    """The value-weighted mean days an order's receivable stays open (delivery → payment or
    write-off; a deposit is applied at delivery and stays 0 days), from the orders table alone,
    over the orders delivered in the window early enough to be settled by the horizon (the
    longest term + write-off + a margin); NaN when one of them is not settled."""
    scenario, orders = result.scenario, result.tables["orders"]
    start, settled_by = scenario.warmup_h, scenario.horizon_h - (180 + 60 + 20) * DAY
    value = orders["price"] * orders["quantity"]
    deposit = value * orders["channel"].map(
        {"offline": scenario.channels.offline.payment.deposit_share, "ecommerce": 0.0}
    )
    closed = orders["paid_at"].where(orders["payment"] == "paid", orders["written_off_at"])
    mine = (orders["delivered_at"] >= start) & (orders["delivered_at"] < settled_by)
    if closed[mine].isna().any():
        return math.nan
    open_days = (closed - orders["delivered_at"]) / DAY
    return float(((value - deposit) * open_days)[mine].sum() / value[mine].sum())


def test_balance_sheet_dso_equals_value_weighted_collection_time() -> None:
    """By Little's law, average receivables = revenue per day × the value-weighted mean time
    an order's receivable stays open, so the balance-sheet DSO equals the collection time."""
    scenario = flexsim.load_builtin(
        "tao-factory",
        {
            "horizon_days": 1300,
            "warmup_days": 200,
            "sellers.count": 5,
            "channels.offline.payment.write_off_days": 60,
        },
    )
    dso = f"cash_cycle.{FACTORY}.dso_days"
    runs = replicate(scenario, 3, kpis=[dso], measures={COLLECTION: collection_days}).runs
    assert runs[COLLECTION].notna().all()  # every order in the window is settled
    ratios = (runs[dso] / runs[COLLECTION]).tolist()
    # three runs of about 150 offline orders each: edge effects move a ratio by a few %
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.04), ratios
    assert all(0.9 < r < 1.1 for r in ratios), ratios


# --- who bears default --------------------------------------------------------------------------


def test_voucher_factory_writes_off_nothing_while_the_platform_absorbs_every_default() -> None:
    """Under the voucher with many seller defaults (30 %) and a fee, the factory's bad debt is
    zero and it is paid for every confirmed order; the platform writes off exactly the value
    of the orders whose buyers never repaid it, and nothing else."""
    scenario = flexsim.load_builtin(
        "tao-factory",
        {
            "horizon_days": 300,
            "warmup_days": 60,
            "channels.ecommerce.payment.default_probability": 0.3,
            "channels.ecommerce.payment.platform_fee_share": 0.02,
            "channels.ecommerce.payment.write_off_days": 20,
        },
    )
    tables = flexsim.run(scenario, seed=4).tables
    ledger, orders = tables["ledger"], tables["orders"]
    ecommerce = orders[(orders["channel"] == "ecommerce") & (orders["status"] != "refused")]
    factory = ledger[
        (ledger["party"] == FACTORY) & (ledger["order_id"].isin(ecommerce["order_id"]))
    ]
    assert not (factory["debit"] == "bad_debt").any()
    assert (ecommerce["payment"] != "written_off").all()
    confirmed = ecommerce[ecommerce["confirmed_at"].notna()]
    assert (confirmed["payment"] == "paid").all()
    platform = ledger[ledger["party"] == "platform"]
    written = platform.loc[platform["debit"] == "bad_debt"].set_index("order_id")["amount"]
    repaid = set(platform.loc[platform["reason"] == "voucher_repayment", "order_id"])
    assert len(written) > 20 and not set(written.index) & repaid
    value = (ecommerce["price"] * ecommerce["quantity"]).set_axis(ecommerce["order_id"])
    assert written.to_numpy() == pytest.approx(value[written.index].to_numpy())
    # the written-off share of the vouchers whose fate is known is near the default rate
    known = len(set(written.index) | repaid)
    share = len(written) / known
    assert abs(share - 0.3) < Z95 * math.sqrt(0.3 * 0.7 / known) + 1e-9


def _written_off_share(default_probability: float) -> tuple[float, float]:
    """Offline credit on the e-commerce channel: the written-off share of the delivered credit
    value (balances of orders delivered early enough to be settled by the horizon) and the
    half-width of its 95 % interval (ratio estimator). Trial orders only, many of them: equal
    values keep the interval as narrow as the order count allows."""
    scenario = flexsim.load_builtin(
        "tao-factory",
        {
            "horizon_days": 400,
            "warmup_days": 30,
            "sellers.initial_cash": 1e6,
            "sellers.share_at_factory": 0.2,
            "sellers.reorder.policy": "none",
            "channels.ecommerce.payment.regime": "offline_credit",
            "channels.ecommerce.payment.default_probability": default_probability,
            "channels.ecommerce.payment.term_days": 20,
            "channels.ecommerce.payment.write_off_days": 20,
        },
    )
    orders = flexsim.run(scenario, seed=3).tables["orders"]
    settled_by = scenario.horizon_h - 45 * DAY
    mine = orders[(orders["channel"] == "ecommerce") & (orders["delivered_at"] < settled_by)]
    assert mine["payment"].isin(["paid", "written_off"]).all()
    balance = mine["price"] * mine["quantity"] * (1 - 0.3)  # the 30 % deposit is never lost
    lost = (mine["payment"] == "written_off").astype(float)
    share = float((balance * lost).sum() / balance.sum())
    spread = math.sqrt(float(((balance * (lost - share)) ** 2).sum())) / float(balance.sum())
    return share, Z95 * spread


@pytest.mark.slow
def test_offline_credit_bad_debt_tracks_the_default_probability() -> None:
    """The written-off share of delivered credit value estimates p: its 95 % interval holds
    p = 0.1 and rejects 0.13 (negative control: a model off by 30 % would be caught)."""
    share, half = _written_off_share(0.1)
    assert share - half <= 0.1 <= share + half, (share, half)
    assert not share - half <= 0.13 <= share + half, (share, half)
    none, _ = _written_off_share(0.0)
    assert none == 0.0


# --- credit limit, credit line -----------------------------------------------------------------


def _owed_before(orders: pd.DataFrame, balance: pd.Series) -> pd.Series:
    """For each order, what its customer owed the factory when it was placed: the balances of
    its earlier accepted orders not yet paid or written off, from the orders table."""
    closed = orders["paid_at"].fillna(orders["written_off_at"]).fillna(math.inf)
    accepted = orders["status"] != "refused"
    owed = pd.Series(0.0, index=orders.index)
    for _, group in orders.groupby("customer"):
        for i in group.index:
            earlier = group[(group["order_id"] < orders.at[i, "order_id"]) & accepted[group.index]]
            still = closed[earlier.index] > orders.at[i, "placed_at"]
            owed[i] = balance[earlier.index][still].sum()
    return owed


def test_credit_limit_refuses_exactly_the_orders_above_it_and_a_tighter_one_refuses_more() -> None:
    """Sellers on offline credit (30 % deposit) with a credit limit: recomputed from the orders
    table, every accepted order kept the customer within the limit and every order refused
    with reason credit_limit would have gone above it; a tighter limit refuses more."""
    refused = {}
    for limit in (2_500.0, 5_000.0):
        scenario = flexsim.load_builtin(
            "tao-factory",
            {
                "horizon_days": 150,
                "warmup_days": 30,
                "sellers.count": 8,
                **FEW_BUSY_SELLERS,
                "sellers.initial_cash": 1e6,
                "channels.ecommerce.payment.regime": "offline_credit",
                "channels.ecommerce.payment.credit_limit": limit,
                "channels.ecommerce.payment.term_days": 40,
            },
        )
        orders = flexsim.run(scenario, seed=8).tables["orders"]
        orders = orders[orders["channel"] == "ecommerce"].reset_index(drop=True)
        balance = orders["price"] * orders["quantity"] * 0.7
        after = _owed_before(orders, balance) + balance
        by_limit = orders["reason"] == "credit_limit"
        accepted = orders["status"] != "refused"
        assert (after[accepted] <= limit + 1e-6).all()
        assert (after[by_limit] > limit).all()
        refused[limit] = int(by_limit.sum())
    assert refused[2_500.0] > refused[5_000.0] > 0, refused


def test_credit_line_locks_vouchers_until_repaid_and_refuses_above_it() -> None:
    """Each seller's vouchers locked from placement to repayment (from the ledger) never
    exceed the line, the refused ones would have, and a wider line refuses fewer orders."""
    refused = {}
    for line in (4_000.0, 8_000.0):
        scenario = flexsim.load_builtin(
            "tao-factory",
            {
                "horizon_days": 150,
                "warmup_days": 30,
                "sellers.count": 8,
                **FEW_BUSY_SELLERS,
                "channels.ecommerce.payment.credit_line": line,
            },
        )
        tables = flexsim.run(scenario, seed=8).tables
        orders, ledger = tables["orders"], tables["ledger"]
        orders = orders[orders["channel"] == "ecommerce"].reset_index(drop=True)
        repayments = ledger[
            (ledger["reason"] == "voucher_repayment") & (ledger["party"] == "platform")
        ]
        repaid_at = orders["order_id"].map(repayments.set_index("order_id")["at"])
        locked = orders.assign(paid_at=repaid_at, written_off_at=math.nan)
        value = orders["price"] * orders["quantity"]
        after = _owed_before(locked, value) + value
        by_line = orders["reason"] == "credit_line"
        assert (after[orders["status"] != "refused"] <= line + 1e-6).all()
        assert (after[by_line] > line).all()
        refused[line] = int(by_line.sum())
        peaks = after[orders["status"] != "refused"].groupby(orders["customer"]).max()
        kpis = flexsim.kpis(tables, scenario.warmup_h, scenario.horizon_h)
        peak = kpis["cash_cycle"]["sellers"]["vouchers_outstanding_max"]
        assert peak == pytest.approx(peaks.sum())
    assert refused[4_000.0] > refused[8_000.0] > 0, refused


# --- late payment, fee, escrow -----------------------------------------------------------------


def test_late_payment_lengthens_dso_by_about_its_expected_delay() -> None:
    """Paired on common random numbers: half the offline payments 60 days late. Only the
    payment dates move (the late draws have their own streams), so every offline order pays
    at or after its on-time date, the late ones by exactly 60 days, and DSO rises."""
    base = flexsim.load_builtin(
        "tao-factory", {"horizon_days": 900, "sellers.count": 0} | NO_INTEREST
    )
    late = base.with_overrides(
        {"channels.offline.payment.late_probability": 0.5, "channels.offline.payment.late_days": 60}
    )
    dso: dict[str, list[float]] = {"on_time": [], "late": []}
    for seed in range(3):  # a loop, not compare: it pairs the two runs order by order
        paid = {}
        for name, scenario in (("on_time", base), ("late", late)):
            result = flexsim.run(scenario, seed)
            kpis = flexsim.kpis(result.tables, scenario.warmup_h, scenario.horizon_h)
            dso[name].append(kpis["cash_cycle"][FACTORY]["dso_days"])
            orders = result.tables["orders"].set_index("order_id")
            paid[name] = orders.loc[orders["channel"] == "offline", "paid_at"]
        both = paid["on_time"].notna() & paid["late"].notna()
        delay = (paid["late"] - paid["on_time"])[both] / DAY
        assert np.isclose(delay, 0).sum() + np.isclose(delay, 60).sum() == len(delay)
        assert 0.3 < np.isclose(delay, 60).mean() < 0.7
    assert paired_difference(dso["late"], dso["on_time"]).low > 5


def test_late_voucher_repayment_comes_late_days_after_the_interest_free_period() -> None:
    """Same seed, every seller a late payer by 20 days: the same orders (no credit line binds),
    each voucher repaid exactly repay_days + 20 days after confirmation instead of repay_days,
    and the platform's average voucher float grows."""
    base = flexsim.load_builtin(
        "tao-factory",
        {"horizon_days": 200, "warmup_days": 30, "sellers.count": 8, **FEW_BUSY_SELLERS}
        | NO_INTEREST,
    )
    late = base.with_overrides(
        {
            "channels.ecommerce.payment.late_probability": 1.0,
            "channels.ecommerce.payment.late_days": 20,
        }
    )
    runs = {name: flexsim.run(s, seed=4) for name, s in (("on_time", base), ("late", late))}
    pd.testing.assert_frame_equal(runs["on_time"].tables["orders"], runs["late"].tables["orders"])
    repay_days = base.channels.ecommerce.payment.repay_days
    for name, extra_days in (("on_time", 0), ("late", 20)):
        orders, ledger = runs[name].tables["orders"], runs[name].tables["ledger"]
        repaid = ledger[(ledger["reason"] == "voucher_repayment") & (ledger["party"] == "platform")]
        confirmed = orders.set_index("order_id")["confirmed_at"].reindex(repaid["order_id"])
        days = (repaid["at"].to_numpy() - confirmed.to_numpy()) / DAY
        assert len(days) > 20
        assert days == pytest.approx(repay_days + extra_days)
    floats = {
        name: flexsim.kpis(r.tables, base.warmup_h, base.horizon_h)["cash_cycle"]["platform"][
            "avg_receivables"  # the platform's claims: the voucher float
        ]
        for name, r in runs.items()
    }
    assert floats["late"] > floats["on_time"]


def test_platform_fee_lowers_the_factory_revenue_by_exactly_the_fee() -> None:
    """The same seed with a 3 % platform fee and with none: the same orders, and the factory's
    cash and profit lower by exactly 3 % of the vouchers paid out, the platform's revenue."""
    short = {"horizon_days": 300, "warmup_days": 60, "sellers.count": 10}
    no_fee = {"channels.ecommerce.payment.platform_fee_share": 0.0}
    base = flexsim.load_builtin("tao-factory", short | no_fee | NO_INTEREST)
    fee = base.with_overrides({"channels.ecommerce.payment.platform_fee_share": 0.03})
    runs = {name: flexsim.run(s, seed=2) for name, s in (("base", base), ("fee", fee))}
    pd.testing.assert_frame_equal(runs["base"].tables["orders"], runs["fee"].tables["orders"])
    orders = runs["fee"].tables["orders"]
    start, end = base.warmup_h, base.horizon_h
    vouchers = orders[(orders["regime"] == "voucher") & (orders["payment"] == "paid")]
    value = vouchers["price"] * vouchers["quantity"]
    in_window = (vouchers["paid_at"] >= start) & (vouchers["paid_at"] < end)
    kpis = {n: flexsim.kpis(r.tables, start, end) for n, r in runs.items()}
    factory = {n: k["cash_cycle"][FACTORY] for n, k in kpis.items()}
    assert factory["base"]["cash_end"] - factory["fee"]["cash_end"] == pytest.approx(
        0.03 * value.sum()
    )
    assert factory["fee"]["fees"] == pytest.approx(0.03 * value[in_window].sum())
    assert factory["base"]["profit"] - factory["fee"]["profit"] == pytest.approx(
        factory["fee"]["fees"]
    )
    assert kpis["fee"]["cash_cycle"]["platform"]["revenue"] == pytest.approx(factory["fee"]["fees"])
    assert factory["fee"]["fees"] > 0


def test_escrow_delays_seller_cash_by_escrow_days() -> None:
    """The same seed with and without 10 days of escrow (sellers rich enough that nothing else
    changes): at the end of every day each seller's cash is lower by exactly its retail
    revenue of the last 10 days, and its receivables are that amount."""
    base = flexsim.load_builtin(
        "tao-factory",
        {"horizon_days": 120, "warmup_days": 30, "sellers.count": 3, "sellers.initial_cash": 1e6}
        | {"sellers.record_days": True}
        | FEW_BUSY_SELLERS
        | NO_INTEREST,
    )
    escrow = base.with_overrides({"sellers.escrow_days": 10})
    base = base.with_overrides({"sellers.escrow_days": 0})
    runs = {name: flexsim.run(s, seed=3) for name, s in (("none", base), ("escrow", escrow))}
    cash = {n: cash_positions(r.tables["ledger"], base.horizon_h).set_index(["party", "day"])
            for n, r in runs.items()}  # fmt: skip
    days = runs["escrow"].tables["seller_days"]
    revenue = days.assign(party="seller/" + days["seller"], day=(days["at"] // DAY).astype(int))
    revenue = revenue.set_index(["party", "day"])["revenue"]
    held = revenue.groupby(level="party").transform(lambda r: r.rolling(10, min_periods=1).sum())
    sellers = cash["escrow"].index.get_level_values("party").str.startswith("seller/")
    gap = (cash["none"]["cash"] - cash["escrow"]["cash"])[sellers]
    assert gap.to_numpy() == pytest.approx(held.reindex(gap.index).to_numpy())
    assert cash["escrow"]["receivables"][sellers].to_numpy() == pytest.approx(
        held.reindex(gap.index).to_numpy()
    )
    assert held.max() > 1000


# --- cash metrics on hand-made ledgers ------------------------------------------------------------


def test_cash_to_cash_time_on_two_hand_made_orders() -> None:
    """Order 0 (value 100): first paid out on day 1 (changeover), day 3 (labour), paid day 11
    → 10 days. Order 1 (value 300): materials paid day 8, buyer paid (prepaid) day 2 → −6
    days. Value-weighted: (100·10 + 300·(−6)) / 400 = −2 days. Order 2 is paid after e."""
    f = "factory/f"
    rows = [
        (1, f, "wip", "cash", 50.0, 0),
        (3, f, "wip", "cash", 20.0, 0),
        (11, f, "cash", "receivables", 100.0, 0),
        (2, f, "cash", "deposits", 300.0, 1),
        (8, f, "payables", "cash", 80.0, 1),
        (5, f, "wip", "cash", 10.0, 2),
    ]
    ledger = pd.DataFrame(rows, columns=["day", "party", "debit", "credit", "amount", "order_id"])
    ledger = ledger.assign(at=ledger["day"] * DAY)
    orders = pd.DataFrame(
        {
            "order_id": [0, 1, 2],
            "factory": "f",
            "payment": ["paid", "paid", "paid"],
            "paid_at": [11 * DAY, 2 * DAY, 30 * DAY],
            "price": [10.0, 30.0, 5.0],
            "quantity": [10, 10, 10],
        }
    )
    assert cash_to_cash(ledger, orders, f, 0.0, 20 * DAY) == pytest.approx(-2.0)


def test_cash_positions_on_a_hand_made_ledger() -> None:
    """Day ends: capital 100 on day 0; materials 30 on payables day 1; a sale of 50 on
    receivables day 1 (cost 30); paid day 2; supplier paid day 2."""
    p = "factory/p"
    rows = [
        (0.0, p, "cash", "equity", 100.0),
        (0.0, "world", "flows", "cash", 100.0),
        (30.0, p, "materials", "payables", 30.0),
        (40.0, p, "receivables", "revenue", 50.0),
        (40.0, p, "cogs", "materials", 30.0),
        (50.0, p, "cash", "receivables", 50.0),
        (60.0, p, "payables", "cash", 30.0),
    ]
    ledger = pd.DataFrame(rows, columns=["at", "party", "debit", "credit", "amount"])
    table = cash_positions(ledger, 3 * DAY)
    assert list(table["party"]) == [p] * 3 and list(table["day"]) == [0, 1, 2]
    assert list(table["cash"]) == [100.0, 100.0, 120.0]
    assert list(table["receivables"]) == [0.0, 50.0, 0.0]
    assert list(table["payables"]) == [0.0, 30.0, 0.0]
    assert list(table["inventory"]) == [0.0, 0.0, 0.0]


# --- costs: payroll and overhead -----------------------------------------------------------------


def _tiny_factory(wages: str) -> flexsim.Scenario:
    """Two weeks and a half from Monday 2026-01-05: line `day` open Mon-Fri 08:00-17:00 with a
    lunch hour (8 h a day), closed on Wednesday 7 January; line `all` always open. One
    customer orders 10 pieces about every other day, paid 5 a piece under piece rates."""
    data = {
        "name": "tiny",
        "horizon_days": 14.5,
        "warmup_days": 0,
        "calendars": {
            "day": {
                "shifts": [{"start": "08:00", "end": "17:00", "breaks": ["12:00-13:00"]}],
                "holidays": [{"first_day": "2026-01-07", "last_day": "2026-01-07"}],
            }
        },
        "factories": [
            {
                "name": "plant",
                "labour_cost": 5.0,
                "wages": wages,
                "payroll_per_hour": 100.0,
                "overhead_per_day": 50.0,
                "lines": [
                    {"name": "day", "unit_time_h": 0.1, "calendar": "day"},
                    {"name": "all", "unit_time_h": 0.1},
                ],
            }
        ],
        "customers": [{"name": "c", "factory": "plant", "quantity": 10, "interarrival_days": 2}],
        "finance": {"overdraft_rate": 0.0, "deposit_rate": 0.0},
    }
    return flexsim.scenario.validate(data, "test")


def test_payroll_and_overhead_computed_by_hand_on_a_tiny_calendar() -> None:
    """Fourteen day ends fall before the horizon. Payroll at 100 an open hour: line `day`
    9 workdays × 8 h (the holiday and weekends pay nothing), line `all` 24 h every day, paid
    each day for that day; overhead 50 a day. Piece rates instead: 5 × the pieces finished,
    and no payroll. The same orders either way."""
    runs = {w: flexsim.run(_tiny_factory(w), seed=1).tables for w in ("payroll", "piece_rate")}
    pd.testing.assert_frame_equal(
        runs["payroll"]["orders"].drop(columns="cost"),
        runs["piece_rate"]["orders"].drop(columns="cost"),
    )
    books = {w: t["ledger"][t["ledger"]["party"] == "factory/plant"] for w, t in runs.items()}
    payroll = books["payroll"][books["payroll"]["reason"] == "payroll"]
    day_hours = [8, 8, 0, 8, 8, 0, 0, 8, 8, 8, 8, 8, 0, 0]  # Mon 5 Jan … Sun 18 Jan
    expected = [100.0 * (hours + 24) for hours in day_hours]
    assert list(payroll["at"]) == [DAY * (d + 1) for d in range(14)]
    assert list(payroll["amount"]) == pytest.approx(expected)
    assert (payroll["debit"] == "wages").all()
    for wages in ("payroll", "piece_rate"):
        overhead = books[wages][books[wages]["reason"] == "overhead"]
        assert list(overhead["amount"]) == [50.0] * 14
    assert not (books["payroll"]["reason"] == "labour").any()
    labour = books["piece_rate"][books["piece_rate"]["reason"] == "labour"]
    orders = runs["piece_rate"]["orders"]
    assert labour["amount"].sum() == pytest.approx(
        5.0 * orders["quantity"][orders["finished_at"].notna()].sum()
    )
    assert not (books["piece_rate"]["reason"] == "payroll").any()
    kpis = flexsim.kpis(runs["payroll"], 0.0, 14.5 * DAY)["cash_cycle"]["factory/plant"]
    assert kpis["wages"] == pytest.approx(sum(expected))
    assert kpis["expenses"] == pytest.approx(700.0)


def test_sellers_cash_cycle_recomputed_from_the_ledger_with_plain_loops() -> None:
    """The sellers' DIO, DSO (escrow) and DPO (what they owe the factory or the platform) from
    their postings, summed over sellers, with loops instead of the metrics module."""
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 160, "warmup_days": 40})
    result = flexsim.run(scenario, seed=6)
    start, end = scenario.warmup_h, scenario.horizon_h
    kpis = flexsim.kpis(result.tables, start, end)["cash_cycle"]["sellers"]
    changes: dict[str, list[tuple[float, float]]] = {}
    flows: dict[tuple[str, float], float] = {}
    for row in result.tables["ledger"].itertuples():
        if not row.party.startswith("seller/"):
            continue
        for account, sign in ((row.debit, 1.0), (row.credit, -1.0)):
            changes.setdefault(account, []).append((row.at, sign * row.amount))
            if start <= row.at < end:
                flows[(account, sign)] = flows.get((account, sign), 0.0) + row.amount
    days = (end - start) / DAY

    def average(account: str) -> float:
        total, level, last = 0.0, 0.0, start
        for at, change in sorted(changes[account], key=lambda c: c[0]):
            if at > last:
                total += level * (min(at, end) - last)
                last = min(max(at, start), end)
            level += change
        return (total + level * (end - last)) / (end - start)

    assert kpis["dio_days"] == pytest.approx(average("inventory") / (flows[("cogs", 1.0)] / days))
    revenue_per_day = flows[("revenue", -1.0)] / days
    assert kpis["dso_days"] == pytest.approx(average("receivables") / revenue_per_day)
    purchases_per_day = flows[("payables", -1.0)] / days
    assert kpis["dpo_days"] == pytest.approx(-average("payables") / purchases_per_day)
    assert 8 < kpis["dso_days"] < 10  # 10 days of escrow on retail sales, none on salvage


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("channels.ecommerce.payment.platform_fee_share", 1.5, "less than or equal to 1"),
        ("channels.offline.payment.credit_limit", -1.0, "greater than or equal to 0"),
        ("channels.offline.payment.late_probability", True, "valid number"),
        ("factories.0.wages", "salary", "'piece_rate' or 'payroll'"),
        ("sellers.escrow_days", -2, "greater than or equal to 0"),
    ],
)
def test_bad_money_input_names_the_dotted_key(key: str, value: Any, message: str) -> None:
    with pytest.raises(flexsim.scenario.ScenarioError) as error:
        flexsim.load_builtin("tao-factory", {key: value})
    assert f"{key}: " in str(error.value) and message in str(error.value), str(error.value)


def test_seller_money_table_matches_the_cash_cycle_of_each_seller() -> None:
    """The per-seller table, computed for all sellers at once, equals cash_cycle run on each
    seller's books alone, and its balances and flows add up to the sellers' together."""
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 160, "warmup_days": 40})
    result = flexsim.run(scenario, seed=6)
    start, end, rate = scenario.warmup_h, scenario.horizon_h, scenario.finance.discount_rate
    ledger = result.tables["ledger"]
    table = seller_money(ledger, start, end, rate).set_index("party")
    assert len(table) == scenario.sellers.count
    for party in ("seller/seller-0", "seller/seller-7", "seller/seller-29"):
        alone = cash_cycle(ledger, party, start, end, rate)
        for column in table.columns:
            assert table.at[party, column] == pytest.approx(alone[column], nan_ok=True), column
    together = flexsim.kpis(result.tables, start, end, rate)["cash_cycle"]["sellers"]
    for column in ("revenue", "avg_inventory", "avg_receivables", "avg_payables", "profit"):
        assert table[column].sum() == pytest.approx(together[column]), column
    assert table["peak_funding_need"].sum() == pytest.approx(together["peak_funding_need"])
