"""Page: what report.html shows (what was simulated, the headline KPIs, the figures, the
tables) and its HTML: one file, its images embedded, no script, nothing to fetch."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexsim import plots
from flexsim.report.tables import Table, html_table
from flexsim.scenario import Scenario


class ReportError(Exception):
    """A folder that cannot be reported on; the message says why."""


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
    tables_note: str = ""  # what the tables are, when not the KPIs of a run (TABLES_NOTE)


def describe_scenario(scenario: Scenario) -> str:
    """What a scenario contains, in one paragraph (after "Scenario 'NAME' is valid: ")."""
    lines = sum(len(f.lines) for f in scenario.factories)
    customers = sum(c.count for c in scenario.customers)
    book = len(scenario.opening_orders)
    opening = f" with {book:,} opening order(s)" if book else ""
    return (
        f"{len(scenario.factories)} factory(ies) with {lines} line(s), {customers} order-stream "
        f"customer(s){opening}, {_sellers(scenario)}, starting {scenario.start_date} "
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


def provenance_facts(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Which code made the results and when, from a run's or an experiment's manifest."""
    commit = manifest.get("git_commit") or "unknown"
    if manifest.get("git_dirty"):
        commit += " (with uncommitted changes)"
    return {
        "flexsim": str(manifest.get("flexsim_version")),
        "commit": commit,
        "made": str(manifest.get("created_at")),
        "wall time": f"{manifest.get('wall_s', math.nan):.1f} s",
    }


def raw_value(value: Any) -> str:
    """A KPI's exact value for a data attribute of the page: "" when it is missing."""
    return "" if value is None or is_nan(value) else repr(float(value))


def is_nan(value: Any) -> bool:
    """Whether a value is a float NaN (a KPI that cannot be computed)."""
    return isinstance(value, float) and math.isnan(value)


def read_json(path: Path) -> Any:
    """A JSON file of a results folder."""
    return json.loads(path.read_text("utf-8"))


TABLES_NOTE = (
    '<p class="note">The KPIs of kpis.json as <code>flexsim run</code> prints them; '
    "docs/results.md in flexsim's repository defines each.</p>"
)
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
table.kpis th:first-child, table.kpis td:first-child, table.kpis .text { text-align: left; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.note { color: #555; font-style: italic; }
.ci { color: #555; } .diff { color: #555; font-size: 0.8rem; } .diff.clear { color: #000;
  font-weight: 600; }
table.comparison td { vertical-align: top; }
.rows { max-height: 32rem; overflow: auto; margin: 0.5rem 0 1.5rem; border: 1px solid #eee; }
.rows table.kpis { margin: 0; } .rows th { position: sticky; top: 0; background: #fff; }
.rows td, .rows th { white-space: nowrap; }
.card .spread { font-size: 1.05rem; font-weight: 600; overflow-wrap: anywhere; }
.card .spread small { color: #555; font-weight: 400; }
"""


def html_page(page: Page, drawn: list[tuple[plots.Figure, bytes]], fmt: str) -> str:
    """The page as one HTML document, each drawn figure embedded as a data URL with its
    caption under it."""
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
        + (
            f"<h2>Tables</h2>{page.tables_note or TABLES_NOTE}{tables}{note}"
            if tables or note
            else ""
        )
        + "</body></html>\n"
    )
