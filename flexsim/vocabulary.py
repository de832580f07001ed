"""Vocabulary: the words the model writes into its records and the metrics read back.

Accounts, parties and their ledger names, posting reasons, order kinds, channels, statuses,
payment states, refusal reasons, line states, changeover kinds and the clock's constants, each
defined once here and imported by the model, the records, the metrics and the tests. The
scenario schema keeps its own `Literal` types (so mypy checks them statically); `check_names`
ties each such Literal, or a registry of policies, to the words here at import time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, get_args

# ── the clock: one unit, the hour ────────────────────────────────────────────────────────────
HOURS_PER_DAY = 24.0
DAYS_PER_WEEK = 7
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK
DAYS_PER_YEAR = 365  # interest rates and discount rates are per year of 365 days
HOURS_PER_YEAR = DAYS_PER_YEAR * HOURS_PER_DAY

# ── parties: whose books a ledger posting is in ──────────────────────────────────────────────
WORLD = "world"  # everyone outside the model: consumers, suppliers, workers, the bank, owners
PLATFORM = "platform"
SELLERS = "sellers"  # all sellers' books taken together (a metrics-only party)
FACTORIES = "factories"  # all factories' books, or all their lines, together (a metrics-only key)
MANY_FACTORIES = 8  # a scenario with more factories is read across them: FACTORIES and spreads
FACTORY_PREFIX = "factory/"
SELLER_PREFIX = "seller/"
WORKSHOP_PREFIX = "workshop/"  # an outside workshop: its party, and its orders' line


def factory_party(name: str) -> str:
    """The ledger party of the factory called `name`: `factory/NAME`."""
    return FACTORY_PREFIX + name


def seller_party(name: str) -> str:
    """The ledger party of the seller called `name`: `seller/NAME`."""
    return SELLER_PREFIX + name


def workshop_party(name: str) -> str:
    """The ledger party of the workshop called `name`, `workshop/NAME`: also its line's factory
    in the line states (its line there is NAME) and the `line` of the orders it makes."""
    return WORKSHOP_PREFIX + name


def is_workshop(name: str) -> bool:
    return name.startswith(WORKSHOP_PREFIX)


def factory_name(party: str) -> str:
    """The factory's name in a `factory/NAME` party (the inverse of `factory_party`)."""
    if not is_factory(party):
        raise ValueError(f"{party!r} is not a factory party ({FACTORY_PREFIX}NAME)")
    return party.removeprefix(FACTORY_PREFIX)


def is_factory(party: str) -> bool:
    return party.startswith(FACTORY_PREFIX)


def is_seller(party: str) -> bool:
    return party.startswith(SELLER_PREFIX)


def sellers_among(parties: Iterable[str]) -> list[str]:
    """The sellers among `parties` (a table's unique party names: a column is then selected by
    `isin`, not by a Python call per row)."""
    return [party for party in parties if is_seller(party)]


# ── accounts: what a posting debits and credits ──────────────────────────────────────────────
CASH = "cash"
RECEIVABLES = "receivables"
MATERIALS = "materials"
WIP = "wip"
FINISHED_GOODS = "finished_goods"
INVENTORY = "inventory"  # a seller's stock at purchase cost
PREPAYMENTS = "prepayments"  # paid to a supplier before delivery
PAYABLES = "payables"
DEPOSITS = "deposits"  # received from a buyer before delivery
REVENUE = "revenue"
COGS = "cogs"
EXPENSES = "expenses"
BAD_DEBT = "bad_debt"
EQUITY = "equity"
WAGES = "wages"  # a factory's shift payroll (an expense of the period, not of an order)
FEES = "fees"  # platform fees (an expense)
VOUCHER_FLOAT = "voucher_float"  # the platform's claims on buyers for vouchers it paid out
ESCROW = "escrow"  # consumer money the platform holds for sellers (a liability)
FINANCING_COST = "financing_cost"  # interest paid on negative cash
INTEREST_INCOME = "interest_income"  # interest earned on positive cash
FLOWS = "flows"  # the world's counter-account for the cash it pays and receives
FIXED_ASSETS = "fixed_assets"  # a factory's investments at cost, less their depreciation
DEPRECIATION = "depreciation"  # the share of an investment's cost expensed in a day (also a reason)

STOCK_ACCOUNTS = (MATERIALS, WIP, FINISHED_GOODS, INVENTORY)  # a party's stock at cost
CLAIM_ACCOUNTS = (RECEIVABLES, VOUCHER_FLOAT)  # what others owe the party
# what a period's profit deducts from revenue: the expense accounts (debited) …
COST_ACCOUNTS = (COGS, EXPENSES, FEES, WAGES, BAD_DEBT, FINANCING_COST, DEPRECIATION)
# … and what it adds to it (credited)
INCOME_ACCOUNTS = (REVENUE, INTEREST_INCOME)

# ── posting reasons: why money or goods moved ────────────────────────────────────────────────
INITIAL_CAPITAL = "initial_capital"
PURCHASE = "purchase"  # materials bought
MATERIALS_ISSUED = "materials_issued"
LABOUR = "labour"
OVERTIME = "overtime"  # the premium paid for a line's overtime hours
PAYROLL = "payroll"
OVERHEAD = "overhead"
FIXED_COST = "fixed_cost"  # a line's fixed cost per day
INVESTMENT = "investment"  # a factory's or a line's investment, paid at time 0
FINISHED = "finished"
SALE = "sale"
DEPOSIT = "deposit"
BALANCE = "balance"
BALANCE_BEFORE_SHIPMENT = "balance_before_shipment"
REFUND = "refund"  # paid back to the buyer: what it paid ahead for pieces scrapped at a workshop
BUYER_DEFAULT = "buyer_default"
VOUCHER_PAYOUT = "voucher_payout"
VOUCHER_REPAYMENT = "voucher_repayment"
PLATFORM_FEE = "platform_fee"
SAMPLE_FEE = "sample_fee"
RETAIL_SALES = "retail_sales"
ESCROW_RELEASE = "escrow_release"
SALVAGE = "salvage"
INTEREST = "interest"
SUBCONTRACT = "subcontract"  # a workshop's fee for the good pieces of an order it made
OPENING_BALANCE = "opening_balance"  # what an order book brings into a factory's books at time 0

NO_ORDER = -1  # the order_id of a posting or line state that belongs to no order
NO_BATCH = -1  # the batch_id of a step made for one order alone (the steps table)

# ── orders ───────────────────────────────────────────────────────────────────────────────────
ECOMMERCE, OFFLINE = "ecommerce", "offline"
CHANNELS = (ECOMMERCE, OFFLINE)
VOUCHER = "voucher"  # the payment regime in which the platform pays the factory (RegimeName)
TRIAL, REPEAT = "trial", "repeat"
SELLER_KINDS = (TRIAL, REPEAT)  # a seller's orders; order-stream orders take the channel's name

REFUSED, WAITING, IN_PRODUCTION, IN_TRANSIT, DELIVERED = (
    "refused",
    "waiting",
    "in_production",
    "in_transit",
    "delivered",
)
ORDER_STATUSES = (REFUSED, WAITING, IN_PRODUCTION, IN_TRANSIT, DELIVERED)
DELIVERED_UNPAID = "delivered_unpaid"  # an opening order delivered before the start, still owed
OPENING_STATUSES = (WAITING, IN_PRODUCTION, IN_TRANSIT, DELIVERED_UNPAID)  # an order book's

UNPAID, OPEN, PAID, WRITTEN_OFF = "none", "open", "paid", "written_off"
PAYMENT_STATES = (UNPAID, OPEN, PAID, WRITTEN_OFF)  # the factory's view of an order's money

BELOW_MOQ = "below_moq"
NO_CAPACITY = "no_capacity"
LATE_QUOTE = "late_quote"
BUYER_CASH = "buyer_cash"
CREDIT_LIMIT = "credit_limit"
CREDIT_LINE = "credit_line"
REFUSAL_REASONS = (BELOW_MOQ, NO_CAPACITY, LATE_QUOTE, BUYER_CASH, CREDIT_LIMIT, CREDIT_LINE)

# ── lines ────────────────────────────────────────────────────────────────────────────────────
PROCESSING, CHANGEOVER, IDLE, DOWN, OFF_SHIFT = (
    "processing",
    "changeover",
    "idle",
    "down",
    "off_shift",
)
LINE_STATES = (PROCESSING, CHANGEOVER, IDLE, DOWN, OFF_SHIFT)
BUSY_STATES = (PROCESSING, CHANGEOVER)
OPEN_STATES = (PROCESSING, CHANGEOVER, IDLE, DOWN)  # the line's shift is on

NO_CHANGEOVER, SAME_FAMILY, OTHER_FAMILY = "none", "same_family", "other_family"
CHANGEOVERS = (NO_CHANGEOVER, SAME_FAMILY, OTHER_FAMILY)


def check_names(names: Iterable[str], literal: Any, what: str) -> None:
    """Raise TypeError unless `names` (a tuple of words, or a registry's keys) are exactly the
    values of the `Literal` type the scenario schema accepts: run at import time, so a word
    added on one side only fails on the first import, not mid-run."""
    have, allowed = set(names), set(get_args(literal))
    if have != allowed:
        raise TypeError(
            f"{what}: the names {sorted(have)} differ from the schema's {sorted(allowed)}"
        )
