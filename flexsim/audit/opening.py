"""The law of an order book: a run's opening orders and opening balance, recomputed from the
book in its scenario; and the cash those orders moved in the run, for the law of factory cash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flexsim.audit.folder import Run, Verdict
from flexsim.scenario import FactorySpec, Scenario
from flexsim.scenario.orderbook import book_hours
from flexsim.vocabulary import (
    DELIVERED_UNPAID,
    DEPOSITS,
    FINISHED_GOODS,
    HOURS_PER_DAY,
    IN_PRODUCTION,
    IN_TRANSIT,
    MATERIALS,
    OPENING_BALANCE,
    PAID,
    PAYABLES,
    RECEIVABLES,
    WAITING,
    WIP,
    factory_party,
)

# the timestamps an opening order has reached at the start (time 0), by its status in the book
STAGES = {
    WAITING: ["fabric_at"],
    IN_PRODUCTION: ["fabric_at", "setup_at", "start_at"],
    IN_TRANSIT: ["fabric_at", "setup_at", "start_at", "finished_at"],
    DELIVERED_UNPAID: ["fabric_at", "setup_at", "start_at", "finished_at", "delivered_at"],
}
COLUMNS = ["customer", "factory", "family", "item", "quantity"]
EMPTY = [*COLUMNS, "status", "value", "placed_at", "payment_due_at", "materials_due_at"]


def book(scenario: Scenario) -> pd.DataFrame:
    """The scenario's opening orders, one row each with its order id (the oldest placed first
    from 0), channel, regime and dates in hours, and the deposit its buyer paid before the
    start (the regime's share at order; all of it when paid in full, or made under
    deposit_balance)."""
    channel_of = {n: c.channel for c in scenario.customers for n in c.customer_names()}
    rows = [
        order.model_dump() | book_hours(order, scenario.start_date)
        for order in sorted(scenario.opening_orders, key=lambda o: o.placed_date)
    ]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=EMPTY)
    frame["order_id"] = np.arange(len(frame))
    frame["channel"] = frame["customer"].map(channel_of)
    frame["deposit"] = 0.0
    frame["regime"], frame["fee_share"] = "", 0.0
    for channel in frame["channel"].unique():
        payment = scenario.channels.get(channel).payment
        mine = frame["channel"] == channel
        made = frame["status"].isin((IN_TRANSIT, DELIVERED_UNPAID))
        share = {"offline_credit": payment.deposit_share, "prepaid": 1.0, "voucher": 0.0}
        deposit = frame["value"] * share.get(payment.regime, payment.deposit_share)
        if payment.regime == "deposit_balance":
            deposit = deposit.where(~made, frame["value"])
        frame.loc[mine, "deposit"] = deposit[mine]
        frame.loc[mine, "regime"] = payment.regime
        frame.loc[mine, "fee_share"] = payment.platform_fee_share
    return frame


def opening_balance(rows: pd.DataFrame, factory: FactorySpec) -> dict[str, float]:
    """A factory's opening balance by account (debit balances; liabilities negative): what
    delivered orders are owed, deposits held, stock at cost, materials owed."""
    materials = factory.material_cost * rows["quantity"]
    labour = (factory.labour_cost if factory.wages == "piece_rate" else 0.0) * rows["quantity"]
    delivered = rows["status"] == DELIVERED_UNPAID
    return {
        RECEIVABLES: float((rows["value"] - rows["deposit"])[delivered].sum()),
        DEPOSITS: -float(rows["deposit"][~delivered].sum()),
        WIP: float(materials[rows["status"] == IN_PRODUCTION].sum()),
        FINISHED_GOODS: float((materials + labour)[rows["status"] == IN_TRANSIT].sum()),
        PAYABLES: -float(materials[rows["materials_due_at"].notna()].sum()),
    }


def opening(run: Run) -> Verdict:
    scenario, orders, ledger = run.scenario, run.tables["orders"], run.tables["ledger"]
    rows = book(scenario)
    opened = orders[orders["opening"].astype(bool)].sort_values("order_id")
    if list(opened["order_id"]) != list(rows["order_id"]):
        return [f"{len(opened)} opening orders, not the book's {len(rows)} with ids from 0"], ""
    problems = []
    mine = opened.reset_index(drop=True)
    if any(list(mine[c]) != list(rows[c]) for c in COLUMNS):
        problems.append("opening orders differ from the book's customer, item or quantity")
    if (np.abs(mine["placed_at"] - rows["placed_at"]) > 1e-6).any():
        problems.append("opening orders not placed when the book says")
    for status, stages in STAGES.items():
        reached = mine.loc[rows["status"] == status, stages]
        if (reached != 0).any().any():
            problems.append(f"{status} opening orders have not reached {', '.join(stages)} at 0")
    books = ledger[ledger["reason"] == OPENING_BALANCE]
    for factory in scenario.factories:
        party = factory_party(factory.name)
        posted = books[books["party"] == party]
        expect = opening_balance(rows[rows["factory"] == factory.name], factory)
        for account, amount in expect.items():
            got = posted.loc[posted["debit"] == account, "amount"].sum()
            got -= posted.loc[posted["credit"] == account, "amount"].sum()
            if abs(got - amount) > 1e-6 * (1 + abs(amount)):
                problems.append(f"{party}'s opening {account} {got:,.2f}, not {amount:,.2f}")
    if (books["at"] != 0).any():
        problems.append("opening balance postings after time 0")
    return problems, f"{len(rows)} opening order(s) and their opening balance as the book says"


def opening_cash(
    scenario: Scenario, tables: dict[str, pd.DataFrame], factory: FactorySpec
) -> float:
    """The cash a factory's opening orders moved in the run: what their buyers or the platform
    paid after the start (the balance of an order paid; under deposit_balance the balance of one
    made in the run), less their materials paid to the supplier by the horizon (bought when a
    line took a waiting order, or owed at the start until their due date), the piece rates of
    those made in the run and their changeovers."""
    rows = book(scenario)
    rows = rows[rows["factory"] == factory.name].set_index("order_id")
    if rows.empty:
        return 0.0
    orders = tables["orders"].set_index("order_id").loc[rows.index]
    end, value = scenario.horizon_h, rows["value"]
    paid = orders["payment"] == PAID
    made = rows["status"].isin((WAITING, IN_PRODUCTION)) & orders["finished_at"].notna()
    owed = value - rows["deposit"]
    cash_in = (
        owed[paid & (rows["regime"] == "offline_credit")].sum()
        + ((1 - rows["fee_share"]) * value)[paid & (rows["regime"] == "voucher")].sum()
        + owed[made & (rows["regime"] == "deposit_balance")].sum()
    )
    ledger = tables["ledger"]
    bought = ledger[(ledger["credit"] == PAYABLES) & (ledger["reason"] == MATERIALS)]
    bought_at = rows.index.to_series().map(bought.set_index("order_id")["at"])
    due_at = rows["materials_due_at"].fillna(
        bought_at + factory.supplier_terms_days * HOURS_PER_DAY
    )
    piece_rate = factory.labour_cost if factory.wages == "piece_rate" else 0.0
    cash_out = (
        (factory.material_cost * rows["quantity"])[due_at < end].sum()
        + (piece_rate * rows["quantity"])[made].sum()
        + orders["changeover_cost"].sum()
    )
    return float(cash_in - cash_out)
