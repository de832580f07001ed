"""Factory choice: which factory a seller asks to make a new item.

launch → each candidate factory quotes the trial order's completion → score = delivery weight ×
quoted days + price weight × price factor − reputation weight × the posterior mean of the
factory's on-time share with this seller → pick by multinomial logit (probability ∝
exp(−score)) → … every delivery: on time when finished_at ≤ due_at, the Beta posterior updated.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flexsim.scenario import ChoiceSpec


class FactoryChoice:
    """One seller's view of its factories: a Beta(on time, late) posterior per factory."""

    def __init__(self, spec: ChoiceSpec, names: list[str], uniform: Callable[[], float]) -> None:
        self.spec, self.names, self.uniform = spec, names, uniform
        # deliveries counted per factory, only for those that delivered (a seller of a cluster
        # buys from a few of its many factories); the others are at their prior
        self.on_time: dict[str, float] = {}
        self.late: dict[str, float] = {}

    def reputation(self, name: str) -> float:
        """The posterior mean of the factory's on-time share with this seller."""
        on_time = self.on_time.get(name, self.spec.prior_on_time)
        return on_time / (on_time + self.late.get(name, self.spec.prior_late))

    def score(self, name: str, quoted_days: float) -> float:
        spec = self.spec
        price = spec.price_factors.get(name, 1.0)
        return (
            spec.delivery_weight * quoted_days
            + spec.price_weight * price
            - spec.reputation_weight * self.reputation(name)
        )

    def pick(self, quoted_days: dict[str, float]) -> str:
        """A factory drawn with probability ∝ exp(−score) (the lowest score most likely)."""
        scores = {name: self.score(name, days) for name, days in quoted_days.items()}
        best = min(scores.values())
        weights = {name: math.exp(best - score) for name, score in scores.items()}
        draw = self.uniform() * sum(weights.values())
        for name, weight in weights.items():
            draw -= weight
            if draw < 0:
                return name
        return name  # rounding left a sliver: the last factory

    def observe(self, name: str, on_time: bool) -> None:
        """A delivery from the factory: count it on time or late."""
        if on_time:
            self.on_time[name] = self.on_time.get(name, self.spec.prior_on_time) + 1
        else:
            self.late[name] = self.late.get(name, self.spec.prior_late) + 1
