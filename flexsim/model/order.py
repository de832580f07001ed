"""Order: what a customer asks a factory to make; it carries its timestamps through the model."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flexsim.records import OrderRecord

NOT_YET = math.nan  # a timestamp that has not happened (yet)


@dataclass(slots=True)
class Order:
    order_id: int
    kind: str
    channel: str
    customer: str
    factory: str
    family: str
    item: str
    quantity: int
    placed_at: float
    due_at: float
    line: str = ""
    setup_at: float = NOT_YET
    start_at: float = NOT_YET
    finished_at: float = NOT_YET
    changeover: str = "none"
    changeover_cost: float = 0.0

    def record(self, status: str, reason: str = "") -> OrderRecord:
        """The order as one immutable row of the orders table."""
        return OrderRecord(
            self.order_id,
            self.kind,
            self.channel,
            self.customer,
            self.factory,
            self.line,
            self.family,
            self.item,
            self.quantity,
            self.placed_at,
            self.due_at,
            self.setup_at,
            self.start_at,
            self.finished_at,
            self.changeover,
            self.changeover_cost,
            status,
            reason,
        )
