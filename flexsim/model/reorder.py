"""Reorder policies: when a seller reconsiders a listed item and at what daily rate it forecasts
its demand, by name.

A policy arms an item's first-repeat trigger (a threshold on one of the shelf's tallies with a
deadline) when the item is listed or its first batch arrives, or schedules its first review;
the shelf reconsiders an item when its tally reaches the threshold in time or a review falls
due, and orders up to the policy's forecast rate × (lead time + review period) less stock and
stock on order, at least the MOQ (model/shelf.py). The names are the scenario's
`ReorderPolicyName`; a test checks that the two lists agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flexsim.model.forecast import censored_gamma_rate, gamma_prior, naive_rate
from flexsim.scenario import ReorderPolicyName, SellersSpec
from flexsim.vocabulary import HOURS_PER_DAY, check_names

if TYPE_CHECKING:
    from flexsim.model.shelf import Item, Shelf


class SellThrough:
    """The first repeat when `sell_through_share` of the first batch sells within `within_days`
    of its arrival; then a review every `review_days`. Forecast: sales per listed day."""

    signal = "sold"  # the shelf tally compared with an item's threshold
    presells = False  # takes pre-orders before the first batch (and so lists at approval)
    censored = False  # keeps the tallies of days with stock left and sold-out days

    def __init__(self, spec: SellersSpec) -> None:
        self.spec = spec.reorder
        self.within_h = self.spec.within_days * HOURS_PER_DAY

    def listed(self, shelf: Shelf, row: int, slot: int, now: float) -> None:
        """The item went on sale (with or without stock)."""

    def first_stock(self, shelf: Shelf, row: int, slot: int, quantity: int, now: float) -> None:
        """The first batch arrived."""
        shelf.threshold[row, slot] = self.spec.sell_through_share * quantity
        shelf.deadline[row, slot] = now + self.within_h

    def rate(self, shelf: Shelf, row: int, item: Item, now: float) -> float:
        """The forecast demand, pieces a day."""
        return naive_rate(float(shelf.sold[row, item.slot]), self.listed_days(item, now))

    @staticmethod
    def listed_days(item: Item, now: float) -> float:
        return max((now - item.listed_at) / HOURS_PER_DAY, 1.0)


class Presale(SellThrough):
    """C2F pre-sale: list at sample approval and take pre-orders for `presale_days`, whose
    count (plus the cover at their rate) is the first batch; then as sell-through."""

    presells = True


class EarlySignal(SellThrough):
    """The first repeat when favourites reach `signal_favourites` within `within_days` of
    listing, before sales accumulate; then reviews. Forecast: the larger of sales per listed
    day and favourites per listed day × `favourite_conversion` (default: the funnel's
    conversion / favourite share, the buyers per favourite)."""

    signal = "favourites"

    def __init__(self, spec: SellersSpec) -> None:
        super().__init__(spec)
        funnel = spec.funnel
        self.favourite_conversion = self.spec.favourite_conversion or (
            funnel.conversion / funnel.favourite_share if funnel.favourite_share else 1.0
        )

    def listed(self, shelf: Shelf, row: int, slot: int, now: float) -> None:
        shelf.threshold[row, slot] = self.spec.signal_favourites
        shelf.deadline[row, slot] = now + self.within_h

    def first_stock(self, shelf: Shelf, row: int, slot: int, quantity: int, now: float) -> None:
        pass

    def rate(self, shelf: Shelf, row: int, item: Item, now: float) -> float:
        days = self.listed_days(item, now)
        signal = float(shelf.favourites[row, item.slot]) * self.favourite_conversion / days
        return max(super().rate(shelf, row, item, now), signal)


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

    def first_stock(self, shelf: Shelf, row: int, slot: int, quantity: int, now: float) -> None:
        shelf.next_review[row, slot] = now + self.review_h

    def rate(self, shelf: Shelf, row: int, item: Item, now: float) -> float:
        shape, rate = self.prior
        sales = float(shelf.open_sales[row, item.slot])
        days = float(shelf.open_days[row, item.slot])
        return censored_gamma_rate(shape, rate, sales, days, item.sold_out_at)


class NoReorder(SellThrough):
    """Trial orders only: nothing ever triggers a repeat."""

    def first_stock(self, shelf: Shelf, row: int, slot: int, quantity: int, now: float) -> None:
        pass


REORDER: dict[str, type[SellThrough]] = {
    "sell_through": SellThrough,
    "bayes": Bayes,
    "early_signal": EarlySignal,
    "presale": Presale,
    "none": NoReorder,
}
check_names(REORDER, ReorderPolicyName, "reorder.REORDER")
