"""Report: what a results folder shows people: the KPI tables (`flexsim run` prints them) and one
self-contained HTML page, DIR/report.html, with the figures of a run folder or an experiment
folder.

A run folder (`flexsim run --out`) is read from its tables, kpis.json, scenario.json and
manifest.json; an experiment folder (`flexsim experiment --out`) from its summary.csv, runs.csv,
manifest.json and, when it has them, its series/ and tables/. The page embeds its images, so
it opens anywhere without network access; the figures are also written to DIR/figures/.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from flexsim import metrics, plots, stats
from flexsim.experiment.design import headline_kpis
from flexsim.experiment.runner import SERIES, TABLES, summarise_cells
from flexsim.results import TABLE_SUFFIX, read_tables, write_text
from flexsim.scenario import Scenario, ScenarioError, load
from flexsim.vocabulary import (
    HOURS_PER_DAY,
    ORDER_STATUSES,
    PAYMENT_STATES,
    REFUSAL_REASONS,
    SELLERS,
    is_seller,
)

REPORT = "report.html"
FIGURES = "figures"
MISSING = "—"  # a KPI that cannot be computed, on the console and in the report
WIDE = 10  # KPI tables with more columns than this stand up (one KPI per row)
GANTT_DAYS = 14  # the Gantt strip's default window: the last two weeks
Progress = Callable[[int, int], None]  # (figures drawn, figures to draw)


class ReportError(Exception):
    """A folder that cannot be reported on; the message says why."""


# ── the KPI tables ───────────────────────────────────────────────────────────────────────────


class Estimate(NamedTuple):
    """A KPI over replications: the mean and the half-width of its 95 % interval."""

    mean: float
    half_width: float


@dataclass(frozen=True)
class Table:
    """One KPI table: its title and its cells (numbers, None, Estimates or text)."""

    title: str
    frame: pd.DataFrame
    index: bool = True  # whether the row labels are part of the table


def kpi_tables(kpis: Mapping[str, Any], scenario: Scenario) -> tuple[list[Table], str]:
    """The tables of one run's KPIs (numbers) or of replications (Estimates), in the nested
    shape of `metrics.kpis`; sections with nothing to show are left out, and the note returned
    says which and why ("" when none is)."""
    tables: list[Table] = []
    left_out: list[tuple[str, str]] = []

    def add(title: str, frame: pd.DataFrame, what: str, why: str, index: bool = True) -> None:
        if frame.empty:
            left_out.append((what, why))
        else:
            tables.append(Table(title, frame, index))

    no_sellers = "the scenario has no sellers" if not scenario.sellers.count else ""
    add(
        "Lead time in hours (orders placed after the warm-up and finished, placed → finished)",
        _frame(kpis["lead_time"], "kind"),
        "lead time",
        "no order placed after the warm-up was finished",
    )
    add(
        "Line time shares (of calendar time; busy_of_open = processing + changeover over "
        "open; overtime in hours)",
        _frame(kpis["utilisation"], "line"),
        "line time shares",
        "the scenario has no lines",
    )
    add(
        "Booked share of open capacity (published daily; the next 7 days, the whole horizon)",
        _frame(kpis["capacity"], "line"),
        "booked capacity",
        "no factory books capacity",
    )
    add(
        f"Orders at the horizon: {cell_text(kpis['orders'].get('placed'))} placed in the whole "
        "run (warm-up included), by status, by the factory's payment and refused by reason",
        _orders(kpis["orders"]),
        "orders",
        "no order was placed",
        index=False,
    )
    add(
        "Cash conversion cycle of each factory, the sellers together and the platform "
        f"(days; money in {scenario.currency}; CCC = DIO + DSO - DPO from time-weighted "
        "balances; the platform's receivables are its voucher float)",
        _frame({p: row for p, row in kpis["cash_cycle"].items() if _moved(row)}, "party"),
        "cash conversion cycle",
        "no money moved but the owners' capital",
    )
    sellers = kpis["sellers"] if not all(map(_quiet, kpis["sellers"].values())) else {}
    add(
        "Sellers (all together, after the warm-up)",
        _frame({"sellers": sellers} if sellers else {}, ""),
        "sellers",
        no_sellers or "no seller traded after the warm-up",
    )
    add(
        "Sellers per factory (who asked for a sample after the warm-up; shares who ordered)",
        _frame(kpis["seller_factories"], "factory"),
        "sellers per factory",
        no_sellers or "no seller asked for a sample after the warm-up",
    )
    return tables, _left_out(left_out)


def _frame(rows: Mapping[str, Mapping[str, Any]], label: str) -> pd.DataFrame:
    """Rows of KPIs as a table, standing up (one KPI per row) when it has many columns."""
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame.from_dict(dict(rows), orient="index").astype(object)
    frame.index.name = label
    return frame.T if len(frame.columns) > WIDE else frame


def _orders(counts: Mapping[str, Any]) -> pd.DataFrame:
    """The order counts as three small columns of (name, count): by status, by payment state,
    and the refusals by reason."""
    if _quiet(counts.get("placed")):
        return pd.DataFrame()
    groups = {
        "status": [(s, counts.get(s)) for s in ORDER_STATUSES],
        "payment": [(p, counts.get(f"payment_{p}")) for p in PAYMENT_STATES],
        "refused because": [(r, counts.get(f"refused_{r}")) for r in REFUSAL_REASONS],
    }
    height = max(len(pairs) for pairs in groups.values())
    columns: dict[str, list[Any]] = {}
    for head, pairs in groups.items():
        padded = pairs + [("", "")] * (height - len(pairs))
        columns[head] = [name for name, _ in padded]
        columns[f"{head} orders"] = [count for _, count in padded]
    frame = pd.DataFrame(columns, dtype=object)
    frame.columns = pd.Index([c if not c.endswith(" orders") else "orders" for c in columns])
    return frame


def _quiet(value: Any) -> bool:
    """Whether a KPI shows nothing: missing or zero."""
    if isinstance(value, Estimate):
        value = value.mean
    return value is None or value == 0 or (isinstance(value, float) and math.isnan(value))


def _moved(row: Mapping[str, Any]) -> bool:
    """Whether a party's money moved in the window: a flow, a balance, or its cash changed."""
    changing = [*metrics.MONEY_FLOWS, *metrics.MONEY_BALANCES]
    cash = [row.get("cash_end"), row.get("cash_min")]
    return not all(_quiet(row.get(k)) for k in changing) or _mean(cash[0]) != _mean(cash[1])


def _mean(value: Any) -> Any:
    return value.mean if isinstance(value, Estimate) else value


def _left_out(pairs: list[tuple[str, str]]) -> str:
    """One sentence naming the sections left out, those with the same reason together."""
    if not pairs:
        return ""
    reasons: dict[str, list[str]] = {}
    for what, why in pairs:
        reasons.setdefault(why, []).append(what)
    parts = [f"{' and '.join(whats)} ({why})" for why, whats in reasons.items()]
    return "Left out, with nothing to show: " + "; ".join(parts) + "."


def cell_text(value: Any) -> str:
    """A table cell as text: `—` for a missing KPI, numbers as `number`, an Estimate as
    `mean ± half-width`."""
    if isinstance(value, Estimate):
        text = cell_text(value.mean)
        return text if math.isnan(value.half_width) else f"{text} ± {number(value.half_width)}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number(value)


def number(x: float) -> str:
    """Counts and money without decimals, shares and short times with three."""
    if x == 0:
        return "0"  # also -0.0
    if isinstance(x, int) or (abs(x) > 1 and float(x).is_integer()):
        return f"{x:,.0f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


def text_table(table: Table) -> str:
    """A table as console text, its text columns (names) aligned left."""
    frame = table.frame.map(cell_text)
    labels = [str(column) for column in frame.columns]
    widths = []
    for i, label in enumerate(labels):
        width = max(len(label), *(len(v) for v in frame.iloc[:, i]))
        if all(isinstance(v, str) for v in table.frame.iloc[:, i]):
            frame.iloc[:, i] = [v.ljust(width) for v in frame.iloc[:, i]]
            labels[i] = label.ljust(width)
        widths.append(width + 1)  # two spaces between columns
    if not table.index:
        widths[0] -= 1  # no row labels to keep apart from
    frame.columns = pd.Index(labels, name=frame.columns.name)
    return frame.to_string(index=table.index, col_space=widths)


def describe_scenario(scenario: Scenario) -> str:
    """What a scenario contains, in one paragraph (after "Scenario 'NAME' is valid: ")."""
    lines = sum(len(f.lines) for f in scenario.factories)
    customers = sum(c.count for c in scenario.customers)
    return (
        f"{len(scenario.factories)} factory(ies) with {lines} line(s), {customers} order-stream "
        f"customer(s), {_sellers(scenario)}, starting {scenario.start_date} "
        f"for {scenario.horizon_days:g} days with a {scenario.warmup_days:g}-day warm-up; "
        f"MOQ {scenario.channels.ecommerce.moq} e-commerce, {scenario.channels.offline.moq} "
        f"offline; money in {scenario.currency}. {scenario.description}".rstrip()
    )


def _sellers(scenario: Scenario) -> str:
    sellers = scenario.sellers
    if not sellers.count:
        return "no sellers"
    launches = (
        sellers.count
        * sellers.launches_per_week
        * sellers.share_at_factory.expectation
        * sellers.size.expectation
    )
    return (
        f"{sellers.count} seller(s) ({sellers.sample_only_share:.0%} sample-only) launching "
        f"about {launches:.3g} items a week at the factories"
    )


# ── the page ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class Page:
    """What report.html shows, before it is written as HTML."""

    title: str
    subtitle: str
    simulated: list[str]  # paragraphs
    facts: dict[str, str]  # provenance: seeds, version, commit, …
    headline: str  # HTML
    figures: list[Callable[[], plots.Figure]]
    tables: list[Table] = field(default_factory=list)
    note: str = ""  # the sections left out


def write(
    folder: Path,
    fmt: str = "png",
    gantt_days: tuple[float, float] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write DIR/report.html and DIR/figures/ for a run or an experiment folder; return the
    report's path. `gantt_days` is the Gantt strip's window in days of the run (default: the
    last two weeks). Raises ReportError for a folder that is neither, or is unreadable."""
    if fmt not in plots.FORMATS:
        raise ReportError(f"--format: expected {' or '.join(plots.FORMATS)}, got {fmt!r}")
    try:
        if (folder / "kpis.json").is_file():
            page = run_page(folder, gantt_days)
        elif (folder / "summary.csv").is_file():
            page = experiment_page(folder)
        else:
            raise ReportError(
                f"{folder}: not a results folder: a run folder (flexsim run --out) has "
                "kpis.json, an experiment folder (flexsim experiment --out) summary.csv"
            )
    except (OSError, ValueError, KeyError) as error:
        raise ReportError(f"{folder}: cannot read the results ({error})") from None
    drawn = _draw(page.figures, folder / FIGURES, fmt, progress)
    path = folder / REPORT
    write_text(path, _html(page, drawn, fmt))
    return path


def _draw(
    figures: Sequence[Callable[[], plots.Figure]],
    into: Path,
    fmt: str,
    progress: Progress | None,
) -> list[tuple[plots.Figure, bytes]]:
    """Draw each figure, write it to `into`, and return it with its bytes."""
    into.mkdir(exist_ok=True)
    drawn = []
    for done, draw in enumerate(figures):
        if progress is not None:
            progress(done, len(figures))
        figure = draw()
        data = figure.render(fmt)
        (into / f"{figure.name}.{fmt}").write_bytes(data)
        drawn.append((figure, data))
    if progress is not None:
        progress(len(figures), len(figures))
    for stale in into.iterdir():  # a figure left from an earlier report of another kind
        if stale.stem in plots.FIGURES and stale.name not in {f"{f.name}.{fmt}" for f, _ in drawn}:
            stale.unlink()
    return drawn


# ── a run folder ─────────────────────────────────────────────────────────────────────────────


def run_page(folder: Path, gantt_days: tuple[float, float] | None = None) -> Page:
    """The report of a run folder."""
    manifest = _json(folder / "manifest.json")
    kpis = _json(folder / "kpis.json")
    try:
        scenario = load(folder / "scenario.json")
    except ScenarioError as error:
        raise ReportError(str(error)) from None
    tables = read_tables(folder, ("orders", "line_states", "items", "capacity", "cash"))
    start, end = (float(x) for x in kpis["window_h"])
    window = _gantt_window(gantt_days, end)
    row = metrics.kpi_row(kpis)
    estimates = plots.run_estimates(row, scenario.name)
    orders = tables["orders"]
    figures: list[Callable[[], plots.Figure]] = [
        lambda: plots.lead_time(orders, start),
        lambda: plots.time_split(estimates),
        lambda: plots.gantt(tables["line_states"], orders, window),
        lambda: plots.backlog(metrics.backlog(orders, end), tables["capacity"], start),
        lambda: plots.cash(_party_cash(tables["cash"]), start / HOURS_PER_DAY, scenario.currency),
        lambda: plots.cash_cycle(estimates),
    ]
    if scenario.sellers.count:
        steps = plots.funnel(tables["items"], orders, start)
        figures.append(lambda: plots.sellers(estimates, steps))
    kpi_frames, note = kpi_tables(kpis, scenario)
    overrides = manifest.get("overrides") or {}
    changed = ", ".join(f"{key} = {value}" for key, value in overrides.items())
    return Page(
        title=f"flexsim report · scenario {scenario.name} · seed {manifest['seed']}",
        subtitle=f"{scenario.horizon_days:g} days, measured from day {scenario.warmup_days:g}",
        simulated=[
            f"Scenario {scenario.name}: {describe_scenario(scenario)}",
            f"Changed from {manifest['source']}: {changed}." if changed else "",
        ],
        facts=_provenance(manifest) | {"seed": str(manifest["seed"])},
        headline=_cards(row, headline_kpis(scenario), scenario.currency),
        figures=figures,
        tables=kpi_frames,
        note=note,
    )


def _gantt_window(days: tuple[float, float] | None, end_h: float) -> tuple[float, float]:
    """The Gantt strip's window in hours: the given days, or the last GANTT_DAYS of the run."""
    if days is None:
        return max(0.0, end_h - GANTT_DAYS * HOURS_PER_DAY), end_h
    first, last = days
    horizon = end_h / HOURS_PER_DAY
    if not 0 <= first < last <= horizon:
        raise ReportError(
            f"--gantt-days {first:g}:{last:g}: expected A:B with 0 ≤ A < B ≤ {horizon:g} "
            "(the run's days)"
        )
    return first * HOURS_PER_DAY, last * HOURS_PER_DAY


def _party_cash(cash: pd.DataFrame) -> pd.DataFrame:
    """Each day's cash of each factory, the platform and the sellers summed."""
    party = cash["party"].where(~cash["party"].map(is_seller), SELLERS)
    daily = cash.groupby([party, cash["day"]], sort=False)["cash"].sum()
    return daily.reset_index()


def _cards(row: Mapping[str, Any], names: list[str], currency: str) -> str:
    """The headline KPIs of one run as cards: words, value and unit, the flat name below."""
    cards = []
    for name in names:
        if name not in row:
            continue
        value = row[name]
        unit = plots.kpi_unit(name, currency)
        cards.append(
            f'<div class="card"><div class="what">{html.escape(plots.kpi_label(name))}</div>'
            f'<div class="value" data-kpi="{html.escape(name)}" data-value="{_raw(value)}">'
            f"{html.escape(_shown(value, unit))}</div>"
            f'<div class="name">{html.escape(name)}</div></div>'
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _raw(value: Any) -> str:
    return "" if value is None or _isnan(value) else repr(float(value))


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _shown(value: Any, unit: str) -> str:
    """A headline value as people read it: shares as percentages, with its unit."""
    if value is None or _isnan(value):
        return MISSING
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "h" and abs(value) >= 2 * HOURS_PER_DAY:
        return f"{_significant(value)} h ({value / HOURS_PER_DAY:.1f} days)"
    return f"{_significant(value)} {unit}".rstrip()


def _significant(x: float) -> str:
    """Four significant digits, thousands separated."""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _provenance(manifest: Mapping[str, Any]) -> dict[str, str]:
    commit = manifest.get("git_commit") or "unknown"
    if manifest.get("git_dirty"):
        commit += " (with uncommitted changes)"
    return {
        "flexsim": str(manifest.get("flexsim_version")),
        "commit": commit,
        "made": str(manifest.get("created_at")),
        "wall time": f"{manifest.get('wall_s', math.nan):.1f} s",
    }


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


# ── an experiment folder ─────────────────────────────────────────────────────────────────────

FIGURE_KPIS = ("utilisation.", "cash_cycle.", "sellers.demand", "sellers.sold", "sellers.lost")
CCC_KPIS = {"dio_days", "dso_days", "dpo_days", "ccc_days"}


def experiment_page(folder: Path) -> Page:
    """The report of an experiment folder."""
    manifest = _json(folder / "manifest.json")
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
        lambda: plots.differences(labelled, currency),
        _lead_time_figure(folder, manifest, estimates),
        lambda: plots.time_split(estimates),
        lambda: plots.cash_cycle(estimates),
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
        facts=_provenance(manifest) | {"seeds": _seeds(manifest)},
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
    factors) as `variant`, and the global factors' values as `cell`."""
    if not factors:
        return summary.assign(cell="")
    cell = summary[factors].astype(str).agg(", ".join, axis=1)
    values = summary[factors].apply(
        lambda row: ", ".join(f"{_short_key(k)}={v}" for k, v in row.items()), axis=1
    )
    return summary.assign(variant=summary["variant"] + " · " + values, cell=cell)


def _lead_time_figure(
    folder: Path, manifest: Mapping[str, Any], estimates: pd.DataFrame
) -> Callable[[], plots.Figure]:
    """The lead-time figure: every run's orders pooled by design point when the folder kept
    the runs' tables (--tables), else the mean lead times from the summary."""
    kept = sorted((folder / TABLES).glob("*/orders" + TABLE_SUFFIX))
    if not kept:
        return lambda: plots.lead_time_estimates(estimates)
    labels = [_point_label(point) for point in manifest["points"]]

    def draw() -> plots.Figure:
        frames = []
        for path in kept:
            point = int(path.parent.name.split("-")[0])
            orders = read_tables(path.parent, ("orders",))["orders"]
            frames.append(orders.assign(variant=labels[point]))
        kpis = _json(kept[0].parent / "kpis.json")
        return plots.lead_time(pd.concat(frames, ignore_index=True), kpis["window_h"][0])

    return draw


def _point_label(point: Mapping[str, Any]) -> str:
    label = str(point["variant"])  # with the variant's own factors already
    factors = {k: v for k, v in (point.get("factors") or {}).items() if f"{k}={v}" not in label}
    values = ", ".join(f"{_short_key(k)}={v}" for k, v in factors.items())
    return f"{label} · {values}" if values else label


def _short_key(key: object) -> str:
    """A factor's dotted key by its last part, for figure labels."""
    return str(key).rsplit(".", 1)[-1]


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
    """The experiment's base scenario (its first design point's), None in a folder written
    before experiments kept it."""
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
    described = [
        f"{name}: " + (", ".join(f"{k} = {v}" for k, v in changes.items()) or "as the scenario")
        for name, changes in variants.items()
    ]
    return [
        f"Experiment {manifest['experiment']} ({manifest['source']}) on scenario "
        f"{manifest['scenario']}: {len(manifest['points'])} design point(s), each run "
        f"{manifest.get('replications')} times with common random numbers, compared with "
        f"the baseline {manifest['baseline']}.",
        "Variants: " + "; ".join(described) + "." if described else "",
        f"Base scenario {scenario.name}: {describe_scenario(scenario)}" if scenario else "",
    ]


def _comparison(summary: pd.DataFrame, factors: list[str], currency: str) -> str:
    """The summary as an HTML table: a row per KPI (and combination of the global factors), a
    column per variant with its mean, 95 % interval and paired difference against the
    baseline; each mean carries its exact value."""
    labelled = _labelled(summary, factors)
    variants = list(dict.fromkeys(summary["variant"]))
    baselines = set(summary.loc[summary["verdict"] == "baseline", "variant"])
    head = ["KPI", *factors] + [f"{v} (baseline)" if v in baselines else v for v in variants]
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
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
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
    mean += f'{html.escape(str(row["variant"]))}" data-value="{_raw(row["mean"])}">'
    mean += html.escape(_scaled(row["mean"], scale, unit)) + "</span>"
    if not _isnan(row["low"]):
        low, high = (_scaled(row[c], scale, "") for c in ("low", "high"))
        mean += f' <span class="ci">[{low}, {high}]</span>'
    if row["verdict"] == "baseline":
        return mean
    points = "pp" if unit == "share" else unit
    diff = _scaled(row["diff_mean"], scale, points, sign=True)
    if not _isnan(row["diff_low"]):
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
    if _isnan(x):
        return MISSING
    text = _significant(scale * x)
    if sign and x > 0:
        text = "+" + text
    if unit == "share":
        unit = "%"
    return f"{text} {unit}".rstrip()


# ── HTML ─────────────────────────────────────────────────────────────────────────────────────

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
  max-width: 1000px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem;
  border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.subtitle { color: #555; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; font-family: monospace; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 0.8rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.8rem; }
.card .what { color: #444; font-size: 0.9rem; }
.card .value { font-size: 1.5rem; font-weight: 600; }
.name { color: #888; font-family: monospace; font-size: 0.75rem; display: block;
  overflow-wrap: anywhere; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #333; font-size: 0.95rem; margin-top: 0.3rem; }
table.kpis { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }
table.kpis th, table.kpis td { padding: 0.15rem 0.6rem; border-bottom: 1px solid #eee;
  text-align: right; }
table.kpis th:first-child, table.kpis td:first-child, table.kpis td.text { text-align: left; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.note { color: #555; font-style: italic; }
.ci { color: #555; } .diff { color: #555; font-size: 0.8rem; } .diff.clear { color: #000;
  font-weight: 600; }
table.comparison td { vertical-align: top; }
"""


def html_table(table: Table) -> str:
    """A KPI table as an HTML table: its row labels first, text left and numbers right."""
    frame = table.frame.reset_index() if table.index else table.frame
    label = str(table.frame.index.name or table.frame.columns.name or "")
    head = [label if table.index and i == 0 else str(c) for i, c in enumerate(frame.columns)]
    rows = []
    for values in frame.itertuples(index=False):
        cells = [
            f'<td class="text">{html.escape(v)}</td>'
            if isinstance(v, str)
            else f"<td>{html.escape(cell_text(v))}</td>"
            for v in values
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f'<table class="kpis"><tr>{header}</tr>{"".join(rows)}</table>'


def _html(page: Page, drawn: list[tuple[plots.Figure, bytes]], fmt: str) -> str:
    kind = "image/svg+xml" if fmt == "svg" else "image/png"
    figures = "".join(
        f'<figure id="{figure.name}"><img alt="{html.escape(figure.title)}" '
        f'src="data:{kind};base64,{base64.b64encode(data).decode("ascii")}">'
        f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
        for figure, data in drawn
    )
    facts = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in page.facts.items()
    )
    simulated = "".join(f"<p>{html.escape(text)}</p>" for text in page.simulated if text)
    tables = "".join(f"<h3>{html.escape(t.title)}</h3>{html_table(t)}" for t in page.tables)
    note = f'<p class="note">{html.escape(page.note)}</p>' if page.note else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(page.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(page.title)}</h1>"
        f'<p class="subtitle">{html.escape(page.subtitle)}</p>'
        f'<h2>What was simulated</h2>{simulated}<dl class="facts">{facts}</dl>'
        f"<h2>Headline KPIs</h2>{page.headline}"
        f"<h2>Figures</h2>{figures}"
        + (f"<h2>Tables</h2>{tables}{note}" if tables or note else "")
        + "</body></html>\n"
    )
