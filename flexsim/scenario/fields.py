"""Scenario field types: names, shares, money, and the vocabularies of rules, regimes and
policies that the parts of the schema share."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, PositiveFloat

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
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")]
NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, description="in the scenario's currency")]
Families = Annotated[
    dict[Name, PositiveFloat],
    Field(min_length=1, description="product family → relative weight"),
]


def require_unique(names: list[str], what: str) -> None:
    """Fail with the first name that is used twice; `what` says what kind of name it is."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} name '{name}' is used twice; names must be unique")
        seen.add(name)
