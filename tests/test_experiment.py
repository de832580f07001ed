"""Experiments: files expanded into design points, clear errors for bad ones, common random
numbers, sequential replication and the automatic warm-up, on the M/M/1 built-in (fast)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import flexsim
from flexsim import metrics, stats
from flexsim.experiment import (
    ExperimentError,
    experiment_from,
    load_experiment,
    run_experiment,
)
from flexsim.experiment.execute import daily_series
from flexsim.run import RunResult

SHORT = {"horizon_days": 2000, "warmup_days": 100}
SLOWER = {"factories.plant.lines.line.unit_time_h.mean": 27.0}
GRID = """\
[experiment]
name = "grid"
scenario = "mm1"
set = { "horizon_days" = 300, "warmup_days" = 30 }
replications = 2
kpis = ["lead_time.offline.mean_h"]

[factors]
"customers.poisson.interarrival_days.mean" = [1.25, 2.0]

[variants.base]

[variants.slower]
"factories.plant.lines.line.unit_time_h.mean" = 27.0

[variants.slower.factors]
"customers.poisson.due_days" = [500, 1000, 2000]
"""


def write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_expands_into_variants_times_their_factors(tmp_path: Path) -> None:
    """2 global levels × (base + slower × 3 own levels) = 8 points; a point's scenario carries
    the file's `set`, its variant's keys and its factor levels."""
    plan = load_experiment(write(tmp_path, GRID))
    assert len(plan.points) == 2 * (1 + 3)
    assert plan.baseline == "base" and plan.kpis == ["lead_time.offline.mean_h"]
    key = "customers.poisson.interarrival_days.mean"
    slower = [p for p in plan.points if p.variant == "slower"]
    assert {p.factors["customers.poisson.due_days"] for p in slower} == {500, 1000, 2000}
    point = slower[-1]
    assert point.scenario.horizon_days == 300
    assert point.scenario.factories[0].lines[0].unit_time_h.expectation == 27.0
    assert point.scenario.customers[0].interarrival_days.expectation == point.factors[key]
    assert point.label == "slower customers.poisson.due_days=2000"
    assert {p.cell for p in plan.points} == {(1.25,), (2.0,)}
    # the base scenario (what scenario.json holds) has the `set` but no variant or factor
    assert plan.base == flexsim.load_builtin("mm1").with_overrides(
        {"horizon_days": 300, "warmup_days": 30}
    )
    assert all(p.scenario != plan.base for p in plan.points if p.variant == "slower")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('"factories.plant.lines.line.unit_time_h.mean" = 27.0', "factories.plant = 1"),
            "variants.slower.factories: a nested table",
        ),
        (("replications = 2", "replicatons = 2"), "unknown key 'replicatons' (did you mean"),
        (("replications = 2", "replications = 1"), "experiment.replications"),
        (('"lead_time.offline.mean_h"', '"lead_time"'), "experiment.kpis"),
        (("= [1.25, 2.0]", "= 1.25"), "factors.customers.poisson.interarrival_days.mean"),
        (('name = "grid"', 'name = "grid"\nbaseline = "nope"'), "no variant 'nope'"),
        (('name = "grid"', 'name = "grid"\nbaseline = "slower"'), "has no factors of its own"),
        (("27.0", "-1.0"), "variant 'slower'"),
        (('name = "grid"', 'name = "grid"\nwarmup = "auto"'), "warmup_series"),
        (('scenario = "mm1"', 'scenario = "nope.toml"'), "nope.toml"),
    ],
)
def test_a_bad_file_is_one_error_naming_the_file_and_key(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    old, new = edit
    assert old in GRID
    path = write(tmp_path, GRID.replace(old, new))
    with pytest.raises(ExperimentError) as error:
        load_experiment(path)
    text = str(error.value)
    assert message in text and "\n" not in text, text
    assert str(path) in text or "nope.toml" in text, text


NAMED = """\
[names]
plant = "plant"
line = "line"
customer = "poisson"

[experiment]
name = "named"
scenario = "mm1"
set = { "horizon_days" = 300, "warmup_days" = 30 }
replications = 2
kpis = ["utilisation.{plant}.{line}.busy_of_open"]
warmup_series = "busy:{plant}.{line}"
sequential = { kpis = ["utilisation.{plant}.{line}.busy_of_open"] }

[factors]
"customers.{customer}.interarrival_days.mean" = [1.25, 2.0]

[variants.base]

[variants.slower]
"factories.{plant}.lines.{line}.unit_time_h.mean" = 27.0

[variants.slower.factors]
"customers.{customer}.due_days" = [500, 1000]
"""


def test_names_declared_once_fill_every_key_and_kpi(tmp_path: Path) -> None:
    """The `[names]` placeholders give the same design as the file written out in full."""
    plan = load_experiment(write(tmp_path, NAMED))
    full = NAMED.split("[experiment]")[1]
    for name, value in (("plant", "plant"), ("line", "line"), ("customer", "poisson")):
        full = full.replace("{" + name + "}", value)
    spelt = load_experiment(write(tmp_path, "[experiment]" + full, "full.toml"))
    assert plan.kpis == ["utilisation.plant.line.busy_of_open"] == spelt.kpis
    assert plan.settings.warmup_series == "busy:plant.line"
    assert plan.factor_keys == spelt.factor_keys
    assert [p.scenario for p in plan.points] == [p.scenario for p in spelt.points]
    assert plan.points[-1].scenario.factories[0].lines[0].unit_time_h.expectation == 27.0


def test_an_undefined_name_is_an_error_naming_where(tmp_path: Path) -> None:
    path = write(tmp_path, NAMED.replace(".{line}.unit_time_h", ".{lin}.unit_time_h"))
    with pytest.raises(ExperimentError) as error:
        load_experiment(path)
    text = str(error.value)
    assert str(path) in text and "variants.slower." in text and "{lin}" in text, text
    assert "did you mean 'line'" in text and "\n" not in text, text


def test_a_kpi_absent_from_the_first_run_is_kept_when_others_have_it(tmp_path: Path) -> None:
    """The first design point delivers nothing, so its runs have no lead times: the named lead
    time is no typo, and is summarised from the points that have it."""
    text = GRID.replace(
        "[variants.base]",
        '[variants.stuck]\n"factories.plant.lines.line.unit_time_h.mean" = 1e6\n\n[variants.base]',
    ).replace('[factors]\n"customers.poisson.interarrival_days.mean" = [1.25, 2.0]', "")
    result = run_experiment(load_experiment(write(tmp_path, text)))
    rows = result.summary.set_index("variant")
    assert rows.loc["stuck", "n"] == 0 and rows.loc["base", "n"] == 2
    misspelt = text.replace('"lead_time.offline.mean_h"', '"lead_time.offline.mean_hh"')
    with pytest.raises(ExperimentError, match=r"did you mean 'lead_time\.offline\.mean_h'"):
        run_experiment(load_experiment(write(tmp_path, misspelt)))


def test_a_nested_table_error_suggests_the_quoted_key(tmp_path: Path) -> None:
    text = GRID.replace(
        '"factories.plant.lines.line.unit_time_h.mean" = 27.0',
        "factories.plant.lines.line.unit_time_h.mean = 27.0",
    )
    quoted = r'"factories\.plant\.lines\.line\.unit_time_h\.mean" ='
    with pytest.raises(ExperimentError, match=quoted):
        load_experiment(write(tmp_path, text))


def test_variants_see_common_random_numbers() -> None:
    """A variant that changes nothing the model draws from gives exactly the baseline's KPIs
    run by run (same seeds, same streams): its paired difference is 0 with zero width."""
    plan = experiment_from(
        "mm1",
        {"base": {}, "same": {"description": "relabelled"}, "slower": SLOWER},
        replications=3,
        set=SHORT,
        kpis=["lead_time.offline.mean_h", "utilisation.plant.line.processing"],
    )
    result = run_experiment(plan)
    runs = result.runs.set_index(["variant", "replication"])["lead_time.offline.mean_h"]
    assert (runs["same"] == runs["base"]).all()
    assert list(result.runs["seed"].unique()) == [1, 2, 3]
    summary = result.summary.set_index(["kpi", "variant"])
    same = summary.loc[("lead_time.offline.mean_h", "same")]
    assert same["diff_mean"] == 0 and same["diff_half_width"] == 0
    busier = summary.loc[("utilisation.plant.line.processing", "slower")]
    assert busier["verdict"] == "higher", busier  # the same orders, each 12.5 % longer


def test_a_misspelt_kpi_fails_naming_the_closest(tmp_path: Path) -> None:
    plan = experiment_from("mm1", {}, replications=2, set=SHORT, kpis=["lead_time.offline.mean"])
    with pytest.raises(ExperimentError, match=r"did you mean 'lead_time\.offline\.mean_h'"):
        run_experiment(plan)


def test_sequential_replication_stops_when_precise_and_at_the_maximum() -> None:
    """Batches of max(jobs, 2) = 2 per round to every point: a loose target stops at the first
    interval that meets it; an impossible one runs to the maximum."""
    loose = {"target": 0.5, "max": 12, "kpis": ["lead_time.offline.mean_h"]}
    plan = experiment_from(
        "mm1", {"base": {}, "slower": SLOWER}, replications=2, set=SHORT, sequential=loose
    )
    result = run_experiment(plan)
    reps = int(result.runs["replication"].nunique())
    assert reps < 12 and reps % 2 == 0
    values = {
        name: group["lead_time.offline.mean_h"].to_numpy()
        for name, group in result.runs.groupby("variant")
    }
    assert not stats.needs_more(values, "base", 0.5, 0.0)
    short = {name: v[: reps - 2] for name, v in values.items()}
    assert reps == 2 or stats.needs_more(short, "base", 0.5, 0.0)  # it stopped at the first
    strict = loose | {"target": 1e-6, "max": 6}
    plan = experiment_from("mm1", {}, replications=2, set=SHORT, sequential=strict)
    assert run_experiment(plan).runs["replication"].nunique() == 6


def test_automatic_warm_up_is_one_point_for_all_variants_never_below_the_terms() -> None:
    """The pilot's MSER-5 point of each variant is reported; every run is measured from the
    largest of them (at least the longest payment term, here 0)."""
    plan = experiment_from(
        "mm1",
        {"base": {}, "slower": SLOWER},
        replications=2,
        set={"horizon_days": 2000, "warmup_days": 0},
        warmup="auto",
        warmup_series="busy:plant.line",
        kpis=["utilisation.plant.line.processing"],
    )
    result = run_experiment(plan)
    assert result.warmup is not None
    assert set(result.warmup.by_variant) == {"base", "slower"}
    assert result.warmup.point == max(result.warmup.by_variant.values())
    assert result.warmup.point < 1000
    busy = result.runs.groupby("variant")["utilisation.plant.line.processing"].mean()
    assert busy["slower"] > busy["base"]


def raise_on_seed_two(result: RunResult) -> float:
    """A measure that fails in one run: the experiment must record it and go on."""
    if result.seed == 2:
        raise RuntimeError("no such luck")
    return 1.0


def test_a_run_that_raises_is_recorded_and_the_others_go_on() -> None:
    plan = experiment_from("mm1", {}, replications=3, set=SHORT, kpis=["orders.placed"])
    result = run_experiment(plan, measures={"flaky": raise_on_seed_two})
    assert [o.seed for o in result.failed] == [2]
    assert "RuntimeError: no such luck" in result.failed[0].error
    assert list(result.runs["seed"]) == [1, 3]


def test_replicate_and_compare_are_the_top_level_api() -> None:
    result = flexsim.experiment.replicate(
        flexsim.load_builtin("mm1", SHORT), 3, kpis=["lead_time.offline.mean_h"]
    )
    assert len(result.runs) == 3 and result.value("base", "lead_time.offline.mean_h") > 0
    compared = flexsim.experiment.compare("mm1", {"slower": SLOWER | SHORT}, replications=3)
    assert set(compared.runs["variant"]) == {"base", "slower"}


def test_summary_recomputed_from_the_runs_table() -> None:
    """Each summary row's mean, interval and paired difference, recomputed from runs.csv with
    scipy directly."""
    from scipy import stats as scipy_stats

    plan = experiment_from("mm1", {"base": {}, "slower": SLOWER}, replications=4, set=SHORT)
    result = run_experiment(plan)
    kpi = "lead_time.offline.mean_h"
    runs = result.runs.pivot(index="seed", columns="variant", values=kpi)
    diff = runs["slower"] - runs["base"]
    t = scipy_stats.t.ppf(0.975, len(diff) - 1)
    row = result.summary[(result.summary["variant"] == "slower") & (result.summary["kpi"] == kpi)]
    assert row["mean"].iloc[0] == pytest.approx(runs["slower"].mean())
    assert row["diff_mean"].iloc[0] == pytest.approx(diff.mean())
    half = t * diff.std(ddof=1) / math.sqrt(len(diff))
    assert row["diff_half_width"].iloc[0] == pytest.approx(half)
    assert isinstance(result.runs, pd.DataFrame)


def test_the_daily_busy_series_equals_the_busy_share_of_each_day() -> None:
    """The warm-up series, computed at once for all days, against metrics.utilisation day by
    day; the waiting series against a count of the orders table at each day's end."""
    scenario = flexsim.load_builtin("tao-factory", {"horizon_days": 60, "warmup_days": 10})
    result = flexsim.run(scenario, 1)
    states = result.tables["line_states"]
    mine = states[(states["factory"] == "fuchun") & (states["line"] == "ecom")]
    busy = daily_series(result, "busy:fuchun.ecom")
    for day, share in enumerate(busy):
        shares = metrics.utilisation(mine, day * 24.0, (day + 1) * 24.0)
        assert share == pytest.approx(
            float(shares[["processing", "changeover"]].sum(axis=1).iloc[0])
        )
    orders = result.tables["orders"]
    accepted = orders[(orders["factory"] == "fuchun") & (orders["status"] != "refused")]
    waiting = daily_series(result, "waiting:fuchun")
    for day, count in enumerate(waiting):
        end = (day + 1) * 24.0
        taken = accepted["setup_at"].fillna(float("inf"))
        assert count == ((accepted["placed_at"] <= end) & (taken > end)).sum()
    assert max(waiting) > 0 and 0 < max(busy) <= 1


def test_the_fill_rate_is_summarised_as_a_ratio_of_sums_too() -> None:
    """Beside the mean of the runs' fill rates, Σ sold / Σ demand over the runs."""
    scenario = flexsim.load_builtin(
        "tao-factory", {"horizon_days": 120, "warmup_days": 30, "sellers.count": 40}
    )
    result = flexsim.experiment.replicate(scenario, 2, kpis=["sellers.fill_rate"])
    row = result.summary.iloc[0]
    runs = result.runs
    assert row["ratio_mean"] == pytest.approx(
        runs["sellers.sold"].sum() / runs["sellers.demand"].sum()
    )
    assert row["mean"] == pytest.approx(runs["sellers.fill_rate"].mean())


def test_mm1_wait_matches_theory_in_the_inner_loop() -> None:
    """The quick theory check of the inner loop (the 48-replication ones are `slow`): 12
    replications of the built-in M/M/1 cover Wq = ρ/(μ − λ) = 96 h within ±8 %, and the same
    interval rejects the Wq of a 10 % slower service (the negative control, ≈ 193 h)."""
    result = flexsim.experiment.replicate("mm1", 12, measures={"wq_h": queue_wait_h})
    interval = stats.mean_interval(result.runs["wq_h"])
    assert interval.relative_half_width <= 0.08, interval
    assert interval.covers(0.8 / (1.0 - 0.8) * 24), interval
    slower = 0.88 / (1 / 1.1 - 0.8) * 24
    assert not interval.covers(slower), interval


def queue_wait_h(result: RunResult) -> float:
    """Mean wait in queue of the orders placed after the warm-up."""
    done = metrics.finished_orders(result.tables["orders"], result.scenario.warmup_h)
    return float(done["waiting_h"].mean())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lead_tme.offline.mean_h", "no section 'lead_tme' (did you mean 'lead_time'?)"),
        ("utilisation.plant.lin.busy_of_open", "(did you mean 'plant.line'?)"),
        ("cash_cycle.plant.ccc_days", "expected factory/plant, factories, sellers, platform"),
        ("orders.offline.placed", "expected no key"),
    ],
)
def test_a_kpi_the_scenario_cannot_have_fails_at_load(
    tmp_path: Path, name: str, message: str
) -> None:
    text = GRID.replace('"lead_time.offline.mean_h"', f'"{name}"')
    with pytest.raises(ExperimentError) as error:
        load_experiment(write(tmp_path, text))
    assert message in str(error.value) and "experiment.kpis" in str(error.value)


def test_kpi_keys_cover_every_section() -> None:
    keys = flexsim.experiment.names.kpi_keys(flexsim.load_builtin("tao-factory"))
    assert tuple(keys) == metrics.SECTIONS
    assert keys["lead_time"] == ["trial", "repeat", "offline"]


def test_a_factor_of_tables_is_refused(tmp_path: Path) -> None:
    text = GRID.replace("= [1.25, 2.0]", '= [{dist = "exponential", mean = 1.25}]')
    with pytest.raises(ExperimentError, match="numbers, strings or booleans"):
        load_experiment(write(tmp_path, text))
