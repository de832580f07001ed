"""Order book files: a scenario's `order_book` CSV read into its `opening_orders`.

A file's rows are read with pandas as text and validated like the scenario (types are read from
the text), and every error names the file, the row (the header is row 1, so the first order is
row 2) and the column.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from flexsim.inputs import InputError, Unreadable, quoted, read_text, shortened
from flexsim.limits import MAX_PROBLEM_CHARS, MAX_PROBLEMS
from flexsim.scenario.orderbook import OpeningOrder
from flexsim.scenario.root import Scenario, ScenarioError, book_problems, validate
from flexsim.spec import did_you_mean


def read_book(scenario: Scenario, folder: Path, source: str) -> Scenario:
    """The scenario with its `order_book` file read into `opening_orders` (relative to
    `folder`); a ScenarioError naming the file, row and column when the file is bad."""
    path = folder / scenario.order_book
    name = str(path)
    if scenario.opening_orders:
        raise ScenarioError(
            f"{source}: order_book and opening_orders are both given; give one of them."
        )
    try:
        text = read_text(path)
    except Unreadable as error:
        raise ScenarioError(f"{source}: order_book: cannot read {name} ({error.reason}).") from None
    except InputError as error:
        raise ScenarioError(f"{source}: order_book: {name} {error}.") from None
    found, orders, numbers = [], [], []
    for number, row in _rows(text, name):
        try:
            orders.append(OpeningOrder.model_validate(row, strict=False))
            numbers.append(number)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                column = str(item["loc"][0]) if item["loc"] else "?"
                found.append((number, column, item["msg"].removeprefix("Value error, ")))
    if not found:
        read = scenario.model_copy(update={"order_book": "", "opening_orders": orders})
        found = [(numbers[i], column, problem) for i, column, problem in book_problems(read)]
    if found:
        raise ScenarioError(_message(name, found))
    return validate(read.model_dump(mode="python"), source)


def _rows(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as text with their row numbers (the header is row 1), an empty cell left
    out (the column's default then applies) and an empty row skipped."""
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no rows"
        raise ScenarioError(f"{name}: not a CSV file of opening orders ({first}).") from None
    columns = [str(c).strip() for c in frame.columns]
    valid = list(OpeningOrder.model_fields)
    unknown = [c for c in columns if c not in valid]
    if unknown:
        raise ScenarioError(
            f"{name}: row 1: unknown column {quoted(unknown[0])}"
            f"{did_you_mean(unknown[0], valid)}; the columns are: {', '.join(valid)}."
        )
    required = [c for c, f in OpeningOrder.model_fields.items() if f.is_required()]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ScenarioError(
            f"{name}: row 1: column(s) {', '.join(missing)} missing; the columns are: "
            f"{', '.join(valid)}."
        )
    frame.columns = pd.Index(columns)
    rows = [
        (i + 2, {str(column): cell.strip() for column, cell in record.items() if cell.strip()})
        for i, record in enumerate(frame.to_dict("records"))
    ]
    return [(number, row) for number, row in rows if row]


def _message(name: str, found: list[tuple[int, str, str]]) -> str:
    """One paragraph: the first MAX_PROBLEMS problems (row number, column, what is wrong)."""
    listed = [
        shortened(f"row {number}, column {column}: {message}", MAX_PROBLEM_CHARS)
        for number, column, message in found[:MAX_PROBLEMS]
    ]
    more = f"; and {len(found) - MAX_PROBLEMS:,} more" if len(found) > MAX_PROBLEMS else ""
    count = "a problem" if len(found) == 1 else f"{len(found):,} problems"
    return f"{name}: {count} in the order book: " + "; ".join(listed) + more + "."
