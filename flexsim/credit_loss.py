"""Credit loss: the expected loss of the balances still owed, and bad debt measured with it.

A balance opens when a buyer comes to owe it: on offline credit at delivery (the value less the
deposit, owed to the factory), under the voucher at confirmation (the value, owed to the
platform). Whether the buyer defaults is drawn then, with the payment's `default_probability`
p (flexsim/model/credit.py, flexsim/model/voucher.py). With T the term (offline credit:
`term_days`; voucher: `repay_days`), L the `late_days` and W the `write_off_days`, the balance
closes

    written off at T + W          with probability p,
    paid at T                     with probability (1 − p)(1 − q),
    paid late at T + L            with probability (1 − p) q,   q = `late_probability`,

after it opened. A balance still open at age a is more likely a defaulting one, since those stay
open longest; by Bayes

                                        p S_{T+W}(a)
    P(default | open at a) = ─────────────────────────────────────────────────────────────
                             p S_{T+W}(a) + (1 − p)(1 − q) S_T(a) + (1 − p) q S_{T+L}(a)

with S_X(a) = P(X ≥ a). The expected credit loss (ECL) at time t is the sum over the balances
open just before t of balance × P(default | open at its age). Then

    bad_debt_with_expected_loss = write-offs in [s, e) + ECL(e) − ECL(s)

has the expected value p × the balances opened in [s, e), whatever the warm-up s or the terms:
what is written off after the horizon still counts, and what the warm-up's balances lose in the
window is not counted twice.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from flexsim.dists import (
    Deterministic,
    DistSpec,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Poisson,
    Uniform,
    UniformInt,
)
from flexsim.scenario import Channels, PaymentSpec
from flexsim.vocabulary import (
    BAD_DEBT,
    HOURS_PER_DAY,
    PLATFORM,
    RECEIVABLES,
    VOUCHER,
    VOUCHER_FLOAT,
    factory_name,
    is_factory,
)

Array = npt.NDArray[np.float64]
Risk = tuple[PaymentSpec, DistSpec, list[int]]  # a channel's payment, its term, its orders
OFFLINE_CREDIT = "offline_credit"
KPI = "bad_debt_with_expected_loss"
TOLERANCE_DAYS = 1e-6 / HOURS_PER_DAY  # a payment stamped at an age is still due at that age
QUADRATURE = 1024  # quantile midpoints of late_days when neither it nor the term is fixed
OPEN = 1e-6  # a balance below this (currency) is settled: float sums leave crumbs


def survival(dist: DistSpec, days: Array) -> Array:
    """P(X ≥ x) of a distribution at each x (days), in closed form where there is one (scipy's
    special functions, slow to import, only for the gamma, Erlang, lognormal and Poisson)."""
    x = np.asarray(days, dtype=float) - TOLERANCE_DAYS
    above = np.maximum(x, 0.0)
    if isinstance(dist, Deterministic) or (isinstance(dist, Poisson) and dist.mean == 0):
        return (dist.expectation > x).astype(float)
    if isinstance(dist, Uniform):
        if dist.high == dist.low:
            return (dist.low > x).astype(float)
        share: Array = np.clip((dist.high - x) / (dist.high - dist.low), 0.0, 1.0)
        return share
    if isinstance(dist, UniformInt):
        count = dist.high - dist.low + 1  # of the integers low … high, those above x
        above_x: Array = np.clip(dist.high - np.maximum(np.floor(x), dist.low - 1), 0, count)
        return above_x / count
    if isinstance(dist, Exponential):
        return np.exp(-above / dist.mean)
    from scipy import special

    if isinstance(dist, Gamma | Erlang):
        shape, scale = _gamma(dist)
        return np.where(x > 0, special.gammaincc(shape, above / scale), 1.0)
    if isinstance(dist, Lognormal):
        mu, sigma = _lognormal(dist)
        with np.errstate(divide="ignore"):
            z = (np.log(above) - mu) / sigma
        return np.where(x > 0, special.ndtr(-z), 1.0)
    if isinstance(dist, Poisson):  # P(N > k) = P(Gamma(k + 1) < mean)
        return np.where(x >= 0, special.gammainc(np.floor(above) + 1, dist.mean), 1.0)
    raise TypeError(f"no survival function for {type(dist).__name__}")


def quantiles(dist: DistSpec, shares: Array) -> Array:
    """The distribution's quantiles at shares in (0, 1)."""
    u = np.asarray(shares, dtype=float)
    if isinstance(dist, Deterministic):
        return np.full_like(u, dist.value)
    if isinstance(dist, Uniform):
        return dist.low + u * (dist.high - dist.low)
    if isinstance(dist, UniformInt):
        values: Array = dist.low + np.floor(u * (dist.high - dist.low + 1))
        return values
    if isinstance(dist, Exponential):
        exponential: Array = -dist.mean * np.log1p(-u)
        return exponential
    from scipy import special

    if isinstance(dist, Gamma | Erlang):
        shape, scale = _gamma(dist)
        return scale * np.asarray(special.gammaincinv(shape, u), dtype=float)
    if isinstance(dist, Lognormal):
        mu, sigma = _lognormal(dist)
        return np.exp(mu + sigma * np.asarray(special.ndtri(u), dtype=float))
    if isinstance(dist, Poisson):  # the least k whose distribution function reaches u
        ks = np.arange(np.ceil(dist.mean + 20 * np.sqrt(dist.mean) + 20))
        cdf = special.gammaincc(ks + 1, dist.mean)
        return np.searchsorted(cdf, u).astype(float)
    raise TypeError(f"no quantile function for {type(dist).__name__}")


def _gamma(dist: Gamma | Erlang) -> tuple[float, float]:
    """Shape and scale."""
    if isinstance(dist, Erlang):
        return float(dist.k), dist.mean / dist.k
    return 1 / dist.cv**2, dist.mean * dist.cv**2


def _lognormal(dist: Lognormal) -> tuple[float, float]:
    """The mean and standard deviation of the logarithm."""
    sigma2 = float(np.log1p(dist.cv**2))
    return float(np.log(dist.mean)) - sigma2 / 2, float(np.sqrt(sigma2))


def sum_survival(first: DistSpec, second: DistSpec, days: Array) -> Array:
    """P(X + Y ≥ x) of two independent draws: exact when either is fixed, else the mean of
    X's survival over 1,024 quantile midpoints of Y."""
    if isinstance(second, Deterministic):
        return survival(first, days - second.value)
    if isinstance(first, Deterministic):
        return survival(second, days - first.value)
    shifts = quantiles(second, (np.arange(QUADRATURE) + 0.5) / QUADRATURE)
    grid = survival(first, np.asarray(days, dtype=float)[:, None] - shifts[None, :])
    result: Array = grid.mean(axis=1)
    return result


def default_given_open(payment: PaymentSpec, term: DistSpec, age_days: Array) -> Array:
    """P(default | the balance is still open at each age, in days since it opened); 1 where no
    paying balance could still be open and a defaulting one could not either (a state the
    model never reaches: a balance open past every close is taken as lost)."""
    ages = np.asarray(age_days, dtype=float)
    p, q = payment.default_probability, payment.late_probability
    if p == 0:
        return np.zeros_like(ages)
    defaulting = p * survival(term, ages - payment.write_off_days)
    paying = (1 - p) * (1 - q) * survival(term, ages)
    if q:
        paying = paying + (1 - p) * q * sum_survival(term, payment.late_days, ages)
    total = defaulting + paying
    chance: Array = np.divide(defaulting, total, out=np.ones_like(ages), where=total > 0)
    return chance


def open_balances(ledger: pd.DataFrame, account: str, at: float) -> pd.DataFrame:
    """The balances on `account` in the ledger's postings (one party's, for chosen orders)
    stamped before `at`: per order, `amount` still owed and `opened_at`, when it was first
    debited. Only orders still owing more than a crumb."""
    books = ledger[ledger["at"] < at]
    debit, credit = books["debit"] == account, books["credit"] == account
    signed = books["amount"].where(debit, 0.0) - books["amount"].where(credit, 0.0)
    amount = signed.groupby(books["order_id"]).sum()
    opened = books.loc[debit, "at"].groupby(books.loc[debit, "order_id"]).min()
    table = pd.DataFrame({"amount": amount, "opened_at": opened.reindex(amount.index)})
    return table[table["amount"] > OPEN]


def expected_loss(books: pd.DataFrame, account: str, risks: list[Risk], at: float) -> float:
    """ECL(at): the balances on `account` in one party's books open just before `at`, each
    times its probability of default given its age, by the terms of its orders' channel."""
    total = 0.0
    for payment, term, order_ids in risks:
        balances = open_balances(books[books["order_id"].isin(order_ids)], account, at)
        ages = (at - balances["opened_at"].to_numpy(float)) / HOURS_PER_DAY
        chance = default_given_open(payment, term, ages)
        total += float((balances["amount"].to_numpy(float) * chance).sum())
    return total


def at_risk(orders: pd.DataFrame, channels: Channels, regime: str) -> list[Risk]:
    """The orders of a regime by channel, with the channel's payment and the term a balance
    runs before it is due: the credit term, or the voucher's repayment period."""
    risks: list[Risk] = []
    of_regime = orders[orders["regime"] == regime]
    if of_regime.empty:  # a small factory of a village sells on no credit
        return risks
    for channel, mine in of_regime.groupby("channel"):
        payment = channels.get(str(channel)).payment
        term: DistSpec = payment.term_days
        if regime == VOUCHER:
            term = Deterministic(value=payment.repay_days)
        risks.append((payment, term, mine["order_id"].astype(int).tolist()))
    return risks


def bad_debt_with_expected_loss(
    tables: dict[str, pd.DataFrame], party: str, start_h: float, end_h: float, channels: Channels
) -> float:
    """A factory's (its offline-credit receivables) or the platform's (its voucher float)
    write-offs in [start_h, end_h) + ECL(end_h) − ECL(start_h)."""
    ledger, orders = tables["ledger"], tables["orders"]
    books = ledger[ledger["party"] == party]
    if is_factory(party):
        orders = orders[orders["factory"] == factory_name(party)]
        risks, account = at_risk(orders, channels, OFFLINE_CREDIT), RECEIVABLES
    else:
        risks, account = at_risk(orders, channels, VOUCHER), VOUCHER_FLOAT
    inside = (books["at"] >= start_h) & (books["at"] < end_h) & (books["debit"] == BAD_DEBT)
    written_off = float(books.loc[inside, "amount"].sum())
    return (
        written_off
        + expected_loss(books, account, risks, end_h)
        - expected_loss(books, account, risks, start_h)
    )


def rows_by(table: pd.DataFrame, column: str, keys: list[str]) -> dict[str, pd.DataFrame]:
    """Each key's rows of `table` (those whose `column` holds it), in table order (none: an
    empty table), found in one pass rather than one per key: with thousands of sellers, most
    postings are theirs, and a factory's orders are a fiftieth of a village's."""
    mine = table[table[column].isin(keys)]
    found = {str(key): rows for key, rows in mine.groupby(column, sort=False)}
    return {key: found.get(key, mine.iloc[:0]) for key in keys}


def with_expected_loss(
    cycles: dict[str, dict[str, float]],
    tables: dict[str, pd.DataFrame],
    start_h: float,
    end_h: float,
    channels: Channels | None,
) -> dict[str, dict[str, float]]:
    """The cash cycles with `bad_debt_with_expected_loss` added to each factory's and the
    platform's; as they are without the channels' terms."""
    if channels is None:
        return cycles
    parties = [party for party in cycles if is_factory(party) or party == PLATFORM]
    factories = [factory_name(party) for party in parties if is_factory(party)]
    made_by = rows_by(tables["orders"], "factory", factories)
    for party, books in rows_by(tables["ledger"], "party", parties).items():
        mine = tables | {"ledger": books}
        if is_factory(party):
            mine["orders"] = made_by[factory_name(party)]
        cycles[party][KPI] = bad_debt_with_expected_loss(mine, party, start_h, end_h, channels)
    return cycles
