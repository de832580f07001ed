"""Robustness: input a careless or hostile user could give is refused in one paragraph with exit 2
before any work, runs with nothing in them finish, and a run whose clock stops is stopped by the
engine's guard with its tables kept. Each test below began as a reproduction of a failure (a
traceback, a hang, memory exhausted, or a silently accepted key); each class's bound is in
flexsim/limits.py and docs/scenario.md."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flexsim
from flexsim import limits, metrics, results
from flexsim.cli import Interrupted, main
from flexsim.model.timer import Environment
from flexsim.records import COLUMN_TYPES
from flexsim.run import Guard, Runaway, run
from flexsim.scenario import ScenarioError, load, load_builtin

WriteScenario = Callable[..., Path]
CUSTOMER = '\n[[customers]]\nname = "shop"\nfactory = "plant"\nquantity = 1\n'
MEMORY = 2 * 2**30  # address space a child process may take: ample for a refusal, not for a leak
engine = importlib.import_module("flexsim.run")  # the module; flexsim.run is its function


def flexsim_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a child process whose memory and time are capped, so that a regression
    (reading /dev/zero, expanding a huge count) fails the test instead of the machine."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    return subprocess.run(
        [sys.executable, "-m", "flexsim.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        preexec_fn=cap_memory,
    )


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    """Run the command, which must exit 2 with one error paragraph holding the fragments."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flexsim: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


# ── 1. empty is valid ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "overrides",
    [
        {"horizon_days": 1, "warmup_days": 0},  # no order placed yet
        {"sellers.launches_per_week": 0, "customers.0.interarrival_days": 1e5},  # no demand
        {"sellers.count": 0, "customers.0.count": 1, "customers.0.factory_price": 0.0},
    ],
)
def test_a_run_without_orders_finishes_and_reports_empty_kpis(
    overrides: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to end in a TypeError while computing lead times."""
    sets = [f"--set={key}={value}" for key, value in ({"horizon_days": 20} | overrides).items()]
    assert main(["run", "tao-factory", *sets, "--set=warmup_days=0"]) == 0
    out = capsys.readouterr().out
    # lead times are shown, or the report says why it leaves them out: never a failure
    assert "Lead time in hours" in out or "with nothing to show: lead time (no order placed" in out
    assert "Traceback" not in out


def test_a_scenario_without_buyers_runs_and_its_folder_reads_back(
    write_scenario: WriteScenario, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(write_scenario()), "--out", str(out)]) == 0
    tables = results.read_tables(out)
    assert tables["orders"].empty and tables["items"].empty
    for name, types in COLUMN_TYPES.items():  # typed as the run made them, rows or none
        assert {c: str(t) for c, t in tables[name].dtypes.items()} == types | {
            c: str(t) for c, t in tables[name].dtypes.items() if not tables[name].empty
        }
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["lead_time"] == {} and kpis["orders"]["placed"] == 0


def empty_tables() -> dict[str, pd.DataFrame]:
    return {
        name: pd.DataFrame({c: pd.Series(dtype=t) for c, t in types.items()})
        for name, types in COLUMN_TYPES.items()
    }


METRICS: dict[str, Callable[[dict[str, pd.DataFrame]], object]] = {
    "finished_orders": lambda t: metrics.finished_orders(t["orders"], 0.0),
    "lead_times": lambda t: metrics.lead_times(t["orders"], 0.0, t["items"]),
    "state_durations": lambda t: metrics.state_durations(t["line_states"], 0.0, 24.0),
    "utilisation": lambda t: metrics.utilisation(t["line_states"], 0.0, 24.0),
    "lines_together": lambda t: metrics.lines_together(
        metrics.utilisation(t["line_states"], 0.0, 24.0)
    ),
    "order_counts": lambda t: metrics.order_counts(t["orders"]),
    "booked_shares": lambda t: metrics.booked_shares(t["capacity"], 0.0, 24.0),
    "party_money": lambda t: metrics.party_money(t["ledger"], 0.0, 24.0, 0.1),
    "combined_money": lambda t: metrics.combined_money(
        metrics.party_money(t["ledger"], 0.0, 24.0), ["factory/x"], 1.0
    ),
    "cash_cycle": lambda t: metrics.cash_cycle(t["ledger"], "factory/x", 0.0, 24.0),
    "cash_to_cash": lambda t: metrics.cash_to_cash(
        t["ledger"], t["orders"], "factory/x", 0.0, 24.0
    ),
    "cash_to_cash_days": lambda t: metrics.cash_to_cash_days(
        t["ledger"], t["orders"], ["factory/x"], 0.0, 24.0
    ),
    "cash_positions": lambda t: metrics.cash_positions(t["ledger"], 24.0),
    "seller_money": lambda t: metrics.seller_money(t["ledger"], 0.0, 24.0, 0.1),
    "vouchers_outstanding_max": lambda t: metrics.vouchers_outstanding_max(
        t["orders"], t["ledger"]
    ),
    "seller_kpis": lambda t: metrics.seller_kpis(t, 0.0, 24.0),
    "item_timing": lambda t: metrics.item_timing(t["items"], t["orders"]),
    "seller_factories": lambda t: metrics.seller_factories(t, 0.0),
    "subcontracting": lambda t: metrics.subcontracting(t["orders"], t["line_states"], 0.0, 24.0),
    "alliance_kpis": lambda t: metrics.alliance_kpis(t["alliance_reviews"], 0.0, 24.0),
    "station_kpis": lambda t: metrics.station_kpis(t["steps"], t["line_states"], 0.0, 24.0),
    "sample_kpis": lambda t: metrics.sample_kpis(t["items"]),
    "cash_cycles": lambda t: metrics.cash_cycles(t, 0.0, 24.0, 0.1),
    "with_factory_sums": lambda t: metrics.with_factory_sums(
        metrics.cash_cycles(t, 0.0, 24.0, 0.1)
    ),
    "kpis": lambda t: metrics.kpis(t, 0.0, 24.0, 0.1),
    "kpi_row": lambda t: metrics.kpi_row(metrics.kpis(t, 0.0, 24.0)),
    "scenario_kpis": lambda t: metrics.scenario_kpis(
        t, load_builtin("mm1", {"horizon_days": 1.0, "warmup_days": 0.0})
    ),
    "split_kpi_name": lambda t: metrics.split_kpi_name("orders.placed"),
    "backlog": lambda t: metrics.backlog(t["orders"], 24.0),
    "peak_service": lambda t: metrics.peak_service(t["orders"], [(0.0, 12.0)], 24.0),
}


def test_every_metric_is_listed_here() -> None:
    """Every public function of the metrics package's modules, each one also a name of
    flexsim.metrics itself."""
    modules = [metrics] + [
        importlib.import_module(f"{metrics.__name__}.{info.name}")
        for info in pkgutil.iter_modules(metrics.__path__)
    ]
    public = {
        name
        for module in modules
        for name, value in vars(module).items()
        if callable(value)
        and getattr(value, "__module__", None) == module.__name__
        and not name.startswith("_")
    }
    assert public == set(METRICS)
    assert all(getattr(metrics, name, None) is not None for name in public)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_takes_empty_tables(name: str) -> None:
    METRICS[name](empty_tables())  # the seller_money filter once took an empty mask for columns


def test_the_kpis_of_empty_tables_say_there_is_nothing() -> None:
    kpis = metrics.kpis(empty_tables(), 0.0, 24.0)
    assert kpis["lead_time"] == {} and kpis["cash_cycle"] == {}
    assert kpis["sellers"]["fill_rate"] is None and kpis["orders"]["placed"] == 0


# ── 2. time always advances ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("customers.0.interarrival_days=0", "customers.0.interarrival_days"),
        ('customers.0.interarrival_days={dist="uniform",low=0,high=1e-9}', "interarrival_days"),
        ("finance.interest_days=1e-9", "finance.interest_days"),
        (
            "factories.0.lines.0.breakdowns={between_failures_h=0,repair_h=0}",
            "breakdowns.between_failures_h",
        ),
        ("factories.0.sample_room.max_remakes=1000000000", "sample_room.max_remakes"),
        ("sellers.launches_per_week=1e9", "sellers.launches_per_week"),
    ],
)
def test_what_would_stop_the_clock_is_refused_by_check(
    setting: str, key: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """These passed `flexsim check`, then the run looped for ever, its memory growing."""
    path = write_scenario(append=CUSTOMER)
    refused(["check", str(path), "--set", setting], capsys, str(path), key)


STALLING = '[sellers]\ncount = 2\nfactory = "plant"\nsize = 1e12\n'
"""Sellers whose launches come far faster than any clock can follow: `size` multiplies the
launch rate by a draw, which validation cannot bound (its mean is within the limits)."""


def test_the_guard_stops_a_run_whose_clock_stops_and_keeps_its_tables(
    write_scenario: WriteScenario,
) -> None:
    scenario = load(write_scenario(append=STALLING))
    with pytest.raises(Runaway) as info:
        run(scenario, 1, guard=Guard(at_one_instant=5_000, per_hour=10_000, every=100))
    message = str(info.value)
    assert "seed 1" in message and "10,000 within one simulated hour" in message
    assert isinstance(info.value, ScenarioError)  # the CLI's exit 2
    assert info.value.result is not None
    tables = info.value.result.tables
    assert len(tables["items"]) > 1_000  # the launches so far, recorded at the stop


def test_the_guard_counts_events_at_one_instant() -> None:
    """A process that never lets the clock move trips the instant rule."""
    env = Environment()
    env.call_in(10.0, engine._reach_horizon)

    def spin() -> Any:
        while True:
            yield env.timeout(0)

    env.process(spin())
    why = engine._simulate(env, Guard(1_000, 10**9, 10), [])
    assert why.startswith("the clock stopped at 0 h: more than 1,000 events"), why


def test_the_guard_lets_a_sound_run_reach_its_horizon() -> None:
    scenario = load_builtin("mm1", {"horizon_days": 300, "warmup_days": 0})
    tight = run(scenario, 1, guard=Guard(at_one_instant=20, per_hour=40, every=10))
    assert tight.tables["orders"].equals(run(scenario, 1).tables["orders"])


def test_the_default_guard_grows_with_the_buyers() -> None:
    small = Guard.of(load_builtin("mm1"))
    assert (small.at_one_instant, small.per_hour) == (
        limits.GUARD_MIN_EVENTS,
        2 * limits.GUARD_MIN_EVENTS,
    )
    big = Guard.of(load_builtin("tao-factory", {"sellers.count": 20_000}))
    assert big.at_one_instant == limits.GUARD_EVENTS_PER_BUYER * (20_000 + 3)


def test_run_out_keeps_the_stopped_runs_tables_in_the_partial_folder(
    write_scenario: WriteScenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_scenario(append=STALLING)
    out = tmp_path / "D"
    monkeypatch.setattr(engine, "GUARD_MIN_EVENTS", 2_000)  # trips in a moment
    err = refused(["run", str(path), "--out", str(out)], capsys, "4,000 within one simulated")
    assert err.rstrip().endswith(f"partial results kept in {out}.partial/")
    partial = tmp_path / "D.partial"
    assert not out.exists() and "Runaway" in (partial / "PARTIAL").read_text()
    assert not (partial / "manifest.json").exists()  # a manifest marks complete results
    tables = results.read_tables(partial)
    assert set(tables) == set(COLUMN_TYPES) and len(tables["items"]) > 1_000
    assert json.loads((partial / "scenario.json").read_text())["name"] == "tiny"


def test_a_signal_inside_a_model_process_survives_simpy_rebuilding_it() -> None:
    """SimPy re-raises an exception from a process as type(error)(*error.args); Interrupted
    took a signal number and gave a name, so SIGTERM during a seller's launch was a
    traceback ("'SIGTERM' is not a valid Signals") instead of exit 143."""
    env = Environment()

    def stopped() -> Any:
        yield env.timeout(1)
        raise Interrupted(signal.SIGTERM)

    env.process(stopped())
    with pytest.raises(Interrupted) as info:
        env.run()
    assert info.value.signal == signal.SIGTERM and str(info.value) == "SIGTERM"


# ── 3. bounded resources before any work ──────────────────────────────────────────────────────


def test_a_huge_count_is_refused_before_it_is_expanded(write_scenario: WriteScenario) -> None:
    """Building the names of 10¹⁰ sellers exhausted memory while the file was being loaded (a
    child process, memory capped)."""
    path = write_scenario()
    huge = ["--set=sellers.count=10000000000", "--set=sellers.factory=plant"]
    done = flexsim_cli("check", str(path), *huge, cwd=path.parent)
    assert done.returncode == 2, done.stderr
    assert "sellers.count: Input should be less than or equal to 100000" in done.stderr


@pytest.mark.parametrize("key", ["count", "styles_per_family"])
def test_a_huge_customer_count_is_refused(
    key: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(append=CUSTOMER)
    setting = f"customers.0.{key}=10000000000"
    refused(["check", str(path), "--set", setting], capsys, f"customers.0.{key}")


def test_counts_together_are_bounded(write_scenario: WriteScenario) -> None:
    big = limits.MAX_BUYERS // 2 + 1
    path = write_scenario(append=CUSTOMER + f"count = {big}\n")
    with pytest.raises(ScenarioError, match=r"100,000 in all"):
        load(path, {"sellers.count": big, "sellers.factory": "plant"})
    with pytest.raises(ScenarioError, match=r"1,000,000 in all"):
        load(path, {"customers.0.count": 1_000, "customers.0.styles_per_family": 1_001})


def test_the_limits_admit_a_village_of_10000_sellers_and_50_factories() -> None:
    tao = load_builtin("tao-factory").model_dump(mode="python")
    tao["factories"] = [tao["factories"][0] | {"name": f"f{i}"} for i in range(50)]
    tao["customers"] = [c | {"factory": "f0"} for c in tao["customers"]]
    tao["sellers"] |= {"count": 10_000, "factory": None, "factories": ["f0", "f49"]}
    assert flexsim.scenario.validate(tao, "village").sellers.count == 10_000


def test_check_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    """`flexsim check /dev/zero` read until memory ran out (a child process, memory capped)."""
    done = flexsim_cli("check", "/dev/zero", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: is a character device, not a regular file" in done.stderr


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("folder", lambda p: p.mkdir(), "is a folder, not a regular file"),
        ("pipe.toml", os.mkfifo, "is a pipe, not a regular file"),  # open() would wait
        ("big.toml", lambda p: p.write_bytes(b"#" * (limits.MAX_FILE_BYTES + 1)), "at most"),
        (
            "deep.toml",
            lambda p: p.write_text("a = " + "{b = " * 5000 + "1" + "}" * 5000),
            "32 deep",
        ),
        ("deep.json", lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nest more than 32"),
        ("digits.toml", lambda p: p.write_text("a = " + "9" * 5000), "4,300 digits"),
    ],
)
def test_unreadable_or_oversized_files_are_refused_within_the_limits(
    name: str,
    make: Callable[[Path], object],
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Deep nesting raised RecursionError; a 5,000-digit integer raised Python's ValueError."""
    path = tmp_path / name
    make(path)
    for command in ("check", "run"):
        refused([command, str(path)], capsys, f"{path}: ", fragment)


def test_an_experiment_file_is_read_within_the_same_limits(tmp_path: Path) -> None:
    deep = tmp_path / "study.toml"
    deep.write_text("[experiment]\nname = 'x'\n[factors]\n" + '"a" = ' + "[" * 500 + "]" * 500)
    with pytest.raises(ScenarioError, match="32 deep"):
        flexsim.experiment.load_experiment(deep)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf[experiment]\nname = 'x'\nscenario = 'mm1'\n")
    assert flexsim.experiment.load_experiment(bom).settings.name == "x"


def test_a_design_too_large_is_refused_before_a_point_is_made(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    values = list(range(200))
    study.write_text(
        f"[experiment]\nname = 'x'\nscenario = 'mm1'\n[factors]\n"
        f'"horizon_days" = {values}\n"warmup_days" = {values}\n'
    )
    with pytest.raises(ScenarioError, match="40,000 design points; at most 10,000"):
        flexsim.experiment.load_experiment(study)


def test_a_large_invalid_file_makes_a_short_message(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 3 MB file with 80,000 bad values made a 5.7 MB message (here a tenth of it)."""
    bad = "".join(
        f'\n[[customers]]\nname = "c{i}"\nfactory = "plant"\ncount = -1\nquantity = -1\n'
        for i in range(4_000)
    )
    path = write_scenario(append=bad)
    err = refused(["check", str(path)], capsys, "8,000 problems", "and 7,995 more")
    assert len(err) < limits.MAX_PROBLEMS * limits.MAX_PROBLEM_CHARS
    long_key = write_scenario(append="x" * 4_000_000 + " = 1\n")
    assert len(refused(["check", str(long_key)], capsys, "unknown key")) < 1_000


@pytest.mark.parametrize("jobs", ["0", "100000"])
def test_jobs_beyond_the_cores_are_refused(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--jobs 100000` forked a hundred thousand workers."""
    refused(["run", "mm1", "--replications", "2", "--jobs", jobs], capsys, "--jobs must be")


# ── 4. every number that passes check runs ─────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("dist", "key"),
    [
        ('{dist="gamma",mean=1,cv=1e-200}', "cv"),  # ZeroDivisionError in the draw
        ('{dist="lognormal",mean=1,cv=1e200}', "cv"),  # OverflowError
        ('{dist="poisson",mean=1e20}', "mean"),  # numpy: lam value too large
        ('{dist="uniform_int",low=0,high=100000000000000000000}', "high"),  # past int64
        ('{dist="erlang",k=100000000000000000000,mean=1}', "k"),
        ('{dist="exponential",mean=1e300}', "mean"),
    ],
)
def test_extreme_distribution_parameters_are_refused_by_check(
    dist: str, key: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(append=CUSTOMER)
    refused(["check", str(path), "--set", f"customers.0.quantity={dist}"], capsys, key)


def test_a_run_may_end_on_the_last_date_there_is(write_scenario: WriteScenario) -> None:
    """Overtime counts calendar months; the month after December 9999 raised ValueError."""
    calendar = '\n[calendars.day]\nshifts = [{ start = "08:00", end = "17:00" }]\n'
    path = write_scenario(
        (
            "unit_time_h = 0.5",
            'unit_time_h = 0.5\ncalendar = "day"\novertime = '
            "{ hours_per_day = 2, hours_per_month = 10 }",
        ),
        append=calendar + CUSTOMER,
    )
    scenario = load(path, {"start_date": "9999-10-01", "horizon_days": 92, "warmup_days": 0})
    assert run(scenario, 1).tables["orders"]["placed_at"].max() < scenario.horizon_h
    with pytest.raises(ScenarioError, match="runs past the last date there is, 9999-12-31"):
        load(path, {"start_date": "9999-10-01", "horizon_days": 92.5})


@pytest.mark.parametrize("index", ["²", "١", "1٠", "-1", "0x0"])
def test_an_index_that_is_not_ascii_digits_names_no_element(
    index: str, write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """'²'.isdigit() is True and int('²') raises ValueError; '١' is int 1."""
    path = write_scenario()
    refused(["check", str(path), "--set", f"factories.0.lines.{index}.name=x"], capsys, index)


def test_a_key_naming_a_factory_that_does_not_exist_is_refused(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    """sellers.choice.price_factors was accepted whatever factory it named."""
    path = write_scenario(append='[sellers]\ncount = 2\nfactory = "plant"\n')
    refused(
        ["check", str(path), "--set", "sellers.choice.price_factors={ plnat = 1.2 }"],
        capsys,
        "choice.price_factors: 'plnat' is not a factory the sellers buy from; they buy from plant",
    )
    assert main(["check", str(path), "--set", "sellers.choice.price_factors={ plant = 1.2 }"]) == 0


def test_warmup_series_must_name_a_line_of_the_base_scenario(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(
        "[experiment]\nname = 'x'\nscenario = 'mm1'\nwarmup = 'auto'\n"
        "warmup_series = 'busy:plant.lnie'\n"
    )
    with pytest.raises(ScenarioError, match="factory 'plant' has no line 'lnie'; its lines: line"):
        flexsim.experiment.load_experiment(study)


def test_a_byte_order_mark_is_ignored_and_utf16_is_named(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UTF-8 BOM gave "Invalid statement (at line 1, column 1)" without naming it."""
    text = write_scenario().read_text()
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load(bom).name == "tiny"
    wide = tmp_path / "wide.toml"
    wide.write_bytes(text.encode("utf-16"))
    refused(["check", str(wide)], capsys, "is UTF-16 text", "save it as UTF-8")
