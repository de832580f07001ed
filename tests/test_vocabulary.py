"""The vocabulary: one home for the words the model writes and the metrics read, tied to the
schema's Literals and the policy registries at import time."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Literal

import pytest

from flexsim import vocabulary
from flexsim.model.payment import REGIMES
from flexsim.model.reorder import REORDER
from flexsim.model.rules import DISPATCH, POLLING
from flexsim.scenario import (
    POLLING_RULES,
    ChannelName,
    DispatchName,
    RegimeName,
    ReorderPolicyName,
)

PACKAGE = Path(vocabulary.__file__).parent


def test_check_names_rejects_a_word_missing_on_either_side() -> None:
    vocabulary.check_names(("a", "b"), Literal["b", "a"], "ok")
    with pytest.raises(TypeError, match=r"extra: the names \['a', 'b', 'c'\]"):
        vocabulary.check_names(("a", "b", "c"), Literal["a", "b"], "extra")
    with pytest.raises(TypeError, match="missing"):
        vocabulary.check_names({"a": 1}, Literal["a", "b"], "missing")


@pytest.mark.parametrize(
    ("names", "literal"),
    [
        (vocabulary.CHANNELS, ChannelName),
        (DISPATCH, DispatchName),
        (REGIMES, RegimeName),
        (REORDER, ReorderPolicyName),
    ],
)
def test_registries_and_words_match_the_schema(names: object, literal: object) -> None:
    vocabulary.check_names(names, literal, "registry")  # type: ignore[arg-type]


def test_polling_rules_are_the_schema_polling_names() -> None:
    assert set(POLLING) == set(POLLING_RULES)
    assert vocabulary.VOUCHER in RegimeName.__args__


def test_party_names_round_trip() -> None:
    party = vocabulary.factory_party("fuchun")
    assert party == "factory/fuchun" and vocabulary.is_factory(party)
    assert vocabulary.factory_name(party) == "fuchun"
    assert vocabulary.is_seller(vocabulary.seller_party("s-1"))
    with pytest.raises(ValueError, match="not a factory party"):
        vocabulary.factory_name("seller/s-1")


def test_no_module_builds_or_parses_party_names_by_hand() -> None:
    """`factory/` and `seller/` appear as string literals only in the vocabulary."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "vocabulary.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if (
                isinstance(text, str)
                and text.startswith(("factory/", "seller/"))
                and " " not in text
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders


def test_hours_per_year_is_365_days() -> None:
    assert vocabulary.HOURS_PER_YEAR == 365 * 24 == vocabulary.DAYS_PER_YEAR * 24
