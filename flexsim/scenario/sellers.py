"""Seller specs: the Taobao sellers and their items: seasons, life cycle, the click funnel,
the choice of factory, and reorders."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from flexsim.dists import Deterministic, DistSpec, Lognormal
from flexsim.inputs import listing, quoted
from flexsim.limits import (
    MAX_BUYERS,
    MAX_FACTOR,
    MAX_LAUNCHES_PER_WEEK,
    MAX_NUMBER,
    MIN_CONVERSION,
)
from flexsim.scenario.fields import (
    Days,
    Families,
    ListAt,
    Money,
    Name,
    NonNegative,
    Positive,
    PositiveDays,
    ReorderPolicyName,
    Share,
)
from flexsim.scenario.plant import Holiday
from flexsim.spec import Spec


class Season(Holiday):
    """A period of a sellers' year, both days included, in which launches and demand run at a
    multiple of their usual rate (the Double Eleven ramp); overlapping seasons multiply."""

    launch_factor: Annotated[float, Field(ge=0, le=MAX_FACTOR)] = 1.0
    demand_factor: Annotated[float, Field(ge=0, le=MAX_FACTOR)] = 1.0


class LifeCycleSpec(Spec):
    """How an item's daily demand moves with its days since listing: a linear ramp from
    `start_factor` to 1 over `ramp_days`, `peak_days` at 1, then a decay that halves it every
    `half_life_days` (none: no decay). The defaults keep it at 1 throughout."""

    ramp_days: Days = 0.0
    start_factor: Share = 1.0
    peak_days: Days = 0.0
    half_life_days: PositiveDays | None = None


class FunnelSpec(Spec):
    """Clicks, favourites and demand of a listed item: clicks are Poisson with mean the item's
    daily rate / `conversion`, each click wants to buy with probability `conversion` (so demand
    stays Poisson with the item's rate) and adds it to favourites with `favourite_share`. The
    defaults (every click buys, none favourites) draw no extra random numbers."""

    conversion: Annotated[float, Field(ge=MIN_CONVERSION, le=1)] = 1.0
    favourite_share: Share = 0.0


class ChoiceSpec(Spec):
    """How a seller with several factories picks one per new item: the lowest score
    `delivery_weight` × quoted days to completion + `price_weight` × the factory's price
    factor − `reputation_weight` × its on-time share with this seller (the mean of a
    Beta(`prior_on_time` + deliveries on time, `prior_late` + late ones) posterior), drawn by
    multinomial logit: probability ∝ exp(−score)."""

    delivery_weight: NonNegative = 1.0
    price_weight: NonNegative = 0.0
    reputation_weight: NonNegative = 5.0
    prior_on_time: Positive = 1.0
    prior_late: Positive = 1.0
    price_factors: dict[Name, Positive] = Field(
        default={}, description="factory → multiplier of an item's factory price; 1 if absent"
    )


class ReorderSpec(Spec):
    """When a seller orders an item again (policy `sell_through`; `none` never reorders).

    First repeat: as soon as the trial batch has sold `sell_through_share` of its pieces within
    `within_days` of listing. After that the item is reviewed every `review_days`: when stock
    plus stock on order falls below the forecast demand over `lead_time_days + review_days`,
    the seller orders up to it. The forecast rate is the item's sales per listed day so far.
    Every order is at least the channel's MOQ, and none is placed when the item's remaining
    life is shorter than the lead time.

    Policy `early_signal` places the first repeat as soon as the item has `signal_favourites`
    favourites within `within_days` of listing, ordering up to its forecast from favourites
    (favourites per listed day × `favourite_conversion`, default the funnel's conversion /
    favourite_share); reviews follow as for sell_through, the forecast the larger of that and
    the sales rate. Policy `presale` (C2F) lists the item at sample approval and collects
    pre-orders instead of placing a trial order; `presale_days` later it orders the pre-orders
    plus the cover at their daily rate (at least the MOQ); the batch fills the pre-orders on
    arrival, then reviews follow as for sell_through.

    Policy `bayes` reviews every `review_days` from listing and orders up to the same cover,
    forecasting with the gamma-Poisson posterior mean of the item's daily rate: a gamma prior
    (moment-matched to the sellers' `popularity` unless `prior_mean`/`prior_cv` are given),
    updated with each day's sales, sold-out days counted as censored (demand ≥ stock).
    """

    policy: ReorderPolicyName = "sell_through"
    sell_through_share: Share = 0.5
    signal_favourites: Annotated[int, Field(ge=1, le=int(MAX_NUMBER))] = 20
    favourite_conversion: Positive | None = None
    presale_days: Days = 5.0
    within_days: PositiveDays = 14.0
    review_days: PositiveDays = 7.0
    lead_time_days: Days = 12.0
    prior_mean: Positive | None = None
    prior_cv: Positive | None = None


class SellersSpec(Spec):
    """Taobao sellers buying from one factory through the e-commerce channel.

    Each seller launches new items (launches_per_week × its share_at_factory draw reach this
    factory, as a Poisson stream); an item's latent popularity is its daily demand rate. A
    seller is sample-only with probability sample_only_share: it compares samples here and
    orders elsewhere, so it drops every item after its first sample. Per item: a proof
    sample from the factory's sample room (remade when rejected, the item dropped after too
    many rejections), a trial order of at least the MOQ, listing when it arrives, daily
    Poisson demand limited by stock (unmet demand is lost), repeat orders by the reorder
    policy, and salvage of leftover stock when its life ends. Consumers pay the platform, which
    holds a day's retail revenue in escrow and releases it to the seller `escrow_days` later.
    """

    count: Annotated[int, Field(ge=0, le=MAX_BUYERS)] = 0
    factory: Name | None = Field(
        default=None, description="required when count > 0 and `factories` is empty"
    )
    factories: list[Name] = []
    choice: ChoiceSpec = ChoiceSpec()
    record_days: bool = Field(
        default=False,
        description="write the seller_days table: a row per seller and day (all sellers "
        "together are always in sales_days)",
    )
    launches_per_week: Annotated[float, Field(ge=0, le=MAX_LAUNCHES_PER_WEEK)] = 10.0
    share_at_factory: DistSpec = Field(
        default=Deterministic(value=1),
        description="one draw per seller (above 1 counts as 1): the share of its launches "
        "sourced at the factories here",
    )
    sample_only_share: Share = Field(
        default=0.0,
        description="share of sellers who only ask for samples here and order elsewhere",
    )
    size: DistSpec = Field(
        default=Deterministic(value=1),
        description="one draw per seller; multiplies its launch rate and its items' popularity",
    )
    families: Families = {"default": 1.0}
    family_concentration: Positive | None = None
    seasons: list[Season] = []
    popularity: DistSpec = Field(
        default=Lognormal(dist="lognormal", mean=2.0, cv=2.0),
        description="daily demand rate of an item, pieces per day",
    )
    life_days: PositiveDays = 60.0
    life_cycle: LifeCycleSpec = LifeCycleSpec()
    funnel: FunnelSpec = FunnelSpec()
    list_at: ListAt = "arrival"
    sample_fee: Money = 0.0
    trial_quantity: DistSpec = Deterministic(value=50)
    retail_price: DistSpec = Deterministic(value=0)
    factory_price: DistSpec = Deterministic(value=0)
    salvage_price: Money = 0.0
    transit_days: DistSpec = Deterministic(value=3)
    confirm_days: DistSpec = Deterministic(value=3)
    escrow_days: Days = 10.0
    initial_cash: Money = 50_000.0
    reorder: ReorderSpec = ReorderSpec()

    @model_validator(mode="after")
    def _signals_exist(self) -> SellersSpec:
        if self.share_at_factory.expectation > 1:
            raise ValueError(
                f"share_at_factory: a share of launches; its mean must be at most 1, got "
                f"{self.share_at_factory.expectation:g}"
            )
        if self.reorder.policy == "early_signal" and self.funnel.favourite_share == 0:
            raise ValueError(
                "reorder.policy: 'early_signal' decides from favourites; give "
                "funnel.favourite_share > 0"
            )
        reorder = self.reorder
        if (
            reorder.policy == "bayes"
            and reorder.prior_mean is None
            and not self.popularity.expectation
        ):
            raise ValueError(
                "reorder.policy: 'bayes' forecasts from a gamma prior whose mean is that of "
                "`popularity` unless reorder.prior_mean is given; give a popularity with a mean "
                "above 0 or a prior_mean"
            )
        mine = self.factory_names()
        unknown = [name for name in self.choice.price_factors if name not in mine]
        if unknown:
            raise ValueError(
                f"choice.price_factors: {quoted(unknown[0])} is not a factory the sellers buy "
                f"from; they buy from {listing(mine) or '(none)'}"
            )
        return self

    def factory_names(self) -> list[str]:
        """The factories the sellers may buy from: `factories`, else the one `factory`."""
        return list(self.factories) or ([self.factory] if self.factory else [])

    def seller_names(self) -> list[str]:
        return [f"seller-{i}" for i in range(self.count)]
