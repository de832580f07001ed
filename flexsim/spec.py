"""Spec: the frozen base of every scenario-schema model; unknown keys get a did-you-mean hint."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from flexsim.inputs import quoted


class Spec(BaseModel):
    """A frozen, strictly keyed piece of a scenario.

    Pydantic's own `extra="forbid"` says only "extra inputs are not permitted"; checking the keys
    first lets the error suggest the nearest valid key and list the valid ones, which is what a
    person fixing a typo in a TOML file needs.
    """

    # strict: TOML `true` is not the number 1; no inf/nan: a horizon of inf never ends
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, strict=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        valid = list(cls.model_fields)
        for key in data:
            if key not in cls.model_fields:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key {key}{hint}; valid keys here: {valid}",
                    {
                        "key": quoted(str(key)),  # a key read from a file may be megabytes long
                        "hint": did_you_mean(str(key), valid),
                        "valid": ", ".join(valid),
                    },
                )
        return data


def did_you_mean(word: str, choices: list[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
