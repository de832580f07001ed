"""The laws of money: postings, parties, the cash tables and each factory's cash."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from flexsim.audit.folder import Run, Verdict
from flexsim.audit.opening import opening_cash
from flexsim.scenario import Scenario, build_calendar
from flexsim.vocabulary import (
    CASH,
    CLAIM_ACCOUNTS,
    DAYS_PER_YEAR,
    DEPRECIATION,
    FLOWS,
    HOURS_PER_DAY,
    INTEREST,
    MATERIALS,
    PAID,
    PAYABLES,
    REFUSED,
    SAMPLE_FEE,
    SELLERS,
    STOCK_ACCOUNTS,
    WORLD,
    factory_party,
    is_workshop,
    sellers_among,
    workshop_party,
)

CASH_COLUMNS = {  # the cash table's columns: the accounts summed, and the sign of their balance
    "cash": ((CASH,), 1.0),
    "receivables": (CLAIM_ACCOUNTS, 1.0),
    "payables": ((PAYABLES,), -1.0),
    "inventory": (STOCK_ACCOUNTS, 1.0),
}
RELATIVE = 1e-9  # money compares within this share of the run's turnover (float sums)


def postings(run: Run) -> Verdict:
    ledger, problems = run.tables["ledger"], []
    amount = ledger["amount"]
    if bad := int((~(np.isfinite(amount) & (amount > 0))).sum()):
        problems.append(f"{bad} posting(s) of an amount not positive and finite")
    if same := int((ledger["debit"] == ledger["credit"]).sum()):
        problems.append(f"{same} posting(s) debiting the account they credit")
    if not ledger["entry_id"].is_unique:
        problems.append("entry ids repeat")
    world = ledger[ledger["party"] == WORLD]
    if not set(world["debit"]) | set(world["credit"]) <= {CASH, FLOWS}:
        problems.append("the world's postings touch accounts other than cash and flows")
    return problems, f"{len(ledger):,} postings, each a positive amount between two accounts"


def signed_cash(ledger: pd.DataFrame) -> pd.Series:
    """Each posting's change to its party's cash: + debited, − credited, 0 otherwise."""
    sign = (ledger["debit"] == CASH).astype(float) - (ledger["credit"] == CASH).astype(float)
    return ledger["amount"] * sign


def turnover(ledger: pd.DataFrame) -> float:
    """How far float sums over the ledger may stray: a tiny share of every amount moved."""
    return RELATIVE * float(ledger["amount"].abs().sum()) + 1e-6


def parties(run: Run) -> Verdict:
    ledger = run.tables["ledger"]
    total = signed_cash(ledger).groupby(ledger["at"]).sum().cumsum()
    worst = float(total.abs().max()) if len(total) else 0.0
    if worst > turnover(ledger):
        first = int(np.argmax(total.abs().to_numpy() > turnover(ledger)))
        at, level = float(total.index[first]), float(total.iloc[first])
        return [f"the parties' cash adds up to {level:,.2f}, not 0, after {at:g} h"], ""
    count = ledger["party"].nunique()
    return [], f"the cash of {count} parties, the world's included, adds up to 0 at every instant"


def balance(ledger: pd.DataFrame, party: str, accounts: tuple[str, ...], at: float) -> float:
    """The debit balance of `accounts` in `party`'s books after every posting stamped at or
    before `at`, summed directly from the postings."""
    books = ledger[(ledger["party"] == party) & (ledger["at"] <= at)]
    debits = books.loc[books["debit"].isin(accounts), "amount"].sum()
    return float(debits - books.loc[books["credit"].isin(accounts), "amount"].sum())


def cash_table(run: Run) -> Verdict:
    """The cash table's every balance against the ledger's running sums at each day's end,
    party by party (the sellers together): the postings sorted by time, summed, and cut where
    each day ends; and each seller's cash at the horizon in seller_money against its own."""
    ledger, table, problems = run.tables["ledger"], run.tables["cash"], []
    books = ledger[ledger["party"] != WORLD]
    sellers = sellers_among(books["party"].unique())
    books = books.assign(party=books["party"].where(~books["party"].isin(sellers), SELLERS))
    days = math.ceil(run.scenario.horizon_h / HOURS_PER_DAY)
    names = sorted(books["party"].unique())
    table = table.sort_values(["party", "day"], kind="stable")
    if names != sorted(table["party"].unique()) or len(table) != len(names) * days:
        return [f"not one row per party of the ledger and day of {days}"], ""
    ends = np.arange(1, days + 1) * HOURS_PER_DAY
    ends[-1] = math.inf  # postings at the horizon count on the last day
    books = books.sort_values(["party", "at"], kind="stable")
    rows = books.groupby("party", sort=True).indices  # party → its postings, in time order
    at, amount, tolerance = books["at"].to_numpy(), books["amount"].to_numpy(), turnover(ledger)
    for column, (accounts, sign) in CASH_COLUMNS.items():
        debit, credit = books["debit"].isin(accounts), books["credit"].isin(accounts)
        change = sign * amount * (debit.to_numpy(float) - credit.to_numpy(float))
        written = table[column].to_numpy().reshape(len(names), days)
        for k, party in enumerate(names):
            mine = rows[party]
            running = np.concatenate([[0.0], np.cumsum(change[mine])])
            level = running[np.searchsorted(at[mine], ends, side="left")]
            if np.abs(written[k] - level).max() > tolerance:
                problems.append(f"{party}'s {column} differs from the ledger")
    money = run.tables["seller_money"].set_index("party")
    own = ledger[ledger["party"].isin(sellers)]
    cash = signed_cash(own).groupby(own["party"]).sum()
    if set(money.index) != set(cash.index):
        problems.append("seller_money has not one row per seller of the ledger")
    elif (np.abs(money["cash_end"] - cash.reindex(money.index)) > tolerance).any():
        problems.append("seller_money's cash_end differs from the ledger's cash of a seller")
    return problems, (
        f"{len(table):,} daily balances of {len(names)} parties and the cash of "
        f"{len(cash)} seller(s) agree with the ledger"
    )


def expected_factory_cash(
    scenario: Scenario, tables: dict[str, pd.DataFrame], factory_name: str | None = None
) -> float:
    """A factory's cash at the horizon (the first factory's by default), rebuilt without the
    ledger's cash postings: what each regime says its buyers or the platform have paid by
    then from the orders table, less the platform's fee and what the factory paid out:
    materials, piece rates, changeovers, overtime premiums (from the line states), payroll,
    overhead, the lines' fixed costs and the investments. The ledger gives only what depends
    on the path of cash or on the sample room (interest, sample fees) and the materials'
    purchase times: a line that takes an order while closed buys them before `setup_at` (NaN
    when that is at or after the horizon). An order's `changeover_cost` is what was paid for
    its changeover when a line took it."""
    factory = next(f for f in scenario.factories if factory_name in (None, f.name))
    orders, ledger, end = tables["orders"], tables["ledger"], scenario.horizon_h
    orders = orders[(orders["factory"] == factory.name) & ~orders["opening"].astype(bool)]
    accepted = orders["status"] != REFUSED
    made = orders["finished_at"].notna()
    # billed for the pieces delivered: a workshop's scrap lowers the value once the order is
    # back (made); a deposit above it is paid back then
    full = orders["price"] * orders["quantity"]
    value = orders["price"] * (orders["quantity"] - orders["scrapped"].where(made, 0))
    paid = orders["payment"] == PAID
    cash_in = 0.0
    for channel in ("ecommerce", "offline"):
        payment = scenario.channels.get(channel).payment
        mine = accepted & (orders["channel"] == channel)
        deposit = np.minimum(payment.deposit_share * full, value)
        if payment.regime == "offline_credit":
            cash_in += deposit[mine].sum() + (value - deposit)[mine & paid].sum()
        elif payment.regime == "voucher":
            cash_in += (1 - payment.platform_fee_share) * value[mine & paid].sum()
        elif payment.regime == "prepaid":
            cash_in += value[mine].sum()
        else:  # deposit_balance: the rest before shipment
            cash_in += deposit[mine].sum() + (value - deposit)[mine & made].sum()
    books = ledger[ledger["party"] == factory_party(factory.name)]
    cash_in += signed_cash(books[books["reason"].isin((INTEREST, SAMPLE_FEE))]).sum()
    purchases = books[(books["credit"] == PAYABLES) & (books["reason"] == MATERIALS)]
    bought_at = orders["order_id"].map(purchases.set_index("order_id")["at"])
    supplier_paid = bought_at + factory.supplier_terms_days * HOURS_PER_DAY < end
    piece_rate = factory.labour_cost if factory.wages == "piece_rate" else 0.0
    # a subcontracted order's maker is its workshop; a routed order's `line` is its first
    # step's, and its workshop steps are paid as they come back (the steps table)
    outside = orders["line"].fillna("").map(is_workshop).astype(bool) & (not factory.routing)
    cash_out = (
        (factory.material_cost * orders["quantity"])[supplier_paid].sum()
        + (piece_rate * orders["quantity"])[made & ~outside].sum()
        + workshop_fees_paid(scenario, orders[outside & made], factory.subcontract.terms_days)
        + workshop_steps_paid(  # of every order, the opening ones too (opening_cash leaves them)
            scenario,
            tables.get("steps"),
            tables["orders"][tables["orders"]["factory"] == factory.name],
            factory.subcontract.terms_days,
        )
        + orders["changeover_cost"].sum()
        + overtime_paid(scenario, tables["line_states"], factory.name)
        + running_costs(scenario, factory.name)
    )
    cash_in += opening_cash(scenario, tables, factory)  # the order book's orders
    return float(factory.initial_cash + cash_in - cash_out)


def workshop_fees_paid(scenario: Scenario, orders: pd.DataFrame, terms_days: float) -> float:
    """What a factory paid its workshops by the horizon for the orders they made and it took
    back (`finished_at`): each workshop's price for each good piece, `terms_days` later."""
    prices = {workshop_party(w.name): w.price_per_piece for w in scenario.workshops}
    paid = orders["finished_at"] + terms_days * HOURS_PER_DAY < scenario.horizon_h
    fees = orders["line"].map(prices).astype(float) * (orders["quantity"] - orders["scrapped"])
    return float(fees[paid].sum())


def workshop_steps_paid(
    scenario: Scenario, steps: pd.DataFrame | None, orders: pd.DataFrame, terms_days: float
) -> float:
    """What a routed factory paid by the horizon for its orders' workshop steps: each
    workshop's price for each good piece (an order's pieces less those scrapped), `terms_days`
    after the step came back (its `finished_at`)."""
    if steps is None or steps.empty:
        return 0.0
    out = steps[steps["station"].astype(str).map(is_workshop) & steps["finished_at"].notna()]
    out = out[out["order_id"].isin(orders["order_id"])]
    if out.empty:
        return 0.0
    prices = {workshop_party(w.name): w.price_per_piece for w in scenario.workshops}
    good = orders.set_index("order_id").reindex(out["order_id"])
    pieces = (good["quantity"] - good["scrapped"]).to_numpy()
    paid = (out["finished_at"] + terms_days * HOURS_PER_DAY < scenario.horizon_h).to_numpy()
    fees = out["station"].map(prices).astype(float).to_numpy() * pieces
    return float(fees[paid].sum())


def overtime_paid(scenario: Scenario, line_states: pd.DataFrame, factory_name: str) -> float:
    """A factory's overtime premium: each line's hours flagged overtime in its state records
    (each holding until the line's next record) times its premium per hour."""
    factory = next(f for f in scenario.factories if f.name == factory_name)
    paid = 0.0
    for line in factory.lines:
        if line.overtime is None:
            continue
        mine = line_states[
            (line_states["factory"] == factory.name) & (line_states["line"] == line.name)
        ]
        until = mine["at"].shift(-1).fillna(scenario.horizon_h)
        hours = (until - mine["at"])[mine["overtime"].astype(bool)].sum()
        paid += hours * line.overtime.premium_per_hour
    return float(paid)


def running_costs(scenario: Scenario, factory_name: str) -> float:
    """A factory's investments, paid at time 0, and its overhead, line fixed costs and payroll
    paid by the horizon: one payment per day that ends before it, the payroll for the open
    hours of each line's calendar over those days at the line's rate (else the factory's)."""
    factory = next(f for f in scenario.factories if f.name == factory_name)
    days = math.ceil(scenario.horizon_days) - 1
    payroll = 0.0
    for line in factory.lines:
        if rate := factory.line_payroll(line):
            calendar = build_calendar(scenario.calendars.get(line.calendar), scenario.start_date)
            payroll += rate * calendar.open_hours(0.0, days * HOURS_PER_DAY)
    fixed = sum(line.fixed_cost_per_day for line in factory.lines)
    invested = sum(amount for amount, _ in factory.investments().values())
    return invested + days * (factory.overhead_per_day + fixed) + payroll


def depreciation(scenario: Scenario, factory_name: str) -> float:
    """A factory's depreciation booked by the horizon: each investment's cost over its life
    in days (of 365 a year), for the days that end before the horizon and within the life."""
    factory = next(f for f in scenario.factories if f.name == factory_name)
    days = math.ceil(scenario.horizon_days) - 1
    return sum(
        amount * min(days, life * DAYS_PER_YEAR) / (life * DAYS_PER_YEAR)
        for amount, life in factory.investments().values()
    )


def factory_cash(run: Run) -> Verdict:
    ledger, problems, counted = run.tables["ledger"], [], []
    for factory in run.scenario.factories:
        party = factory_party(factory.name)
        cash = balance(ledger, party, (CASH,), run.scenario.horizon_h)
        expect = expected_factory_cash(run.scenario, run.tables, factory.name)
        if abs(cash - expect) > turnover(ledger):
            problems.append(
                f"{party}'s cash is {cash:,.2f} in the ledger, {expect:,.2f} by its orders"
            )
        counted.append(f"{party} {cash:,.2f}")
        books = ledger[(ledger["party"] == party) & (ledger["reason"] == DEPRECIATION)]
        booked = float(books.loc[books["debit"] == DEPRECIATION, "amount"].sum())
        if abs(booked - depreciation(run.scenario, factory.name)) > turnover(ledger):
            problems.append(
                f"{party} booked {booked:,.2f} of depreciation, its investments "
                f"{depreciation(run.scenario, factory.name):,.2f}"
            )
    return problems, (
        "cash at the horizon as the orders, costs and terms say, and depreciation as the "
        "investments say: " + ", ".join(counted)
    )
