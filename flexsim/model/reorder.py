"""Reorder policies: when a seller reconsiders a listed item and at what daily rate it forecasts
its demand, by name.

A policy never touches the shelf: it answers the shelf's questions with plain values. When an
item is listed or its first batch arrives it returns an arming (a `Trigger`: a threshold on its
signal tally with a deadline; a `Review`: a time; or None: nothing changes), which the shelf
applies; each day it names the tally its triggers watch (`signal`); when the shelf reconsiders
an item it forecasts the item's daily rate from its `Tallies`. The shelf then orders up to that
rate × (lead time + review period) less stock and stock on order, at least the MOQ
(model/shelf.py). The names are the scenario's `ReorderPolicyName`; a test checks that the two
lists agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from flexsim.model.forecast import censored_gamma_rate, gamma_prior, naive_rate
from flexsim.scenario import ReorderPolicyName, SellersSpec
from flexsim.vocabulary import HOURS_PER_DAY, check_names


@dataclass(frozen=True, slots=True)
class Trigger:
    """Reconsider the item once its signal tally reaches `threshold`, if by `deadline`."""

    threshold: float
    deadline: float


@dataclass(frozen=True, slots=True)
class Review:
    """Reconsider the item at `at`."""

    at: float


Arming = Trigger | Review | None  # None: the item's trigger and review stay as they are


class Tallies(NamedTuple):
    """What the shelf shows a policy of an item it reconsiders: when it was listed, its sales
    and favourites, its sales on days with stock left and the count of those days, and the
    stock on each sold-out day."""

    listed_at: float
    sold: float
    favourites: float
    open_sales: float
    open_days: float
    sold_out_at: list[int]


class SellThrough:
    """The first repeat when `sell_through_share` of the first batch sells within `within_days`
    of its arrival; then a review every `review_days`. Forecast: sales per listed day."""

    presells = False  # takes pre-orders before the first batch (and so lists at approval)
    censored = False  # keeps the tallies of days with stock left and sold-out days

    def __init__(self, spec: SellersSpec) -> None:
        self.spec = spec.reorder
        self.within_h = self.spec.within_days * HOURS_PER_DAY

    def signal(self, sold: np.ndarray, favourites: np.ndarray) -> np.ndarray:
        """The shelf's tally (every slot's) that a trigger's threshold is compared with."""
        return sold

    def listed(self, now: float) -> Arming:
        """The item went on sale (with or without stock)."""
        return None

    def first_stock(self, quantity: int, now: float) -> Arming:
        """The first batch arrived."""
        return Trigger(self.spec.sell_through_share * quantity, now + self.within_h)

    def rate(self, tallies: Tallies, now: float) -> float:
        """The forecast demand, pieces a day."""
        return naive_rate(tallies.sold, self.listed_days(tallies, now))

    @staticmethod
    def listed_days(tallies: Tallies, now: float) -> float:
        return max((now - tallies.listed_at) / HOURS_PER_DAY, 1.0)


class Presale(SellThrough):
    """C2F pre-sale: list at sample approval and take pre-orders for `presale_days`, whose
    count (plus the cover at their rate) is the first batch; then as sell-through."""

    presells = True


class EarlySignal(SellThrough):
    """The first repeat when favourites reach `signal_favourites` within `within_days` of
    listing, before sales accumulate; then reviews. Forecast: the larger of sales per listed
    day and favourites per listed day × `favourite_conversion` (default: the funnel's
    conversion / favourite share, the buyers per favourite)."""

    def __init__(self, spec: SellersSpec) -> None:
        super().__init__(spec)
        funnel = spec.funnel
        self.favourite_conversion = self.spec.favourite_conversion or (
            funnel.conversion / funnel.favourite_share if funnel.favourite_share else 1.0
        )

    def signal(self, sold: np.ndarray, favourites: np.ndarray) -> np.ndarray:
        return favourites

    def listed(self, now: float) -> Arming:
        return Trigger(self.spec.signal_favourites, now + self.within_h)

    def first_stock(self, quantity: int, now: float) -> Arming:
        return None

    def rate(self, tallies: Tallies, now: float) -> float:
        signal = tallies.favourites * self.favourite_conversion / self.listed_days(tallies, now)
        return max(super().rate(tallies, now), signal)


class Bayes(SellThrough):
    """No trigger: a review every `review_days` from the first batch's arrival. Forecast: the
    posterior mean of a gamma prior on the daily rate (mean `prior_mean`, cv `prior_cv`,
    default the sellers' popularity) updated with Poisson sales on days with stock left, and
    sold-out days as censored observations (demand ≥ stock)."""

    censored = True

    def __init__(self, spec: SellersSpec) -> None:
        super().__init__(spec)
        popularity = spec.popularity
        mean = self.spec.prior_mean or popularity.expectation
        cv = self.spec.prior_cv or popularity.variance**0.5 / popularity.expectation
        self.prior = gamma_prior(mean, (mean * max(cv, 1e-6)) ** 2)
        self.review_h = self.spec.review_days * HOURS_PER_DAY

    def first_stock(self, quantity: int, now: float) -> Arming:
        return Review(now + self.review_h)

    def rate(self, tallies: Tallies, now: float) -> float:
        shape, rate = self.prior
        return censored_gamma_rate(
            shape, rate, tallies.open_sales, tallies.open_days, tallies.sold_out_at
        )


class NoReorder(SellThrough):
    """Trial orders only: nothing ever triggers a repeat."""

    def first_stock(self, quantity: int, now: float) -> Arming:
        return None


REORDER: dict[str, type[SellThrough]] = {
    "sell_through": SellThrough,
    "bayes": Bayes,
    "early_signal": EarlySignal,
    "presale": Presale,
    "none": NoReorder,
}
check_names(REORDER, ReorderPolicyName, "reorder.REORDER")
