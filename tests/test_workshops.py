"""Outside workshops: a factory's subcontracting rules, the workshop as a queue (M/M/1), the
conservation of pieces under scrap and rework, the money paid to workshops, validation errors
with their dotted keys, and the KPIs on the console."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flexsim
from flexsim.audit import audit
from flexsim.experiment import replicate
from flexsim.results import write
from flexsim.stats import mean_interval

ROOT = Path(__file__).resolve().parents[1]
HOURS = 24.0
LAMBDA, MU = 0.8, 1.0  # the built-in mm1's orders and services per day
SHOP = "workshop/solo"
WAIT = "lead_time.offline.waiting_h"  # placed (fabric in) → the workshop's line takes it


def workshop_mm1(mean_h: float = 24.0, overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
    """The built-in mm1 with every order sent to one exponential workshop, no transport."""
    shop = {"name": "solo", "unit_time_h": {"dist": "exponential", "mean": mean_h}}
    rule = {"rule": "backlog", "backlog_h": 0, "workshops": ["solo"]}
    return flexsim.load_builtin(
        "mm1",
        {"workshops": [shop], "factories.plant.subcontract": rule, **(overrides or {})},
    )


SMALL = {"horizon_days": 400, "warmup_days": 50}

MIXED = """
name = "mixed"
horizon_days = 300
warmup_days = 30

[[factories]]
name = "plant"
material_cost = 10
labour_cost = 5
subcontract = { rule = "backlog", backlog_h = 48, workshops = ["alpha", "beta"], terms_days = 15 }

[[factories.lines]]
name = "line"
unit_time_h = { dist = "exponential", mean = 2.0 }

[[workshops]]
name = "alpha"
unit_time_h = { dist = "exponential", mean = 3.0 }
price_per_piece = 6
transport_days = 1
on_time_probability = 0.8
late_days = { dist = "uniform", low = 1, high = 3 }
rework_probability = 0.1
scrap_probability = 0.05

[[workshops]]
name = "beta"
unit_time_h = { dist = "exponential", mean = 4.0 }
price_per_piece = 5

[[customers]]
name = "shop"
factory = "plant"
interarrival_days = { dist = "exponential", mean = 1.0 }
quantity = 20
due_days = 10
factory_price = 30
"""

BOOKED = MIXED.replace('rule = "backlog", backlog_h = 48', 'rule = "quote_late"').replace(
    "terms_days = 15 }", "terms_days = 15 }\nbooking = { horizon_days = 60 }"
)


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> flexsim.RunResult:
    path = scenario_file(tmp_path_factory.mktemp("mixed"), MIXED)
    return flexsim.run(flexsim.load(path), 3)


# -- the rules -------------------------------------------------------------------------------


def test_rule_never_sends_nothing_out() -> None:
    """The workshop listed but the rule `never` (a variant that switches subcontracting off):
    no order goes out, and the tables are those of the plain mm1 but for the workshop's idle
    line states."""
    scenario = workshop_mm1(overrides={**SMALL, "factories.plant.subcontract.rule": "never"})
    tables = flexsim.run(scenario, 1).tables
    plain = flexsim.run(flexsim.load_builtin("mm1", SMALL), 1).tables
    assert not tables["orders"]["line"].str.startswith("workshop/").any()
    pd.testing.assert_frame_equal(tables["orders"], plain["orders"])
    states = tables["line_states"]
    assert (states.loc[states["factory"] == SHOP, "state"] == "idle").all()


def test_backlog_threshold_zero_sends_every_order_out() -> None:
    tables = flexsim.run(workshop_mm1(overrides=SMALL), 1).tables
    made = tables["orders"]["line"]
    assert (made[tables["orders"]["setup_at"].notna()] == SHOP).all()
    states = tables["line_states"]
    assert (states.loc[states["factory"] == "plant", "state"] == "idle").all()
    assert (states.loc[states["factory"] == SHOP, "state"] == "processing").any()


def test_backlog_rule_sends_out_only_at_or_above_the_threshold(mixed: flexsim.RunResult) -> None:
    orders = mixed.tables["orders"]
    out = orders["line"].str.startswith("workshop/")
    assert 0 < out.sum() < len(orders)
    # an order kept at home was accepted while the expected hours waiting were below 48 h: a
    # higher threshold sends fewer out, on the same seed
    raised = {"factories.plant.subcontract.backlog_h": 200}
    higher = flexsim.run(mixed.scenario.with_overrides(raised), 3)
    assert higher.tables["orders"]["line"].str.startswith("workshop/").sum() < out.sum()


def test_quote_late_sends_out_exactly_the_orders_quoted_after_their_due_date(
    tmp_path: Path,
) -> None:
    result = flexsim.run(flexsim.load(scenario_file(tmp_path, BOOKED)), 2)
    orders = result.tables["orders"]
    accepted = orders[orders["status"] != "refused"]
    out = accepted["line"].str.startswith("workshop/")
    late = accepted["quote_at"] > accepted["due_at"]
    assert out.any() and (~out).any()
    assert (out == late).all()


# -- goods and money -------------------------------------------------------------------------


def test_pieces_are_conserved_with_scrap_and_rework(mixed: flexsim.RunResult) -> None:
    orders = mixed.tables["orders"]
    alpha = orders[orders["line"] == "workshop/alpha"]
    assert alpha["scrapped"].sum() > 0 and alpha["reworked"].sum() > 0
    beta = orders[orders["line"] == "workshop/beta"]
    assert beta["scrapped"].sum() == 0 and beta["reworked"].sum() == 0
    home = orders[~orders["line"].str.startswith("workshop/")]
    assert (home[["scrapped", "reworked"]] == 0).all().all()
    # ordered = delivered + scrapped + in process, per status
    delivered = orders.loc[orders["status"] == "delivered"]
    open_ = orders.loc[orders["status"].isin(["waiting", "in_production", "in_transit"])]
    assert orders["quantity"].sum() == (
        (delivered["quantity"] - delivered["scrapped"]).sum()
        + delivered["scrapped"].sum()
        + open_["quantity"].sum()
    )
    assert (orders["scrapped"] <= orders["quantity"]).all()
    # the scrap share is near its probability (binomial on ~1,000s of pieces)
    made = alpha["quantity"].sum()
    assert abs(alpha["scrapped"].sum() / (made + alpha["reworked"].sum()) - 0.05) < 0.02


def test_the_factory_pays_each_workshop_for_its_good_pieces(mixed: flexsim.RunResult) -> None:
    ledger, orders = mixed.tables["ledger"], mixed.tables["orders"]
    horizon = mixed.scenario.horizon_h
    for name, price in (("alpha", 6.0), ("beta", 5.0)):
        mine = orders[(orders["line"] == f"workshop/{name}") & orders["finished_at"].notna()]
        paid = mine[mine["finished_at"] + 15 * HOURS < horizon]
        received = ledger[(ledger["party"] == f"workshop/{name}") & (ledger["debit"] == "cash")]
        expect = (price * (paid["quantity"] - paid["scrapped"])).sum()
        assert received["amount"].sum() == pytest.approx(expect)
        assert set(received["reason"]) == {"subcontract"}
    # no piece-rate labour for what the workshops made
    labour = ledger[(ledger["reason"] == "labour")]
    out = orders.loc[orders["line"].str.startswith("workshop/"), "order_id"]
    assert not labour["order_id"].isin(out).any()


def test_a_workshop_run_folder_passes_the_audit(mixed: flexsim.RunResult, tmp_path: Path) -> None:
    kpis = flexsim.metrics.scenario_kpis(mixed.tables, mixed.scenario)
    folder = tmp_path / "run"
    folder.mkdir()
    write(mixed, kpis, folder, source="test")
    findings = audit(folder)
    assert len(findings) > 5
    assert all(finding.holds for finding in findings), [f.line() for f in findings]


# -- KPIs ------------------------------------------------------------------------------------


def test_subcontracting_kpis(mixed: flexsim.RunResult) -> None:
    kpis = flexsim.metrics.scenario_kpis(mixed.tables, mixed.scenario)["subcontracting"]
    assert set(kpis) == {"factory/plant", "workshop/alpha", "workshop/beta"}
    plant, alpha = kpis["factory/plant"], kpis["workshop/alpha"]
    assert 0 < plant["share_orders_out"] < 1
    assert 0 < alpha["busy_share"] < 1 and alpha["scrapped"] > 0
    assert alpha["on_time_share"] is not None
    plain = flexsim.load_builtin("mm1", SMALL)
    none = flexsim.metrics.scenario_kpis(flexsim.run(plain, 1).tables, plain)
    assert none["subcontracting"] == {}


def test_flexsim_run_prints_the_subcontracting_kpis(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, MIXED)
    done = subprocess.run(
        [sys.executable, "-m", "flexsim.cli", "run", str(path), "--seed", "1"],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out = done.stdout
    assert "Subcontracting" in out
    for kpi in ("share_orders_out", "busy_share", "scrapped", "reworked", "on_time_share_out"):
        assert kpi in out
    assert "workshop/alpha" in out


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('workshops = ["alpha", "beta"]', 'workshops = ["alpha", "gamma"]',
         "factories.0.subcontract.workshops.1", "'gamma' is not defined"),
        ('workshops = ["alpha", "beta"]', 'workshops = ["alpha"]',
         "workshops.1", "reached by no factory"),
        ('rule = "backlog", backlog_h = 48', 'rule = "quote_late"',
         "factories.0.subcontract.rule", "capacity booking"),
        ("scrap_probability = 0.05", "scrap_probability = 1.5",
         "workshops.0.scrap_probability", "less than or equal to 1"),
        ("on_time_probability = 0.8", "on_time_probability = -0.1",
         "workshops.0.on_time_probability", "greater than or equal to 0"),
        ("scrap_probability = 0.05", "scrap_probability = 0.95",
         "workshops.0", "more than 1"),
        ("rework_probability = 0.1", "rework_probability = 1",
         "workshops.0.rework_probability", "less than 1"),
        ('rule = "backlog"', 'rule = "sometimes"',
         "factories.0.subcontract.rule", "'never', 'quote_late' or 'backlog'"),
        ('name = "beta"', 'name = "alpha"', "", "workshop name 'alpha' is used twice"),
        ('name = "beta"\n', 'name = "beta"\ncalendar = "nights"\n',
         "workshops.1.calendar", "'nights' is not defined"),
        ("backlog_h = 48,", "backlog_h = 48, hurry = 1,",
         "factories.0.subcontract", "hurry"),
    ],
)  # fmt: skip
def test_bad_workshop_input_gets_a_keyed_error(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    assert old in MIXED
    path = scenario_file(tmp_path, MIXED.replace(old, new, 1))
    with pytest.raises(flexsim.ScenarioError) as error:
        flexsim.load(path)
    text = str(error.value)
    assert str(path) in text and key in text and message in text, text


def test_a_rule_without_workshops_is_an_error(tmp_path: Path) -> None:
    text = MIXED.replace('workshops = ["alpha", "beta"], ', "")
    text = text.split("[[workshops]]")[0] + MIXED[MIXED.index("[[customers]]") :]
    with pytest.raises(flexsim.ScenarioError, match=r"factories\.0\.subcontract\.workshops: rule"):
        flexsim.load(scenario_file(tmp_path, text))


# -- the workshop as a queue -----------------------------------------------------------------


def mm1_wq_h(lam: float, mu: float) -> float:
    return (lam / mu) / (mu - lam) * HOURS


def waits(scenario: flexsim.Scenario, replications: int) -> list[float]:
    return replicate(scenario, replications, kpis=[WAIT]).runs[WAIT].tolist()


LONG = {"horizon_days": 6000, "warmup_days": 500}


@pytest.mark.slow
def test_a_workshop_alone_matches_mm1_wait() -> None:
    """Every order of the mm1 scenario made by one exponential workshop (no transport, no
    scrap): its mean wait in queue is M/M/1's, Wq = 96 h, within a 95 % interval."""
    interval = mean_interval(waits(workshop_mm1(overrides=LONG), 48))
    assert interval.relative_half_width <= 0.06, interval
    assert interval.covers(mm1_wq_h(LAMBDA, MU)), interval


@pytest.mark.slow
def test_workshop_mm1_check_rejects_ten_percent_slower_service() -> None:
    """Negative control: the same check fails for a workshop 10 % slower than theory assumes."""
    interval = mean_interval(waits(workshop_mm1(26.4, LONG), 48))
    assert not interval.covers(mm1_wq_h(LAMBDA, MU)), interval


def test_a_workshops_line_is_its_name_under_its_party(mixed: flexsim.RunResult) -> None:
    states = mixed.tables["line_states"]
    shops = states[states["factory"].str.startswith("workshop/")]
    assert set(zip(shops["factory"], shops["line"], strict=True)) == {
        ("workshop/alpha", "alpha"),
        ("workshop/beta", "beta"),
    }
    kpis = flexsim.metrics.scenario_kpis(mixed.tables, mixed.scenario)["utilisation"]
    assert {"workshop/alpha.alpha", "workshop/beta.beta"} <= set(kpis)
    assert not any(key.count("workshop/") > 1 for key in kpis)
    orders = mixed.tables["orders"]
    assert orders["line"].isin(["workshop/alpha", "workshop/beta"]).any()  # its orders' maker


# -- the buyer pays for the pieces it gets ---------------------------------------------------

SCRAPPY = {"workshops.alpha.scrap_probability": 0.6, "workshops.alpha.rework_probability": 0.0}


@pytest.mark.parametrize("regime", ["offline_credit", "prepaid", "deposit_balance", "voucher"])
def test_the_buyer_pays_price_times_the_pieces_delivered(regime: str, tmp_path: Path) -> None:
    """Scrap at a workshop lowers what an order delivers and what its buyer pays: the sale,
    and the money the factory keeps from the buyer (deposits and balances less refunds, or the
    voucher's payout and fee), are price × delivered pieces; a deposit above that (60 % scrap
    beats a 50 % deposit, and prepaid) is paid back; the ledger balances (the audit)."""
    overrides = {
        **SCRAPPY,
        "channels.offline.payment.regime": regime,
        "channels.offline.payment.deposit_share": 0.5,
        "horizon_days": 200,
    }
    scenario = flexsim.load(scenario_file(tmp_path, MIXED), overrides)
    result = flexsim.run(scenario, 5)
    orders, ledger = result.tables["orders"], result.tables["ledger"]
    mine = ledger[ledger["party"] == "factory/plant"].set_index("order_id")
    settled = (orders["payment"] == "paid") & (orders["status"] == "delivered")
    paid = orders[settled & (orders["scrapped"] > 0)]
    assert len(paid) >= 5, "the test needs paid orders with scrap"
    billed = (paid["price"] * (paid["quantity"] - paid["scrapped"])).to_numpy()
    sales = mine[(mine["reason"] == "sale") & (mine["credit"] == "revenue")]["amount"]
    assert sales.reindex(paid["order_id"]).to_numpy() == pytest.approx(billed)
    cash = mine[(mine["debit"] == "cash") | (mine["credit"] == "cash")]
    signed = cash["amount"].where(cash["debit"] == "cash", -cash["amount"])
    from_buyer = signed[cash["reason"].isin(["deposit", "balance", "balance_before_shipment"])]
    refunds = signed[cash["reason"] == "refund"]
    voucher = signed[cash["reason"] == "voucher_payout"]
    fees = mine[mine["reason"] == "platform_fee"]["amount"]
    kept = (
        from_buyer.groupby(level=0).sum().reindex(paid["order_id"], fill_value=0.0)
        + refunds.groupby(level=0).sum().reindex(paid["order_id"], fill_value=0.0)
        + voucher.groupby(level=0).sum().reindex(paid["order_id"], fill_value=0.0)
        + fees.groupby(level=0).sum().reindex(paid["order_id"], fill_value=0.0)
    )
    assert kept.to_numpy() == pytest.approx(billed)
    if regime in ("offline_credit", "prepaid", "deposit_balance"):
        assert len(refunds) and (refunds < 0).all()  # deposits above the value paid back
    else:
        assert not len(refunds)
    kpis = flexsim.metrics.scenario_kpis(result.tables, scenario)
    folder = tmp_path / "run"
    folder.mkdir()
    write(result, kpis, folder, source="test")
    broken = [finding.line() for finding in audit(folder) if not finding.holds]
    assert not broken
