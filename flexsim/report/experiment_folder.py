"""Experiment folder report: the page of an experiment folder (`flexsim experiment --out`,
`flexsim compare --out`), from its summary.csv, runs.csv, manifest.json and scenario.json, and
its series/ and tables/ when it kept them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import metrics, plots, stats
from flexsim.experiment.output import significant
from flexsim.experiment.runner import SERIES, TABLES, summarise_cells
from flexsim.report.page import (
    Page,
    ReportError,
    describe_scenario,
    is_nan,
    provenance_facts,
    raw_value,
    read_json,
)
from flexsim.report.tables import MISSING
from flexsim.results import read_tables, table_path
from flexsim.scenario import Scenario, ScenarioError, load

FIGURE_KPIS = ("utilisation.", "cash_cycle.", "sellers.demand", "sellers.sold", "sellers.lost")
CCC_KPIS = {"dio_days", "dso_days", "dpo_days", "ccc_days", "profit"}  # profit ranks factories


def experiment_page(folder: Path) -> Page:
    """The report of an experiment folder."""
    manifest = read_json(folder / "manifest.json")
    read = {"keep_default_na": False, "na_values": [""]}
    summary = pd.read_csv(folder / "summary.csv", **read)  # type: ignore[call-overload]
    runs = pd.read_csv(folder / "runs.csv", **read)  # type: ignore[call-overload]
    factors = [c for c in summary.columns if c not in stats.SUMMARY_COLUMNS]
    baseline = str(manifest["baseline"])
    wanted = [c for c in runs.columns if _drawn(str(c))]
    drawn = summarise_cells(runs, baseline, wanted, factors) if len(runs) else summary.iloc[:0]
    estimates = _labelled(drawn, factors)
    scenario = _base_scenario(folder)
    labelled = _labelled(summary, factors)
    currency = scenario.currency if scenario is not None else ""
    figures: list[Callable[[], plots.Figure]] = [
        lambda: plots.differences(labelled, currency, ", ".join(map(_short_key, factors))),
        _lead_time_figure(folder, manifest, estimates),
        lambda: plots.time_split(estimates),
        lambda: plots.cash_cycle(estimates, currency),
    ]
    if (folder / SERIES).is_dir():
        warmup = _warmup_days(manifest, scenario)
        figures.append(lambda: plots.cash(_cash_band(folder / SERIES), warmup, currency))
    if any(str(c).startswith("sellers.") for c in wanted):
        figures.append(lambda: plots.sellers(estimates))
    replications = manifest.get("replications")
    return Page(
        title=f"flexsim report · experiment {manifest['experiment']}",
        subtitle=f"{len(manifest['points'])} design point(s) × {replications} replications, "
        f"baseline {baseline}",
        simulated=_experiment_text(manifest, scenario),
        facts=provenance_facts(manifest) | {"seeds": _seeds(manifest)},
        headline=_comparison(summary, factors, currency),
        figures=figures,
    )


def _drawn(column: str) -> bool:
    """Whether a KPI column of runs.csv feeds a figure of the experiment report."""
    if column.startswith("cash_cycle."):
        return metrics.split_kpi_name(column)[2] in CCC_KPIS
    if column.startswith("lead_time."):
        return metrics.split_kpi_name(column)[2] in ("mean_h", "p95_h")
    return column.startswith(FIGURE_KPIS) or column == "sellers.fill_rate"


def _labelled(summary: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Summary rows with each design point's label (the variant, then the values of the global
    factors) as `variant`, the variant alone as `family`, and the global factors' values as
    `cell`."""
    if not factors:
        return summary.assign(cell="", family=summary["variant"])
    cell = summary[factors].astype(str).agg(", ".join, axis=1)
    values = summary[factors].apply(
        lambda row: ", ".join(f"{_short_key(k)}={v}" for k, v in row.items()), axis=1
    )
    return summary.assign(
        variant=summary["variant"] + " · " + values, family=summary["variant"], cell=cell
    )


def _lead_time_figure(
    folder: Path, manifest: Mapping[str, Any], estimates: pd.DataFrame
) -> Callable[[], plots.Figure]:
    """The lead-time figure: every run's orders pooled by design point when the folder kept
    the runs' tables (--tables), else the mean lead times from the summary."""
    kept = [
        run for run in sorted((folder / TABLES).glob("*")) if table_path(run, "orders").is_file()
    ]
    if not kept:
        return lambda: plots.lead_time_estimates(estimates)
    labels = [_point_label(point) for point in manifest["points"]]

    def draw() -> plots.Figure:
        frames = []
        for run in kept:
            point = int(run.name.split("-")[0])
            orders = read_tables(run, ("orders",))["orders"]
            frames.append(orders.assign(variant=labels[point]))
        kpis = read_json(kept[0] / "kpis.json")
        return plots.lead_time(pd.concat(frames, ignore_index=True), kpis["window_h"][0])

    return draw


def _point_label(point: Mapping[str, Any]) -> str:
    label = str(point["variant"])  # with the variant's own factors already
    factors = {k: v for k, v in (point.get("factors") or {}).items() if f"{k}={v}" not in label}
    values = ", ".join(f"{_short_key(k)}={v}" for k, v in factors.items())
    return f"{label} · {values}" if values else label


OWN_KEY = re.compile(r"(?<= )[\w.-]+\.([\w-]+)=")  # an own factor's key in a point's name


def _short_key(key: object) -> str:
    """A factor's dotted key by its last part, for figure labels and column heads."""
    return str(key).rsplit(".", 1)[-1]


def _short_label(label: str) -> str:
    """A design point's name with its own factors' dotted keys by their last part."""
    return OWN_KEY.sub(r"\1=", label)


def _cash_band(series: Path) -> pd.DataFrame:
    """Each variant's daily cash per party: the mean over replications and its 95 % interval."""
    frames = [pd.read_csv(path) for path in sorted(series.glob("*.csv"))]
    if not frames:
        return pd.DataFrame(columns=["party", "day", "cash", "variant"])
    wide = pd.concat(frames, ignore_index=True)
    long = wide.melt(id_vars=["day", "variant", "seed"], var_name="party", value_name="cash")
    rows = []
    for (party, variant, day), values in long.groupby(["party", "variant", "day"], sort=False):
        interval = stats.mean_interval(values["cash"].to_numpy(float))
        rows.append((party, variant, day, interval.mean, interval.low, interval.high))
    return pd.DataFrame(rows, columns=["party", "variant", "day", "cash", "low", "high"])


def _base_scenario(folder: Path) -> Scenario | None:
    """The experiment's base scenario (with its `set`, before any variant or factor), None in
    a folder written before experiments kept it."""
    if not (folder / "scenario.json").is_file():
        return None
    try:
        return load(folder / "scenario.json")
    except ScenarioError as error:
        raise ReportError(str(error)) from None


def _warmup_days(manifest: Mapping[str, Any], scenario: Scenario | None) -> float:
    """The warm-up the runs used: the automatic one, or the base scenario's."""
    warmup = manifest.get("warmup_days")
    if isinstance(warmup, dict):
        return float(warmup["point"])
    return scenario.warmup_days if scenario is not None else 0.0


def _seeds(manifest: Mapping[str, Any]) -> str:
    first, count = int(manifest["seed"]), int(manifest.get("replications") or 0)
    return f"{first} … {first + count - 1}" if count else str(first)


def _experiment_text(manifest: Mapping[str, Any], scenario: Scenario | None) -> list[str]:
    variants = manifest.get("variants") or {}
    points = manifest.get("points") or []
    shared = {k: v for k, v in _levels(points).items() if all(k in p["factors"] for p in points)}
    described = []
    for name, changes in variants.items():
        text = ", ".join(f"{k} = {v}" for k, v in changes.items()) or "as the scenario"
        own = _levels([p for p in points if p["variant"].split(" ")[0] == name])
        text += "".join(f" (at {k} = {v})" for k, v in own.items() if k not in shared)
        described.append(f"{name}: {text}")
    return [
        f"Experiment {manifest['experiment']} ({manifest['source']}) on scenario "
        f"{manifest['scenario']}: {len(manifest['points'])} design point(s), each run "
        f"{manifest.get('replications')} times with common random numbers, compared with "
        f"the baseline {manifest['baseline']}.",
        "Variants: " + "; ".join(described) + "." if described else "",
        "Crossed with every variant: " + "; ".join(f"{k} = {v}" for k, v in shared.items()) + "."
        if shared
        else "",
        f"Base scenario {scenario.name}: {describe_scenario(scenario)}" if scenario else "",
    ]


def _levels(points: list[Any]) -> dict[str, str]:
    """Each factor's values over design points of a manifest, in their order."""
    values: dict[str, list[str]] = {}
    for point in points:
        for key, value in point["factors"].items():
            values.setdefault(key, [])
            if str(value) not in values[key]:
                values[key].append(str(value))
    return {key: ", ".join(levels) for key, levels in values.items()}


def _comparison(summary: pd.DataFrame, factors: list[str], currency: str) -> str:
    """The summary as an HTML table: a row per KPI (and combination of the global factors), a
    column per variant with its mean, 95 % interval and paired difference against the
    baseline; each mean carries its exact value."""
    labelled = _labelled(summary, factors)
    variants = list(dict.fromkeys(summary["variant"]))
    baselines = set(summary.loc[summary["verdict"] == "baseline", "variant"])
    head = [("KPI", "KPI"), *((_short_key(f), f) for f in factors)] + [
        (_short_label(v) + (" (baseline)" if v in baselines else ""), v) for v in variants
    ]
    rows = []
    for (kpi, _), group in labelled.groupby(["kpi", "cell"], sort=False):
        name, first = str(kpi), group.iloc[0]
        unit = plots.kpi_unit(name, currency)
        label = f"{plots.kpi_label(name)} ({unit})" if unit else plots.kpi_label(name)
        cells = [
            f'{html.escape(label)}<span class="name">{html.escape(name)}</span>',
            *(html.escape(str(first[f])) for f in factors),
        ]
        by_variant = dict(
            zip(summary.loc[group.index, "variant"], group.to_dict("records"), strict=True)
        )
        cells += [_estimate_cell(name, by_variant.get(v), unit) for v in variants]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = (
        "<tr>"
        + "".join(
            f'<th title="{html.escape(full)}">{html.escape(short)}</th>' for short, full in head
        )
        + "</tr>"
    )
    return (
        f'<table class="kpis comparison"><thead>{header}</thead><tbody>{"".join(rows)}'
        '</tbody></table><p class="note">Each cell: the variant\'s mean over its replications '
        "with its 95 % confidence interval; below it, the paired difference against the "
        "baseline with its interval, and whether it is clearly higher or lower.</p>"
    )


def _estimate_cell(name: str, row: Mapping[str, Any] | None, unit: str) -> str:
    if row is None:
        return ""
    scale = 100.0 if unit == "share" else 1.0
    mean = f'<span class="value" data-kpi="{html.escape(name)}" data-variant="'
    mean += f'{html.escape(str(row["variant"]))}" data-value="{raw_value(row["mean"])}">'
    mean += html.escape(_scaled(row["mean"], scale, unit)) + "</span>"
    if not is_nan(row["low"]):
        low, high = (_scaled(row[c], scale, "") for c in ("low", "high"))
        mean += f' <span class="ci">[{low}, {high}]</span>'
    if row["verdict"] == "baseline":
        return mean
    points = "pp" if unit == "share" else unit
    diff = _scaled(row["diff_mean"], scale, points, sign=True)
    if not is_nan(row["diff_low"]):
        low, high = (_scaled(row[c], scale, "", sign=True) for c in ("diff_low", "diff_high"))
        diff += f" [{low}, {high}]"
    verdict = str(row["verdict"])
    clear = verdict in ("higher", "lower")
    return (
        f'{mean}<div class="diff{" clear" if clear else ""}">vs baseline {html.escape(diff)}: '
        f"{html.escape(verdict)}</div>"
    )


def _scaled(x: float, scale: float, unit: str, sign: bool = False) -> str:
    """A value in the table's unit (shares as percentages), with four significant digits."""
    if is_nan(x):
        return MISSING
    text = significant(scale * x)
    if sign and x > 0:
        text = "+" + text
    if unit == "share":
        unit = "%"
    return f"{text} {unit}".rstrip()
