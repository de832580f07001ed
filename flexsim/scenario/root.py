"""Scenario: the root model that holds every part and checks them against each other, its
variants by dotted-key overrides, and validation that turns bad input into one ScenarioError."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from flexsim.dists import DIST_NAMES, DistSpec
from flexsim.inputs import listing, quoted, shortened
from flexsim.limits import (
    MAX_BUYERS,
    MAX_CUSTOMER_ITEMS,
    MAX_FACTORY_COPIES,
    MAX_PROBLEM_CHARS,
    MAX_PROBLEMS,
    MAX_SHAPLEY_MEMBERS,
)
from flexsim.scenario.alliances import LEAD_NAME, SHARE_TOLERANCE, AllianceSpec
from flexsim.scenario.channels import Channels, CustomerSpec, FinanceSpec
from flexsim.scenario.fields import (
    ALWAYS_OPEN,
    Days,
    Name,
    PositiveDays,
    require_unique,
    step_workshop,
)
from flexsim.scenario.orderbook import OpeningOrder, problems
from flexsim.scenario.plant import CalendarSpec, FactorySpec
from flexsim.scenario.sellers import SellersSpec
from flexsim.scenario.workshops import WorkshopSpec
from flexsim.spec import Spec
from flexsim.vocabulary import HOURS_PER_DAY


class Scenario(Spec):
    """Everything one run needs besides the seed."""

    name: Name
    description: str = ""
    currency: str = "CNY"
    start_date: dt.date = Field(default=dt.date(2026, 1, 5), strict=False)  # ISO text in JSON
    horizon_days: PositiveDays = 365.0
    warmup_days: Days = 30.0
    calendars: dict[Name, CalendarSpec] = {}
    channels: Channels = Channels()
    factories: list[FactorySpec] = Field(min_length=1)
    workshops: list[WorkshopSpec] = []
    alliances: list[AllianceSpec] = []
    customers: list[CustomerSpec] = []
    sellers: SellersSpec = SellersSpec()
    finance: FinanceSpec = FinanceSpec()
    order_book: Annotated[str, Field(max_length=4096)] = ""
    opening_orders: list[OpeningOrder] = []
    # the scenario as written, before factories with `count` became copies (None: none did);
    # overrides naming a group of copies are set here (`with_overrides`)
    _declared: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be shorter than horizon_days "
                f"({self.horizon_days})"
            )
        self._expand_factory_counts()
        self._check_sizes()
        require_unique([f.name for f in self.factories], "factory")
        # customers and sellers share one name space: names key their random streams
        buyers = [n for c in self.customers for n in c.customer_names()]
        require_unique(buyers + self.sellers.seller_names(), "customer or seller")
        if ALWAYS_OPEN in self.calendars:
            raise ValueError(
                f"calendars.{ALWAYS_OPEN}: the name '{ALWAYS_OPEN}' is reserved for the built-in "
                "always-open calendar; choose another name"
            )
        self._check_references()
        self._check_workshops()
        self._check_alliances()
        if self.order_book and self.opening_orders:
            raise ValueError("order_book and opening_orders are both given; give one of them")
        for i, column, problem in book_problems(self):
            raise ValueError(f"opening_orders.{i}.{column}: {problem}")
        return self

    def _check_sizes(self) -> None:
        """What building the model expands, checked before anything is expanded: the buyers
        (customers after `count`, and sellers), the items named for the customers, and the
        last date of the run."""
        buyers = sum(c.count for c in self.customers) + self.sellers.count
        if buyers > MAX_BUYERS:
            raise ValueError(
                f"{buyers:,} customers (after count) and sellers; at most {MAX_BUYERS:,} in all"
            )
        items = sum(c.items() for c in self.customers)
        if items > MAX_CUSTOMER_ITEMS:
            raise ValueError(
                f"customers: count × families × styles_per_family makes {items:,} items; at "
                f"most {MAX_CUSTOMER_ITEMS:,} in all"
            )
        days_left = (dt.date.max - self.start_date).days + 1
        if self.horizon_days > days_left:
            raise ValueError(
                f"horizon_days ({self.horizon_days:g}) runs past the last date there is, "
                f"{dt.date.max}; from start_date {self.start_date} at most {days_left:,} days"
            )

    def _expand_factory_counts(self) -> None:
        """A line with `count` N > 1 becomes N copies named LINE-0 … LINE-(N-1) in its factory.
        A factory with `count` N > 1 becomes N copies named NAME-0 … NAME-(N-1); where the
        sellers name NAME (`factory`, `factories`, `choice.price_factors`) it stands for every
        copy, and a customer entry at NAME becomes one entry per copy, named CUSTOMER-COPY. The
        scenario keeps the copies only, so a run's scenario.json lists each of them."""
        total = sum(f.count for f in self.factories)
        if total > MAX_FACTORY_COPIES:
            raise ValueError(
                f"factories: {total:,} factories after count; at most {MAX_FACTORY_COPIES:,}"
            )
        copies = {
            f.name: [f"{f.name}-{i}" for i in range(f.count)] for f in self.factories if f.count > 1
        }
        if any(line.count > 1 for f in self.factories for line in f.lines):
            self._declared = self.model_dump(mode="python")
            lined = [f.with_line_copies() for f in self.factories]
            object.__setattr__(self, "factories", lined)
        if not copies:
            return
        factories = [
            f.model_copy(update={"name": name, "count": 1})
            for f in self.factories
            for name in copies.get(f.name, [f.name])
        ]
        customers = [
            c.model_copy(update={"name": f"{c.name}-{name}", "factory": name})
            if c.factory in copies
            else c
            for c in self.customers
            for name in copies.get(c.factory, [c.factory])
        ]
        if self._declared is None:
            self._declared = self.model_dump(mode="python")
        sellers = self.sellers
        named = sellers.factory_names()
        update: dict[str, Any] = {
            "factory": None if sellers.factory in copies else sellers.factory,
            "factories": [n for name in named for n in copies.get(name, [name])]
            if sellers.factories or sellers.factory in copies
            else [],
            "choice": sellers.choice.model_copy(
                update={
                    "price_factors": {
                        n: factor
                        for name, factor in sellers.choice.price_factors.items()
                        for n in copies.get(name, [name])
                    }
                }
            ),
        }
        # the model is frozen and already checked field by field; these are its own values
        object.__setattr__(self, "factories", factories)
        object.__setattr__(self, "customers", customers)
        object.__setattr__(self, "sellers", sellers.model_copy(update=update))

    def _check_references(self) -> None:
        calendars = {ALWAYS_OPEN, *self.calendars}
        factories = {f.name: f for f in self.factories}
        for i, factory in enumerate(self.factories):
            for j, line in enumerate(factory.lines):
                if line.calendar not in calendars:
                    raise ValueError(
                        f"factories.{i}.lines.{j}.calendar: calendar '{line.calendar}' is not "
                        f"defined; defined: {listing(sorted(calendars))}"
                    )
                spec = self.calendars.get(line.calendar)
                if line.overtime is not None and (spec is None or spec.always_open):
                    raise ValueError(
                        f"factories.{i}.lines.{j}.overtime: the line's calendar "
                        f"'{line.calendar}' is always open, so there are no hours to add; "
                        "give the line a calendar with shifts"
                    )
            if factory.sample_room.calendar not in calendars:
                raise ValueError(
                    f"factories.{i}.sample_room.calendar: calendar "
                    f"'{factory.sample_room.calendar}' is not defined; defined: "
                    f"{listing(sorted(calendars))}"
                )
        buyers = [
            (f"customers.{k}", c.factory, c.channel, c.families)
            for k, c in enumerate(self.customers)
        ]
        if self.sellers.count:
            for factory_name in self.sellers.factory_names() or ["(none given)"]:
                buyers.append(("sellers", factory_name, "ecommerce", self.sellers.families))
        for where, factory_name, channel, families in buyers:
            served_by = factories.get(factory_name)
            if served_by is None:
                raise ValueError(
                    f"{where}.factory: factory '{factory_name}' is not defined; "
                    f"defined: {listing(list(factories))}"
                )
            for family in families:
                if served_by.routing:
                    self._check_route(where, served_by, channel, family)
                elif not any(line.serves(channel, family) for line in served_by.lines):
                    raise ValueError(
                        f"{where}: no line of factory '{factory_name}' makes family "
                        f"'{family}' for channel '{channel}', so those orders could never be made"
                    )

    def _check_route(self, where: str, factory: FactorySpec, channel: str, family: str) -> None:
        """A routed factory has a routing for each family its buyers order (the channel's, or
        the family's), through stations that make the channel's orders of the family."""
        key = f"factories.{self.factories.index(factory)}.routing"
        route = factory.route(channel, family)
        if route is None:
            raise ValueError(
                f"{key}: factory '{factory.name}' declares routings but none for family "
                f"'{family}' (nor for channel '{channel}'), which {where} orders; add "
                f"`{family} = [STATION, …]`"
            )
        by = channel if channel in factory.routing else family
        lines = {line.name: line for line in factory.lines}
        for k, name in enumerate(route):
            if step_workshop(name) is not None:
                continue  # a workshop makes every channel and family
            if channel not in lines[name].channels:
                raise ValueError(
                    f"{key}.{by}.{k}: station '{name}' makes no {channel} orders, "
                    f"which {where} places; add '{channel}' to its channels"
                )
            if lines[name].families and family not in lines[name].families:
                raise ValueError(
                    f"{key}.{by}.{k}: station '{name}' does not make family '{family}', which "
                    f"{where} orders in channel '{channel}'; it makes "
                    f"{', '.join(lines[name].families)}"
                )

    def _check_workshops(self) -> None:
        """Each factory's subcontracting against the workshops: names defined, a rule that can
        send orders somewhere, `quote_late` under capacity booking; every workshop reachable."""
        require_unique([w.name for w in self.workshops], "workshop")
        calendars = {ALWAYS_OPEN, *self.calendars}
        for k, workshop in enumerate(self.workshops):
            if workshop.calendar not in calendars:
                raise ValueError(
                    f"workshops.{k}.calendar: calendar '{workshop.calendar}' is not defined; "
                    f"defined: {listing(sorted(calendars))}"
                )
        defined = [w.name for w in self.workshops]
        reached: set[str] = set()
        for i, factory in enumerate(self.factories):
            sub, key = factory.subcontract, f"factories.{i}.subcontract"
            for j, name in enumerate(sub.workshops):
                if name not in defined:
                    raise ValueError(
                        f"{key}.workshops.{j}: workshop '{name}' is not defined; defined: "
                        f"{listing(defined) or '(none: add [[workshops]])'}"
                    )
            require_unique(sub.workshops, f"{key}.workshops: workshop")
            if sub.rule != "never" and not sub.workshops:
                raise ValueError(
                    f"{key}.workshops: rule '{sub.rule}' sends orders out, but no workshop is "
                    "listed; list at least one of the scenario's [[workshops]]"
                )
            if sub.rule == "quote_late" and factory.booking is None:
                raise ValueError(
                    f"{key}.rule: 'quote_late' compares the factory's own quote with the due "
                    f"date, and factory '{factory.name}' gives no quotes; give it capacity "
                    "booking ([factories.booking]) or choose rule 'backlog' or 'never'"
                )
            reached.update(sub.workshops)  # under "never" too: a variant may switch it off
            for by, route in factory.routing.items():
                for k, step in enumerate(route):
                    shop = step_workshop(step)
                    if shop is not None and shop not in defined:
                        raise ValueError(
                            f"factories.{i}.routing.{by}.{k}: workshop '{shop}' is not "
                            f"defined; defined: {listing(defined) or '(none: add [[workshops]])'}"
                        )
                    reached.add(shop or "")
        for k, workshop in enumerate(self.workshops):
            if workshop.name not in reached:
                raise ValueError(
                    f"workshops.{k}: workshop '{workshop.name}' is reached by no factory; list "
                    "it in a factory's subcontract.workshops or routing, or remove it"
                )

    def _check_alliances(self) -> None:
        """Each alliance's members against the factories, workshops and sellers (a member in
        one alliance only), its shares against its rule, its review period against the
        horizon."""
        require_unique([a.name for a in self.alliances], "alliance")
        known = {
            "core": ([f.name for f in self.factories], "factory", "[[factories]]"),
            "outside": ([w.name for w in self.workshops], "workshop", "[[workshops]]"),
        }
        member_of: dict[str, str] = {}
        for i, alliance in enumerate(self.alliances):
            key = f"alliances.{i}"
            names = [m.name for m in alliance.members]
            for j, name in enumerate(names):
                if name in names[:j]:
                    raise ValueError(f"{key}.members.{j}.name: {quoted(name)} is listed twice")
            for j, member in enumerate(alliance.members):
                where = f"{key}.members.{j}.name"
                if member.role == "lead":
                    if member.name != LEAD_NAME:
                        raise ValueError(
                            f"{where}: the lead member stands for all sellers and is called "
                            f"'{LEAD_NAME}', not {quoted(member.name)}"
                        )
                    if not self.sellers.count:
                        raise ValueError(
                            f"{where}: the lead member '{LEAD_NAME}' needs sellers "
                            "(sellers.count > 0)"
                        )
                else:
                    defined, what, table = known[member.role]
                    if member.name not in defined:
                        raise ValueError(
                            f"{where}: unknown member {quoted(member.name)}: a {member.role} "
                            f"member is a {what} of the scenario; defined: "
                            f"{listing(defined) or f'(none: add {table})'}"
                        )
                party = f"{member.role}:{member.name}"
                if party in member_of:
                    raise ValueError(
                        f"{where}: {quoted(member.name)} is already a member of alliance "
                        f"'{member_of[party]}'; a member belongs to one alliance only"
                    )
                member_of[party] = alliance.name
            if len(alliance.core()) < 2:
                raise ValueError(
                    f"{key}.members: an alliance needs at least 2 core members (factories, "
                    f"role 'core'); it has {len(alliance.core())}"
                )
            for j, member in enumerate(alliance.members):
                if member.role != "core" and (member.withdrawn or member.bad_streak):
                    field = "withdrawn" if member.withdrawn else "bad_streak"
                    raise ValueError(
                        f"{key}.members.{j}.{field}: only a core member (a factory) has bad "
                        f"periods and withdraws; {quoted(member.name)} is {member.role}"
                    )
                if member.bad_streak >= alliance.bad_periods and not member.withdrawn:
                    raise ValueError(
                        f"{key}.members.{j}.bad_streak: {member.bad_streak} bad periods in a "
                        f"row is not fewer than bad_periods ({alliance.bad_periods}): the "
                        "member would have withdrawn (withdrawn = true)"
                    )
            self._check_shares(alliance, key, names)
            if alliance.rule == "shapley" and len(names) > MAX_SHAPLEY_MEMBERS:
                raise ValueError(
                    f"{key}.members: the Shapley rule takes at most {MAX_SHAPLEY_MEMBERS} "
                    f"members (2^{MAX_SHAPLEY_MEMBERS} coalitions a review); it has "
                    f"{len(names)}"
                )
            # (a restart's first review may fall after its horizon: none is left in the run)
            first = alliance.first_review_days
            if first is None and alliance.review_days >= self.horizon_days:
                raise ValueError(
                    f"{key}.review_days: {alliance.review_days:g} days is not shorter than "
                    f"horizon_days ({self.horizon_days:g}), so no review would ever happen"
                )

    @staticmethod
    def _check_shares(alliance: AllianceSpec, key: str, names: list[str]) -> None:
        shares = alliance.shares
        if alliance.rule != "fixed":
            if shares:
                raise ValueError(
                    f"{key}.shares: shares are for rule 'fixed'; rule '{alliance.rule}' "
                    "computes each member's share, so remove them"
                )
            return
        for name in shares:
            if name not in names:
                raise ValueError(
                    f"{key}.shares.{shortened(name)}: unknown member {quoted(name)}; the "
                    f"members: {listing(names)}"
                )
        missing = [n for n in names if n not in shares]
        if missing:
            raise ValueError(
                f"{key}.shares: rule 'fixed' needs a share for every member; missing: "
                f"{listing(missing)}"
            )
        total = sum(shares.values())
        if abs(total - 1) > SHARE_TOLERANCE:
            raise ValueError(
                f"{key}.shares: the shares sum to {total:.12g}; they must sum to 1 (within "
                f"{SHARE_TOLERANCE:g})"
            )

    def longest_term_days(self) -> float:
        """The longest payment term among the channels that carry money, in days after
        delivery: the upper end of an offline-credit term (its mean plus 3 sd when unbounded),
        plus that of `late_days` when payments can be late, or the auto-confirm delay under the
        voucher. The warm-up should be at least this long."""
        longest = 0.0
        for name in self.priced_channels():
            channel = self.channels.get(name)
            payment = channel.payment
            if payment.regime == "offline_credit":
                high = _upper(payment.term_days)
                if payment.late_probability:
                    high += _upper(payment.late_days)
                longest = max(longest, high)
            elif channel.payment.regime == "voucher":
                longest = max(longest, channel.auto_confirm_days)
        return longest

    def longest_open_days(self) -> float:
        """The longest a payment stays owed after delivery, in days, among the channels that
        carry money: on offline credit the upper end of the term, then the later of a late
        payment (when payments can be late) and the write-off (when buyers can default), which
        never both befall one balance; under the voucher the auto-confirm delay, then the
        platform's repayment period and the later of the same two. A warm-up this long lets the
        receivables and the write-offs measured after it reach steady state."""
        longest = 0.0
        for name in self.priced_channels():
            channel = self.channels.get(name)
            payment = channel.payment
            after_due = max(
                _upper(payment.late_days) if payment.late_probability else 0.0,
                payment.write_off_days if payment.default_probability else 0.0,
            )
            if payment.regime == "offline_credit":
                longest = max(longest, _upper(payment.term_days) + after_due)
            elif payment.regime == "voucher":
                wait = channel.auto_confirm_days + payment.repay_days + after_due
                longest = max(longest, wait)
        return longest

    def priced_channels(self) -> set[str]:
        """The channels on which some buyer pays a price above zero."""
        priced: set[str] = {c.channel for c in self.customers if c.factory_price > 0}
        if self.sellers.count and self.sellers.factory_price.expectation > 0:
            priced.add("ecommerce")
        return priced

    @property
    def horizon_h(self) -> float:
        return self.horizon_days * HOURS_PER_DAY

    @property
    def warmup_h(self) -> float:
        return self.warmup_days * HOURS_PER_DAY

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A new scenario with dotted keys set, e.g. {"factories.0.lines.ecom.calendar": "day"}.

        A list element is addressed by index or by its `name`. Where factories were copied
        (`count`), each key is set on the scenario as written, where a group of copies has its
        own name and `count` (`factories.small.count`), and a key that names no element there
        (`factories.small-3.initial_cash`) on the copies after. The result is validated in
        full; errors name `source` and the dotted key.
        """
        data = copy.deepcopy(self._declared) if self._declared else self.model_dump()
        on_copies = {}
        for key, value in overrides.items():
            try:
                _set_dotted(data, key, value)
            except ScenarioError as error:
                if not self._declared:
                    raise ScenarioError(f"{source}: --set {shortened(key)}: {error}.") from None
                on_copies[key] = value
        scenario = validate(data, f"{source} (with --set {listing(list(overrides))})")
        if on_copies:
            scenario = Scenario.model_validate(scenario.model_dump())  # the copies, as written
            return scenario.with_overrides(on_copies, source)
        return scenario


def _upper(dist: DistSpec) -> float:
    """A distribution's upper end, or its mean plus 3 sd when it has none."""
    high: float = getattr(dist, "high", dist.expectation + 3 * dist.variance**0.5)
    return high


def _set_dotted(data: Any, key: str, value: Any) -> None:
    """Set `value` at the dotted `key` inside nested dicts and lists."""
    *parents, last = key.split(".")
    node = data
    for depth, part in enumerate(parents):
        node = _child(node, part, ".".join(parents[: depth + 1]))
    if isinstance(node, list):
        node[_index(node, last, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(
            f"cannot set {quoted(key)}: {quoted('.'.join(parents))} is a single value"
        )


def _child(node: Any, part: str, where: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, where)]
    if isinstance(node, dict) and part in node and isinstance(node[part], dict | list):
        return node[part]
    if isinstance(node, dict) and part in node:
        raise ScenarioError(f"cannot set below {quoted(where)}: it is a single value")
    raise ScenarioError(f"no key {quoted(where)} in the scenario")


def _index(items: list[Any], part: str, where: str) -> int:
    if part.isascii() and part.isdigit() and int(part) < len(items):  # not '²' nor '١'
        return int(part)
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    raise ScenarioError(
        f"no element {quoted(part)} at {quoted(where)}: give an index below {len(items)} or one "
        f"of the names {listing(list(map(str, names))) or '(none)'}"
    )


def book_problems(scenario: Scenario) -> Iterator[tuple[int, str, str]]:
    """(index, column, what is wrong) for each of the scenario's opening orders that does not
    fit it."""
    return problems(
        scenario.opening_orders,
        scenario.customers,
        set(scenario.sellers.seller_names()),
        scenario.factories,
        scenario.start_date,
        scenario.channels,
    )


class ScenarioError(Exception):
    """Bad scenario input; the message is one paragraph fit to show a person as it is."""


def format_validation_error(error: ValidationError, source: str) -> str:
    """One paragraph naming the source and the offending dotted key of the first MAX_PROBLEMS
    problems, each cut to MAX_PROBLEM_CHARS, then how many more there are: a large bad file
    must not make a larger message."""
    problems = []
    for item in error.errors(include_url=False)[:MAX_PROBLEMS]:
        loc = [shortened(str(part)) for part in item["loc"] if not _is_union_tag(part)]
        message = item["msg"].removeprefix("Value error, ")
        problem = f"{'.'.join(loc)}: {message}" if loc else message
        problems.append(shortened(problem, MAX_PROBLEM_CHARS))
    total = error.error_count()
    count = "a problem" if total == 1 else f"{total:,} problems"
    more = f"; and {total - len(problems):,} more" if total > len(problems) else ""
    return f"{source}: {count} in the scenario: " + "; ".join(problems) + more + "."


def _is_union_tag(part: str | int) -> bool:
    """Pydantic puts the chosen union member's tag in the location; people don't write it."""
    return isinstance(part, str) and (part in DIST_NAMES or part.startswith("function-"))


def validate(data: Mapping[str, Any], source: str) -> Scenario:
    """A Scenario from parsed TOML data, or a ScenarioError naming `source` and the keys."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(format_validation_error(error, source)) from None
