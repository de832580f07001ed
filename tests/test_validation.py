"""Theory tests: the validation study's cases, run shorter, and the formulas they rest on.

Every case of the study experiments.validation (a scenario file, a measured quantity, a theory)
runs here with shorter horizons and fewer replications: its 95 % interval must cover the theory,
and each of its negative controls, a wrong model checked against the same runs, must be
rejected. The study itself (`python -m experiments.validation`) runs them long enough for ±2 %.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from scipy.stats import poisson

import flexsim
from experiments import validation as study
from flexsim import theory
from flexsim.dists import Exponential, Gamma, UniformInt
from flexsim.experiment import ExperimentResult

# Shorter than the study (20,000 days, 100 replications): 5,000 measured days of each queue
# (about 4,000 orders) and 30 replications put the waits' intervals within about ±7 %, wide
# enough to keep the test file near two minutes yet narrow enough that every negative control
# is rejected. The seeds are 0 … N − 1, as in the study, and were not picked: should a correct
# case narrowly miss, raise the replications of all cases, never change the seeds.
REPLICATIONS = 30
QUEUE_DAYS = {"horizon_days": 5500}  # the files' 500-day warm-up stays
# The default scenario costs ~1 s a run: 10 runs of 361 days, measured on 13 whole weeks, days
# 180-271 (its warm-up, then up to the horizon less the study's 90-day margin), far from the
# Spring Festival shutdowns; the study measures 52 weeks.
LITTLE_REPLICATIONS = 10
LITTLE_DAYS = {"horizon_days": 180 + 13 * 7 + 90}
MAX_RELATIVE_HALF_WIDTH = 0.10  # the short runs' intervals; the study asks for 0.05
OVERRIDES: dict[str, dict[str, Any]] = {
    "mm1.toml": QUEUE_DAYS,
    "mmc.toml": QUEUE_DAYS,
    "md1.toml": QUEUE_DAYS,
    "mg1.toml": QUEUE_DAYS,
    "polling_exhaustive.toml": QUEUE_DAYS,
    "polling_gated.toml": QUEUE_DAYS,
    "polling_asymmetric_exhaustive.toml": QUEUE_DAYS,
    "polling_asymmetric_gated.toml": QUEUE_DAYS,
    "breakdowns.toml": QUEUE_DAYS,
    "tandem.toml": QUEUE_DAYS,
    "bulk.toml": QUEUE_DAYS,
    "bulk4.toml": QUEUE_DAYS,
    "tao-factory": LITTLE_DAYS,
    study.ROUTED_TAO: LITTLE_DAYS,
}
LITTLE_SCENARIOS = ("tao-factory", study.ROUTED_TAO)

Results = dict[str, ExperimentResult]  # scenario → its replications, as the study runs them


@pytest.fixture(scope="module")
def runs() -> Results:
    """Every case scenario, replicated and measured once for all the tests below."""
    queues = [case for case in study.CASES if case.scenario not in LITTLE_SCENARIOS]
    little = [case for case in study.CASES if case.scenario in LITTLE_SCENARIOS]
    results = study.simulate(queues, REPLICATIONS, overrides=OVERRIDES)
    return results | study.simulate(little, LITTLE_REPLICATIONS, overrides=OVERRIDES)


def evaluate(runs: Results, name: str, measure: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study's check of its case by name and measured quantity, on the shorter runs: the
    case's summary row and its negative controls' rows."""
    (case,) = [c for c in study.CASES if c.name.startswith(name) and c.measure == measure]
    return study.evaluate([case], runs, OVERRIDES, MAX_RELATIVE_HALF_WIDTH)


def assert_matches(runs: Results, name: str, measure: str) -> None:
    """The case's interval covers its theory and is narrow enough to mean it."""
    summary, _ = evaluate(runs, name, measure)
    assert summary["passed"].all(), summary.to_dict(orient="records")


def assert_rejects(runs: Results, name: str, measure: str, control: str) -> None:
    """The negative control's wrong value lies outside the case's interval."""
    _, controls = evaluate(runs, name, measure)
    (row,) = controls[controls["control"].str.startswith(control)].to_dict(orient="records")
    assert row["rejected"], row


# ── the cases, shorter ─────────────────────────────────────────────────────────────────────
# All marked slow: the `runs` fixture they share simulates for about two minutes (107 s on a
# shared two-core machine; `pytest -m slow --durations=5 tests/test_validation.py` shows it).


@pytest.mark.slow
def test_mm1_matches_theory_wait(runs: Results) -> None:
    assert_matches(runs, "M/M/1", "wait_h")


@pytest.mark.slow
def test_mm1_utilisation_equals_rho(runs: Results) -> None:
    assert_matches(runs, "M/M/1", "busy")


@pytest.mark.slow
def test_mm1_rejects_ten_percent_slower_service(runs: Results) -> None:
    assert_rejects(runs, "M/M/1", "wait_h", "service 10 % slower")
    assert_rejects(runs, "M/M/1", "busy", "service 10 % slower")


@pytest.mark.slow
def test_mmc_matches_erlang_c(runs: Results) -> None:
    assert_matches(runs, "M/M/3", "wait_h")


@pytest.mark.slow
def test_mmc_utilisation_equals_rho(runs: Results) -> None:
    assert_matches(runs, "M/M/3", "busy")


@pytest.mark.slow
def test_mmc_rejects_one_line_c_times_as_fast(runs: Results) -> None:
    """Pooling c lines is not one fast line: that model waits 24 % longer."""
    assert_rejects(runs, "M/M/3", "wait_h", "one line 3 times as fast")


@pytest.mark.slow
def test_mmc_rejects_theory_for_c_minus_one_lines(runs: Results) -> None:
    assert_rejects(runs, "M/M/3", "wait_h", "Erlang C for c − 1 lines")
    assert_rejects(runs, "M/M/3", "busy", "c − 1 lines")


@pytest.mark.slow
def test_md1_matches_theory(runs: Results) -> None:
    assert_matches(runs, "M/D/1", "wait_h")


@pytest.mark.slow
def test_md1_utilisation_equals_rho(runs: Results) -> None:
    assert_matches(runs, "M/D/1", "busy")


@pytest.mark.slow
def test_md1_rejects_mm1_formula(runs: Results) -> None:
    assert_rejects(runs, "M/D/1", "wait_h", "M/M/1 formula")


@pytest.mark.slow
def test_mg1_matches_pollaczek_khinchine(runs: Results) -> None:
    assert_matches(runs, "M/G/1", "wait_h")


@pytest.mark.slow
def test_mg1_utilisation_counts_changeover(runs: Results) -> None:
    assert_matches(runs, "M/G/1", "busy")


@pytest.mark.slow
def test_mg1_rejects_model_without_changeover(runs: Results) -> None:
    assert_rejects(runs, "M/G/1", "wait_h", "Pollaczek-Khinchine without the changeover")
    assert_rejects(runs, "M/G/1", "busy", "ρ without the changeover")


@pytest.mark.slow
def test_mg1_rejects_unit_time_drawn_per_piece(runs: Results) -> None:
    """flexsim draws one unit time per order; independent draws per piece would make the
    service far less variable and the wait a third shorter."""
    assert_rejects(runs, "M/G/1", "wait_h", "one unit-time draw per piece")


@pytest.mark.slow
def test_symmetric_exhaustive_polling_matches_takagi(runs: Results) -> None:
    assert_matches(runs, "Polling, symmetric, exhaustive", "wait_h")


@pytest.mark.slow
def test_symmetric_exhaustive_polling_rejects_the_gated_formula(runs: Results) -> None:
    assert_rejects(runs, "Polling, symmetric, exhaustive", "wait_h", "the gated formula")


@pytest.mark.slow
def test_symmetric_gated_polling_matches_takagi(runs: Results) -> None:
    assert_matches(runs, "Polling, symmetric, gated", "wait_h")


@pytest.mark.slow
def test_symmetric_gated_polling_rejects_the_exhaustive_formula(runs: Results) -> None:
    assert_rejects(runs, "Polling, symmetric, gated", "wait_h", "the exhaustive formula")


@pytest.mark.slow
def test_asymmetric_exhaustive_polling_obeys_pseudo_conservation(runs: Results) -> None:
    assert_matches(runs, "Polling, asymmetric, exhaustive", "polling_h")


@pytest.mark.slow
def test_asymmetric_exhaustive_polling_rejects_the_gated_law(runs: Results) -> None:
    assert_rejects(runs, "Polling, asymmetric, exhaustive", "polling_h", "the law for gated")


@pytest.mark.slow
def test_asymmetric_gated_polling_obeys_pseudo_conservation(runs: Results) -> None:
    assert_matches(runs, "Polling, asymmetric, gated", "polling_h")


@pytest.mark.slow
def test_asymmetric_gated_polling_rejects_the_exhaustive_law(runs: Results) -> None:
    assert_rejects(runs, "Polling, asymmetric, gated", "polling_h", "the law for exhaustive")


@pytest.mark.slow
def test_breakdowns_match_pollaczek_khinchine_with_repairs(runs: Results) -> None:
    assert_matches(runs, "Breakdowns, M/G/1", "wait_h")


@pytest.mark.slow
def test_breakdowns_reject_a_model_without_repairs(runs: Results) -> None:
    assert_rejects(runs, "Breakdowns, M/G/1", "wait_h", "Pollaczek-Khinchine without")


@pytest.mark.slow
def test_tandem_matches_jackson(runs: Results) -> None:
    assert_matches(runs, "Tandem", "sojourn_h")


@pytest.mark.slow
def test_tandem_rejects_slower_service_a_single_queue_and_one_line(runs: Results) -> None:
    """Two queues in series: not one queue at the bottleneck (9 % short), nor one line making
    both steps (more than twice as long)."""
    assert_rejects(runs, "Tandem", "sojourn_h", "service 10 % slower")
    assert_rejects(runs, "Tandem", "sojourn_h", "a queue at the bottleneck only")
    assert_rejects(runs, "Tandem", "sojourn_h", "one line making both steps")


BULK = ("Bulk service M/M^[1,2]/1", "Bulk service M/M^[1,4]/1")


@pytest.mark.slow
@pytest.mark.parametrize("case", BULK)
def test_bulk_service_matches_the_characteristic_root(runs: Results, case: str) -> None:
    assert_matches(runs, case, "wait_h")


@pytest.mark.slow
@pytest.mark.parametrize("case", BULK)
def test_bulk_service_rejects_one_fast_server_and_larger_batches(runs: Results, case: str) -> None:
    assert_rejects(runs, case, "wait_h", "one server K times as fast")
    assert_rejects(runs, case, "wait_h", "batches of K + 1")


def test_bulk_scenarios_reduce_to_their_queues() -> None:
    bulk = theory.bulk_model(study.load("bulk.toml"))
    assert bulk.arrival_rate_h == pytest.approx(0.9 / 24)
    assert (bulk.service_rate_h, bulk.max_orders) == (1 / 24, 2)
    bulk = theory.bulk_model(study.load("bulk4.toml"))
    assert bulk.arrival_rate_h == pytest.approx(1.6 / 24)
    assert (bulk.service_rate_h, bulk.max_orders) == (1 / 48, 4)


def test_bulk_service_wait_by_hand() -> None:
    """K = 1 is M/M/1; λ = 0.9, μ = 1, K = 2: r₀ = (√4.6 − 1)/2, the root of z² + z − 0.9
    (z³ − 1.9z + 0.9 = (z − 1)(z² + z − 0.9)), C = 1/(1/(1 − r₀) + 1/0.9), Wq = C·r₀/(1 − r₀)²/λ;
    larger batches wait less, and λ ≥ Kμ never empties."""
    assert theory.bulk_service_wq(0.8, 1.0, 1) == pytest.approx(theory.mm1_wq(0.8, 1.0))
    r0 = (math.sqrt(4.6) - 1) / 2
    c = 1 / (1 / (1 - r0) + 1 / 0.9)
    assert theory.bulk_service_wq(0.9, 1.0, 2) == pytest.approx(c * r0 / (1 - r0) ** 2 / 0.9)
    assert theory.bulk_service_wq(1.6, 0.5, 4) < theory.bulk_service_wq(1.6, 0.5, 3)
    assert theory.bulk_service_wq(2.0, 0.5, 4) == math.inf


def test_tandem_scenario_reduces_to_two_exponential_stations() -> None:
    """The tandem file is λ = 0.5/day through stations of mean 14.4 h and 24 h: W = 68.6 h."""
    tandem = theory.tandem_model(study.load("tandem.toml"))
    assert tandem.exponential
    assert tandem.arrival_rate_h == pytest.approx(0.5 / 24)
    assert [s.mean for s in tandem.stations] == [14.4, 24.0]
    assert study.jackson_sojourn(study.load("tandem.toml")) == pytest.approx(14.4 / 0.7 + 48)
    with pytest.raises(theory.NotAQueue, match="stations in series"):
        theory.queue_model(study.load("tandem.toml"))


def test_tandem_sojourn_of_one_station_is_mm1() -> None:
    """One station: W = Wq + 1/μ; a station at or above capacity never empties."""
    assert theory.tandem_sojourn(0.8, [1.0]) == pytest.approx(theory.mm1_wq(0.8, 1.0) + 1.0)
    assert theory.tandem_sojourn(0.5, [1.0, 2.0]) == pytest.approx(2.0 + 1 / 1.5)
    assert theory.tandem_sojourn(1.0, [2.0, 1.0]) == math.inf


def test_polling_formulas_agree_with_each_other() -> None:
    """The symmetric formula is the pseudo-conservation law divided by ρ, and one queue
    polled alone is the M/G/1 queue with multiple vacations."""
    service, switch = theory.Moments(24.0, 2 * 24.0**2), theory.Moments.constant(12.0)
    for gated in (False, True):
        symmetric = theory.symmetric_polling_wait(3, 0.2 / 24, service, switch, gated)
        total = theory.Moments.constant(36.0)
        law = theory.polling_weighted_wait([0.2 / 24] * 3, [service] * 3, total, gated)
        assert law == pytest.approx(0.6 * symmetric)
    alone = theory.polling_weighted_wait([0.5 / 24], [service], switch, gated=False)
    vacation = theory.mg1_wq(0.5 / 24, service.mean, service.second) + 12.0 / 2
    assert alone == pytest.approx(0.5 * vacation)


def test_breakdown_moments_by_hand() -> None:
    """Service exp(24 h), failures at 1/48 per processing hour, 6 h repairs: E = 24·1.125 = 27,
    E2 = 1152·1.125² + (1/48)·24·36 = 1458 + 18 = 1476."""
    result = theory.with_breakdowns(theory.Moments(24.0, 1152.0), 1 / 48, theory.Moments(6, 36))
    assert result == theory.Moments(27.0, 1476.0)


@pytest.mark.slow
def test_littles_law_holds_over_replications(runs: Results) -> None:
    assert_matches(runs, "Little's law, tao-factory", "little")


@pytest.mark.slow
def test_littles_law_rejects_transit_as_time_in_factory(runs: Results) -> None:
    assert_rejects(runs, "Little's law, tao-factory", "little", "W to delivery")


@pytest.mark.slow
def test_littles_law_holds_on_the_routed_default(runs: Results) -> None:
    assert_matches(runs, "Little's law, routed", "little")


@pytest.mark.slow
def test_littles_law_on_the_routed_default_rejects_transit_as_time_in_factory(
    runs: Results,
) -> None:
    assert_rejects(runs, "Little's law, routed", "little", "W to delivery")


def test_the_routed_default_splits_the_ecommerce_line_into_stations() -> None:
    """The routed variant keeps tao-factory's bulk line and books capacity, and its three
    e-commerce stations share out the line's 0.008 h a piece."""
    routed = study.load(study.ROUTED_TAO, LITTLE_DAYS)
    plain = study.load("tao-factory", LITTLE_DAYS)
    (factory,) = routed.factories
    assert factory.routing == {"ecommerce": ["cut", "sew", "finish"], "offline": ["bulk"]}
    assert factory.lines[0] == plain.factories[0].lines[0]
    assert factory.booking == plain.factories[0].booking
    means = sum(line.unit_time_h.expectation for line in factory.lines[1:])
    assert means == pytest.approx(plain.factories[0].lines[1].unit_time_h.expectation)
    assert factory.lines[1].batch is not None and factory.lines[2].overtime is not None


@pytest.mark.parametrize("overrides", [None, LITTLE_DAYS])
def test_littles_law_window_is_whole_weeks(overrides: dict[str, Any] | None) -> None:
    """The window must close at the weekday it opens, or the weekly cycle biases L/(λW)."""
    scenario = study.load(study.ROUTED_TAO, overrides)
    assert scenario.horizon_days == study.load("tao-factory", overrides).horizon_days
    window_days = scenario.horizon_days - study.LITTLE_MARGIN_DAYS - scenario.warmup_days
    assert window_days > 0 and window_days % 7 == 0


def test_every_scenario_file_is_a_case() -> None:
    """A scenario file without a case would be dead weight in the study."""
    files = {path.name for path in study.SCENARIOS.glob("*.toml")}
    assert files == {c.scenario for c in study.CASES if c.scenario.endswith(".toml")}


def test_case_scenarios_reduce_to_their_queues() -> None:
    """Each queue file is the queue its case name says (servers, service-time shape, ρ)."""
    models = {
        name: theory.queue_model(study.load(f"{name}.toml"))
        for name in ("mm1", "mmc", "md1", "mg1")
    }
    assert (models["mm1"].servers, models["mm1"].exponential) == (1, True)
    assert (models["mmc"].servers, models["mmc"].exponential) == (3, True)
    assert (models["md1"].servers, models["md1"].deterministic) == (1, True)
    assert models["mg1"].servers == 1 and not models["mg1"].exponential
    for model in models.values():
        assert 0.7 <= model.rho <= 0.85


# ── the formulas, on known numbers ─────────────────────────────────────────────────────────


def test_mm1_formula_at_rho_08_is_four_service_times() -> None:
    mu = 0.5
    assert theory.mm1_wq(0.8 * mu, mu) == pytest.approx(4 / mu)


def test_erlang_c_for_one_line_is_mm1() -> None:
    assert theory.erlang_c(0.7, 1.0, 1) == pytest.approx(0.7)
    assert theory.mmc_wq(0.7, 1.0, 1) == pytest.approx(theory.mm1_wq(0.7, 1.0))


def test_erlang_c_known_values() -> None:
    """Two lines at offered load 1: C = 1/3 and Wq = C/(2μ − λ) = 1/3."""
    assert theory.erlang_c(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert theory.mmc_wq(1.0, 1.0, 2) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("a", "c"), [(2.4, 3), (90.0, 100), (450.0, 500)])
def test_erlang_c_matches_poisson_form(a: float, c: int) -> None:
    """Erlang C through the Poisson distribution, an independent route that also shows the
    recurrence does not overflow for many lines: with N ~ Poisson(a) and r = P(N = c)·c/(c − a),
    C = r/(P(N < c) + r)."""
    r = poisson.pmf(c, a) * c / (c - a)
    assert theory.erlang_c(a, 1.0, c) == pytest.approx(r / (poisson.cdf(c - 1, a) + r), rel=1e-9)


def test_unstable_queues_wait_forever() -> None:
    assert theory.mm1_wq(1.0, 1.0) == math.inf
    assert theory.mmc_wq(2.0, 1.0, 2) == math.inf
    assert theory.mg1_wq(1.0, 1.5, 3.0) == math.inf


def test_md1_waits_half_as_long_as_mm1() -> None:
    lam, d = 0.8, 1.0
    assert theory.md1_wq(lam, d) == pytest.approx(theory.mm1_wq(lam, 1 / d) / 2)


def test_pollaczek_khinchine_with_exponential_service_is_mm1() -> None:
    lam, mean = 0.6, 1.0
    exponential = theory.Moments.of(Exponential(dist="exponential", mean=mean))
    assert theory.mg1_wq(lam, exponential.mean, exponential.second) == pytest.approx(
        theory.mm1_wq(lam, 1 / mean)
    )


def test_littles_law_multiplies() -> None:
    assert theory.littles_law(0.5, 8.0) == 4.0


def test_order_service_moments_by_hand() -> None:
    """S = C + Q·U with C = 6, Q uniform on 1-20, U exponential of mean 1.2:
    E[S] = 6 + 10.5·1.2 = 18.6, E[S²] = 36 + 2·6·12.6 + 143.5·2·1.44 = 600.48."""
    quantity = theory.Moments.of(UniformInt(dist="uniform_int", low=1, high=20))
    unit = theory.Moments.of(Exponential(dist="exponential", mean=1.2))
    assert (quantity.mean, quantity.second) == pytest.approx((10.5, 143.5))
    service = theory.order_service_moments(theory.Moments.constant(6.0), quantity, unit)
    assert (service.mean, service.second) == pytest.approx((18.6, 600.48))
    specs = theory.service_moments(
        6.0,
        UniformInt(dist="uniform_int", low=1, high=20),
        Exponential(dist="exponential", mean=1.2),
    )
    assert (specs.mean, specs.second) == pytest.approx((18.6, 600.48))
    per_piece = theory.per_piece_service_moments(theory.Moments.constant(6.0), quantity, unit)
    assert (per_piece.mean, per_piece.second) == pytest.approx((18.6, 36 + 151.2 + 221.76))


def test_moments_of_gamma_have_its_cv() -> None:
    moments = theory.Moments.of(Gamma(dist="gamma", mean=2.0, cv=0.5))
    assert moments.scv == pytest.approx(0.25)


def test_queue_model_counts_changeovers_by_item(write_scenario: Any) -> None:
    """Two families of weight ½ and 4 styles each: another family ½, the same family but
    another style ½·¾ = 3/8, the same item 1/8."""
    path = write_scenario(
        (
            "unit_time_h = 0.5",
            "unit_time_h = 0.5\nchangeover_h = { same_family = 1, other_family = 3 }",
        ),
        append=CUSTOMER + "families = { a = 1, b = 1 }\nstyles_per_family = 4\n",
    )
    model = theory.queue_model(flexsim.load(path))
    assert model.changeover.mean == pytest.approx(3 / 8 * 1 + 1 / 2 * 3)
    assert model.changeover.second == pytest.approx(3 / 8 * 1 + 1 / 2 * 9)
    assert model.service.mean == pytest.approx(model.changeover.mean + 2 * 0.5)
    assert model.arrival_rate_h == pytest.approx(1 / 48)


CUSTOMER = """
[[customers]]
name = "poisson"
factory = "plant"
interarrival_days = { dist = "exponential", mean = 2.0 }
quantity = 2
"""


def test_queue_model_reads_a_poisson_stream(write_scenario: Any) -> None:
    model = theory.queue_model(flexsim.load(write_scenario(append=CUSTOMER)))
    assert (model.servers, model.deterministic, model.service.mean) == (1, True, 1.0)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ('{ dist = "exponential", mean = 2.0 }', '{ dist = "gamma", mean = 2.0, cv = 0.5 }', "exp"),
        ("quantity = 2", "quantity = 2.5", "quantity"),
        ("quantity = 2", 'quantity = { dist = "poisson", mean = 2 }', "quantity"),
    ],
)
def test_queue_model_refuses_what_is_not_a_queue(
    write_scenario: Any, old: str, new: str, why: str
) -> None:
    scenario = flexsim.load(write_scenario(append=CUSTOMER.replace(old, new)))
    with pytest.raises(theory.NotAQueue, match=why):
        theory.queue_model(scenario)


def test_queue_model_refuses_a_line_with_shifts(write_scenario: Any) -> None:
    path = write_scenario(
        ("unit_time_h = 0.5", 'unit_time_h = 0.5\ncalendar = "day"'),
        append=CUSTOMER + '\n[calendars.day]\nshifts = [{ start = "08:00", end = "17:00" }]\n',
    )
    with pytest.raises(theory.NotAQueue, match="always open"):
        theory.queue_model(flexsim.load(path))
