"""Sharing: how an alliance splits its pooled profit among its members, by rule.

Pure arithmetic on arrays (no SimPy): fixed shares, shares in proportion to a contribution
(costs, capacity), and the Shapley value of a game given by its worth v(S) for every coalition
S, a bit mask over the members (member i is bit i). The alliance's accounting worth is a sum
of unanimity games: each member's stand-alone profit, plus each joint order's margin, which a
coalition earns only when it holds all the order's participants (`worths`); its Shapley value
has a closed form (`unanimity_shapley`), which the exact enumeration (`shapley`) reproduces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]


def fixed(pool: float, shares: Vector) -> Vector:
    """The pool split by fixed shares, renormalised over the members given (those still in)."""
    total = float(shares.sum())
    if total <= 0:
        return np.full(len(shares), pool / len(shares))
    return pool * shares / total


def proportional(pool: float, contributions: Vector) -> Vector:
    """The pool split in proportion to each member's contribution (costs or capacity); equally
    when nobody contributed anything."""
    weights = np.clip(contributions, 0.0, None)
    total = float(weights.sum())
    if total <= 0:
        return np.full(len(weights), pool / len(weights))
    return pool * weights / total


def worths(standalone: Vector, joint: Mapping[int, float]) -> Vector:
    """v(S) for every coalition S (index = bit mask): the stand-alone profits of S's members,
    plus the margin of every joint order whose participants (the mask it is keyed by) are all
    in S."""
    n = len(standalone)
    masks = np.arange(2**n)
    members = (masks[:, None] >> np.arange(n)) & 1
    worth: Vector = members @ standalone
    for participants, margin in joint.items():
        worth += margin * ((masks & participants) == participants)
    return worth


def shapley(worth: Vector) -> Vector:
    """The Shapley value of the game with worth v(S) for each coalition mask S (v(∅) = 0):
    each member's marginal contribution v(S ∪ {i}) − v(S), weighted |S|! (n − |S| − 1)! / n!,
    summed over the coalitions S without it. Exact, by enumerating the 2^n coalitions."""
    n = round(math.log2(len(worth)))
    if 2**n != len(worth):
        raise ValueError(f"{len(worth)} worths: one per coalition is a power of 2")
    masks = np.arange(2**n)
    sizes = np.zeros(2**n, dtype=np.int64)
    for i in range(n):
        sizes += (masks >> i) & 1
    weight = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    value = np.empty(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        value[i] = float(weight[sizes[without]] @ (worth[without | (1 << i)] - worth[without]))
    return value


def unanimity_shapley(standalone: Vector, joint: Mapping[int, float]) -> Vector:
    """The closed form of `shapley(worths(standalone, joint))`: each member's stand-alone
    profit plus an equal share of the margin of every joint order it takes part in."""
    value = standalone.astype(float).copy()
    for participants, margin in joint.items():
        who = [i for i in range(len(value)) if participants >> i & 1]
        for i in who:
            value[i] += margin / len(who)
    return value
