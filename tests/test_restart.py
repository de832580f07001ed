"""Restarting from an order book: a run's open orders at a day make a valid book, and a run
started from it at that day goes on as the long run did (the slow study: lead time and cash
flow from that day on, over 20 seeds)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flexsim.cli import main
from flexsim.restart import cash_at, order_book, restart_overrides, write_book
from flexsim.run import RunResult, run
from flexsim.scenario import Scenario, load_builtin
from flexsim.stats import mean_interval
from flexsim.vocabulary import CASH, HOURS_PER_DAY, INITIAL_CAPITAL, OFFLINE, factory_party

WHOLESALE = {"sellers.count": 0}  # tao-factory's offline business alone
DAY = 180


def restarted(
    long: RunResult, base: Scenario, folder: Path, seed: int, book: bool = True
) -> RunResult:
    """The run started at DAY from the long run's open orders (unless not `book`: the negative
    control, an empty factory) and cash then."""
    path = folder / f"book-{seed}.csv"
    write_book(order_book(long.tables, base, DAY), path)
    overrides = restart_overrides(base, DAY, path, cash_at(long.tables, base, DAY))
    if not book:
        overrides["order_book"] = ""
    return run(load_builtin("tao-factory", WHOLESALE | overrides), seed + 1000)


def lead_time_h(result: RunResult, from_h: float) -> float:
    """Mean placed → finished of the offline orders placed from `from_h` on and finished."""
    orders = result.tables["orders"]
    done = orders[
        (orders["placed_at"] >= from_h)
        & orders["finished_at"].notna()
        & (orders["kind"] == OFFLINE)
    ]
    return float((done["finished_at"] - done["placed_at"]).mean())


def cash_flow_per_day(result: RunResult, from_h: float) -> float:
    """The factory's mean net cash flow per day from `from_h` to the horizon (its owners'
    capital at time 0, the opening cash of a restarted run, is not a flow)."""
    ledger = result.tables["ledger"]
    books = ledger[
        (ledger["party"] == factory_party("fuchun"))
        & (ledger["at"] >= from_h)
        & (ledger["reason"] != INITIAL_CAPITAL)
    ]
    flow = books.loc[books["debit"] == CASH, "amount"].sum()
    flow -= books.loc[books["credit"] == CASH, "amount"].sum()
    return float(flow) / (result.scenario.horizon_h - from_h) * HOURS_PER_DAY


def test_a_book_from_a_run_restarts_it_and_the_restart_passes_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "long"
    short = ["--set", "sellers.count=0", "--set", "horizon_days=120", "--set", "warmup_days=10"]
    assert main(["run", *short, "--out", str(folder)]) == 0
    capsys.readouterr()
    assert main(["orderbook", str(folder), "--at-day", "60", "--out", str(tmp_path / "b.csv")]) == 0
    out = capsys.readouterr().out
    command = shlex.split(out.splitlines()[1])
    assert command[:3] == ["flexsim", "run", str(folder / "scenario.json")]
    assert main([*command[1:], "--out", str(tmp_path / "restart")]) == 0
    assert main(["audit", str(tmp_path / "restart")]) == 0  # conftest audits it too


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--at-day", "0"], "--at-day 0"), (["--at-day", "5", "--out", "/absent/b.csv"], "--out")],
)
def test_a_bad_day_or_file_is_one_paragraph(
    tmp_path: Path, args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "mm1",
                "--set",
                "horizon_days=20",
                "--set",
                "warmup_days=0",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    capsys.readouterr()
    out = ["--out", str(tmp_path / "b.csv")] if "--out" not in args else []
    assert main(["orderbook", str(folder), *args, *out]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"flexsim: error: {named}") and error.count("\n") == 1, error


@pytest.mark.slow
def test_a_run_restarted_at_a_day_from_its_open_orders_goes_on_as_the_long_run(
    tmp_path: Path,
) -> None:
    """Over 20 seeds, the long run's mean lead time and daily cash flow from DAY on lie inside
    the interval of the restarted runs' from their start, and the other way round; restarted
    with the same cash but without the book (the negative control), the cash flow falls
    outside: the receivables the book brings in are a large part of it."""
    base = load_builtin("tao-factory", WHOLESALE)
    measures: dict[str, list[list[float]]] = {
        "lead_time_h": [[], [], []],
        "cash_flow": [[], [], []],
    }
    for seed in range(1, 21):
        long = run(base, seed)
        again = restarted(long, base, tmp_path, seed)
        empty = restarted(long, base, tmp_path, seed, book=False)
        for k, (result, start_h) in enumerate(
            ((long, DAY * HOURS_PER_DAY), (again, 0.0), (empty, 0.0))
        ):
            measures["lead_time_h"][k].append(lead_time_h(result, start_h))
            measures["cash_flow"][k].append(cash_flow_per_day(result, start_h))
    for name, values in measures.items():
        a, b, control = (mean_interval(np.array(v)) for v in values)
        assert b.covers(a.mean) and a.covers(b.mean), f"{name}: long {a}, restarted {b}"
        if name == "cash_flow":  # a year's lead times barely remember the start's backlog
            assert not a.covers(control.mean), f"{name}: long {a}, without the book {control}"


def test_an_order_out_at_a_workshop_restarts_waiting_at_its_factory_on_no_line() -> None:
    scenario = load_builtin(
        "tao-factory", {"sellers.count": 0, "horizon_days": 120, "warmup_days": 10}
    )
    tables = dict(run(scenario, 1).tables)
    before = order_book(tables, scenario, 60)
    orders = tables["orders"].copy()
    at = 60 * HOURS_PER_DAY
    making = orders.index[(orders["setup_at"] < at) & ~(orders["finished_at"] < at)]
    assert len(making), "no order in production at day 60: the check would prove nothing"
    orders.loc[making[0], "line"] = "workshop/stitch"
    after = order_book(tables | {"orders": orders}, scenario, 60)
    changed = before.compare(after)
    assert len(changed) == 1  # that order alone, now waiting on no line
    row = after.loc[changed.index[0]]
    assert row["status"] == "waiting" and row["line"] == "" and np.isnan(row["hours_done"])
    assert before.loc[changed.index[0], "status"] == "in_production"


# -- alliances: a restart carries their state ---------------------------------------------------

GUILD = Path(__file__).resolve().parents[1] / "experiments" / "alliance" / "guild.toml"
# the guild's large factory gets 2 % of the pool: a bad period at day 30, withdrawn at day 60
UNDERPAID = {
    "horizon_days": 210.0,
    "sellers.count": 40,
    "alliances.guild.shares": {
        "large": 0.02, "middle": 0.3, "small": 0.3, "sellers": 0.33, "stitch": 0.05,
    },
    "alliances.guild.outside_return": 0.1,
}  # fmt: skip


@pytest.fixture(scope="module")
def guild_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("guild") / "run"
    sets = [arg for key, value in UNDERPAID.items() for arg in ("--set", f"{key}={value}")]
    sets = [s.replace("'", '"').replace(": ", " = ") for s in sets]  # the shares as TOML
    assert main(["run", str(GUILD), *sets, "--out", str(folder), "--quiet"]) == 0
    return folder


def restart_command(
    folder: Path, day: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """`flexsim orderbook FOLDER --at-day DAY`'s printed command, as arguments of main."""
    capsys.readouterr()
    book = str(tmp_path / f"book-{day}.csv")
    assert main(["orderbook", str(folder), "--at-day", str(day), "--out", book]) == 0
    return shlex.split(capsys.readouterr().out.splitlines()[1])[1:]


def test_a_restart_after_a_withdrawal_keeps_the_factory_out_of_the_alliance(
    guild_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = restart_command(guild_run, 90, tmp_path, capsys)
    assert "--set=alliances.guild.members.large.withdrawn=true" in command
    assert "--set=alliances.guild.first_review_days=30.0" in command  # reviews at 120, 150, …
    out = tmp_path / "restart"
    assert main([*command, "--out", str(out), "--quiet"]) == 0
    run_ = audit_read(out)
    reviews = run_.tables["alliance_reviews"]
    assert "large" not in set(reviews["member"])  # out from the start, never reviewed
    assert reviews["end_at"].min() == 30 * HOURS_PER_DAY
    orders = run_.tables["orders"]
    sellers = orders[orders["kind"].isin(["trial", "repeat"])]
    assert len(sellers) and not (sellers["factory"] == "large").any()


def test_a_restart_keeps_the_bad_periods_in_a_row(
    guild_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At day 45 the large factory has had one bad period of the two that make it withdraw:
    the restart's first review, 15 days in (day 60 of the long run), is its second."""
    command = restart_command(guild_run, 45, tmp_path, capsys)
    assert "--set=alliances.guild.members.large.bad_streak=1" in command
    assert "--set=alliances.guild.first_review_days=15.0" in command
    out = tmp_path / "restart"
    assert main([*command, "--out", str(out), "--quiet"]) == 0
    reviews = audit_read(out).tables["alliance_reviews"]
    first = reviews[reviews["end_at"] == reviews["end_at"].min()]
    assert first["end_at"].iloc[0] == 15 * HOURS_PER_DAY
    large = first[first["member"] == "large"]
    assert bool(large["bad"].iloc[0]) and bool(large["withdrawn"].iloc[0])  # 1 + 1 = 2 bad


def test_alliance_state_of_an_alliance_that_ended_starts_it_ended() -> None:
    """Two of the three core members gone by the day: the restart starts the alliance over,
    so its withdrawn factories take the sellers' orders (docs/scenario.md, Alliances)."""
    import flexsim
    from flexsim.restart import alliance_state

    scenario = flexsim.load(GUILD, UNDERPAID)
    reviews = pd.DataFrame(
        {
            "alliance": ["guild"] * 3,
            "member": ["large", "middle", "small"],
            "end_at": [720.0] * 3,
            "bad": [True, True, False],
            "withdrawn": [True, True, False],
        }
    )
    state = alliance_state(reviews, scenario.with_overrides({"alliances.guild.bad_periods": 1}), 40)
    assert state["alliances.guild.members.large.withdrawn"] is True
    assert state["alliances.guild.members.middle.withdrawn"] is True
    restarted_ = flexsim.load(GUILD, UNDERPAID | state | {"horizon_days": 100})
    assert restarted_.alliances[0].ended()
    result = flexsim.run(restarted_, 1)
    assert result.tables["alliance_reviews"].empty  # no reviews: the alliance is over
    orders = result.tables["orders"]
    assert {"large", "middle"} & set(orders.loc[orders["kind"] == "trial", "factory"])


def test_bad_alliance_state_gets_a_keyed_error() -> None:
    import flexsim
    from flexsim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"alliances\.0\.members\.0\.bad_streak"):
        flexsim.load(GUILD, {"alliances.guild.members.large.bad_streak": 3})
    with pytest.raises(ScenarioError, match=r"alliances\.0\.members\.4\.withdrawn"):
        flexsim.load(GUILD, {"alliances.guild.members.stitch.withdrawn": True})


def audit_read(folder: Path) -> Any:
    from flexsim.audit import read_run

    return read_run(folder)
