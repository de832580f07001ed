"""The factory's books rebuilt from the record tables and the scenario alone, without the
ledger's cash postings: what the money tests compare the ledger's cash with."""

from __future__ import annotations

import math

import pandas as pd

import flexsim
from flexsim.model.world import make_calendar

DAY = 24.0


def expected_factory_cash(scenario: flexsim.Scenario, tables: dict[str, pd.DataFrame]) -> float:
    """The (first) factory's cash at the horizon, interest off: what each regime says the
    buyers or the platform have paid by then from the orders table, less the platform's fee
    and what the factory paid out: materials, piece rates, changeovers, overtime premiums (from
    the line states), payroll and overhead. Only the materials' purchase times come from the
    ledger: a line that takes an order while closed buys them before `setup_at` (which is NaN
    when that is at or after the horizon). An order's `changeover_cost` is what was paid for its
    changeover when a line took it, 0 until then."""
    orders, ledger = tables["orders"], tables["ledger"]
    factory, end = scenario.factories[0], scenario.horizon_h
    value = orders["price"] * orders["quantity"]
    accepted = orders["status"] != "refused"
    made = orders["finished_at"].notna()
    paid = orders["payment"] == "paid"
    cash_in = 0.0
    for channel in ("ecommerce", "offline"):
        payment = scenario.channels.get(channel).payment
        mine = accepted & (orders["channel"] == channel)
        deposit = payment.deposit_share * value
        if payment.regime == "offline_credit":
            cash_in += deposit[mine].sum() + (value - deposit)[mine & paid].sum()
        elif payment.regime == "voucher":
            cash_in += (1 - payment.platform_fee_share) * value[mine & paid].sum()
        elif payment.regime == "prepaid":
            cash_in += value[mine].sum()
        else:  # deposit_balance: the rest before shipment
            cash_in += deposit[mine].sum() + (value - deposit)[mine & made].sum()
    party = f"factory/{factory.name}"
    purchases = ledger[(ledger["party"] == party) & (ledger["credit"] == "payables")]
    bought_at = orders["order_id"].map(purchases.set_index("order_id")["at"])
    supplier_paid = bought_at + factory.supplier_terms_days * DAY < end  # run(until) stops before
    piece_rate = factory.labour_cost if factory.wages == "piece_rate" else 0.0
    cash_out = (
        (factory.material_cost * orders["quantity"])[supplier_paid].sum()
        + (piece_rate * orders["quantity"])[made].sum()
        + orders["changeover_cost"].sum()
        + overtime_paid(scenario, tables["line_states"])
        + running_costs(scenario)
    )
    return float(factory.initial_cash + cash_in - cash_out)


def balance(ledger: pd.DataFrame, party: str, accounts: tuple[str, ...], at: float) -> float:
    """The debit balance of `accounts` in `party`'s books after every posting stamped at or
    before `at`, summed directly from the postings."""
    books = ledger[(ledger["party"] == party) & (ledger["at"] <= at)]
    debits = books.loc[books["debit"].isin(accounts), "amount"].sum()
    return float(debits - books.loc[books["credit"].isin(accounts), "amount"].sum())


def overtime_paid(scenario: flexsim.Scenario, line_states: pd.DataFrame) -> float:
    """The overtime premium: each line's hours flagged overtime in its state records (each
    holding until the line's next record) times its premium per hour."""
    paid = 0.0
    for line in scenario.factories[0].lines:
        if line.overtime is None:
            continue
        mine = line_states[line_states["line"] == line.name]
        until = mine["at"].shift(-1).fillna(scenario.horizon_h)
        hours = (until - mine["at"])[mine["overtime"].astype(bool)].sum()
        paid += hours * line.overtime.premium_per_hour
    return paid


def running_costs(scenario: flexsim.Scenario) -> float:
    """Overhead and payroll paid by the horizon: one payment per day that ends before it,
    the payroll for the open hours of the lines' calendars over those days."""
    factory = scenario.factories[0]
    days = math.ceil(scenario.horizon_days) - 1
    payroll = 0.0
    if factory.wages == "payroll":
        for line in factory.lines:
            spec = scenario.calendars.get(line.calendar)
            calendar = make_calendar(spec, scenario.start_date)
            payroll += factory.payroll_per_hour * calendar.open_hours(0.0, days * DAY)
    return days * factory.overhead_per_day + payroll
