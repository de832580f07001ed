"""Records: one immutable tuple per finished thing or state change, kept in plain lists.

The model appends records while it runs; run.py turns each list into one DataFrame at the end.
Nothing here imports pandas or SimPy. Column meanings are documented in docs/results.md.
"""

from __future__ import annotations

from typing import NamedTuple


class OrderRecord(NamedTuple):
    """One order, written when it finishes, is refused, or is still open at the horizon."""

    order_id: int
    kind: str  # offline (later: sample, trial, repeat)
    channel: str  # ecommerce | offline
    customer: str
    factory: str
    line: str  # "" until a line takes it
    family: str
    item: str
    quantity: int
    placed_at: float
    due_at: float
    setup_at: float  # work on the line begins (changeover, or processing when none); NaN if not yet
    start_at: float  # processing begins; NaN if not yet
    finished_at: float  # NaN if not finished
    changeover: str  # none | same_family | other_family
    changeover_cost: float  # money paid for this order's changeover
    status: str  # finished | refused | waiting | in_production
    reason: str  # why refused (below_moq), else ""


class LineStateRecord(NamedTuple):
    """A line enters `state` at `at` and stays in it until its next record."""

    factory: str
    line: str
    at: float
    state: str  # processing | changeover | idle | off_shift
    order_id: int  # the order being worked on, -1 when none


ORDER_STATUSES = ("finished", "refused", "waiting", "in_production")
LINE_STATES = ("processing", "changeover", "idle", "off_shift")

TABLES: dict[str, list[str]] = {
    "orders": list(OrderRecord._fields),
    "line_states": list(LineStateRecord._fields),
}
"""Table name → column names; every Recorder list has a table of this name."""


class Recorder:
    """Append-only lists of records, one list per table."""

    def __init__(self) -> None:
        self.orders: list[OrderRecord] = []
        self.line_states: list[LineStateRecord] = []

    def lists(self) -> dict[str, list[tuple[object, ...]]]:
        """Each table's name with its records, in TABLES order."""
        return {name: getattr(self, name) for name in TABLES}
