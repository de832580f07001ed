"""Metrics: KPIs as pure functions of record tables: lead time, utilisation, orders, cash cycle,
sellers.

Everything is measured over a window [start_h, end_h): the time after the warm-up up to the
horizon. Lead times cover the orders placed inside the window that were made; time-weighted
figures (utilisation, balances) come from state-change and ledger records, each level holding
until the next record. docs/results.md defines every KPI.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from flexsim.cash_flow import with_cash_flow
from flexsim.credit_loss import with_expected_loss
from flexsim.scenario import Channels
from flexsim.vocabulary import (
    BAD_DEBT,
    BUSY_STATES,
    CASH,
    CLAIM_ACCOUNTS,
    COGS,
    DEPRECIATION,
    EXPENSES,
    FEES,
    FINANCING_COST,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    INITIAL_CAPITAL,
    INTEREST_INCOME,
    LINE_STATES,
    NO_ORDER,
    OPEN_STATES,
    ORDER_STATUSES,
    PAID,
    PAYABLES,
    PAYMENT_STATES,
    PLATFORM,
    REFUSAL_REASONS,
    REFUSED,
    REPEAT,
    REVENUE,
    SELLER_KINDS,
    SELLERS,
    STOCK_ACCOUNTS,
    TRIAL,
    VOUCHER,
    VOUCHER_REPAYMENT,
    WAGES,
    WORLD,
    factory_name,
    is_factory,
    is_seller,
    sellers_among,
)

# the sections of `kpis()`, in order (the measurement window aside)
SECTIONS = (
    "orders",
    "lead_time",
    "utilisation",
    "cash_cycle",
    "sellers",
    "capacity",
    "seller_factories",
)
STAGES = ("fabric_wait_h", "waiting_h", "changeover_h", "processing_h", "transit_h")
# the derived daily table of each party's position: column → accounts (debit balance) and sign
CASH_COLUMNS: dict[str, tuple[tuple[str, ...], float]] = {
    "cash": ((CASH,), 1.0),
    "receivables": (CLAIM_ACCOUNTS, 1.0),
    "payables": ((PAYABLES,), -1.0),  # owed by the party: its credit balance, positive
    "inventory": (STOCK_ACCOUNTS, 1.0),
}


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
        trial = done["kind"] == TRIAL
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
    open_h = hours[list(OPEN_STATES)].sum(axis=1)
    busy = hours[list(BUSY_STATES)].sum(axis=1)
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
    reasons = orders.loc[orders["status"] == REFUSED, "reason"].value_counts()
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


# ── money: one cash-cycle computation for every party and any set of parties ───────────────
# column → (account, side): what is posted to that side of the account inside the window
MONEY_FLOWS = {
    "revenue": (REVENUE, "credit"),
    "cogs": (COGS, "debit"),
    "purchases": (PAYABLES, "credit"),
    "expenses": (EXPENSES, "debit"),
    "fees": (FEES, "debit"),
    "wages": (WAGES, "debit"),
    "depreciation": (DEPRECIATION, "debit"),
    "bad_debt": (BAD_DEBT, "debit"),
    "financing_cost": (FINANCING_COST, "debit"),
    "interest_income": (INTEREST_INCOME, "credit"),
}
# column → (accounts, sign): their debit balance, time-weighted over the window
MONEY_BALANCES = {
    "avg_inventory": (STOCK_ACCOUNTS, 1.0),
    "avg_receivables": (CLAIM_ACCOUNTS, 1.0),
    "avg_payables": ((PAYABLES,), -1.0),  # owed by the party: its credit balance, positive
}
# the columns of a party's money row, in order; all but the day counts add up over parties
MONEY_COLUMNS = (
    "dio_days",
    "dso_days",
    "dpo_days",
    "ccc_days",
    "revenue",
    "cogs",
    "purchases",
    "avg_inventory",
    "avg_receivables",
    "avg_payables",
    "cash_end",
    "cash_min",
    "receivables_end",
    "peak_funding_need",
    "bad_debt",
    "financing_cost",
    "interest_income",
    "expenses",
    "fees",
    "wages",
    "depreciation",
    "profit",
    "npv",
)
DAY_COLUMNS = ("dio_days", "dso_days", "dpo_days", "ccc_days")


def party_money(
    ledger: pd.DataFrame, start_h: float, end_h: float, discount_rate: float = 0.0
) -> pd.DataFrame:
    """The cash cycle of every party but the world, one row each (index `party`, columns
    MONEY_COLUMNS), from its postings alone.

    Balances are time-weighted over [start_h, end_h), each level holding until the party's
    next posting; flows are summed over postings inside the window; DIO = average stock at
    cost / COGS per day, DSO = average claims (receivables, and the platform's voucher float)
    / revenue per day, DPO = average payables / purchases per day, CCC = DIO + DSO − DPO (NaN
    where the flow is zero). Cash at the end counts postings up to end_h; the lowest cash and
    the peak funding need (how far cash fell below the owners' capital) look at every posting.
    Profit is revenue and interest income less COGS, expenses, fees, wages, depreciation, bad
    debt and financing cost; NPV discounts each cash movement to time 0 at `discount_rate` a year,
    the owners' capital excluded."""
    books = ledger[ledger["party"] != WORLD].sort_values(["party", "at"], kind="stable")
    party, at = books["party"], books["at"]
    following = books.groupby("party")["at"].shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - at.clip(start_h, end_h)
    inside, until_end = (at >= start_h) & (at < end_h), at <= end_h
    table = pd.DataFrame(index=pd.Index(sorted(party.unique()), name="party", dtype=object))
    for column, (account, side) in MONEY_FLOWS.items():
        rows = inside & (books[side] == account)
        table[column] = books["amount"].where(rows, 0.0).groupby(party).sum()
    for column, (accounts, sign) in MONEY_BALANCES.items():
        level = _signed(books, accounts).groupby(party).cumsum()
        table[column] = sign * (level * hours).groupby(party).sum() / (end_h - start_h)
    claims = _signed(books, CLAIM_ACCOUNTS)
    table["receivables_end"] = claims.where(until_end, 0.0).groupby(party).sum()
    cash = _signed(books, (CASH,))
    table["cash_end"] = cash.where(until_end, 0.0).groupby(party).sum()
    table["cash_min"] = cash.groupby(party).cumsum().groupby(party).min()
    earned = cash.where(books["reason"] != INITIAL_CAPITAL, 0.0)
    table["peak_funding_need"] = (-earned.groupby(party).cumsum().groupby(party).min()).clip(0.0)
    costs = ("cogs", "expenses", "fees", "wages", "depreciation", "bad_debt", "financing_cost")
    table["profit"] = table["revenue"] + table["interest_income"] - table[list(costs)].sum(axis=1)
    discount = (1 + discount_rate) ** -(at / HOURS_PER_YEAR)
    table["npv"] = (earned * discount).where(until_end, 0.0).groupby(party).sum()
    return _with_days(table, (end_h - start_h) / HOURS_PER_DAY)


def _with_days(table: pd.DataFrame, days: float) -> pd.DataFrame:
    """The table with DIO, DSO, DPO and CCC from its balances and flows, in MONEY_COLUMNS order."""

    def per_day(flow: str) -> pd.Series:
        return (table[flow] / days).where(table[flow] > 0)

    dio = table["avg_inventory"] / per_day("cogs")
    dso = table["avg_receivables"] / per_day("revenue")
    dpo = table["avg_payables"] / per_day("purchases")
    table = table.assign(dio_days=dio, dso_days=dso, dpo_days=dpo, ccc_days=dio + dso - dpo)
    return table[list(MONEY_COLUMNS)]


def combined_money(money: pd.DataFrame, parties: Iterable[str], days: float) -> dict[str, float]:
    """The cash cycle of several parties' books taken together, from their `party_money` rows:
    balances, flows, cash, funding needs (each party needs its own cash), profit and NPV add
    up; the day counts are recomputed from the sums."""
    rows = money.loc[money.index.intersection(list(parties))]
    total = rows.drop(columns=list(DAY_COLUMNS)).sum().to_frame().T
    return _row(_with_days(total, days).iloc[0])


def _row(row: pd.Series) -> dict[str, float]:
    return {str(column): float(value) for column, value in row.items()}


def cash_cycle(
    ledger: pd.DataFrame,
    parties: str | Iterable[str],
    start_h: float,
    end_h: float,
    discount_rate: float = 0.0,
) -> dict[str, float]:
    """The cash cycle (MONEY_COLUMNS) of one party, or of several taken together."""
    names = [parties] if isinstance(parties, str) else list(parties)
    money = party_money(ledger[ledger["party"].isin(names)], start_h, end_h, discount_rate)
    return combined_money(money, names, (end_h - start_h) / HOURS_PER_DAY)


def _signed(books: pd.DataFrame, accounts: tuple[str, ...]) -> pd.Series:
    """Each posting's change to the debit balance of `accounts`."""
    sign = books["debit"].isin(accounts).astype(float) - books["credit"].isin(accounts)
    return sign * books["amount"]


def cash_to_cash(
    ledger: pd.DataFrame, orders: pd.DataFrame, party: str, start_h: float, end_h: float
) -> float:
    """Value-weighted mean cash-to-cash time in days of the party's (a factory's) orders paid
    in full within [start_h, end_h): from its first cash payment for the order (materials,
    changeover or labour) to `paid_at`, weighted by the order's value. Negative when the buyer
    pays before the factory does; orders the factory paid nothing for are left out."""
    books = ledger[(ledger["party"] == party) & (ledger["credit"] == CASH)]
    first_out = books[books["order_id"] != NO_ORDER].groupby("order_id")["at"].min()
    paid = orders[
        (orders["factory"] == factory_name(party))
        & (orders["payment"] == PAID)
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
    books = ledger[ledger["party"] != WORLD]
    days = math.ceil(end_h / HOURS_PER_DAY)
    day = (books["at"] // HOURS_PER_DAY).clip(upper=days - 1).astype(int)
    parties = sorted(books["party"].unique())
    grid = pd.MultiIndex.from_product([parties, range(days)], names=["party", "day"])
    table = pd.DataFrame(index=grid)
    for column, (accounts, sign) in CASH_COLUMNS.items():
        daily = (sign * _signed(books, accounts)).groupby([books["party"], day]).sum()
        daily.index.names = ["party", "day"]
        table[column] = daily.reindex(grid, fill_value=0.0).groupby(level="party").cumsum()
    return table.reset_index()


def backlog(orders: pd.DataFrame, end_h: float) -> pd.DataFrame:
    """Each factory's backlog at the end of each day d (just before (d + 1) × 24 h), for the
    days 0 … ⌈end_h / 24⌉ − 1: the pieces of the orders it accepted (placed before then and not
    refused) and had not finished before then, whether waiting for fabric, queued or on a line.
    Columns factory, day, pieces."""
    days = math.ceil(end_h / HOURS_PER_DAY)
    edges = np.arange(1, days + 1, dtype=np.float64) * HOURS_PER_DAY
    accepted = orders[orders["status"] != REFUSED]
    frames = [pd.DataFrame({"factory": pd.Series(dtype=object), "day": [], "pieces": []})]
    for factory, mine in accepted.groupby("factory", sort=True):
        pieces = mine["quantity"].to_numpy(float)
        placed = _pieces_before(mine["placed_at"].to_numpy(float), pieces, edges)
        finished = _pieces_before(mine["finished_at"].to_numpy(float), pieces, edges)
        frames.append(
            pd.DataFrame({"factory": factory, "day": np.arange(days), "pieces": placed - finished})
        )
    return pd.concat(frames, ignore_index=True).astype({"day": int, "pieces": int})


def _pieces_before(
    at: npt.NDArray[np.float64], pieces: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The pieces of the events stamped before each edge (NaN times: never)."""
    known = ~np.isnan(at)
    order = np.argsort(at[known], kind="stable")
    total = np.concatenate([[0.0], np.cumsum(pieces[known][order])])
    return total[np.searchsorted(at[known][order], edges, side="left")]


def seller_money(
    ledger: pd.DataFrame, start_h: float, end_h: float, discount_rate: float
) -> pd.DataFrame:
    """The derived `seller_money` table: each seller's `party_money` row."""
    books = ledger[ledger["party"].isin(sellers_among(ledger["party"].unique()))]
    return party_money(books, start_h, end_h, discount_rate).reset_index()


def vouchers_outstanding_max(orders: pd.DataFrame, ledger: pd.DataFrame) -> float:
    """Summed over sellers, the most each had locked on vouchers at once: an accepted voucher
    order's value from its placement to the buyer's repayment to the platform (for ever when
    it never repays). Funding the platform gives the seller on top of its own cash."""
    vouchers = orders[
        (orders["regime"] == VOUCHER)
        & (orders["status"] != REFUSED)
        & orders["kind"].isin(SELLER_KINDS)
    ]
    if vouchers.empty:
        return 0.0
    repaid = ledger[(ledger["party"] == PLATFORM) & (ledger["reason"] == VOUCHER_REPAYMENT)]
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


def seller_kpis(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    """All sellers together: fill rate, lost sales, hit rate, repeat shares, leftover stock."""
    days = tables["seller_days"]
    days = days[(days["at"] >= start_h) & (days["at"] < end_h)]
    items = tables["items"]
    decided = items[(items["launched_at"] >= start_h) & items["ended_at"].notna()]
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["placed_at"] >= start_h)]
    repeat = bought["kind"] == REPEAT
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
    repeats = bought[bought["kind"] == REPEAT].groupby("item")["placed_at"].min()
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
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["status"] != REFUSED)]
    bought = bought[bought["item"].isin(items["item"])]
    result = {}
    for factory, asked in items.groupby("factory")["seller"]:
        sellers = set(asked)
        mine = bought[bought["factory"] == factory]
        repeated = set(mine.loc[mine["kind"] == REPEAT, "customer"])
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
    tables: dict[str, pd.DataFrame],
    start_h: float,
    end_h: float,
    discount_rate: float = 0.0,
    channels: Channels | None = None,
) -> dict[str, Any]:
    """All KPIs of one run as a JSON-ready dict; `discount_rate` (per year) for the NPVs, the
    `channels`' payment terms for the bad debt with expected loss."""
    lead = lead_times(tables["orders"], start_h, tables["items"])
    util = utilisation(tables["line_states"], start_h, end_h)
    util.index = [f"{factory}.{line}" for factory, line in util.index]
    cycles = cash_cycles(tables, start_h, end_h, discount_rate)
    cycles = with_cash_flow(cycles, tables["ledger"], start_h, end_h)
    cycles = with_expected_loss(cycles, tables, start_h, end_h, channels)
    return {
        "window_h": [start_h, end_h],
        "orders": order_counts(tables["orders"]),
        "lead_time": _plain(lead.to_dict(orient="index")),
        "utilisation": _plain(util.to_dict(orient="index")),
        "cash_cycle": _plain(cycles),
        "sellers": _plain(seller_kpis(tables, start_h, end_h)),
        "capacity": _plain(
            booked_shares(tables["capacity"], start_h, end_h).to_dict(orient="index")
        ),
        "seller_factories": _plain(seller_factories(tables, start_h)),
    }


def cash_cycles(
    tables: dict[str, pd.DataFrame], start_h: float, end_h: float, discount_rate: float
) -> dict[str, dict[str, float]]:
    """The cash cycle of each factory (with its cash-to-cash time per order), of the sellers
    together (with the most they had locked on vouchers) and of the platform, for those
    present in the ledger."""
    ledger, orders = tables["ledger"], tables["orders"]
    money = party_money(ledger, start_h, end_h, discount_rate)
    rows = {str(party): _row(row) for party, row in money.iterrows()}
    cycles = {
        party: row | {"cash_to_cash_days": cash_to_cash(ledger, orders, party, start_h, end_h)}
        for party, row in rows.items()
        if is_factory(party)
    }
    sellers = list(filter(is_seller, rows))
    if sellers:
        together = combined_money(money, sellers, (end_h - start_h) / HOURS_PER_DAY)
        cycles[SELLERS] = together | {
            "vouchers_outstanding_max": vouchers_outstanding_max(orders, ledger)
        }
    if PLATFORM in rows:
        cycles[PLATFORM] = rows[PLATFORM]
    return cycles


def kpi_row(kpis: dict[str, Any]) -> dict[str, Any]:
    """The nested KPIs of `kpis()` as one flat row, the only place that names them flat:
    `SECTION.KEY.KPI` where a section holds one dict per key (KEY as it is in kpis.json, so it
    may hold a dot, `fuchun.ecom`, or a slash, `factory/fuchun`), `SECTION.KPI` where it holds
    numbers. The measurement window is left out: it is an input, not a result."""
    row: dict[str, Any] = {}
    for section, entries in kpis.items():
        if not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if isinstance(value, dict):
                row.update({f"{section}.{key}.{kpi}": x for kpi, x in value.items()})
            else:
                row[f"{section}.{key}"] = value
    return row


def split_kpi_name(name: str) -> tuple[str, str, str]:
    """A flat KPI name's (section, key, kpi); key is "" for a `SECTION.KPI` name."""
    section, _, rest = name.partition(".")
    key, _, kpi = rest.rpartition(".")
    if not section or not kpi:
        raise ValueError(f"{name!r} is not a KPI name (SECTION.KEY.KPI or SECTION.KPI)")
    return section, key, kpi


def _plain(value: Any) -> Any:
    """Nested dicts of numpy scalars → Python numbers, NaN → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
