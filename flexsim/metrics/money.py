"""Metrics of money: one cash-cycle computation for every party and any set of parties, a
factory's cash-to-cash time per order, the sellers' vouchers, and the derived daily `cash` and
`seller_money` tables.

Balances are time-weighted from the ledger's postings, each level holding until the party's
next posting; flows are summed over the postings inside the window. docs/results.md defines
every KPI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from flexsim import cash_flow, credit_loss
from flexsim.vocabulary import (
    BAD_DEBT,
    CASH,
    CLAIM_ACCOUNTS,
    COGS,
    DEPRECIATION,
    EXPENSES,
    FACTORIES,
    FEES,
    FINANCING_COST,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    INITIAL_CAPITAL,
    INTEREST_INCOME,
    NO_ORDER,
    PAID,
    PAYABLES,
    PLATFORM,
    REFUSED,
    REVENUE,
    SELLER_KINDS,
    SELLERS,
    STOCK_ACCOUNTS,
    VOUCHER,
    VOUCHER_REPAYMENT,
    WAGES,
    WORLD,
    factory_name,
    is_factory,
    is_seller,
)

# the derived daily table of each party's position: column → accounts (debit balance) and sign
CASH_COLUMNS: dict[str, tuple[tuple[str, ...], float]] = {
    "cash": ((CASH,), 1.0),
    "receivables": (CLAIM_ACCOUNTS, 1.0),
    "payables": ((PAYABLES,), -1.0),  # owed by the party: its credit balance, positive
    "inventory": (STOCK_ACCOUNTS, 1.0),
}


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
    ledger: pd.DataFrame,
    start_h: float,
    end_h: float,
    discount_rate: float = 0.0,
    only: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """The cash cycle of every party but the world (or of the parties `only` accepts), one row
    each (index `party`, columns MONEY_COLUMNS), from its postings alone.

    Balances are time-weighted over [start_h, end_h), each level holding until the party's
    next posting; flows are summed over postings inside the window; DIO = average stock at
    cost / COGS per day, DSO = average claims (receivables, and the platform's voucher float)
    / revenue per day, DPO = average payables / purchases per day, CCC = DIO + DSO − DPO (NaN
    where the flow is zero). Cash at the end counts postings up to end_h; the lowest cash and
    the peak funding need (how far cash fell below the owners' capital) look at every posting.
    Profit is revenue and interest income less COGS, expenses, fees, wages, depreciation, bad
    debt and financing cost; NPV discounts each cash movement to time 0 at `discount_rate` a year,
    the owners' capital excluded."""
    books = _Books(ledger, only or (lambda party: party != WORLD))
    party, at = books.party, books.at
    following = at.groupby(party).shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - at.clip(start_h, end_h)
    inside, until_end = (at >= start_h) & (at < end_h), at <= end_h
    table = pd.DataFrame(index=pd.RangeIndex(len(books.names)))
    for column, (account, side) in MONEY_FLOWS.items():
        rows = inside & books.posted(side, (account,))
        table[column] = books.amount.where(rows, 0.0).groupby(party).sum()
    for column, (accounts, sign) in MONEY_BALANCES.items():
        level = books.signed(accounts).groupby(party).cumsum()
        table[column] = sign * (level * hours).groupby(party).sum() / (end_h - start_h)
    claims = books.signed(CLAIM_ACCOUNTS)
    table["receivables_end"] = claims.where(until_end, 0.0).groupby(party).sum()
    cash = books.signed((CASH,))
    table["cash_end"] = cash.where(until_end, 0.0).groupby(party).sum()
    table["cash_min"] = cash.groupby(party).cumsum().groupby(party).min()
    earned = cash.where(~books.capital, 0.0)
    table["peak_funding_need"] = (-earned.groupby(party).cumsum().groupby(party).min()).clip(0.0)
    costs = ("cogs", "expenses", "fees", "wages", "depreciation", "bad_debt", "financing_cost")
    table["profit"] = table["revenue"] + table["interest_income"] - table[list(costs)].sum(axis=1)
    discount = (1 + discount_rate) ** -(at / HOURS_PER_YEAR)
    table["npv"] = (earned * discount).where(until_end, 0.0).groupby(party).sum()
    table.index = pd.Index(books.names, name="party", dtype=object)
    return _with_days(table, (end_h - start_h) / HOURS_PER_DAY)


class _Books:
    """The postings of the parties `only` accepts, by party then time (simultaneous postings
    in ledger order), as the columns party_money needs: the parties as numbers 0, 1, … in name
    order (`names`) and the accounts as numbers too, so that none of its many sums and tests
    looks at a posting's strings again, and the ledger is neither copied nor sorted by name
    (with thousands of sellers that was most of the KPI step's time and memory)."""

    def __init__(self, ledger: pd.DataFrame, only: Callable[[str], bool]) -> None:
        # the narrowest integers that hold the codes: at 10,000 sellers these arrays are most
        # of this step's memory, which decides a village run's peak when it writes its tables
        codes, names = pd.factorize(ledger["party"], sort=True)
        codes = codes.astype(np.int32)
        kept = np.array([only(str(name)) for name in names], dtype=bool)
        # the kept parties' numbers 0, 1, … by code, -1 for the others and for a missing party
        # (code -1, the last entry)
        number = np.append(np.where(kept, np.cumsum(kept) - 1, -1), -1).astype(np.int32)
        order = np.lexsort((ledger["at"].to_numpy(), codes))  # stable: ties keep ledger order
        party = number[codes[order]]
        mine = party >= 0
        order = order[mine]
        self.names = [str(name) for name in names[kept]]
        self.party = pd.Series(party[mine])
        self.at = pd.Series(ledger["at"].to_numpy()[order])
        self.amount = pd.Series(ledger["amount"].to_numpy()[order])
        self.capital = (ledger["reason"] == INITIAL_CAPITAL).to_numpy()[order]
        sides = _sides(ledger).items()
        self.sides = {side: (numbers[order], accounts) for side, (numbers, accounts) in sides}

    def posted(self, side: str, accounts: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        """Whether each posting puts its amount on `side` of one of `accounts`."""
        return _posted(self.sides[side], accounts)

    def signed(self, accounts: tuple[str, ...]) -> pd.Series:
        """Each posting's change to the debit balance of `accounts`."""
        signed: pd.Series = self.amount * _sign(self.sides, accounts)
        return signed


Codes = tuple[npt.NDArray[np.int16], list[str]]


def _sides(ledger: pd.DataFrame) -> dict[str, Codes]:
    """Each posting's debit and credit account as a number, in ledger order, with the accounts'
    names: the tests of accounts then compare small integers, not strings."""
    sides = {}
    for side in ("debit", "credit"):
        codes, accounts = pd.factorize(ledger[side])
        narrow = codes.astype(np.int16)  # a few dozen accounts at most
        sides[side] = narrow, [str(account) for account in accounts]
    return sides


def _posted(side: Codes, accounts: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    """Whether each posting puts its amount on that side of one of `accounts`."""
    codes, names = side  # a missing account, code -1, takes the last entry: False
    return np.array([name in accounts for name in names] + [False])[codes]


def _sign(sides: dict[str, Codes], accounts: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """Each posting's sign on the debit balance of `accounts`: 1 debited, −1 credited."""
    sign: npt.NDArray[np.float64] = _posted(sides["debit"], accounts).astype(float)
    return sign - _posted(sides["credit"], accounts)


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


def cash_to_cash(
    ledger: pd.DataFrame, orders: pd.DataFrame, party: str, start_h: float, end_h: float
) -> float:
    """Value-weighted mean cash-to-cash time in days of the party's (a factory's) orders paid
    in full within [start_h, end_h): from its first cash payment for the order (materials,
    changeover or labour) to `paid_at`, weighted by the order's value. Negative when the buyer
    pays before the factory does; orders the factory paid nothing for are left out."""
    return cash_to_cash_days(ledger, orders, [party], start_h, end_h)[party]


def cash_to_cash_days(
    ledger: pd.DataFrame,
    orders: pd.DataFrame,
    parties: list[str],
    start_h: float,
    end_h: float,
    together: bool = False,
) -> dict[str, float]:
    """`cash_to_cash` of each of the factories `parties`, all in one pass over their postings
    and orders (an order's postings are its factory's: order ids are the run's); `together`
    adds, keyed FACTORIES, the same value-weighted mean over all their orders."""
    books = ledger[(ledger["credit"] == CASH) & ledger["party"].isin(parties)]
    first_out = books[books["order_id"] != NO_ORDER].groupby("order_id")["at"].min()
    paid = orders[
        orders["factory"].isin([factory_name(party) for party in parties])
        & (orders["payment"] == PAID)
        & (orders["paid_at"] >= start_h)
        & (orders["paid_at"] < end_h)
    ]
    out_at = paid["order_id"].map(first_out)
    known = out_at.notna()
    value = (paid["price"] * (paid["quantity"] - paid.get("scrapped", 0)))[known]  # billed
    hours = (paid["paid_at"] - out_at)[known]
    factory = paid["factory"][known]
    total = value.groupby(factory).sum()
    weighted = (value * hours).groupby(factory).sum()
    days = {}
    for party in parties:
        name = factory_name(party)
        paid_for = float(total.get(name, 0.0))
        days[party] = float(weighted[name]) / paid_for / HOURS_PER_DAY if paid_for > 0 else math.nan
    if together:
        paid_for = float(total.sum())
        mean_h = float(weighted.sum()) / paid_for if paid_for > 0 else math.nan
        days[FACTORIES] = mean_h / HOURS_PER_DAY
    return days


def cash_positions(ledger: pd.DataFrame, end_h: float) -> pd.DataFrame:
    """The derived `cash` table: the cash, receivables, payables and inventory of each party
    but the world, the sellers taken together as `sellers` (their own days are in
    `seller_money` and the opt-in `seller_days`), at the end of each day d (after every posting
    stamped before (d + 1) × 24 h), for the days 0 … ⌈end_h / 24⌉ − 1, sorted by party and
    day."""
    days = math.ceil(end_h / HOURS_PER_DAY)
    # each posting's (party, day) as one integer, party × days + day, the parties numbered in
    # name order with every seller as `sellers`: no copy of the ledger, no string keys
    codes, names = pd.factorize(ledger["party"])
    groups = sorted({SELLERS if is_seller(name) else str(name) for name in names} - {WORLD})
    number = {name: k for k, name in enumerate(groups)}
    of_code = [number.get(SELLERS if is_seller(n) else str(n), -1) for n in names]
    group = np.array([*of_code, -1])[codes]  # a missing party, code -1, takes the last: -1
    mine = group >= 0  # the world's (and a missing party's) postings out
    day = (ledger["at"].to_numpy()[mine] // HOURS_PER_DAY).clip(max=days - 1).astype(np.int64)
    key = pd.Series(group[mine].astype(np.int64) * days + day)
    table = pd.DataFrame(
        {"party": np.repeat(groups, days), "day": np.tile(np.arange(days), len(groups))}
    )
    sides, amount = _sides(ledger), ledger["amount"].to_numpy()
    changes = pd.DataFrame(
        {
            column: sign * (amount * _sign(sides, accounts))[mine]
            for column, (accounts, sign) in CASH_COLUMNS.items()
        }
    )  # summed by (party, day) together: the key is grouped once
    daily = changes.groupby(key).sum().reindex(range(len(groups) * days), fill_value=0.0)
    for column in CASH_COLUMNS:
        table[column] = daily[column].to_numpy().reshape(len(groups), days).cumsum(axis=1).ravel()
    return table


def seller_money(
    ledger: pd.DataFrame, start_h: float, end_h: float, discount_rate: float
) -> pd.DataFrame:
    """The derived `seller_money` table: each seller's `party_money` row."""
    return party_money(ledger, start_h, end_h, discount_rate, only=is_seller).reset_index()


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
    # pieces a workshop scrapped are unlocked when the order is back (model/voucher.py)
    scrapped = vouchers.get("scrapped", pd.Series(0, index=vouchers.index))
    cut = (vouchers["price"] * scrapped).where(vouchers["finished_at"].notna(), 0.0)
    repaid_at = vouchers["order_id"].map(repaid.set_index("order_id")["at"])
    seller = vouchers["customer"]
    changes = pd.concat(
        [
            pd.DataFrame({"seller": seller, "at": vouchers["placed_at"], "v": value}),
            pd.DataFrame({"seller": seller, "at": vouchers["finished_at"], "v": -cut})[cut > 0],
            pd.DataFrame({"seller": seller, "at": repaid_at, "v": cut - value}).dropna(),
        ]
    )  # at equal times the repayment goes first: sort by time, then by change
    changes = changes.sort_values(["seller", "at", "v"], kind="stable")
    return float(changes.groupby("seller")["v"].cumsum().groupby(changes["seller"]).max().sum())


def cash_cycles(
    tables: dict[str, pd.DataFrame], start_h: float, end_h: float, discount_rate: float
) -> dict[str, dict[str, float]]:
    """The cash cycle of each factory (with its cash-to-cash time per order), of the factories
    together (FACTORIES: their books summed, the day counts from the sums, the cash-to-cash
    time over all their orders), of the sellers together (with the most they had locked on
    vouchers) and of the platform, for those present in the ledger."""
    ledger, orders = tables["ledger"], tables["orders"]
    money = party_money(ledger, start_h, end_h, discount_rate)
    parties = [str(party) for party in money.index]
    days_in_window = (end_h - start_h) / HOURS_PER_DAY
    # a row each for the factories and the platform; the sellers count only together
    others = money[[not is_seller(party) for party in parties]]
    rows = {str(party): _row(row) for party, row in others.iterrows()}
    factories = [party for party in rows if is_factory(party)]
    days = cash_to_cash_days(ledger, orders, factories, start_h, end_h, together=True)
    cycles = {party: rows[party] | {"cash_to_cash_days": days[party]} for party in factories}
    if factories:
        together = combined_money(money, factories, days_in_window)
        cycles[FACTORIES] = together | {"cash_to_cash_days": days[FACTORIES]}
    sellers = list(filter(is_seller, parties))
    if sellers:
        together = combined_money(money, sellers, days_in_window)
        cycles[SELLERS] = together | {
            "vouchers_outstanding_max": vouchers_outstanding_max(orders, ledger)
        }
    if PLATFORM in rows:
        cycles[PLATFORM] = rows[PLATFORM]
    return cycles


FACTORY_SUMS = (cash_flow.KPI, credit_loss.KPI)
"""The KPIs added to each factory's cash cycle after `cash_cycles` (by cash_flow.py and
credit_loss.py) that add up over factories: `with_factory_sums` gives FACTORIES their sum."""


def with_factory_sums(cycles: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The cash cycles with each of FACTORY_SUMS that every factory has summed into the
    FACTORIES entry (when there is one), so that it has every KPI a factory has."""
    if FACTORIES not in cycles:
        return cycles
    rows = [row for party, row in cycles.items() if is_factory(party)]
    for kpi in FACTORY_SUMS:
        if rows and all(kpi in row for row in rows):
            cycles[FACTORIES][kpi] = math.fsum(row[kpi] for row in rows)
    return cycles
