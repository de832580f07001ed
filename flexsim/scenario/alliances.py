"""Alliance specs: members who pool their profit and split it by a rule, reviewed every period.

An alliance's members are core factories (`role = "core"`, a factory's name), the sellers as
one lead member (`role = "lead"`, name `sellers`) and outside workshops (`role = "outside"`, a
workshop's name). Every `review_days` (from time 0) each member's accounting profit over the
period (income less costs, from the ledger) goes into a pool, and the `rule` splits the pool:
`fixed` by `shares` (member → share, summing to 1), `cost` in proportion to each member's costs
in the period, `capacity` in proportion to the open hours of its lines in the period (the lead
has none), `shapley` by the Shapley value of the accounting worth v(S) (docs/scenario.md,
Alliances). A core member whose allocation over its costs in the period is below
`outside_return` has a bad period; after `bad_periods` bad periods in a row it withdraws. A
restart carries the state at its day: the members that had withdrawn (`withdrawn`), each core
member's bad periods in a row (`bad_streak`) and the time to the next review
(`first_review_days`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from flexsim.limits import MAX_NUMBER
from flexsim.scenario.fields import Name, PositiveDays, Share
from flexsim.spec import Spec

MemberRole = Literal["core", "lead", "outside"]
SharingRule = Literal["fixed", "cost", "capacity", "shapley"]
LEAD_NAME = "sellers"  # the lead member: all sellers as one
SHARE_TOLERANCE = 1e-9  # fixed shares sum to 1 within this


class MemberSpec(Spec):
    """One member of an alliance: a core factory, the lead (the sellers) or an outside
    workshop, by name."""

    name: Name
    role: MemberRole = "core"
    withdrawn: bool = Field(
        default=False,
        description="a core member that withdrew before the run's start (a restart, flexsim "
        "orderbook): the sellers place it no orders from time 0 while the alliance goes on",
    )
    bad_streak: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=0,
        description="a core member's bad periods in a row before the run's start (a restart); "
        "fewer than the alliance's bad_periods",
    )


class AllianceSpec(Spec):
    """An alliance: its members, how it splits their pooled profit, and when a core member
    withdraws."""

    name: Name
    members: list[MemberSpec] = Field(min_length=2)
    rule: SharingRule = "fixed"
    shares: dict[Name, Share] = Field(
        default={}, description="member → share of the pool (rule fixed only); sum to 1"
    )
    review_days: PositiveDays = 30.0
    first_review_days: PositiveDays | None = Field(
        default=None,
        description="days from the start to the first review (default review_days): at a "
        "restart, what was left of the period in progress",
    )
    outside_return: Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER)] = Field(
        default=0.0,
        description="the market return per review period, as a fraction of the member's costs "
        "in the period; a core member whose allocation / costs is below it has a bad period",
    )
    bad_periods: Annotated[int, Field(ge=1, le=1_000_000)] = 3

    def core(self) -> list[str]:
        return [m.name for m in self.members if m.role == "core"]

    def ended(self) -> bool:
        """Whether the alliance ended before the run's start: fewer than 2 core members were
        left (a restart after its end)."""
        return sum(m.role == "core" and not m.withdrawn for m in self.members) < 2
