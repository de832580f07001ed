"""Names in an experiment file: the `{NAME}` placeholders that `[names]` fills, and KPI names
checked against what a run of the base scenario can have, with the headline KPIs shown when the
file names none."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flexsim.experiment.errors import ExperimentError
from flexsim.metrics import split_kpi_name
from flexsim.scenario import Scenario, step_workshop
from flexsim.spec import did_you_mean
from flexsim.vocabulary import (
    CHANNELS,
    FACTORIES,
    MANY_FACTORIES,
    PLATFORM,
    SELLER_KINDS,
    SELLERS,
    factory_party,
    workshop_party,
)

FACTORS = "factors"  # the sub-table of a variant that holds its own factors
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def with_names(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The parsed file with each `{NAME}` of the `[names]` table replaced by its value, in the
    keys of `set`, `[factors]` and the variants (and their factors), in `kpis`, in
    `sequential.kpis` and in `warmup_series`: so that a file names its factory and lines once.
    A placeholder that `[names]` does not define is an error naming where it is."""
    names = data.get("names", {})
    if not isinstance(names, dict) or not names:
        return data  # nothing to replace; a malformed table is the schema's error

    def fill(text: str, where: str) -> str:
        def value(match: re.Match[str]) -> str:
            if match[1] not in names:
                raise ExperimentError(
                    f"{source}: {where}: '{text}' uses {{{match[1]}}}, which [names] does not "
                    f"define{did_you_mean(match[1], list(names))}; it defines "
                    + ", ".join(map(str, names))
                )
            return str(names[match[1]])

        return PLACEHOLDER.sub(value, text)

    def keys(table: Any, where: str) -> Any:
        if not isinstance(table, dict):
            return table
        return {
            fill(k, f"{where}.{k}"): keys(v, f"{where}.{k}") if k == FACTORS else v
            for k, v in table.items()
        }

    out = dict(data)
    settings = out.get("experiment")
    if isinstance(settings, dict):
        settings = dict(settings)
        settings["set"] = keys(settings.get("set", {}), "experiment.set")
        if isinstance(settings.get("warmup_series"), str):
            settings["warmup_series"] = fill(settings["warmup_series"], "experiment.warmup_series")
        settings["kpis"] = _fill_list(settings.get("kpis", []), fill, "experiment.kpis")
        sequential = settings.get("sequential")
        if isinstance(sequential, dict):
            where = "experiment.sequential.kpis"
            settings["sequential"] = sequential | {
                "kpis": _fill_list(sequential.get("kpis", []), fill, where)
            }
        out["experiment"] = settings
    out["factors"] = keys(out.get("factors", {}), "factors")
    variants = out.get("variants", {})
    if isinstance(variants, dict):
        out["variants"] = {n: keys(body, f"variants.{n}") for n, body in variants.items()}
    return out


def _fill_list(values: Any, fill: Callable[[str, str], str], where: str) -> Any:
    if not isinstance(values, list):
        return values
    return [fill(v, f"{where}[{i}]") if isinstance(v, str) else v for i, v in enumerate(values)]


def check_kpi(name: str, scenario: Scenario, where: str) -> None:
    """Refuse a KPI name whose section, or whose key (a line, party, order kind or factory),
    the scenario cannot have; the KPI itself is checked against the first finished run."""
    section, key, _ = split_kpi_name(name)
    keys = kpi_keys(scenario)
    if section not in keys:
        raise ExperimentError(
            f"{where}: '{name}': no section '{section}'{did_you_mean(section, list(keys))}; "
            f"sections: {', '.join(keys)}"
        )
    allowed = keys[section]
    if (allowed is None) != (key == "") or (allowed is not None and key not in allowed):
        expected = "no key (SECTION.KPI)" if allowed is None else ", ".join(allowed)
        hint = did_you_mean(key, list(allowed or []))
        raise ExperimentError(
            f"{where}: '{name}': no '{key}' in {section}{hint}; expected {expected}"
        )


def _routed_stations(routing: dict[str, list[str]]) -> list[str]:
    """The stations a factory's routings name, each once, in the order first named (a
    workshop step as its workshop's party, `workshop/NAME`, as the steps table names it)."""
    names = (name for route in routing.values() for name in route)
    return list(dict.fromkeys(_station_name(name) for name in names))


def _station_name(step: str) -> str:
    shop = step_workshop(step)
    return step if shop is None else workshop_party(shop)


def kpi_keys(scenario: Scenario) -> dict[str, list[str] | None]:
    """Each KPI section's keys a run of `scenario` can have (None: a section of plain KPIs)."""
    lines = [f"{f.name}.{line.name}" for f in scenario.factories for line in f.lines]
    together = [FACTORIES] if scenario.factories else []  # their lines, their books
    shops = [workshop_party(w.name) for w in scenario.workshops]
    shop_lines = [f"{workshop_party(w.name)}.{w.name}" for w in scenario.workshops]
    sending = [f.name for f in scenario.factories if f.subcontract.rule != "never"]
    factories = [f.name for f in scenario.factories]
    kinds = list(SELLER_KINDS) + sorted({c.channel for c in scenario.customers})
    parties = [factory_party(name) for name in factories] + together + [SELLERS, PLATFORM]
    sections: dict[str, list[str] | None] = {
        "orders": None,
        "lead_time": kinds,
        "utilisation": lines + together + shop_lines,
        "cash_cycle": parties,
        "sellers": None,
        "capacity": lines,
        "seller_factories": factories,
        "subcontracting": [factory_party(name) for name in sending] + shops,
        "alliance": [
            key
            for a in scenario.alliances
            for key in [a.name, *(f"{a.name}.{m.name}" for m in a.members)]
        ],
        "stations": [
            f"{f.name}.{name}" for f in scenario.factories for name in _routed_stations(f.routing)
        ],
        "peak": list(CHANNELS),
    }
    return sections


def headline_kpis(scenario: Scenario) -> list[str]:
    """The KPIs a comparison shows when none are named: each factory's cash cycle and profit,
    each line's busy share of open time, and the lead time and on-time share of each kind of
    order the scenario places. With more than MANY_FACTORIES factories, the factories taken
    together (FACTORIES) instead of each: their cash cycle and profit, their lines' busy share
    of open time; two rows per factory and one per line would bury the comparison."""
    money = ("ccc_days", "profit")
    names = []
    if len(scenario.factories) > MANY_FACTORIES:
        names += [f"cash_cycle.{FACTORIES}.{k}" for k in money]
        names += [f"utilisation.{FACTORIES}.busy_of_open"]
    else:
        for factory in scenario.factories:
            names += [f"cash_cycle.{factory_party(factory.name)}.{k}" for k in money]
            lines = factory.lines
            names += [f"utilisation.{factory.name}.{line.name}.busy_of_open" for line in lines]
    kinds = ["trial", "repeat"] if scenario.sellers.count else []
    kinds += sorted({c.channel for c in scenario.customers})
    for kind in kinds:
        names += [f"lead_time.{kind}.mean_h", f"lead_time.{kind}.on_time_share"]
    return names
