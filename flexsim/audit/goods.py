"""The laws of goods and time: pieces, orders by status, the horizon, ordered timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flexsim.audit.folder import Run, Verdict
from flexsim.records import TABLES
from flexsim.vocabulary import (
    DELIVERED,
    IN_PRODUCTION,
    IN_TRANSIT,
    OPEN,
    ORDER_STATUSES,
    PAID,
    PAYMENT_STATES,
    REFUSED,
    UNPAID,
    WAITING,
    WRITTEN_OFF,
)

PROMISES = {"orders": {"due_at", "quote_at"}, "capacity": {"day_at"}}
"""Timestamps that are promises or plans, not events: they may lie after the horizon."""
CHAIN = (
    *("placed_at", "fabric_at", "setup_at", "start_at"),
    *("finished_at", "delivered_at", "confirmed_at"),
)  # an order's stages, in the order they are reached


def pieces(run: Run) -> Verdict:
    orders, items, days = (run.tables[n] for n in ("orders", "items", "seller_days"))
    problems = []
    by_status = orders.groupby("status")["quantity"].sum()
    unknown = set(by_status.index) - set(ORDER_STATUSES)
    if unknown:
        problems.append(f"pieces in unknown statuses {sorted(unknown)}")
    if by_status.sum() != orders["quantity"].sum() or (orders["quantity"] < 0).any():
        problems.append("pieces ordered are not the sum of the pieces by status")
    if ((orders["scrapped"] < 0) | (orders["scrapped"] > orders["quantity"])).any():
        problems.append("orders with scrapped pieces below 0 or above their quantity")
    accepted = orders[orders["status"] != REFUSED]
    delivered = orders[orders["delivered_at"].notna()]
    delivered = delivered.assign(quantity=delivered["quantity"] - delivered["scrapped"])
    stock = items.set_index("item")
    for column, source in (("ordered", accepted), ("received", delivered)):
        expect = source.groupby("item")["quantity"].sum().reindex(stock.index, fill_value=0)
        wrong = int((stock[column] != expect).sum())
        if wrong:
            problems.append(f"{wrong} item(s) whose `{column}` differs from their orders'")
    kept = stock["sold"] + stock["salvaged"] + stock["in_stock"]
    if (wrong := int((stock["received"] != kept).sum())) > 0:
        problems.append(f"{wrong} item(s) whose pieces received ≠ sold + salvaged + in stock")
    sales = run.tables["sales_days"]
    if (
        int(sales["sold"].sum()) != int(items["sold"].sum())
        or (sales["demand"] != sales["sold"] + sales["lost"]).any()
    ):
        problems.append("the sellers' daily sales differ from their items' or from demand − lost")
    if len(days):  # each seller's days, when the scenario records them (sellers.record_days)
        sold = days.groupby("seller")["sold"].sum()
        expect = items.groupby("seller")["sold"].sum().reindex(sold.index, fill_value=0)
        summed = days.groupby("at")[["demand", "sold", "lost"]].sum()
        together = sales.set_index("at")[["demand", "sold", "lost"]].reindex(summed.index)
        if (sold != expect).any() or not summed.equals(together):
            problems.append("each seller's daily sales differ from its items' or from all sellers'")
    counted = ", ".join(f"{s} {int(by_status.get(s, 0)):,}" for s in ORDER_STATUSES)
    scrapped = int(orders["scrapped"].sum())
    counted += f" (of which scrapped at workshops {scrapped:,})" if scrapped else ""
    return problems, f"{int(orders['quantity'].sum()):,} pieces ordered: {counted}; " + (
        f"sellers received {int(stock['received'].sum()):,} = sold {int(stock['sold'].sum()):,} "
        f"+ salvaged {int(stock['salvaged'].sum()):,} + in stock {int(stock['in_stock'].sum()):,}"
    )


def expected_status(orders: pd.DataFrame) -> pd.Series:
    """Each order's status read off its timestamps and refusal reason (the last reached wins)."""
    status = pd.Series(WAITING, index=orders.index, dtype=object)
    status[orders["setup_at"].notna()] = IN_PRODUCTION
    status[orders["finished_at"].notna()] = IN_TRANSIT
    status[orders["delivered_at"].notna()] = DELIVERED
    status[orders["reason"].notna()] = REFUSED
    return status


def expected_payment(orders: pd.DataFrame) -> pd.Series:
    """Each order's payment state read off its timestamps: paid, written off, owed once
    delivered, none before."""
    payment = pd.Series(UNPAID, index=orders.index, dtype=object)
    payment[orders["delivered_at"].notna()] = OPEN
    payment[orders["paid_at"].notna()] = PAID
    payment[orders["written_off_at"].notna()] = WRITTEN_OFF
    return payment


def order_states(run: Run) -> Verdict:
    orders, problems = run.tables["orders"], []
    if (
        not orders["order_id"]
        .sort_values()
        .reset_index(drop=True)
        .equals(pd.Series(range(len(orders)), dtype=orders["order_id"].dtype))
    ):
        problems.append("order ids are not 0 … n − 1, each once")
    for column, expect in (("status", expected_status), ("payment", expected_payment)):
        wrong = orders.loc[orders[column] != expect(orders), "order_id"]
        if len(wrong):
            problems.append(f"{len(wrong)} order(s) whose {column} differs from their timestamps "
                            f"(first: order {wrong.iloc[0]})")  # fmt: skip
    counts = run.kpis.get("orders", {})
    table = {"placed": len(orders)}
    table |= {s: int((orders["status"] == s).sum()) for s in ORDER_STATUSES}
    table |= {f"payment_{p}": int((orders["payment"] == p).sum()) for p in PAYMENT_STATES}
    differ = [key for key, count in table.items() if counts.get(key) != count]
    if differ:
        problems.append(f"kpis.json's orders differ from the table in {', '.join(differ)}")
    counted = ", ".join(f"{s} {table[s]:,}" for s in ORDER_STATUSES)
    return problems, f"{len(orders):,} orders, each once, as their timestamps say: {counted}"


def events_at_or_after(tables: dict[str, pd.DataFrame], horizon_h: float) -> dict[str, int]:
    """table.column → how many of its event timestamps lie at or after the horizon: none
    should, since the run simulates [0, horizon) and what it had not reached is NaN."""
    late = {}
    for name, table in tables.items():
        for column in table.columns:
            if (column == "at" or column.endswith("_at")) and column not in PROMISES.get(name, ()):
                count = int((table[column] >= horizon_h).sum())
                if count:
                    late[f"{name}.{column}"] = count
    return late


def horizon(run: Run) -> Verdict:
    end = run.scenario.horizon_h
    late = events_at_or_after({n: run.tables[n] for n in TABLES}, end)
    problems = [f"{column}: {count:,} at or after {end:g} h" for column, count in late.items()]
    return problems, f"no event stamped at or after the horizon ({end:g} h)"


def timestamps(run: Run) -> Verdict:
    orders, problems = run.tables["orders"], []
    reached = orders[CHAIN[0]].to_numpy(dtype=float)
    for column in CHAIN[1:]:
        at = orders[column].to_numpy(dtype=float)
        wrong = int((at < reached).sum())  # NaN compares false: absent stamps pass
        if wrong:
            problems.append(f"{wrong} order(s) with {column} before an earlier stage")
        reached = np.fmax(reached, at)
    for name, keys in (("line_states", ["factory", "line"]), ("ledger", [])):
        table = run.tables[name]
        steps = table.groupby(keys)["at"].diff() if keys else table["at"].diff()
        if (steps < 0).any():
            problems.append(f"{name} not in time order{' within each line' if keys else ''}")
    return problems, f"{' ≤ '.join(c.removesuffix('_at') for c in CHAIN)} on every order"
