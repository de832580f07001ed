"""Theory: closed-form results of queueing models the simulator must reproduce.

Two halves. The formulas are pure functions of rates and moments in any one time unit (rates
per hour with times in hours, or per day with days): M/M/1, Erlang C for M/M/c, M/D/1, the
Pollaczek-Khinchine mean wait of M/G/1, and Little's law. `queue_model(scenario)` is the
reduction: it reads a scenario that *is* a textbook queue (one factory, one customer placing
orders as a Poisson stream, identical always-open first-come-first-served lines) and returns
its arrival rate, number of servers and service-time moments in hours, or says why the scenario
is not such a queue; `tandem_model(scenario)` likewise reads a routed scenario as single-server
stations in series, for the Jackson network's sojourn time, and `bulk_model(scenario)` a
batch station as the M/M^[1,K]/1 bulk-service queue. docs/validation.md states each
formula with its source; the study `experiments/validation.py` holds the cases built on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flexsim.dists import Deterministic, DistSpec, Exponential, UniformInt
from flexsim.scenario import (
    ALWAYS_OPEN,
    BreakdownSpec,
    Changeover,
    CustomerSpec,
    FactorySpec,
    LineSpec,
    Scenario,
)
from flexsim.vocabulary import HOURS_PER_DAY


def utilisation(lam: float, es: float, servers: int = 1) -> float:
    """Offered load per server, ρ = λE[S]/c: the long-run busy share of each of c servers."""
    return lam * es / servers


def mm1_wq(lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/1: Wq = ρ/(μ − λ) with ρ = λ/μ (inf when ρ ≥ 1)."""
    if lam >= mu:
        return math.inf
    return (lam / mu) / (mu - lam)


def erlang_c(lam: float, mu: float, servers: int) -> float:
    """Probability that an arrival waits in M/M/c (Erlang's C formula).

    With offered load a = λ/μ and ρ = a/c < 1:
    C(c, a) = (aᶜ/c!)/(1 − ρ) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)/(1 − ρ)).
    The terms aᵏ/k! are built by recurrence, so large c does not overflow. 1 when ρ ≥ 1.
    """
    if servers < 1:
        raise ValueError(f"servers must be at least 1, got {servers}")
    a = lam / mu
    rho = a / servers
    if rho >= 1:
        return 1.0
    term, below = 1.0, 0.0  # term = aᵏ/k!, below = Σ_{j<k} aʲ/j!
    for k in range(servers):
        below += term
        term *= a / (k + 1)
    waiting = term / (1 - rho)
    return waiting / (below + waiting)


def mmc_wq(lam: float, mu: float, servers: int) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, λ/μ)/(cμ − λ) (Erlang C; inf when λ ≥ cμ)."""
    if lam >= servers * mu:
        return math.inf
    return erlang_c(lam, mu, servers) / (servers * mu - lam)


def mg1_wq(lam: float, es: float, es2: float) -> float:
    """Mean wait in queue of M/G/1 (Pollaczek-Khinchine): Wq = λE[S²]/(2(1 − ρ)), ρ = λE[S].

    Equivalently Wq = ρ E[S] (1 + c_s²)/(2(1 − ρ)) with c_s² the squared coefficient of
    variation of the service time. inf when ρ ≥ 1.
    """
    rho = lam * es
    if rho >= 1:
        return math.inf
    return lam * es2 / (2 * (1 - rho))


def md1_wq(lam: float, d: float) -> float:
    """Mean wait in queue of M/D/1 with service time d: Wq = ρd/(2(1 − ρ)), ρ = λd.

    Pollaczek-Khinchine with E[S²] = d²: half the M/M/1 wait at the same ρ.
    """
    return mg1_wq(lam, d, d * d)


def mm1_sojourn(lam: float, mu: float) -> float:
    """Mean time in system of M/M/1: W = 1/(μ − λ) (inf when λ ≥ μ)."""
    if lam >= mu:
        return math.inf
    return 1 / (mu - lam)


def tandem_sojourn(lam: float, mus: list[float]) -> float:
    """Mean time through exponential single-server stations in series, fed by a Poisson
    stream of rate λ (a Jackson network): by Burke's theorem each station's departures are
    again Poisson, so the stations are independent M/M/1 queues and W = Σᵢ 1/(μᵢ − λ)."""
    return sum(mm1_sojourn(lam, mu) for mu in mus)


def bulk_service_wq(lam: float, mu: float, k: int) -> float:
    """Mean wait in queue of M/M^[1,K]/1: one server that takes up to K waiting customers at
    once (whatever is there, at least one), an exponential service of rate μ whatever the
    batch's size. With the server busy and n waiting, P(n) = C·r⁰ⁿ, where r₀ is the one root
    in (0, 1) of μzᴷ⁺¹ − (λ + μ)z + λ = 0, and P(idle) = μC/λ; so C = 1/(1/(1 − r₀) + μ/λ),
    Lq = C·r₀/(1 − r₀)² and Wq = Lq/λ (inf when λ ≥ Kμ). K = 1 is M/M/1."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if lam >= k * mu:
        return math.inf
    roots = np.roots([mu, *([0.0] * (k - 1)), -(lam + mu), lam])
    (r0,) = [z.real for z in roots if abs(z.imag) < 1e-9 and 0 < z.real < 1 - 1e-9]
    c = 1 / (1 / (1 - r0) + mu / lam)
    return float(c * r0 / (1 - r0) ** 2 / lam)


def littles_law(lam: float, w: float) -> float:
    """Little's law: the time-average number in a system, L = λW, from its arrival rate λ and
    the mean time W an arrival spends in it."""
    return lam * w


@dataclass(frozen=True, slots=True)
class Moments:
    """First and second moments of a non-negative random variable."""

    mean: float
    second: float

    @property
    def variance(self) -> float:
        return self.second - self.mean**2

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, Var/mean² (1 for the exponential)."""
        return self.variance / self.mean**2 if self.mean else math.nan

    @classmethod
    def of(cls, dist: DistSpec) -> Moments:
        """The moments of a distribution spec, from its analytic expectation and variance."""
        return cls(dist.expectation, dist.variance + dist.expectation**2)

    @classmethod
    def constant(cls, value: float) -> Moments:
        return cls(value, value * value)


def changeover_moments(
    same_family_h: float, other_family_h: float, p_same_family: float, p_other_family: float
) -> Moments:
    """Moments of the changeover before an order: same_family_h with probability
    p_same_family (a different item of the same family), other_family_h with probability
    p_other_family, else none."""
    return Moments(
        p_same_family * same_family_h + p_other_family * other_family_h,
        p_same_family * same_family_h**2 + p_other_family * other_family_h**2,
    )


def order_service_moments(changeover: Moments, quantity: Moments, unit_time: Moments) -> Moments:
    """Moments of one order's service time S = C + Q·U: a changeover C, then quantity Q times
    one unit-time draw U (the pieces of an order share the draw), C, Q and U independent.

    E[S] = E[C] + E[Q]E[U];  E[S²] = E[C²] + 2E[C]E[Q]E[U] + E[Q²]E[U²].
    """
    work = quantity.mean * unit_time.mean
    return Moments(
        changeover.mean + work,
        changeover.second + 2 * changeover.mean * work + quantity.second * unit_time.second,
    )


def service_moments(
    changeover_h: float, quantity: DistSpec, unit_time_h: DistSpec, p_change: float = 1.0
) -> Moments:
    """Moments of S = C + Q·U from a line's and a customer's specs: a changeover of
    changeover_h hours paid with probability p_change, then the order's quantity Q times one
    draw U of the unit time (order_service_moments has the formula)."""
    changeover = Moments(p_change * changeover_h, p_change * changeover_h**2)
    return order_service_moments(changeover, Moments.of(quantity), Moments.of(unit_time_h))


def with_breakdowns(work: Moments, failure_rate_h: float, repair: Moments) -> Moments:
    """Moments of the time processing work W takes on a line that fails at rate f per
    processing hour (exponential time between failures, so a Poisson number N of failures with
    mean fW) and is repaired in R after each: W + R₁ + … + R_N.

    E = E[W](1 + fE[R]);  E2 = E[W²](1 + fE[R])² + f·E[W]·E[R²].
    """
    stretch = 1 + failure_rate_h * repair.mean
    return Moments(
        work.mean * stretch,
        work.second * stretch**2 + failure_rate_h * work.mean * repair.second,
    )


def polling_weighted_wait(
    arrival_rates_h: list[float], services: list[Moments], cycle_switchover: Moments, gated: bool
) -> float:
    """Σᵢ ρᵢ·E[Wᵢ] (hours) of a cyclic polling system, all queues exhaustive or all gated: the
    pseudo-conservation law of Boxma & Groenendijk (1987),

    ρ/(2(1−ρ))·Σλᵢbᵢ⁽²⁾ + ρ·R⁽²⁾/(2R) + R/(2(1−ρ))·(ρ² − Σρᵢ²) [+ R/(1−ρ)·Σρᵢ² when gated],

    with R, R⁽²⁾ the mean and second moment of the total switchover time of a cycle. With one
    queue it is the M/G/1 queue with multiple vacations.
    """
    rhos = [lam * s.mean for lam, s in zip(arrival_rates_h, services, strict=True)]
    rho = sum(rhos)
    if rho >= 1:
        return math.inf
    r, r2 = cycle_switchover.mean, cycle_switchover.second
    squares = sum(x * x for x in rhos)
    total = (
        rho
        / (2 * (1 - rho))
        * sum(lam * s.second for lam, s in zip(arrival_rates_h, services, strict=True))
    )
    total += rho * r2 / (2 * r) + r / (2 * (1 - rho)) * (rho**2 - squares)
    return total + (r / (1 - rho) * squares if gated else 0.0)


def symmetric_polling_wait(
    queues: int, arrival_rate_h: float, service: Moments, switchover: Moments, gated: bool
) -> float:
    """Mean wait (hours) at each of `queues` identical queues polled cyclically (Takagi):
    δ²/(2r) + (Nλb⁽²⁾ + r(N ∓ ρ))/(2(1−ρ)), − exhaustive, + gated, with r and δ² the mean and
    variance of one switchover and ρ = Nλb."""
    n, lam = queues, arrival_rate_h
    rho = n * lam * service.mean
    if rho >= 1:
        return math.inf
    r = switchover.mean
    sign = 1 if gated else -1
    return switchover.variance / (2 * r) + (n * lam * service.second + r * (n + sign * rho)) / (
        2 * (1 - rho)
    )


def per_piece_service_moments(
    changeover: Moments, quantity: Moments, unit_time: Moments
) -> Moments:
    """Moments of S = C + U₁ + … + U_Q with an independent unit-time draw per piece: NOT
    flexsim's model (one draw per order), kept as a wrong model for negative controls.

    E[(ΣU)²] = E[Q]Var(U) + E[Q²]E[U]² (the random-sum formula).
    """
    work = quantity.mean * unit_time.mean
    work2 = quantity.mean * unit_time.variance + quantity.second * unit_time.mean**2
    return Moments(changeover.mean + work, changeover.second + 2 * changeover.mean * work + work2)


@dataclass(frozen=True, slots=True)
class QueueModel:
    """A scenario reduced to a textbook queue, in hours.

    `service` is the service time S = changeover + quantity × unit time of one order;
    `exponential` says S is exactly exponential (M/M/c applies) and `deterministic` that it is
    constant (M/D/1 applies). `changeover`, `quantity` and `unit_time` keep the parts, so a
    negative control can recombine them wrongly.
    """

    arrival_rate_h: float
    servers: int
    service: Moments
    changeover: Moments
    quantity: Moments
    unit_time: Moments
    exponential: bool
    deterministic: bool

    @property
    def rho(self) -> float:
        """Offered load per line, λE[S]/c."""
        return utilisation(self.arrival_rate_h, self.service.mean, self.servers)

    @property
    def service_rate_h(self) -> float:
        """μ = 1/E[S], orders per hour per line."""
        return 1 / self.service.mean


class NotAQueue(ValueError):
    """The scenario is not one of the textbook queues queue_model() knows; says why."""


@dataclass(frozen=True, slots=True)
class TandemModel:
    """A routed scenario reduced to single-server stations in series, in hours: the arrival
    rate, and each station's service time S = changeover + quantity × unit time; `exponential`
    says every station's S is exactly exponential (the Jackson formula applies)."""

    arrival_rate_h: float
    stations: list[Moments]
    exponential: bool


def tandem_model(scenario: Scenario) -> TandemModel:
    """Reduce a routed scenario to stations in series, or raise NotAQueue naming the first
    obstacle: as queue_model's one factory and Poisson customer, every family of the customer
    routed through the same stations, each station always open, first come first served and
    without breakdowns. The stations keep the arrival order (first come first served, no
    overtaking), so each sees the customer's items in the order placed and its changeovers
    have queue_model's chances."""
    factory, customer = _single_factory_and_customer(scenario)
    routes = {tuple(factory.routing.get(family, ())) for family in customer.families}
    if len(routes) != 1 or not next(iter(routes)):
        raise NotAQueue("every family of the customer needs the same routing")
    if not isinstance(customer.interarrival_days, Exponential):
        raise NotAQueue("interarrival_days must be exponential (Poisson arrivals)")
    quantity = _whole_quantity(customer.quantity, scenario.channels.get(customer.channel).moq)
    weights = [w / sum(customer.families.values()) for w in customer.families.values()]
    same_family = sum(w * w for w in weights)
    p_same = same_family * (1 - 1 / customer.styles_per_family)
    lines = {line.name: line for line in factory.lines}
    stations, exponential = [], quantity.variance == 0
    for name in next(iter(routes)):
        line = _identical_lines(scenario, [lines[name]], customer)
        if line.breakdowns is not None:
            raise NotAQueue(f"station '{name}' must not break down")
        change = changeover_moments(
            line.changeover_h.same_family, line.changeover_h.other_family, p_same, 1 - same_family
        )
        unit = Moments.of(line.unit_time_h)
        stations.append(order_service_moments(change, quantity, unit))
        exponential = (
            exponential and change.second == 0 and isinstance(line.unit_time_h, Exponential)
        )
    return TandemModel(1 / (customer.interarrival_days.mean * HOURS_PER_DAY), stations, exponential)


def queue_model(scenario: Scenario) -> QueueModel:
    """Reduce a scenario to M/G/1 or M/G/c, or raise NotAQueue naming the first obstacle.

    Reducible: one factory whose lines are identical (unit time, changeover), always open and
    first come first served; no sellers; one customer (count 1) with exponential
    interarrival_days, whose quantity is a whole number at least the channel's MOQ (so no
    order is refused or rounded). An order pays a changeover when its item differs from the
    previous item on its line: another family with probability 1 − Σw², another style of the
    same family with probability Σw²(1 − 1/K), for family weights w and K styles per family.
    With equally weighted families the kind of changeover is independent of everything before
    the order (whatever the previous item, the next one differs from it with the same
    chances), so the service times are i.i.d. and the formulas exact, apart from a line's very
    first order, which needs none. With unequal weights consecutive changeovers depend on each
    other through the item they share, which the formulas ignore.
    """
    factory, customer = _single_factory_and_customer(scenario)
    if factory.routing:
        raise NotAQueue("a factory with routings is stations in series: see tandem_model")
    line = _identical_lines(scenario, factory.lines, customer)
    if not isinstance(customer.interarrival_days, Exponential):
        raise NotAQueue("interarrival_days must be exponential (Poisson arrivals)")
    moq = scenario.channels.get(customer.channel).moq
    quantity = _whole_quantity(customer.quantity, moq)
    weights = [w / sum(customer.families.values()) for w in customer.families.values()]
    same_family = sum(w * w for w in weights)
    p_same = same_family * (1 - 1 / customer.styles_per_family)
    change = changeover_moments(
        line.changeover_h.same_family, line.changeover_h.other_family, p_same, 1 - same_family
    )
    unit = Moments.of(line.unit_time_h)
    service = order_service_moments(change, quantity, unit)
    if line.breakdowns is not None:
        service = _with_line_breakdowns(line.breakdowns, change, quantity, unit)
    fixed_quantity = quantity.variance == 0
    return QueueModel(
        arrival_rate_h=1 / (customer.interarrival_days.mean * HOURS_PER_DAY),
        servers=len(factory.lines),
        service=service,
        changeover=change,
        quantity=quantity,
        unit_time=unit,
        exponential=change.second == 0
        and line.breakdowns is None
        and fixed_quantity
        and isinstance(line.unit_time_h, Exponential),
        deterministic=service.variance <= 1e-12 * service.second,  # zero up to rounding
    )


def _with_line_breakdowns(
    breakdowns: BreakdownSpec, change: Moments, quantity: Moments, unit: Moments
) -> Moments:
    """S = C + W' where the processing work W = Q·U is stretched by failures and repairs
    (the failure clock counts processing hours only, so the changeover C never fails)."""
    between = breakdowns.between_failures_h
    if not isinstance(between, Exponential):
        raise NotAQueue("between_failures_h must be exponential for a closed form")
    work = Moments(quantity.mean * unit.mean, quantity.second * unit.second)
    stretched = with_breakdowns(work, 1 / between.mean, Moments.of(breakdowns.repair_h))
    return Moments(
        change.mean + stretched.mean,
        change.second + 2 * change.mean * stretched.mean + stretched.second,
    )


def _single_factory_and_customer(scenario: Scenario) -> tuple[FactorySpec, CustomerSpec]:
    if len(scenario.factories) != 1:
        raise NotAQueue("exactly one factory is needed")
    if scenario.factories[0].booking is not None:
        raise NotAQueue("capacity booking refuses orders and ties them to lines")
    if scenario.factories[0].fabric.in_stock_probability < 1:
        raise NotAQueue("orders waiting for fabric do not join the queue when they arrive")
    if scenario.sellers.count:
        raise NotAQueue("sellers place orders by their own logic, not as a Poisson stream")
    if len(scenario.customers) != 1 or scenario.customers[0].count != 1:
        raise NotAQueue("exactly one customer (count = 1) is needed")
    return scenario.factories[0], scenario.customers[0]


def _identical_lines(scenario: Scenario, lines: list[LineSpec], customer: CustomerSpec) -> LineSpec:
    first = lines[0]
    for line in lines:
        if not all(line.serves(customer.channel, family) for family in customer.families):
            raise NotAQueue(f"line '{line.name}' must make every order of the customer")
        if not _always_open(scenario, line.calendar):
            raise NotAQueue(f"line '{line.name}' must be always open")
        if line.dispatch != "fifo":
            raise NotAQueue(f"line '{line.name}' must dispatch fifo")
        if line.unit_time_by_family or line.efficiency != 1 or line.overtime is not None:
            raise NotAQueue(
                f"line '{line.name}' must have one unit time, efficiency 1 and no overtime"
            )
        mine = (line.unit_time_h, line.changeover_h, line.breakdowns)
        if mine != (first.unit_time_h, first.changeover_h, first.breakdowns):
            raise NotAQueue(f"line '{line.name}' differs from line '{first.name}'")
    return first


def _always_open(scenario: Scenario, calendar: str) -> bool:
    if calendar == ALWAYS_OPEN:
        return True
    spec = scenario.calendars[calendar]
    return spec.always_open and not spec.holidays


def _whole_quantity(dist: DistSpec, moq: int) -> Moments:
    """Moments of an order quantity that the model neither rounds nor refuses."""
    if isinstance(dist, Deterministic) and dist.value == round(dist.value) and dist.value >= moq:
        return Moments.of(dist)
    if isinstance(dist, UniformInt) and dist.low >= moq:
        return Moments.of(dist)
    raise NotAQueue(
        f"quantity must be a whole deterministic number or uniform_int, at least the MOQ {moq}"
    )


@dataclass(frozen=True, slots=True)
class BulkModel:
    """A batch station reduced to the M/M^[1,K]/1 queue, in hours: Poisson arrivals of one
    order each, batches of up to K orders, an exponential lay of rate μ whatever the batch."""

    arrival_rate_h: float
    service_rate_h: float
    max_orders: int


def bulk_model(scenario: Scenario) -> BulkModel:
    """Reduce a routed scenario of one batch station to M/M^[1,K]/1, or raise NotAQueue: one
    factory and Poisson customer as for queue_model; the routing one always-open first come
    first served station without breakdowns or changeovers, whose batch time is its lay alone
    (unit time 0), exponential."""
    factory, customer = _single_factory_and_customer(scenario)
    routes = {tuple(factory.routing.get(family, ())) for family in customer.families}
    if len(routes) != 1 or len(next(iter(routes))) != 1:
        raise NotAQueue("every family of the customer needs the same routing of one station")
    if not isinstance(customer.interarrival_days, Exponential):
        raise NotAQueue("interarrival_days must be exponential (Poisson arrivals)")
    (name,) = next(iter(routes))
    (line,) = [line for line in factory.lines if line.name == name]
    line = _identical_lines(scenario, [line], customer)
    batch = line.batch
    if batch is None or batch.same_family or not isinstance(batch.lay_h, Exponential):
        raise NotAQueue(f"station '{name}' must make batches of any family, exponential lays")
    if line.breakdowns is not None or line.unit_time_h.expectation != 0:
        raise NotAQueue(f"station '{name}' must take its lay's time only, without breakdowns")
    if line.changeover_h != Changeover():
        raise NotAQueue(f"station '{name}' must have no changeovers")
    return BulkModel(
        1 / (customer.interarrival_days.mean * HOURS_PER_DAY),
        1 / batch.lay_h.mean,
        batch.max_orders,
    )
