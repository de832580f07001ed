"""The line's fast path pinned: `Line.take` inlines process() and enter() for a plain line (always
open; no overtime, booking, materials, breakdowns or unit times per family) taking the same item
again, and `Factory.next_for` pops the oldest order for a fifo line that makes everything instead
of calling the rule. Each scenario here runs twice, as it is and with both shortcuts switched off
on every line, and all six tables must be identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flexsim
from flexsim.model.line import Line

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"horizon_days": 150.0, "warmup_days": 10.0}
# validation scenario → whether some line is plain, whether some line takes the oldest order
VALIDATION = {
    "mm1": (True, True),
    "mmc": (True, True),
    "md1": (True, True),
    "mg1": (True, True),
    "breakdowns": (False, True),
    "polling_exhaustive": (True, False),
    "polling_gated": (True, False),
    "polling_asymmetric_exhaustive": (True, False),
    "polling_asymmetric_gated": (True, False),
}


def scenarios() -> list[Any]:
    """Each scenario with whether some line may take each shortcut: it runs with all of them
    off anyway, but a scenario that takes neither compares a path with itself."""
    cases = [
        pytest.param(flexsim.load_builtin("mm1", SHORT), (True, True), id="builtin-mm1"),
        pytest.param(
            flexsim.load_builtin("tao-factory", SHORT), (False, False), id="tao-factory-overtime"
        ),
    ]
    for name, shortcuts in VALIDATION.items():
        path = ROOT / "experiments" / "validation" / f"{name}.toml"
        cases.append(pytest.param(flexsim.load(path).with_overrides(SHORT), shortcuts, id=name))
    return cases


def run(
    scenario: flexsim.Scenario, general: bool
) -> tuple[dict[str, pd.DataFrame], tuple[bool, bool]]:
    """The run's tables, and whether some line it built was plain, and some took the oldest
    order uncalled; with `general`, no line takes either shortcut."""
    plain, oldest = [], []
    build = Line.__init__

    def init(line: Line, *args: Any, **kwargs: Any) -> None:
        build(line, *args, **kwargs)
        plain.append(line.plain)
        oldest.append(line.takes_oldest)
        if general:
            line.plain = line.takes_oldest = False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Line, "__init__", init)
        tables = flexsim.run(scenario, 1).tables
    return tables, (any(plain), any(oldest))


@pytest.mark.parametrize(("scenario", "shortcuts"), scenarios())
def test_the_fast_path_and_the_general_path_give_identical_tables(
    scenario: flexsim.Scenario, shortcuts: tuple[bool, bool]
) -> None:
    tables, taken = run(scenario, general=False)
    general, _ = run(scenario, general=True)
    assert taken == shortcuts
    assert list(general) == list(tables)
    for name, table in tables.items():
        pd.testing.assert_frame_equal(general[name], table, check_exact=True, obj=name)
    assert len(tables["orders"]) and len(tables["line_states"])
