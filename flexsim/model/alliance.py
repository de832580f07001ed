"""Alliance: members who pool their profit and split it by a rule every review period, and the
core factories who withdraw after bad periods.

built: the ledger counts each member party's income and costs; each core factory's finished
orders are watched for joint orders (made for the alliance's sellers, or with a member
workshop) → every `review_days` from time 0: each member's profit, costs and open line hours
over the period → the pool (the profits summed) split by the rule (model/sharing.py) → each
core member's return (allocation / costs) against the outside option; bad periods in a row
counted → after `bad_periods` of them the factory withdraws: it finishes the orders it has
accepted, and the sellers place it no new ones but choose again among the factories left
(model/seller.py) → the alliance ends when fewer than 2 core members are left (its survival):
the factories that withdrew are ordinary factories again, open to the sellers' orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from flexsim.model import sharing
from flexsim.model.factory import Factory
from flexsim.model.ledger import Ledger
from flexsim.model.line import Line
from flexsim.model.order import Order
from flexsim.model.timer import Environment
from flexsim.records import Recorder
from flexsim.scenario import AllianceSpec
from flexsim.vocabulary import HOURS_PER_DAY, SELLER_KINDS


@dataclass(slots=True)
class Member:
    """One member: the ledger parties whose books are its profit, the lines that are its
    capacity, and what the reviews have counted so far."""

    name: str
    role: str
    index: int  # its bit in a coalition's mask
    parties: list[str]
    lines: list[Line]
    factory: Factory | None = None  # a core member's factory
    seen: tuple[float, float] = (0.0, 0.0)  # income and costs counted at the last review
    joint_part: float = 0.0  # its parts of the joint orders' margins since the last review
    streak: int = 0  # bad periods in a row
    active: bool = True


class Alliance:
    """One alliance: its members, its joint orders since the last review, its reviews."""

    def __init__(
        self,
        env: Environment,
        spec: AllianceSpec,
        members: list[Member],
        ledger: Ledger,
        recorder: Recorder,
    ) -> None:
        self.env, self.spec, self.members, self.ledger = env, spec, members, ledger
        self.records = recorder.alliance_reviews
        self.lead = next((m for m in members if m.role == "lead"), None)
        self.outside = {m.parties[0]: m for m in members if m.role == "outside"}
        self.joint: dict[int, float] = {}  # participants' mask → margins since the last review
        self.ended_at = 0.0 if spec.ended() else math.inf  # (a restart after its end)

    def watch(self, member: Member, ship: Callable[[Order], None]) -> Callable[[Order], None]:
        """The core factory's shipping, noting each finished order first."""

        def shipped(order: Order) -> None:
            self.note(member, order)
            ship(order)

        return shipped

    def note(self, maker: Member, order: Order) -> None:
        """A core factory finished an order: when other members took part (the lead, for a
        seller's order; a member workshop that made it), its margin is joint. The factory's
        part is its price less its cost (the workshop's fee included), the workshop's its fee,
        the lead's none: the margin a coalition earns only with all of them."""
        if not maker.active or self.ended_at < math.inf:
            return
        # noted before the trade ships it: billed for the pieces delivered (model/trade.py)
        value = order.price * order.delivered if order.scrapped else order.value
        parts = {maker.index: value - order.cost}
        lead = self.lead
        if lead is not None and lead.active and order.kind in SELLER_KINDS:
            parts[lead.index] = 0.0
        shop = self.outside.get(order.line)
        if shop is not None and shop.active and maker.factory is not None:
            parts[shop.index] = maker.factory.fees.get(order.line, 0.0) * order.delivered
        if len(parts) < 2:
            return
        mask = sum(1 << i for i in parts)
        self.joint[mask] = self.joint.get(mask, 0.0) + sum(parts.values())
        for i, part in parts.items():
            self.members[i].joint_part += part

    def reviews(self) -> Generator[simpy.Event, Any, None]:
        """Every review period, from time 0 (the first after `first_review_days`, when a
        restart gives it), until fewer than 2 core members are left."""
        period_h, start = self.spec.review_days * HOURS_PER_DAY, 0.0
        first = self.spec.first_review_days
        wait_h = period_h if first is None else first * HOURS_PER_DAY
        while True:
            yield self.env.timeout(wait_h)
            wait_h = period_h
            if self.review(start, self.env.now):
                return
            start = self.env.now

    def review(self, start: float, end: float) -> bool:
        """Split the period's pool, record each member's row, withdraw the core members with
        `bad_periods` bad periods in a row; True when the alliance has ended."""
        spec = self.spec
        active = [m for m in self.members if m.active]
        profit, cost, capacity = (np.zeros(len(active)) for _ in range(3))
        tally = self.ledger.tally
        assert tally is not None
        for k, member in enumerate(active):
            income = sum(tally[p][0] for p in member.parties)
            costs = sum(tally[p][1] for p in member.parties)
            profit[k] = (income - member.seen[0]) - (costs - member.seen[1])
            cost[k] = costs - member.seen[1]
            member.seen = (income, costs)
            capacity[k] = sum(line.normal.open_hours(start, end) for line in member.lines)
        allocation = self.allocate(active, profit, cost, capacity)
        for member in active:
            member.joint_part = 0.0
        self.joint = {}
        for k, member in enumerate(active):
            share, base = float(allocation[k]), float(cost[k])
            rate = share / base if base > 0 else math.nan
            bad = member.role == "core" and rate < spec.outside_return  # NaN is never bad
            member.streak = member.streak + 1 if bad else 0
            leaves = member.streak >= spec.bad_periods
            self.records.append(
                (
                    spec.name, member.name, member.role, start, end, float(profit[k]),
                    base, float(capacity[k]), share, rate, bad, leaves,
                )
            )  # fmt: skip
            if leaves:
                member.active = False
                assert member.factory is not None
                member.factory.withdrawn_at = end
        if sum(m.active and m.role == "core" for m in self.members) < 2:
            self.ended_at = end
            for member in self.members:  # no alliance left to stay out of: the factories that
                if member.factory is not None:  # withdrew take the sellers' orders again
                    member.factory.withdrawn_at = math.inf
            return True
        return False

    def allocate(
        self, active: list[Member], profit: np.ndarray, cost: np.ndarray, capacity: np.ndarray
    ) -> np.ndarray:
        """The pool split among the members still in by the alliance's rule."""
        pool, rule = float(profit.sum()), self.spec.rule
        if rule == "fixed":
            shares = np.array([self.spec.shares[m.name] for m in active])
            return sharing.fixed(pool, shares)
        if rule == "cost":
            return sharing.proportional(pool, cost)
        if rule == "capacity":
            return sharing.proportional(pool, capacity)
        # shapley: stand-alone profits, and the joint margins on the active members' positions
        position = {m.index: k for k, m in enumerate(active)}
        joint: dict[int, float] = {}
        for mask, margin in self.joint.items():
            local = sum(1 << position[i] for i in position if mask >> i & 1)
            joint[local] = joint.get(local, 0.0) + margin
        standalone = profit - np.array([m.joint_part for m in active])
        return sharing.shapley(sharing.worths(standalone, joint))
