"""Plan folder report: the page of a planning run's folder (`flexsim plan --out`), from its
candidates.csv, guarantee.md and manifest.json: the chosen plan and its guarantee, and the
trade-off figure."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from flexsim import plots
from flexsim.report.page import Page, provenance_facts, read_json

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
    paragraphs = (folder / GUARANTEE).read_text("utf-8").split("\n\n")
    headline = "".join(
        f"<p>{html.escape(p.strip().lstrip('# '))}</p>" for p in paragraphs if p.strip()
    )
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
    )
