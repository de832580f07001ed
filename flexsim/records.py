"""Records: one immutable tuple per finished thing or state change, kept in plain lists.

The model appends records while it runs; run.py turns the new records into columns at each look
at the clock and the columns into one DataFrame per table at the end.
The NamedTuples below name and document each table's columns; the model writes plain tuples in
their field order, because a NamedTuple constructor is a Python call per record and a tuple
literal is none (the hot records are written once per order or posting). Nothing here imports
pandas or SimPy. Column meanings are documented in docs/results.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple, get_type_hints

Row = tuple[Any, ...]  # a record: a plain tuple in its table's NamedTuple field order


class OrderRecord(NamedTuple):
    """One order, written when it is settled (paid or written off), refused, or open at the
    horizon. Timestamps not reached (yet) are NaN."""

    order_id: int
    kind: str  # trial | repeat for sellers; the channel name for order-stream customers
    channel: str  # ecommerce | offline
    customer: str
    factory: str
    line: str  # "" until a line takes it
    family: str
    item: str
    quantity: int
    placed_at: float
    due_at: float  # the promised or requested ex-works date
    quote_at: float  # the completion date quoted under capacity booking (NaN without)
    fabric_at: float  # the fabric is in: at placement from stock, later when ordered
    setup_at: float  # work on the line begins (changeover, or processing when none)
    start_at: float  # processing begins
    finished_at: float  # made and shipped
    delivered_at: float
    confirmed_at: float  # the buyer confirmed receipt
    changeover: str  # none | same_family | other_family
    changeover_cost: float  # money paid for this order's changeover
    price: float  # factory price per piece
    cost: float  # the factory's cost of the order: materials, labour, changeover
    regime: str  # payment regime of the channel
    paid_at: float  # the factory received the last payment
    written_off_at: float  # the factory wrote the receivable off
    status: str  # refused | waiting | in_production | in_transit | delivered
    payment: str  # none | open | paid | written_off (the factory's view)
    reason: str  # why refused (below_moq, late_quote, no_capacity, buyer_cash), else ""
    opening: bool  # an order of the scenario's order book, open at the start of the run
    scrapped: int  # pieces scrapped at an outside workshop: never delivered
    reworked: int  # pieces an outside workshop made again (each time counted)


class LineStateRecord(NamedTuple):
    """A line enters `state` at `at` and stays in it until its next record."""

    factory: str
    line: str
    at: float
    state: str  # processing | changeover | idle | down | off_shift
    order_id: int  # the order being worked on, -1 when none
    overtime: bool  # the line is open in overtime hours (never with off_shift)


class LedgerRecord(NamedTuple):
    """One double-entry posting in one party's books: `amount` debited to `debit` and
    credited to `credit`. A payment between parties is one posting in each party's books."""

    entry_id: int
    at: float
    party: str  # factory/NAME | seller/NAME | platform | world
    debit: str
    credit: str
    amount: float
    order_id: int  # -1 when the posting belongs to no order
    reason: str


class ItemRecord(NamedTuple):
    """One seller item (a style), written when its life ends or at the horizon."""

    seller: str
    item: str
    family: str
    rate: float  # latent daily demand rate, pieces per day
    launched_at: float
    sampled_at: float  # the proof sample is approved (NaN until then, or if never)
    listed_at: float  # the trial batch arrived and the item went on sale
    ended_at: float  # end of life (NaN while live)
    ordered: int  # pieces ordered from the factory (trial + repeats)
    received: int  # pieces delivered to the seller
    sold: int
    lost: int  # demand that found no stock (censored sales)
    salvaged: int  # leftover pieces sold off at the salvage price
    in_stock: int  # pieces on hand when written (0 once ended)
    repeats: int  # repeat orders placed
    samples: int  # proof samples made (1 + remakes)
    dropped_at: float  # the last sample was rejected and the item dropped (NaN if not)
    clicks: int  # visitors who clicked the listing (from listing, pre-sale included)
    favourites: int  # of those, who added it to favourites
    preorders: int  # pieces pre-ordered before the first batch arrived (policy presale)
    first_sale_at: float  # the first piece sold (NaN if none)
    retail_price: float  # per piece, drawn per item
    factory_price: float  # per piece, drawn per item
    factory: str  # the factory it was sampled and ordered at


class SalesDayRecord(NamedTuple):
    """One trading day of all sellers together, summed over their listed items (the sellers'
    KPIs are read off these rows)."""

    at: float  # start of the day
    demand: int
    sold: int
    lost: int
    revenue: float


class SellerDayRecord(NamedTuple):
    """One seller's trading day, summed over its listed items: written only when the scenario
    asks for it (`sellers.record_days`), since it is a row per seller and day."""

    seller: str
    at: float  # start of the day
    demand: int
    sold: int
    lost: int
    revenue: float


class CapacityRecord(NamedTuple):
    """A line's published schedule for one day ahead, under capacity booking: written every
    day for each day of the booking horizon."""

    factory: str
    line: str
    at: float  # when the schedule was published (the start of a simulated day)
    day_at: float  # the start of the day it is for
    open_h: float  # the line's open hours that day by its calendar (overtime not counted)
    booked_h: float  # hours of that day taken by the work in hand and booked, laid out from `at`


class AllianceReviewRecord(NamedTuple):
    """One member of an alliance at one review: its profit over the period, its share of the
    pooled profit by the alliance's rule, and whether the period was bad for it (core members
    only) or it withdrew. Written for the members still in the alliance at the review."""

    alliance: str
    member: str  # a factory's or workshop's name, or `sellers` (the lead)
    role: str  # core | lead | outside
    start_at: float  # the period reviewed: [start_at, end_at)
    end_at: float  # the review
    profit: float  # income less costs over the period (ledger)
    cost: float  # costs over the period (ledger): the base of the return
    capacity_h: float  # open hours of the member's lines over the period (0 for the lead)
    allocation: float  # its share of the pool (the members' profits summed) by the rule
    realised_return: float  # allocation / cost (NaN when the cost is 0)
    bad: bool  # a core member's return below the alliance's outside_return
    withdrawn: bool  # the core member withdraws at this review


class StepRecord(NamedTuple):
    """One step of a routed order at one station (a factory with a `routing`), written when the
    step is finished, or at the horizon for a step the order has reached. Timestamps not
    reached (yet) are NaN."""

    order_id: int
    step: int  # 0 for the routing's first station, 1 for the next, …
    factory: str
    station: str  # the line that makes this step
    queued_at: float  # the order reached the station's queue
    setup_at: float  # the station takes the order (changeover, or processing when none)
    started_at: float  # processing begins
    finished_at: float  # the step is done
    batch_id: int  # the batch the step was made in; -1 for a single-order step


TABLES: dict[str, list[str]] = {
    "orders": list(OrderRecord._fields),
    "line_states": list(LineStateRecord._fields),
    "ledger": list(LedgerRecord._fields),
    "items": list(ItemRecord._fields),
    "sales_days": list(SalesDayRecord._fields),
    "seller_days": list(SellerDayRecord._fields),
    "capacity": list(CapacityRecord._fields),
    "alliance_reviews": list(AllianceReviewRecord._fields),
    "steps": list(StepRecord._fields),
}
"""Table name → column names; every Recorder list has a table of this name."""

DTYPES = {int: "int64", float: "float64", str: "str", bool: "bool"}
COLUMN_TYPES: dict[str, dict[str, str]] = {
    name: {column: DTYPES[kind] for column, kind in get_type_hints(record).items()}
    for name, record in zip(
        TABLES,
        (
            *(OrderRecord, LineStateRecord, LedgerRecord, ItemRecord),
            *(SalesDayRecord, SellerDayRecord, CapacityRecord, AllianceReviewRecord),
            StepRecord,
        ),
        strict=True,
    )
}
"""Table name → column → the pandas dtype of its values, read off the records' annotations: what
an empty table's columns are, so that every function of a table works on one without rows."""


class Recorder:
    """Append-only lists of records, one list per table."""

    def __init__(self) -> None:
        self.orders: list[Row] = []  # OrderRecord
        self.line_states: list[Row] = []  # LineStateRecord
        self.ledger: list[Row] = []  # LedgerRecord
        self.items: list[Row] = []  # ItemRecord
        self.sales_days: list[Row] = []  # SalesDayRecord
        self.seller_days: list[Row] = []  # SellerDayRecord
        self.capacity: list[Row] = []  # CapacityRecord
        self.alliance_reviews: list[Row] = []  # AllianceReviewRecord
        self.steps: list[Row] = []  # StepRecord

    def lists(self) -> dict[str, list[tuple[object, ...]]]:
        """Each table's name with its records, in TABLES order."""
        return {name: getattr(self, name) for name in TABLES}
