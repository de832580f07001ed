"""The committed results and what the READMEs say of them: every folder under results/ was made
from a clean checkout of a commit, and every table row experiments/README.md quotes from a
study's results is a row of that study's committed summary.md, so that a headline cannot drift
from the results it is written from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
STUDIES_README = ROOT / "experiments" / "README.md"
FOLDERS = sorted(path.parent for path in RESULTS.glob("*/manifest.json"))


def quoted_rows(text: str) -> dict[str, list[str]]:
    """The table rows under each `### …` heading that names a results folder
    (`results/NAME/`), by folder name: rows of a markdown table, without its separator row."""
    rows: dict[str, list[str]] = {}
    study = None
    for line in text.splitlines():
        if line.startswith("#"):
            named = re.search(r"`results/([\w-]+)/`", line)
            study = named.group(1) if named else None
        elif study and line.startswith("|") and not re.fullmatch(r"\|[\s|:-]+\|", line):
            rows.setdefault(study, []).append(line.strip())
    return rows


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda path: path.name)
def test_committed_results_come_from_a_clean_checkout(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["git_dirty"] is False, f"{folder.name}: made from a checkout with changes"
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["git_commit"]), folder.name


def test_the_studies_readme_quotes_the_committed_summaries() -> None:
    rows = quoted_rows(STUDIES_README.read_text())
    studies = {path.parent.name for path in RESULTS.glob("*/experiment.json")}
    assert studies, "no committed study results (results/NAME/experiment.json)"
    assert studies <= set(rows), f"experiments/README.md quotes nothing of {studies - set(rows)}"
    for study, quoted in rows.items():
        summary = RESULTS / study / "summary.md"
        assert summary.exists(), f"experiments/README.md quotes {study}, which has no summary"
        lines = {line.strip() for line in summary.read_text().splitlines()}
        for row in quoted:  # the header row too: it names the columns the numbers are in
            assert row in lines, f"experiments/README.md quotes a row not in {summary}: {row}"


def test_quoted_rows_are_found_under_their_heading() -> None:
    """The reader of the README above is not vacuous: it finds rows under a study's heading
    and none elsewhere."""
    text = "# x\n| a | b |\n### Q (`results/s/`)\n| KPI | m |\n|---|---|\n| k | 1 |\n## y\n| c |"
    assert quoted_rows(text) == {"s": ["| KPI | m |", "| k | 1 |"]}
