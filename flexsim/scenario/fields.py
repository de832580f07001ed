"""Scenario field types: names, shares, money, bounded numbers and durations, and the
vocabularies of rules, regimes and policies that the parts of the schema share.

Every number has an upper bound (flexsim/limits.py): MAX_NUMBER for plain numbers, the longest
horizon for a number of days; and a positive one a lower bound, MIN_POSITIVE. So every product,
sum and reciprocal the model makes of them stays finite."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from flexsim.dists import NOT_TINY
from flexsim.dists import NonNegative as NonNegative  # defined once, with the distributions
from flexsim.dists import Positive as Positive
from flexsim.limits import (
    MAX_HORIZON_DAYS,
    MAX_NAME_CHARS,
    MAX_NUMBER,
)
from flexsim.vocabulary import CHANNELS, check_names

ChannelName = Literal["ecommerce", "offline"]
DispatchName = Literal["fifo", "edd", "spt", "family", "cyclic_exhaustive", "cyclic_gated"]
POLLING_RULES = ("cyclic_exhaustive", "cyclic_gated")
RegimeName = Literal["offline_credit", "voucher", "prepaid", "deposit_balance"]
WagesName = Literal["piece_rate", "payroll"]
ReorderPolicyName = Literal["sell_through", "bayes", "early_signal", "presale", "none"]
ListAt = Literal["arrival", "approval"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
check_names(CHANNELS, ChannelName, "vocabulary.CHANNELS")
ALWAYS_OPEN = "always"  # the calendar every scenario has without declaring it
# no dots: a dot separates the parts of a --set key and of a factory.line label
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"^[A-Za-z0-9_-]+$")]
# a routing step: a station (a line's name), or `workshop:NAME`, an outside workshop's step
WORKSHOP_STEP = "workshop:"
RouteStep = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME_CHARS + len(WORKSHOP_STEP),
        pattern=r"^(workshop:)?[A-Za-z0-9_-]+$",
    ),
]


def step_workshop(step: str) -> str | None:
    """The workshop a routing step names (`workshop:NAME`), or None for a station."""
    return step[len(WORKSHOP_STEP) :] if step.startswith(WORKSHOP_STEP) else None


Share = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, le=MAX_NUMBER, description="in the scenario's currency")]
Days = Annotated[float, Field(ge=0, le=MAX_HORIZON_DAYS)]  # a duration: none outlasts a run
PositiveDays = Annotated[float, Field(gt=0, le=MAX_HORIZON_DAYS), NOT_TINY]
Families = Annotated[
    dict[Name, Positive],
    Field(min_length=1, description="product family → relative weight"),
]


def require_unique(names: list[str], what: str) -> None:
    """Fail with the first name that is used twice; `what` says what kind of name it is."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} name '{name}' is used twice; names must be unique")
        seen.add(name)
