"""Dispatch rules: which queued order a free line takes next, by name.

A rule gets the factory's queue (in arrival order) and the line, and returns the index of the
order to take, or -1 when the line may take none of them. The names are the scenario's
`DispatchName`, checked at import. The polling disciplines pick within the
family the line is visiting; when the line moves on is the PollingLine's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from flexsim.model.order import Order
from flexsim.scenario import DispatchName
from flexsim.vocabulary import check_names


class Taker(Protocol):
    """What a rule needs to know of a line."""

    serves_all: bool  # every channel and every family: no eligibility check needed
    visiting: str  # the family a polling line is at ("" for other lines)
    family: str | None  # the family of the last order the line made (None: none yet)

    def serves(self, order: Order) -> bool: ...


Rule = Callable[[Sequence[Order], Taker], int]


def fifo(queue: Sequence[Order], line: Taker) -> int:
    """First come, first served."""
    if line.serves_all:
        return 0 if queue else -1
    for i, order in enumerate(queue):
        if line.serves(order):
            return i
    return -1


def _best(queue: Sequence[Order], line: Taker, key: Callable[[Order], float]) -> int:
    """The eligible order with the smallest key; ties go to the earliest arrival."""
    best, best_key = -1, 0.0
    for i, order in enumerate(queue):
        if line.serves(order) and (best < 0 or key(order) < best_key):
            best, best_key = i, key(order)
    return best


def edd(queue: Sequence[Order], line: Taker) -> int:
    """Earliest due date first."""
    return _best(queue, line, lambda order: order.due_at)


def spt(queue: Sequence[Order], line: Taker) -> int:
    """Shortest processing time first: on one line that is the smallest quantity."""
    return _best(queue, line, lambda order: order.quantity)


def family_batching(queue: Sequence[Order], line: Taker) -> int:
    """Family batching: stay on the family the line last made while it has orders waiting
    (first come, first served among them), then switch to the oldest order."""
    first = -1
    for i, order in enumerate(queue):
        if line.serves(order):
            if order.family == line.family:
                return i
            if first < 0:
                first = i
    return first


def visiting_family(queue: Sequence[Order], line: Taker) -> int:
    """The first order of the family a polling line is visiting (first come, first served)."""
    for i, order in enumerate(queue):
        if order.family == line.visiting and line.serves(order):
            return i
    return -1


DISPATCH: dict[str, Rule] = {
    "fifo": fifo,
    "edd": edd,
    "spt": spt,
    "family": family_batching,
    "cyclic_exhaustive": visiting_family,
    "cyclic_gated": visiting_family,
}
POLLING = {"cyclic_exhaustive": False, "cyclic_gated": True}  # name → gated
check_names(DISPATCH, DispatchName, "rules.DISPATCH")
