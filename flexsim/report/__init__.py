"""Report: what a results folder shows people: the KPI tables (`flexsim run` prints them) and one
self-contained HTML page, DIR/report.html, with the figures of a run folder or an experiment
folder.

A run folder (`flexsim run --out`) is read from its tables, kpis.json, scenario.json and
manifest.json; an experiment folder (`flexsim experiment --out`) from its summary.csv, runs.csv,
manifest.json, scenario.json and, when it has them, its series/ and tables/. The page embeds its
images, so it opens anywhere without network access; the figures are also written to
DIR/figures/. The modules: `tables` (the KPI tables, console and HTML), `page` (what the page
shows and its HTML), `run_folder` and `experiment_folder` (a page from each kind of folder),
`folder` (writing the report into a folder), `spread` (many factories as totals and spreads
across them).
"""

from flexsim.report.experiment_folder import experiment_page
from flexsim.report.folder import FIGURES, REPORT, Progress, write
from flexsim.report.page import Page, ReportError, describe_scenario
from flexsim.report.run_folder import GANTT_DAYS, run_page
from flexsim.report.tables import (
    MISSING,
    Estimate,
    Table,
    cell_text,
    html_table,
    kpi_tables,
    number,
    text_table,
)

__all__ = [
    "FIGURES",
    "GANTT_DAYS",
    "MISSING",
    "REPORT",
    "Estimate",
    "Page",
    "Progress",
    "ReportError",
    "Table",
    "cell_text",
    "describe_scenario",
    "experiment_page",
    "html_table",
    "kpi_tables",
    "number",
    "run_page",
    "text_table",
    "write",
]
