"""Workshop specs: the small outside workshops a factory may subcontract orders to, and each
factory's rule for sending an order out.

A workshop is a line-like single server: it makes one order at a time in its calendar's open
hours, each order taking quantity × one `unit_time_h` draw. An order travels `transport_days`
each way (one draw out, one back); the way back is late with probability
1 − `on_time_probability`, by a `late_days` draw. When an order (or its reworked pieces) is made
the factory's inspector at the workshop sorts each piece: scrapped with `scrap_probability`,
made again with `rework_probability`, good otherwise; the reworked pieces are queued again at
the workshop (behind the orders waiting there) and inspected again. The factory pays
`price_per_piece` for each good piece, `terms_days` after the order is back."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from flexsim.dists import Deterministic, DistSpec
from flexsim.scenario.fields import ALWAYS_OPEN, Days, Money, Name, NonNegative, Share
from flexsim.spec import Spec

SubcontractRule = Literal["never", "quote_late", "backlog"]


class WorkshopSpec(Spec):
    """One outside workshop: its calendar and speed, its price, the transport to and from it,
    how reliably it delivers on time and the share of pieces it scraps or has to rework."""

    name: Name
    calendar: Name = ALWAYS_OPEN
    unit_time_h: DistSpec = Field(
        description="hours per piece; one draw per order (or rework batch), times its pieces"
    )
    price_per_piece: Money = 0.0
    transport_days: DistSpec = Field(
        default=Deterministic(value=0), description="days each way: one draw out, one back"
    )
    on_time_probability: Share = 1.0
    late_days: DistSpec = Field(
        default=Deterministic(value=0),
        description="days a late return comes after its transport",
    )
    rework_probability: Annotated[float, Field(ge=0, lt=1)] = 0.0
    scrap_probability: Share = 0.0

    @model_validator(mode="after")
    def _shares(self) -> WorkshopSpec:
        if self.rework_probability + self.scrap_probability > 1:
            raise ValueError(
                f"rework_probability ({self.rework_probability:g}) + scrap_probability "
                f"({self.scrap_probability:g}) is more than 1: they are shares of the same pieces"
            )
        return self


class SubcontractSpec(Spec):
    """When a factory sends an accepted order out to a workshop instead of its own lines:
    `never`; `quote_late` when its own lines' quote is after the due date (needs capacity
    booking); `backlog` when the expected hours of the orders waiting for its lines are at or
    above `backlog_h`. The order goes to the listed workshop with the fewest orders in hand
    (sent and not yet back), the first listed on a tie."""

    rule: SubcontractRule = "never"
    backlog_h: NonNegative = 0.0
    workshops: list[Name] = []
    terms_days: Days = 30.0
