"""KPI tables: one run's KPIs (or replications' means ± half-widths) as the tables people
read, on the console (`flexsim run`) and in report.html, leaving out the sections with nothing to
show and saying which and why; `—` for a KPI that cannot be computed. A scenario with many
factories shows totals and spreads across them and one table with a row per factory
(report/spread.py)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from flexsim import metrics
from flexsim.report import spread
from flexsim.scenario import Scenario
from flexsim.vocabulary import (
    FACTORIES,
    ORDER_STATUSES,
    PAYMENT_STATES,
    REFUSAL_REASONS,
)

MISSING = "—"  # a KPI that cannot be computed, on the console and in the report
WIDE = 10  # KPI tables with more columns than this stand up (one KPI per row)


class Estimate(NamedTuple):
    """A KPI over replications: the mean and the half-width of its 95 % interval."""

    mean: float
    half_width: float


@dataclass(frozen=True)
class Table:
    """One KPI table: its title and its cells (numbers, None, Estimates or text)."""

    title: str
    frame: pd.DataFrame
    index: bool = True  # whether the row labels are part of the table
    ranked_by: str = ""  # a table of one row per factory: the console's top and bottom by it


def kpi_tables(kpis: Mapping[str, Any], scenario: Scenario) -> tuple[list[Table], str]:
    """The tables of one run's KPIs (numbers) or of replications (Estimates), in the nested
    shape of `metrics.kpis`; sections with nothing to show are left out, and the note returned
    says which and why ("" when none is)."""
    tables: list[Table] = []
    left_out: list[tuple[str, str]] = []
    many = spread.many_factories(scenario)
    lines, parties = spread.line_groups(), spread.party_groups()
    across = (
        f" — across the {len(scenario.factories)} factories (their lines, the workshops): the "
        "factories' lines or books together, total where it adds up, mean, min, median, max; a "
        "row each in the table of factories"
    )

    def add(title: str, frame: pd.DataFrame, what: str, why: str, index: bool = True) -> None:
        if frame.empty:
            left_out.append((what, why))
        else:
            tables.append(Table(title, frame, index))

    def by(
        rows: Mapping[str, Mapping[str, Any]],
        groups: list[spread.Group],
        total: Any = None,
        together: bool = False,
    ) -> Mapping[str, Mapping[str, Any]]:
        """The rows as they are, or with many factories the spreads of their groups; of a
        section with a FACTORIES entry (`together`), that entry shown only with many factories,
        as the first group's `together` row."""
        whole = rows.get(FACTORIES) if together else None
        if together:
            rows = {key: row for key, row in rows.items() if key != FACTORIES}
        return spread.spread_rows(rows, groups, total, whole) if many and rows else rows

    def more(title: str) -> str:
        return title + across if many else title

    no_sellers = "the scenario has no sellers" if not scenario.sellers.count else ""
    add(
        "Lead time in hours (orders placed after the warm-up and finished, placed → finished)",
        _frame(kpis["lead_time"], "kind"),
        "lead time",
        "no order placed after the warm-up was finished",
    )
    add(
        more(
            "Line time shares (of calendar time; busy_of_open = processing + changeover over "
            "open; overtime in hours)"
        ),
        _frame(by(kpis["utilisation"], lines, together=True), "line"),
        "line time shares",
        "the scenario has no lines",
    )
    add(
        more("Booked share of open capacity (published daily; the next 7 days, the whole horizon)"),
        _frame(by(kpis["capacity"], lines), "line"),
        "booked capacity",
        "no factory books capacity",
    )
    add(
        f"Orders at the horizon: {cell_text(kpis['orders'].get('placed'))} placed in the whole "
        "run (warm-up included), by status, by the factory's payment and refused by reason",
        _orders(kpis["orders"]),
        "orders",
        "no order was placed",
        index=False,
    )
    moved = {p: row for p, row in kpis["cash_cycle"].items() if _moved(row)}
    add(
        more(
            "Cash conversion cycle of each factory, the sellers together and the platform "
            f"(days; money in {scenario.currency}; CCC = DIO + DSO - DPO from time-weighted "
            "balances; the platform's receivables are its voucher float)"
        ),
        _frame(by(moved, parties, spread.additive, together=True), "party"),
        "cash conversion cycle",
        "no money moved but the owners' capital",
    )
    sellers = kpis["sellers"] if not all(map(_quiet, kpis["sellers"].values())) else {}
    add(
        "Sellers (all together, after the warm-up)",
        _frame({"sellers": sellers} if sellers else {}, ""),
        "sellers",
        no_sellers or "no seller traded after the warm-up",
    )
    add(
        more("Sellers per factory (who asked for a sample after the warm-up; shares who ordered)"),
        _frame(by(kpis["seller_factories"], [("factory", "factories", bool)]), "factory"),
        "sellers per factory",
        no_sellers or "no seller asked for a sample after the warm-up",
    )
    if kpis.get("subcontracting"):  # only a scenario with workshops has the section
        add(
            more(
                "Subcontracting (orders placed after the warm-up and accepted): each factory's "
                "share sent out and on-time shares by maker; each workshop's busy share of "
                "calendar time, pieces scrapped and reworked, on-time share"
            ),
            _frame(by(kpis["subcontracting"], parties, spread.additive), "maker"),
            "subcontracting",
            "no order was sent out",
        )
    if kpis.get("alliance"):  # only a scenario with alliances has the section
        add(
            "Alliances: survival from day 0 (censored: still 2 core members or more at the "
            "horizon) and withdrawals; each member's profit and allocation by the rule over "
            f"the reviews after the warm-up ({scenario.currency}) and the day it withdrew",
            _frame(kpis["alliance"], "alliance"),
            "alliances",
            "no alliance reviewed",
        )
    if kpis.get("stations"):  # only a scenario with routings has the section
        add(
            "Stations of routed factories: busy share of calendar time, mean number of orders "
            "in the queue, steps that reached the station after the warm-up and their mean "
            "wait and time there (h); the bottleneck (1) has its factory's highest busy share",
            _frame(kpis["stations"], "station"),
            "stations",
            "no routed order reached a station",
        )
    if kpis.get("peak"):  # only a run whose window meets one of the sellers' seasons
        add(
            "Service in the peak (orders placed on the days of the sellers' seasons after the "
            "warm-up): accepted orders, share refused, share of those due by the horizon "
            "finished on time, ex-works lead time (h)",
            _frame(kpis["peak"], "channel"),
            "peak",
            "no order was placed in a season",
        )
    if many:
        rows = spread.factory_rows(kpis, scenario)
        tables.append(
            Table(
                "Factories, one row each: their lines' mean busy share of open time (and booked "
                "share of the next 7 days), revenue, profit, cash conversion cycle and cash at "
                f"the end ({scenario.currency}), sellers who asked for a sample and the share "
                "who ordered",
                _frame(rows, "factory", stand=False),
                ranked_by="profit",
            )
        )
    return tables, _left_out(left_out)


def _frame(rows: Mapping[str, Mapping[str, Any]], label: str, stand: bool = True) -> pd.DataFrame:
    """Rows of KPIs as a table, standing up (one KPI per row) when it has many columns."""
    if not rows:
        return pd.DataFrame()
    # column by column as objects: a count stays an int (1, not 1.000) beside a missing KPI
    frame = pd.DataFrame({key: pd.Series(row, dtype=object) for key, row in rows.items()}).T
    frame.index.name = label
    return frame.T if stand and len(frame.columns) > WIDE else frame


def _orders(counts: Mapping[str, Any]) -> pd.DataFrame:
    """The order counts as three small columns of (name, count): by status, by payment state,
    and the refusals by reason."""
    if _quiet(counts.get("placed")):
        return pd.DataFrame()
    groups = {
        "status": [(s, counts.get(s)) for s in ORDER_STATUSES],
        "payment": [(p, counts.get(f"payment_{p}")) for p in PAYMENT_STATES],
        "refused because": [(r, counts.get(f"refused_{r}")) for r in REFUSAL_REASONS],
    }
    height = max(len(pairs) for pairs in groups.values())
    columns: dict[str, list[Any]] = {}
    for head, pairs in groups.items():
        padded = pairs + [("", "")] * (height - len(pairs))
        columns[head] = [name for name, _ in padded]
        columns[f"{head} orders"] = [count for _, count in padded]
    frame = pd.DataFrame(columns, dtype=object)
    frame.columns = pd.Index([c if not c.endswith(" orders") else "orders" for c in columns])
    return frame


def _quiet(value: Any) -> bool:
    """Whether a KPI shows nothing: missing or zero."""
    if isinstance(value, Estimate):
        value = value.mean
    return value is None or value == 0 or (isinstance(value, float) and math.isnan(value))


def _moved(row: Mapping[str, Any]) -> bool:
    """Whether a party's money moved in the window: a flow, a balance, or its cash changed."""
    changing = [*metrics.MONEY_FLOWS, *metrics.MONEY_BALANCES]
    cash = [row.get("cash_end"), row.get("cash_min")]
    return not all(_quiet(row.get(k)) for k in changing) or _mean(cash[0]) != _mean(cash[1])


def _mean(value: Any) -> Any:
    return value.mean if isinstance(value, Estimate) else value


def _left_out(pairs: list[tuple[str, str]]) -> str:
    """One sentence naming the sections left out, those with the same reason together."""
    if not pairs:
        return ""
    reasons: dict[str, list[str]] = {}
    for what, why in pairs:
        reasons.setdefault(why, []).append(what)
    parts = [f"{' and '.join(whats)} ({why})" for why, whats in reasons.items()]
    return "Left out, with nothing to show: " + "; ".join(parts) + "."


def cell_text(value: Any) -> str:
    """A table cell as text: `—` for a missing KPI, numbers as `number`, an Estimate as
    `mean ± half-width`."""
    if isinstance(value, Estimate):
        text = cell_text(value.mean)
        return text if math.isnan(value.half_width) else f"{text} ± {number(value.half_width)}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number(value)


def number(x: float) -> str:
    """Counts and money without decimals, shares and short times with three."""
    if x == 0:
        return "0"  # also -0.0
    if isinstance(x, int) or (abs(x) > 1 and float(x).is_integer()):
        return f"{x:,.0f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


def text_table(table: Table) -> str:
    """A table as console text, its text columns (names) aligned left; of a table ranked by a
    KPI (one row per factory), the top and bottom few rows by it and a line saying so."""
    if table.ranked_by and len(table.frame) > 2 * spread.EDGE + 1:
        return _ends(table)
    frame = table.frame.map(cell_text)
    labels = [str(column) for column in frame.columns]
    widths = []
    for i, label in enumerate(labels):
        width = max(len(label), *(len(v) for v in frame.iloc[:, i]))
        if all(isinstance(v, str) for v in table.frame.iloc[:, i]):
            frame.iloc[:, i] = [v.ljust(width) for v in frame.iloc[:, i]]
            labels[i] = label.ljust(width)
        widths.append(width + 1)  # two spaces between columns
    if not table.index:
        widths[0] -= 1  # no row labels to keep apart from
    frame.columns = pd.Index(labels, name=frame.columns.name)
    return frame.to_string(index=table.index, col_space=widths)


def _ends(table: Table) -> str:
    """The top and bottom rows of a ranked table as text, a row of dots between them."""
    frame, kpi = table.frame, table.ranked_by
    rows = {str(key): {kpi: value} for key, value in frame[kpi].items()}
    top, bottom = spread.top_and_bottom(spread.ranked(rows, kpi))
    dots = pd.DataFrame([[""] * len(frame.columns)], index=["…"], columns=frame.columns)
    shown = pd.concat([frame.loc[top], dots, frame.loc[bottom]])
    shown.index.name = frame.index.name
    text = text_table(Table(table.title, shown, table.index))
    return (
        f"{text}\nthe top {len(top)} and bottom {len(bottom)} of {len(frame)} by {kpi}; "
        "every row in kpis.json and the report (flexsim report DIR)"
    )


def html_table(table: Table) -> str:
    """A KPI table as an HTML table: its row labels first, text left and numbers right."""
    frame = table.frame.reset_index() if table.index else table.frame
    label = str(table.frame.index.name or table.frame.columns.name or "")
    head = [label if table.index and i == 0 else str(c) for i, c in enumerate(frame.columns)]
    rows = []
    for values in frame.itertuples(index=False):
        cells = [
            f'<td class="text">{html.escape(v)}</td>'
            if isinstance(v, str)
            else f"<td>{html.escape(cell_text(v))}</td>"
            for v in values
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    text = [all(isinstance(v, str) for v in frame.iloc[:, i]) for i in range(len(head))]
    opening = ['<th class="text">' if left else "<th>" for left in text]
    header = "".join(f"{tag}{html.escape(h)}</th>" for tag, h in zip(opening, head, strict=True))
    body = f'<table class="kpis"><tr>{header}</tr>{"".join(rows)}</table>'
    # one row per factory: a box of its own that scrolls, its header kept in view
    return f'<div class="rows">{body}</div>' if table.ranked_by else body
