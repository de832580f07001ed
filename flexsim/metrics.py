"""Metrics: KPIs as pure functions of record tables: lead time, utilisation, orders, cash cycle,
sellers.

Everything is measured over a window [start_h, end_h): the time after the warm-up up to the
horizon. Lead times cover the orders placed inside the window that were made; time-weighted
figures (utilisation, balances) come from state-change and ledger records, each level holding
until the next record. docs/results.md defines every KPI.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from flexsim.calendar import HOURS_PER_DAY
from flexsim.records import LINE_STATES, ORDER_STATUSES, PAYMENT_STATES, REFUSAL_REASONS

STAGES = ("fabric_wait_h", "waiting_h", "changeover_h", "processing_h", "transit_h")
INVENTORY_ACCOUNTS = ("materials", "wip", "finished_goods")
STOCK_ACCOUNTS = (*INVENTORY_ACCOUNTS, "inventory")  # a factory's and a seller's stock at cost
CLAIM_ACCOUNTS = ("receivables", "voucher_float")  # what others owe the party
SELLERS = "sellers"  # all sellers' books taken together
# the derived daily table of each party's position: column → accounts (debit balance) and sign
CASH_COLUMNS: dict[str, tuple[tuple[str, ...], float]] = {
    "cash": (("cash",), 1.0),
    "receivables": (CLAIM_ACCOUNTS, 1.0),
    "payables": (("payables",), -1.0),  # owed by the party: its credit balance, positive
    "inventory": (STOCK_ACCOUNTS, 1.0),
}
SELLER_KINDS = ("trial", "repeat")


def finished_orders(orders: pd.DataFrame, start_h: float) -> pd.DataFrame:
    """Orders placed at or after start_h that were made, with lead times and stages in hours.

    lead_time_h is ex-works (placed → finished); delivered_h adds transit (NaN while in transit).
    """
    done = orders[orders["finished_at"].notna() & (orders["placed_at"] >= start_h)]
    return done.assign(
        lead_time_h=done["finished_at"] - done["placed_at"],
        delivered_h=done["delivered_at"] - done["placed_at"],
        fabric_wait_h=done["fabric_at"] - done["placed_at"],
        waiting_h=done["setup_at"] - done["fabric_at"],
        changeover_h=done["start_at"] - done["setup_at"],
        processing_h=done["finished_at"] - done["start_at"],
        transit_h=done["delivered_at"] - done["finished_at"],
        on_time=done["finished_at"] <= done["due_at"],
        on_time_quote=(done["finished_at"] <= done["quote_at"]).where(done["quote_at"].notna()),
    )


def lead_times(
    orders: pd.DataFrame, start_h: float, items: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per order kind: count, mean, p50, p95 of ex-works lead time, mean stages, mean and p95
    of delivered lead time, share finished by the due date and by the quoted date; with the
    items table, the mean proof-sample time of the items of trial orders."""
    done = finished_orders(orders, start_h)
    if items is not None:
        sample_h = (items["sampled_at"] - items["launched_at"]).set_axis(items["item"])
        trial = done["kind"] == "trial"
        done = done.assign(sample_h=done["item"].map(sample_h).where(trial))
    grouped = done.groupby("kind")
    lead, delivered = grouped["lead_time_h"], grouped["delivered_h"]
    table = pd.DataFrame(
        {
            "n": grouped.size(),
            "mean_h": lead.mean(),
            "p50_h": lead.quantile(0.5),
            "p95_h": lead.quantile(0.95),
        }
    )
    for stage in STAGES:
        table[stage] = grouped[stage].mean()
    table["delivered_mean_h"] = delivered.mean()
    table["delivered_p95_h"] = delivered.quantile(0.95)
    table["on_time_share"] = grouped["on_time"].mean()
    table["on_time_quote_share"] = grouped["on_time_quote"].mean()
    if items is not None:
        table["sample_h"] = grouped["sample_h"].mean()
    return table


def state_durations(
    line_states: pd.DataFrame, start_h: float, end_h: float, every: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Hours each line spent in each state inside [start_h, end_h): rows factory, line. With
    `every`, the records of `line_states` are a subset of it and each lasts until the line's
    next record in `every`."""
    whole = line_states if every is None else every
    states = whole.sort_values(["factory", "line", "at"], kind="stable")
    following = states.groupby(["factory", "line"])["at"].shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - states["at"].clip(start_h, end_h)
    states = states.assign(hours=hours)
    if every is not None:
        states = states.loc[states.index.intersection(line_states.index)]
    table = states.pivot_table(
        index=["factory", "line"], columns="state", values="hours", aggfunc="sum", fill_value=0.0
    )
    return table.reindex(columns=list(LINE_STATES), fill_value=0.0)


def utilisation(line_states: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Share of calendar time per state, processing + changeover as a share of open time, and
    the hours of overtime (open time flagged overtime)."""
    hours = state_durations(line_states, start_h, end_h)
    shares = hours / (end_h - start_h)
    open_h = hours[["processing", "changeover", "idle", "down"]].sum(axis=1)
    busy = hours["processing"] + hours["changeover"]
    shares["busy_of_open"] = (busy / open_h.where(open_h > 0)).fillna(0.0)
    overtime = state_durations(line_states[line_states["overtime"]], start_h, end_h, line_states)
    shares["overtime_h"] = overtime.sum(axis=1).reindex(shares.index, fill_value=0.0)
    return shares


def order_counts(orders: pd.DataFrame) -> dict[str, int]:
    """Orders placed, by physical status and by payment state at the horizon."""
    status, payment = orders["status"].value_counts(), orders["payment"].value_counts()
    result = {"placed": len(orders)}
    result.update({s: int(status.get(s, 0)) for s in ORDER_STATUSES})
    result.update({f"payment_{p}": int(payment.get(p, 0)) for p in PAYMENT_STATES})
    reasons = orders.loc[orders["status"] == "refused", "reason"].value_counts()
    result.update({f"refused_{r}": int(reasons.get(r, 0)) for r in REFUSAL_REASONS})
    return result


def booked_shares(capacity: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Per line, over the schedules published inside [start_h, end_h): the share of open hours
    already booked in the next 7 days and over the whole booking horizon."""
    published = capacity[(capacity["at"] >= start_h) & (capacity["at"] < end_h)]
    week = published[published["day_at"] < published["at"] + 7 * HOURS_PER_DAY]
    table = pd.DataFrame(
        {
            "booked_share_7d": _booked(week),
            "booked_share_horizon": _booked(published),
        }
    )
    table.index = [f"{factory}.{line}" for factory, line in table.index]
    return table


def _booked(capacity: pd.DataFrame) -> pd.Series:
    sums = capacity.groupby(["factory", "line"])[["booked_h", "open_h"]].sum()
    return sums["booked_h"] / sums["open_h"].where(sums["open_h"] > 0)


def account_levels(ledger: pd.DataFrame, party: str, accounts: tuple[str, ...]) -> pd.DataFrame:
    """The summed debit balance of `accounts` in `party`'s books after each of its postings:
    columns at and level, in posting order."""
    books = ledger[ledger["party"] == party].sort_values("at", kind="stable")
    sign = books["debit"].isin(accounts).astype(float) - books["credit"].isin(accounts)
    return pd.DataFrame({"at": books["at"], "level": (sign * books["amount"]).cumsum()})


def time_weighted_mean(levels: pd.DataFrame, start_h: float, end_h: float) -> float:
    """Mean over [start_h, end_h) of a level that starts at 0 and changes at each row."""
    at = np.concatenate([[-math.inf], levels["at"].to_numpy(float)])
    level = np.concatenate([[0.0], levels["level"].to_numpy(float)])
    until = np.concatenate([at[1:], [math.inf]])
    hours = np.clip(until, start_h, end_h) - np.clip(at, start_h, end_h)
    return float((level * hours).sum() / (end_h - start_h))


def level_at(levels: pd.DataFrame, at_h: float) -> float:
    """The level in force at time at_h (after every posting stamped at or before it)."""
    before = levels[levels["at"] <= at_h]
    return float(before["level"].iloc[-1]) if len(before) else 0.0


def flow(
    ledger: pd.DataFrame, party: str, account: str, side: str, start_h: float, end_h: float
) -> float:
    """Total posted to `side` ('debit' or 'credit') of an account within [start_h, end_h)."""
    rows = ledger[(ledger["party"] == party) & (ledger[side] == account)]
    inside = rows[(rows["at"] >= start_h) & (rows["at"] < end_h)]
    return float(inside["amount"].sum())


def cash_cycle(
    ledger: pd.DataFrame, party: str, start_h: float, end_h: float, discount_rate: float = 0.0
) -> dict[str, float]:
    """DIO, DSO, DPO and CCC = DIO + DSO − DPO in days, from time-weighted balances, with the
    flows they divide by, cash at the end, lowest cash, bad debt, financing, profit and the
    net present value of the party's cash flows."""
    ledger = ledger[ledger["party"] == party]  # once: every figure below reads only these
    days = (end_h - start_h) / HOURS_PER_DAY
    cogs = flow(ledger, party, "cogs", "debit", start_h, end_h)
    revenue = flow(ledger, party, "revenue", "credit", start_h, end_h)
    purchases = flow(ledger, party, "payables", "credit", start_h, end_h)
    inventory = time_weighted_mean(account_levels(ledger, party, STOCK_ACCOUNTS), start_h, end_h)
    receivables_levels = account_levels(ledger, party, ("receivables",))
    receivables = time_weighted_mean(receivables_levels, start_h, end_h)
    # payables are a liability: their balance is a credit, the negative of the debit level
    payables = -time_weighted_mean(account_levels(ledger, party, ("payables",)), start_h, end_h)
    dio, dso = _days(inventory, cogs / days), _days(receivables, revenue / days)
    dpo = _days(payables, purchases / days)
    cash = account_levels(ledger, party, ("cash",))
    return {
        "dio_days": dio,
        "dso_days": dso,
        "dpo_days": dpo,
        "ccc_days": dio + dso - dpo,
        "revenue": revenue,
        "cogs": cogs,
        "purchases": purchases,
        "avg_inventory": inventory,
        "avg_receivables": receivables,
        "avg_payables": payables,
        "cash_end": level_at(cash, end_h),
        "cash_min": float(cash["level"].min()) if len(cash) else 0.0,
        "receivables_end": level_at(receivables_levels, end_h),
        "peak_funding_need": peak_funding_need(cash, capital(ledger, party)),
        "bad_debt": flow(ledger, party, "bad_debt", "debit", start_h, end_h),
    } | money(ledger, party, start_h, end_h, revenue - cogs, discount_rate)


def capital(ledger: pd.DataFrame, party: str) -> float:
    """The cash the owners put into the party (its `initial_capital` postings)."""
    rows = ledger[(ledger["party"] == party) & (ledger["reason"] == "initial_capital")]
    return float(rows["amount"].sum())


def peak_funding_need(cash: pd.DataFrame, capital: float) -> float:
    """How far the party's cash fell below the owners' capital at worst: the working capital
    its business needed beyond what it earned, 0 when cash never fell below the capital."""
    lowest = float(cash["level"].min()) if len(cash) else 0.0
    return max(0.0, capital - lowest)


def money(
    ledger: pd.DataFrame,
    party: str,
    start_h: float,
    end_h: float,
    gross_profit: float,
    discount_rate: float,
) -> dict[str, float]:
    """Financing cost, interest income, other expenses and profit over the window, and the
    net present value of the party's cash flows from time 0 to the end of the window."""
    financing = flow(ledger, party, "financing_cost", "debit", start_h, end_h)
    interest = flow(ledger, party, "interest_income", "credit", start_h, end_h)
    expenses = flow(ledger, party, "expenses", "debit", start_h, end_h)
    fees = flow(ledger, party, "fees", "debit", start_h, end_h)
    wages = flow(ledger, party, "wages", "debit", start_h, end_h)
    bad_debt = flow(ledger, party, "bad_debt", "debit", start_h, end_h)
    return {
        "financing_cost": financing,
        "interest_income": interest,
        "expenses": expenses,
        "fees": fees,
        "wages": wages,
        "profit": gross_profit - expenses - fees - wages - bad_debt - financing + interest,
        "npv": npv(ledger, party, end_h, discount_rate),
    }


def npv(ledger: pd.DataFrame, party: str, end_h: float, rate_per_year: float) -> float:
    """Σ cash in − cash out, each discounted to time 0 by (1 + rate)^−years, over [0, end_h];
    the owners' initial capital excluded. Stock and receivables left at the end count nothing."""
    books = ledger[(ledger["party"] == party) & (ledger["at"] <= end_h)]
    books = books[books["reason"] != "initial_capital"]
    sign = (books["debit"] == "cash").astype(float) - (books["credit"] == "cash")
    years = books["at"] / (365 * HOURS_PER_DAY)
    return float((sign * books["amount"] * (1 + rate_per_year) ** -years).sum())


def cash_to_cash(
    ledger: pd.DataFrame, orders: pd.DataFrame, party: str, start_h: float, end_h: float
) -> float:
    """Value-weighted mean cash-to-cash time in days of the party's (a factory's) orders paid
    in full within [start_h, end_h): from its first cash payment for the order (materials,
    changeover or labour) to `paid_at`, weighted by the order's value. Negative when the buyer
    pays before the factory does; orders the factory paid nothing for are left out."""
    books = ledger[(ledger["party"] == party) & (ledger["credit"] == "cash")]
    first_out = books[books["order_id"] >= 0].groupby("order_id")["at"].min()
    paid = orders[
        (orders["factory"] == party.removeprefix("factory/"))
        & (orders["payment"] == "paid")
        & (orders["paid_at"] >= start_h)
        & (orders["paid_at"] < end_h)
    ]
    out_at = paid["order_id"].map(first_out)
    known = out_at.notna()
    value = (paid["price"] * paid["quantity"])[known]
    hours = (paid["paid_at"] - out_at)[known]
    total = float(value.sum())
    return float((value * hours).sum()) / total / HOURS_PER_DAY if total > 0 else math.nan


def cash_positions(ledger: pd.DataFrame, end_h: float) -> pd.DataFrame:
    """The derived `cash` table: each party's (the world's excepted) cash, receivables,
    payables and inventory at the end of each day d (after every posting stamped before
    (d + 1) × 24 h), for the days 0 … ⌈end_h / 24⌉ − 1."""
    books = ledger[ledger["party"] != "world"]
    days = math.ceil(end_h / HOURS_PER_DAY)
    day = (books["at"] // HOURS_PER_DAY).clip(upper=days - 1).astype(int)
    parties = sorted(books["party"].unique())
    grid = pd.MultiIndex.from_product([parties, range(days)], names=["party", "day"])
    table = pd.DataFrame(index=grid)
    for column, (accounts, sign) in CASH_COLUMNS.items():
        change = books["debit"].isin(accounts).astype(float) - books["credit"].isin(accounts)
        daily = (sign * change * books["amount"]).groupby([books["party"], day]).sum()
        daily.index.names = ["party", "day"]
        table[column] = daily.reindex(grid, fill_value=0.0).groupby(level="party").cumsum()
    return table.reset_index()


def sellers_books(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger with every seller's postings booked to one party, `sellers`."""
    is_seller = ledger["party"].str.startswith("seller/")
    return ledger.assign(party=ledger["party"].where(~is_seller, SELLERS))


def sellers_lowest_cash(ledger: pd.DataFrame) -> dict[str, float]:
    """Summed over sellers, each one's lowest cash and its peak funding need (each seller
    needs its own cash, so the lowest of the sellers' summed cash would understate both)."""
    books = ledger[ledger["party"].str.startswith("seller/")].sort_values("at", kind="stable")
    sign = (books["debit"] == "cash").astype(float) - (books["credit"] == "cash")
    cash = sign * books["amount"]
    earned = cash.where(books["reason"] != "initial_capital", 0.0)
    lowest_cash = cash.groupby(books["party"]).cumsum().groupby(books["party"]).min()
    lowest = earned.groupby(books["party"]).cumsum().groupby(books["party"]).min()
    return {
        "cash_min": float(lowest_cash.sum()),
        "peak_funding_need": float((-lowest).clip(lower=0.0).sum()),
    }


SELLER_MONEY_BALANCES = {  # column → accounts whose debit balance it averages, and its sign
    "avg_inventory": (("inventory",), 1.0),
    "avg_receivables": (("receivables",), 1.0),
    "avg_payables": (("payables",), -1.0),
}
SELLER_MONEY_FLOWS = {  # column → (account, side) summed over the window
    "revenue": ("revenue", "credit"),
    "cogs": ("cogs", "debit"),
    "purchases": ("payables", "credit"),
    "expenses": ("expenses", "debit"),
    "financing_cost": ("financing_cost", "debit"),
    "interest_income": ("interest_income", "credit"),
}


def seller_money(
    ledger: pd.DataFrame, start_h: float, end_h: float, discount_rate: float
) -> pd.DataFrame:
    """The derived `seller_money` table: per seller, the cash cycle figures of `cash_cycle`
    computed for all sellers at once (balances time-weighted over the window, flows summed
    in it, cash and NPV as there)."""
    books = ledger[ledger["party"].str.startswith("seller/")]
    books = books.sort_values(["party", "at"], kind="stable")
    party = books["party"]
    following = books.groupby("party")["at"].shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - books["at"].clip(start_h, end_h)
    inside = (books["at"] >= start_h) & (books["at"] < end_h)
    table = pd.DataFrame(index=pd.Index(sorted(party.unique()), name="party"))
    for column, (account, side) in SELLER_MONEY_FLOWS.items():
        rows = inside & (books[side] == account)
        table[column] = books["amount"].where(rows, 0.0).groupby(party).sum()
    for column, (accounts, sign) in SELLER_MONEY_BALANCES.items():
        level = _signed(books, accounts).groupby(party).cumsum()
        table[column] = sign * (level * hours).groupby(party).sum() / (end_h - start_h)
    days = (end_h - start_h) / HOURS_PER_DAY
    table["dio_days"] = table["avg_inventory"] / (table["cogs"] / days).where(table["cogs"] > 0)
    per_day = (table["revenue"] / days).where(table["revenue"] > 0)
    table["dso_days"] = table["avg_receivables"] / per_day
    bought = (table["purchases"] / days).where(table["purchases"] > 0)
    table["dpo_days"] = table["avg_payables"] / bought
    table["ccc_days"] = table["dio_days"] + table["dso_days"] - table["dpo_days"]
    cash = _signed(books, ("cash",))
    until_end = books["at"] <= end_h
    table["cash_end"] = cash.where(until_end, 0.0).groupby(party).sum()
    table["cash_min"] = cash.groupby(party).cumsum().groupby(party).min()
    earned = cash.where(books["reason"] != "initial_capital", 0.0)
    lowest = earned.groupby(party).cumsum().groupby(party).min()
    table["peak_funding_need"] = (-lowest).clip(lower=0.0)
    table["profit"] = (
        table["revenue"] - table["cogs"] - table["expenses"] - table["financing_cost"]
    ) + table["interest_income"]
    discount = (1 + discount_rate) ** -(books["at"] / (365 * HOURS_PER_DAY))
    table["npv"] = (earned * discount).where(until_end, 0.0).groupby(party).sum()
    return table.reset_index()


def _signed(books: pd.DataFrame, accounts: tuple[str, ...]) -> pd.Series:
    """Each posting's change to the debit balance of `accounts`."""
    sign = books["debit"].isin(accounts).astype(float) - books["credit"].isin(accounts)
    return sign * books["amount"]


def vouchers_outstanding_max(orders: pd.DataFrame, ledger: pd.DataFrame) -> float:
    """Summed over sellers, the most each had locked on vouchers at once: an accepted voucher
    order's value from its placement to the buyer's repayment to the platform (for ever when
    it never repays). Funding the platform gives the seller on top of its own cash."""
    vouchers = orders[
        (orders["regime"] == "voucher")
        & (orders["status"] != "refused")
        & orders["kind"].isin(SELLER_KINDS)
    ]
    if vouchers.empty:
        return 0.0
    repaid = ledger[(ledger["party"] == "platform") & (ledger["reason"] == "voucher_repayment")]
    value = vouchers["price"] * vouchers["quantity"]
    repaid_at = vouchers["order_id"].map(repaid.set_index("order_id")["at"])
    changes = pd.concat(
        [
            pd.DataFrame({"seller": vouchers["customer"], "at": vouchers["placed_at"], "v": value}),
            pd.DataFrame({"seller": vouchers["customer"], "at": repaid_at, "v": -value}).dropna(),
        ]
    )  # at equal times the repayment goes first: sort by time, then by change
    changes = changes.sort_values(["seller", "at", "v"], kind="stable")
    return float(changes.groupby("seller")["v"].cumsum().groupby(changes["seller"]).max().sum())


def _days(balance: float, per_day: float) -> float:
    return balance / per_day if per_day > 0 else math.nan


def seller_kpis(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    """All sellers together: fill rate, lost sales, hit rate, repeat shares, leftover stock."""
    days = tables["seller_days"]
    days = days[(days["at"] >= start_h) & (days["at"] < end_h)]
    items = tables["items"]
    decided = items[(items["launched_at"] >= start_h) & items["ended_at"].notna()]
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["placed_at"] >= start_h)]
    repeat = bought["kind"] == "repeat"
    demand = int(days["demand"].sum())
    return {
        "demand": demand,
        "sold": int(days["sold"].sum()),
        "lost": int(days["lost"].sum()),
        "fill_rate": int(days["sold"].sum()) / demand if demand else math.nan,
        "revenue": float(days["revenue"].sum()),
        "items_launched": int((items["launched_at"] >= start_h).sum()),
        "hit_rate": float((decided["repeats"] > 0).mean()) if len(decided) else math.nan,
        "repeat_share_orders": float(repeat.mean()) if len(bought) else math.nan,
        "repeat_share_pieces": _share(
            bought.loc[repeat, "quantity"].sum(), bought["quantity"].sum()
        ),
        "salvaged": int(decided["salvaged"].sum()),
        "sell_through": _share(decided["sold"].sum(), decided["received"].sum()),
    } | item_timing(items[items["launched_at"] >= start_h], bought)


def item_timing(items: pd.DataFrame, bought: pd.DataFrame) -> dict[str, Any]:
    """Pre-orders, days from launch to first sale and to first repeat order, and proofing, over
    the items launched in the window."""
    first_sale = (items["first_sale_at"] - items["launched_at"]).dropna() / HOURS_PER_DAY
    repeats = bought[bought["kind"] == "repeat"].groupby("item")["placed_at"].min()
    launched = items.set_index("item")["launched_at"]
    first_repeat = (repeats - launched.reindex(repeats.index)).dropna() / HOURS_PER_DAY
    return {
        "preorders": int(items["preorders"].sum()),
        "first_sale_mean_days": _mean(first_sale),
        "first_repeat_mean_days": _mean(first_repeat),
    } | sample_kpis(items)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan


def seller_factories(tables: dict[str, pd.DataFrame], start_h: float) -> dict[str, Any]:
    """Per factory, over the sellers who asked it for a sample for an item launched in the
    window: how many, and the shares of them who placed an order and a repeat order there
    (Fuchun River: 85 % and 50 %)."""
    items = tables["items"]
    items = items[items["launched_at"] >= start_h]
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["status"] != "refused")]
    bought = bought[bought["item"].isin(items["item"])]
    result = {}
    for factory, asked in items.groupby("factory")["seller"]:
        sellers = set(asked)
        mine = bought[bought["factory"] == factory]
        repeated = set(mine.loc[mine["kind"] == "repeat", "customer"])
        result[str(factory)] = {
            "sellers": len(sellers),
            "ordering_share": len(sellers & set(mine["customer"])) / len(sellers),
            "repeating_share": len(sellers & repeated) / len(sellers),
        }
    return result


def sample_kpis(items: pd.DataFrame) -> dict[str, Any]:
    """Proofing of the given items: sample lead time (launch → approval) in days, samples made
    per item judged, items dropped, and the share of judged items that reached an order."""
    lead_days = (items["sampled_at"] - items["launched_at"]).dropna() / HOURS_PER_DAY
    judged = items[items["sampled_at"].notna() | items["dropped_at"].notna()]
    return {
        "sample_lead_mean_days": _mean(lead_days),
        "sample_lead_p95_days": float(lead_days.quantile(0.95)) if len(lead_days) else math.nan,
        "samples_per_item": float(judged["samples"].mean()) if len(judged) else math.nan,
        "items_dropped": int(items["dropped_at"].notna().sum()),
        "ordered_share": float((judged["ordered"] > 0).mean()) if len(judged) else math.nan,
    }


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole else math.nan


def kpis(
    tables: dict[str, pd.DataFrame], start_h: float, end_h: float, discount_rate: float = 0.0
) -> dict[str, Any]:
    """All KPIs of one run as a JSON-ready dict; `discount_rate` (per year) for the NPVs."""
    lead = lead_times(tables["orders"], start_h, tables["items"])
    util = utilisation(tables["line_states"], start_h, end_h)
    util.index = [f"{factory}.{line}" for factory, line in util.index]
    ledger, orders = tables["ledger"], tables["orders"]
    factories = sorted(p for p in ledger["party"].unique() if p.startswith("factory/"))
    cycles = {
        p: cash_cycle(ledger, p, start_h, end_h, discount_rate)
        | {"cash_to_cash_days": cash_to_cash(ledger, orders, p, start_h, end_h)}
        for p in factories
    }
    sellers = sellers_books(ledger)
    seller_cash = level_at(account_levels(sellers, SELLERS, ("cash",)), end_h)
    if (sellers["party"] == SELLERS).any():
        cycles[SELLERS] = cash_cycle(
            sellers, SELLERS, start_h, end_h, discount_rate
        ) | sellers_lowest_cash(ledger)
        cycles[SELLERS]["vouchers_outstanding_max"] = vouchers_outstanding_max(orders, ledger)
    return {
        "window_h": [start_h, end_h],
        "orders": order_counts(orders),
        "lead_time": _plain(lead.to_dict(orient="index")),
        "utilisation": _plain(util.to_dict(orient="index")),
        "cash_cycle": _plain(cycles),
        "sellers": _plain(seller_kpis(tables, start_h, end_h) | {"cash_end": seller_cash}),
        "capacity": _plain(
            booked_shares(tables["capacity"], start_h, end_h).to_dict(orient="index")
        ),
        "seller_factories": _plain(seller_factories(tables, start_h)),
        "platform": _plain(platform_kpis(ledger, start_h, end_h, discount_rate)),
    }


def platform_kpis(
    ledger: pd.DataFrame, start_h: float, end_h: float, discount_rate: float
) -> dict[str, float]:
    """The platform's fee revenue, voucher float, losses, financing and NPV."""
    party = "platform"
    ledger = ledger[ledger["party"] == party]
    revenue = flow(ledger, party, "revenue", "credit", start_h, end_h)
    float_levels = account_levels(ledger, party, ("voucher_float",))
    cash = account_levels(ledger, party, ("cash",))
    return {
        "revenue": revenue,
        "avg_voucher_float": time_weighted_mean(float_levels, start_h, end_h),
        "bad_debt": flow(ledger, party, "bad_debt", "debit", start_h, end_h),
        "peak_funding_need": peak_funding_need(cash, capital(ledger, party)),
    } | money(ledger, party, start_h, end_h, revenue, discount_rate)


def _plain(value: Any) -> Any:
    """Nested dicts of numpy scalars → Python numbers, NaN → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
