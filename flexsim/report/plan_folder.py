"""Plan folder report: the page of a planning run's folder (`flexsim plan --out`), from its
candidates.csv, guarantee.md and manifest.json: the chosen plan and its guarantee, and the
trade-off figure."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from flexsim import plots
from flexsim.report.page import Page, provenance_facts, read_json
from flexsim.report.tables import Estimate, Table

CANDIDATES, GUARANTEE = "candidates.csv", "guarantee.md"


def is_plan_folder(folder: Path) -> bool:
    return (folder / CANDIDATES).is_file() and (folder / GUARANTEE).is_file()


def plan_page(folder: Path) -> Page:
    """The report of a plan folder."""
    manifest = read_json(folder / "manifest.json")
    table = pd.read_csv(folder / CANDIDATES)
    objective = manifest["objective"]
    name = objective.get("kpi") or objective.get("variable")
    constraints = [
        (c["kpi"], c["at_most"] if c.get("at_most") is not None else c["at_least"])
        for c in manifest["constraints"]
    ]
    headline = _html((folder / GUARANTEE).read_text("utf-8"))
    confidence = float(manifest.get("guarantee", {}).get("confidence", 0.95))
    runs = int(manifest.get("search_runs", 0)) + int(manifest.get("final_runs", 0))
    facts = provenance_facts(manifest) | {"seed": str(manifest.get("seed"))}
    return Page(
        title=f"flexsim report · plan {manifest['plan']}",
        subtitle=f"{manifest.get('candidates')} candidates searched, {runs} runs in all",
        simulated=[
            f"Base scenario {manifest.get('scenario')}; objective {name} "
            f"({objective.get('direction')}); constraints: "
            + (", ".join(f"{kpi} bound {bound:g}" for kpi, bound in constraints) or "none")
            + "."
        ],
        facts=facts,
        headline=headline,
        figures=[lambda: plots.tradeoff(table, str(name), constraints)],
        tables=[Table("Every candidate evaluated", _candidates(table), index=False)],
        tables_note=(
            '<p class="note">candidates.csv: the search\'s candidates (their replications over '
            "common random numbers) and the finalists (fresh seeds), each KPI's mean ± the "
            f"half-width of its {confidence:.0%} interval; status: the chosen plan, a "
            "candidate that meets the constraints (on its means in the search, by the "
            "feasibility check for a finalist), or one that does not.</p>"
        ),
    )


def _html(text: str) -> str:
    """guarantee.md as HTML: its paragraphs, its `- ` lines as a list, its title left out (the
    page has its own)."""
    parts = []
    for block in text.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("# ")]
        prose = [line for line in lines if not line.startswith("- ")]
        items = [line[2:] for line in lines if line.startswith("- ")]
        if prose:
            parts.append(f"<p>{html.escape(' '.join(prose))}</p>")
        if items:
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    return "".join(parts)


def _candidates(table: pd.DataFrame) -> pd.DataFrame:
    """candidates.csv with each KPI and its `KPI ±` column as one cell, and one status column
    for its `feasible` and `chosen`."""
    status = (
        table["chosen"]
        .map({True: "chosen"})
        .fillna(table["feasible"].map({True: "meets", False: "misses"}))
    )
    frame = table.drop(columns=["number", "feasible", "chosen", "error"], errors="ignore")
    frame["status"] = status
    for column in [c for c in frame.columns if f"{c} ±" in frame.columns]:
        frame[column] = [
            Estimate(float(mean), float(width))
            for mean, width in zip(frame[column], frame[f"{column} ±"], strict=True)
        ]
        frame = frame.drop(columns=f"{column} ±")
    return frame
