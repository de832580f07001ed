"""Alliances: the sharing rules (fixed shares, proportional shares, the Shapley value against
textbook games and the closed form of the unanimity game), a run in which an underpaid core
factory withdraws and takes no new seller orders, tables that an alliance leaves untouched until
a factory withdraws, the alliance KPIs, and validation errors with their dotted keys."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flexsim
import flexsim.cli
from flexsim.metrics import alliance_kpis, scenario_kpis
from flexsim.model import sharing
from flexsim.vocabulary import HOURS_PER_DAY, SELLER_KINDS

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "experiments" / "alliance" / "guild.toml"
SMALL = {"horizon_days": 210.0, "sellers.count": 40}
# the large factory gets 2 % of the pool: far below the market return; the others do well
UNDERPAID = {
    **SMALL,
    "alliances.guild.shares": {
        "large": 0.02, "middle": 0.3, "small": 0.3, "sellers": 0.33, "stitch": 0.05,
    },
    "alliances.guild.outside_return": 0.1,
}  # fmt: skip


def scenario(overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
    return flexsim.load(SCENARIO, overrides or {})


# -- the sharing rules -------------------------------------------------------------------------


def test_fixed_shares_split_the_whole_pool_renormalised_over_the_members_left() -> None:
    split = sharing.fixed(1000.0, np.array([0.5, 0.3, 0.2]))
    assert split.sum() == pytest.approx(1000.0) and split[0] == pytest.approx(500.0)
    left = sharing.fixed(1000.0, np.array([0.3, 0.2]))  # the first member withdrew
    assert left.tolist() == pytest.approx([600.0, 400.0])


def test_proportional_shares_follow_the_contributions_and_are_equal_without_any() -> None:
    assert sharing.proportional(-90.0, np.array([1.0, 2.0, 0.0])).tolist() == pytest.approx(
        [-30.0, -60.0, 0.0]
    )
    assert sharing.proportional(90.0, np.zeros(3)).tolist() == pytest.approx([30.0] * 3)


def game(worth: dict[frozenset[int], float], n: int) -> np.ndarray:
    """A game's worths by coalition mask from a dict of coalitions (absent: 0)."""
    v = np.zeros(2**n)
    for coalition, value in worth.items():
        v[sum(1 << i for i in coalition)] = value
    return v


def test_shapley_of_the_glove_game() -> None:
    """One left glove (0), two right gloves (1, 2): a pair is worth 1. φ = (2/3, 1/6, 1/6)."""
    v = np.array([len({0} & set(s)) * min(1, len({1, 2} & set(s))) for s in coalitions(3)])
    assert sharing.shapley(v.astype(float)).tolist() == pytest.approx([2 / 3, 1 / 6, 1 / 6])


def coalitions(n: int) -> list[list[int]]:
    return [[i for i in range(n) if mask >> i & 1] for mask in range(2**n)]


def test_shapley_of_an_additive_game_is_each_members_own_worth() -> None:
    own = np.array([3.0, -1.0, 7.5, 0.0])
    v = np.array([own[s].sum() for s in coalitions(4)])
    assert sharing.shapley(v).tolist() == pytest.approx(own.tolist())


def test_symmetric_members_get_equal_shares_and_the_shares_sum_to_the_grand_coalition() -> None:
    v = np.array([len(s) ** 2 for s in coalitions(5)], dtype=float)  # depends on |S| alone
    value = sharing.shapley(v)
    assert value.tolist() == pytest.approx([5.0] * 5)
    assert value.sum() == pytest.approx(v[-1])


def test_shapley_of_the_accounting_worth_is_its_closed_form() -> None:
    """v(S): stand-alone profits plus joint margins earned only by all their participants; the
    enumeration over 2^12 coalitions equals each member's own profit plus an equal share of
    every joint margin it takes part in, and sums to v(N)."""
    rng = np.random.default_rng(16)
    n = 12
    standalone = rng.normal(0, 100, n)
    joint = {int(m): float(rng.normal(50, 30)) for m in rng.integers(1, 2**n, 40)}
    worth = sharing.worths(standalone, joint)
    value = sharing.shapley(worth)
    assert value == pytest.approx(sharing.unanimity_shapley(standalone, joint))
    assert value.sum() == pytest.approx(worth[-1])
    assert worth[-1] == pytest.approx(standalone.sum() + sum(joint.values()))


# -- a run -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def underpaid() -> flexsim.RunResult:
    return flexsim.run(scenario(UNDERPAID), 1)


def test_an_underpaid_factory_withdraws_and_takes_no_new_seller_orders(
    underpaid: flexsim.RunResult,
) -> None:
    tables = underpaid.tables
    reviews = tables["alliance_reviews"]
    gone = reviews[reviews["withdrawn"]]
    assert gone["member"].tolist() == ["large"]  # two bad reviews in a row, then out
    left_at = float(gone["end_at"].iloc[0])
    assert left_at == 2 * 30 * HOURS_PER_DAY
    large = reviews[reviews["member"] == "large"]
    assert large["bad"].all() and large["end_at"].max() == left_at  # not reviewed after
    orders = tables["orders"]
    sellers = orders[orders["kind"].isin(SELLER_KINDS)]
    after = sellers[sellers["placed_at"] >= left_at]
    assert not (after["factory"] == "large").any()
    assert set(after["factory"]) == {"middle", "small"}
    # the orders it had accepted are all finished
    before = sellers[(sellers["factory"] == "large") & (sellers["placed_at"] < left_at)]
    assert len(before) and before["finished_at"].notna().all()
    items = tables["items"]
    later = items[items["launched_at"] >= left_at]
    assert len(later) and not (later["factory"] == "large").any()


def test_every_review_splits_exactly_its_pool(underpaid: flexsim.RunResult) -> None:
    reviews = underpaid.tables["alliance_reviews"]
    by_review = reviews.groupby("end_at")[["profit", "allocation"]].sum()
    assert np.allclose(by_review["profit"], by_review["allocation"])
    assert (reviews.groupby("end_at")["start_at"].first().diff().dropna() == 720.0).all()


@pytest.mark.parametrize("rule", ["cost", "capacity", "shapley"])
def test_each_rule_splits_the_pool(rule: str) -> None:
    short = {**SMALL, "horizon_days": 100.0, "alliances.guild.rule": rule}
    reviews = flexsim.run(scenario(short | {"alliances.guild.shares": {}}), 2).tables[
        "alliance_reviews"
    ]
    assert len(reviews)
    sums = reviews.groupby("end_at")[["profit", "allocation"]].sum()
    assert np.allclose(sums["profit"], sums["allocation"])
    first = reviews[reviews["end_at"] == reviews["end_at"].min()].set_index("member")
    if rule == "cost":  # every member with costs earns the same return
        core = first.loc[["large", "middle", "small"], "realised_return"]
        assert np.allclose(core, core.iloc[0])
    if rule == "capacity":  # the sellers have no lines, the two-line factory twice the share
        assert first.loc["sellers", "allocation"] == 0
        assert first.loc["large", "allocation"] == pytest.approx(
            2 * first.loc["middle", "allocation"]
        )


def test_an_alliance_nobody_leaves_changes_no_table() -> None:
    """The alliance only watches until a factory withdraws: with an outside option nobody falls
    below, orders, ledger and items are those of the scenario without the alliance."""
    calm = flexsim.run(scenario({**SMALL, "alliances.guild.outside_return": -1e9}), 3).tables
    plain = flexsim.run(scenario({**SMALL, "alliances": []}), 3).tables
    for table in ("orders", "ledger", "items", "line_states", "sales_days"):
        pd.testing.assert_frame_equal(calm[table], plain[table])
    assert len(calm["alliance_reviews"]) and plain["alliance_reviews"].empty
    assert not calm["alliance_reviews"]["withdrawn"].any()


def test_the_alliance_kpis(underpaid: flexsim.RunResult) -> None:
    kpis = scenario_kpis(underpaid.tables, underpaid.scenario)["alliance"]
    assert kpis["guild"]["censored"] == 1 and kpis["guild"]["withdrawals"] == 1
    assert kpis["guild"]["survival_days"] == 210.0
    assert kpis["guild.large"]["withdrawn_day"] == 60.0
    assert kpis["guild.middle"]["withdrawn_day"] is None
    assert set(kpis) == {"guild", *(f"guild.{m}" for m in SHARE_NAMES)}


SHARE_NAMES = ("large", "middle", "small", "sellers", "stitch")


def test_the_alliance_kpis_on_a_hand_made_table() -> None:
    """Three core members; two leave at the second review, so the alliance ends there."""
    rows = []
    for end, leaving in ((720.0, set()), (1440.0, {"a", "b"})):
        for member in ("a", "b", "c", "sellers"):
            role = "lead" if member == "sellers" else "core"
            rows.append(
                ("x", member, role, end - 720, end, 10.0, 100.0, 0.0, 5.0, 0.05, True,
                 member in leaving)
            )  # fmt: skip
    table = pd.DataFrame(rows, columns=flexsim.records.TABLES["alliance_reviews"])
    kpis = alliance_kpis(table, start_h=700.0, end_h=5000.0)
    assert kpis["x"] == {
        "survival_days": 60.0, "censored": 0, "core_members": 3, "withdrawals": 2, "reviews": 2,
    }  # fmt: skip
    assert kpis["x.a"]["withdrawn_day"] == 60.0 and math.isnan(kpis["x.c"]["withdrawn_day"])
    assert kpis["x.c"]["profit"] == 20.0  # both reviews end after the warm-up
    assert alliance_kpis(table, start_h=800.0, end_h=5000.0)["x.c"]["allocation"] == 5.0


def test_a_run_without_alliances_has_no_alliance_kpis() -> None:
    result = flexsim.run(flexsim.load_builtin("mm1", {"horizon_days": 600}), 1)
    assert "alliance" not in scenario_kpis(result.tables, result.scenario)
    assert result.tables["alliance_reviews"].empty


def test_flexsim_run_prints_the_alliance_kpis() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flexsim.cli", "run", str(SCENARIO), "--set", "horizon_days=100",
         "--set", "sellers.count=20"],
        capture_output=True, text=True, cwd=ROOT, check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert "Alliances" in done.stdout
    for text in ("survival_days", "censored", "withdrawn_day", "guild.large", "allocation"):
        assert text in done.stdout


# -- validation ----------------------------------------------------------------------------------

MEMBERS = [
    {"name": "large"}, {"name": "middle"}, {"name": "small"},
    {"name": "sellers", "role": "lead"}, {"name": "stitch", "role": "outside"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"alliances.guild.shares.large": 0.25}, "alliances.0.shares", "sum to 1.1"),
        ({"alliances.guild.shares": {"large": 1.0}}, "alliances.0.shares", "missing: middle"),
        ({"alliances.guild.shares.nobody": 0.0}, "alliances.0.shares.nobody", "unknown member"),
        ({"alliances.guild.rule": "cost"}, "alliances.0.shares", "for rule 'fixed'"),
        ({"alliances.guild.review_days": 400}, "alliances.0.review_days", "not shorter"),
        ({"alliances.guild.members.1.name": "huge"}, "alliances.0.members.1.name",
         "unknown member 'huge'"),
        ({"alliances.guild.members.4.name": "nowhere"}, "alliances.0.members.4.name",
         "a workshop of the scenario"),
        ({"alliances.guild.members.3.name": "buyers"}, "alliances.0.members.3.name",
         "called 'sellers'"),
        ({"alliances.guild.members.3.role": "boss"}, "alliances.0.members.3.role",
         "'core', 'lead' or 'outside'"),
        ({"alliances.guild.rule": "vote"}, "alliances.0.rule", "'fixed', 'cost'"),
        ({"alliances.guild.bad_periods": 0}, "alliances.0.bad_periods", "greater than or equal"),
        ({"alliances.guild.members": [{"name": "large"}, {"name": "sellers", "role": "lead"}],
          "alliances.guild.shares": {"large": 0.5, "sellers": 0.5}},
         "alliances.0.members", "at least 2 core members"),
        ({"alliances.guild.members": [*MEMBERS, {"name": "large"}]}, "alliances.0.members.5.name",
         "listed twice"),
    ],
)  # fmt: skip
def test_bad_alliance_input_gets_a_keyed_error(
    overrides: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(flexsim.ScenarioError) as error:
        scenario(overrides)
    text = str(error.value)
    assert key in text and message in text, text


def test_a_member_in_two_alliances_is_an_error() -> None:
    base = scenario()
    guild = base.model_dump(mode="python")["alliances"][0]
    second = {**guild, "name": "club", "members": [*MEMBERS[:2], {"name": "small"}]}
    second["shares"] = {"large": 0.4, "middle": 0.3, "small": 0.3}
    with pytest.raises(flexsim.ScenarioError) as error:
        base.with_overrides({"alliances": [guild, second]})
    text = str(error.value)
    assert "alliances.1.members.0.name" in text and "already a member of alliance 'guild'" in text


def test_more_than_12_members_under_shapley_is_an_error() -> None:
    factories = [
        {"name": f"f{i}", "lines": [{"name": "l", "unit_time_h": 0.01, "channels": ["ecommerce"]}]}
        for i in range(13)
    ]
    members = [{"name": f"f{i}"} for i in range(13)]
    alliance = {"name": "big", "members": members, "rule": "shapley"}
    with pytest.raises(flexsim.ScenarioError) as error:
        flexsim.load_builtin(
            "mm1", {"factories": factories, "customers": [], "alliances": [alliance]}
        )
    text = str(error.value)
    assert "alliances.0.members" in text and "at most 12 members" in text, text


def test_flexsim_run_turns_bad_alliance_input_into_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flexsim.cli", "run", str(SCENARIO), "--set",
         "alliances.guild.review_days=500"],
        capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "alliances.0.review_days" in done.stderr and "Traceback" not in done.stderr


def test_the_audit_reads_a_run_folder_from_before_alliances(tmp_path: Path) -> None:
    """A folder written before the alliance_reviews table existed is still a run's folder."""
    folder = tmp_path / "run"
    assert flexsim.cli.main(["run", "mm1", "--set", "horizon_days=600", "--out", str(folder)]) == 0
    (folder / "alliance_reviews.csv.gz").unlink()
    assert flexsim.cli.main(["audit", str(folder)]) == 0


# the large and the middle factory get 2 % of the pool each: both withdraw at one review,
# which leaves one core member, and the alliance ends
TWO_UNDERPAID = {
    **SMALL,
    "alliances.guild.shares": {
        "large": 0.02, "middle": 0.02, "small": 0.58, "sellers": 0.33, "stitch": 0.05,
    },
    "alliances.guild.outside_return": 0.1,
}  # fmt: skip


def test_a_factory_that_withdrew_takes_seller_orders_again_once_the_alliance_ends() -> None:
    """Withdrawal is from the alliance: while it goes on the sellers place the factory no new
    orders; once it has ended (fewer than 2 core members) the factories that withdrew are
    ordinary factories again, chosen by quote and reputation like any other."""
    result = flexsim.run(scenario(TWO_UNDERPAID), 1)
    reviews = result.tables["alliance_reviews"]
    gone = reviews[reviews["withdrawn"]]
    assert sorted(gone["member"]) == ["large", "middle"]
    ended = float(gone["end_at"].max())
    assert gone["end_at"].nunique() == 1 and reviews["end_at"].max() == ended  # no review after
    kpis = flexsim.metrics.scenario_kpis(result.tables, result.scenario)["alliance"]["guild"]
    assert kpis["survival_days"] == ended / HOURS_PER_DAY and kpis["censored"] == 0
    orders = result.tables["orders"]
    sellers = orders[orders["kind"].isin(SELLER_KINDS) & (orders["status"] != "refused")]
    after = sellers[sellers["placed_at"] >= ended]
    assert {"large", "middle"} <= set(after["factory"])
    items = result.tables["items"]
    later = items[items["launched_at"] >= ended]
    assert {"large", "middle"} & set(later["factory"])  # new items go to them too
