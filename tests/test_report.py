"""Reports and the console: `flexsim run --report` and `flexsim report` write a self-contained
report.html with every figure embedded and the headline numbers of kpis.json or summary.csv;
the console leaves out what has nothing to show; `run --kpis` writes the flat KPI row; `flexsim
show` prints a built-in scenario; bad options exit 2 before anything runs."""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHORT_DEFAULT as SHORT
from conftest import SHORT_EXPERIMENT as EXPERIMENT

from flexsim import metrics, plots, report, stats
from flexsim.cli import main
from flexsim.experiment import headline_kpis
from flexsim.report import experiment_folder
from flexsim.scenario import builtin_text, load, validate

RUN_FIGURES = {"lead-time", "time-split", "gantt", "backlog", "cash", "cash-cycle", "sellers"}
IMAGE = re.compile(r'<img alt="[^"]*" src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)">')
VALUE = re.compile(r'data-kpi="([^"]+)"(?: data-variant="([^"]*)")? data-value="([^"]*)">')


@pytest.fixture
def run_folder(reported_run: Path) -> Path:
    return reported_run


def images(page: str) -> list[tuple[str, bytes]]:
    return [(kind, base64.b64decode(data)) for kind, data in IMAGE.findall(page)]


def test_a_run_report_embeds_every_figure_it_wrote(run_folder: Path) -> None:
    page = (run_folder / report.REPORT).read_text("utf-8")
    written = {path.stem: path.read_bytes() for path in (run_folder / report.FIGURES).iterdir()}
    assert set(written) == RUN_FIGURES
    embedded = images(page)
    assert sorted(data for _, data in embedded) == sorted(written.values())
    assert {kind for kind, _ in embedded} == {"image/png"}
    assert not re.search(r'(src|href)="(?!data:)', page), "the page must need no other file"
    for name in RUN_FIGURES:  # the caption of each figure is under it
        assert f'id="{name}"' in page


def test_a_run_report_shows_the_headline_kpis_of_kpis_json(run_folder: Path) -> None:
    page = (run_folder / report.REPORT).read_text("utf-8")
    row = metrics.kpi_row(json.loads((run_folder / "kpis.json").read_text()))
    scenario = load(run_folder / "scenario.json")
    shown = {name: value for name, _, value in VALUE.findall(page)}
    assert list(shown) == [name for name in headline_kpis(scenario) if name in row]
    for name, value in shown.items():
        assert (float(value) if value else None) == row[name], name


def test_a_run_report_has_the_tables_and_what_was_simulated(run_folder: Path) -> None:
    page = (run_folder / report.REPORT).read_text("utf-8")
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert "What was simulated" in page and "270 seller(s)" in page
    assert manifest["git_commit"] is None or manifest["git_commit"] in page
    for title in ("Lead time in hours", "Line time shares", "Cash conversion cycle"):
        assert title in page
    text = IMAGE.sub("", page)  # base64 may spell anything
    assert "None" not in text and "NaN" not in text
    assert report.MISSING in text  # the lead time's sample_h of repeat orders


def test_reporting_again_in_svg_replaces_the_png_figures(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    assert main(["report", str(copy), "--format", "svg", "--gantt-days", "40:50", "--quiet"]) == 0
    assert {p.name for p in (copy / report.FIGURES).iterdir()} == {
        f"{name}.svg" for name in RUN_FIGURES
    }
    page = (copy / report.REPORT).read_text("utf-8")
    assert {kind for kind, _ in images(page)} == {"image/svg+xml"}
    assert "days 40–50" in page


def test_report_of_a_folder_that_is_not_results_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flexsim: error:") and "kpis.json" in err and "summary.csv" in err
    assert main(["report", str(tmp_path / "absent")]) == 2
    assert not (tmp_path / report.REPORT).exists()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--report"], "--out DIR"),
        (["--out", "D", "--report", "--gantt-days", "100:130"], "--gantt-days 100:130"),
        (["--kpis", "k.txt"], ".json or .csv"),
        (["--kpis", "absent/k.json"], "no folder absent"),
    ],
)
def test_bad_report_and_kpis_options_exit_2_before_the_run(
    options: list[str],
    fragment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "mm1", *SHORT, *options]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("flexsim: error:") and fragment in captured.err
    assert captured.out == "" and list(tmp_path.iterdir()) == []


def test_gantt_days_must_be_a_to_b(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["report", "D", "--gantt-days", "ten"])
    assert stop.value.code == 2 and "expected A:B" in capsys.readouterr().err


def test_experiment_report_without_out_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "e.toml"
    file.write_text(EXPERIMENT)
    assert main(["experiment", str(file), "--report"]) == 2
    assert "--out DIR" in capsys.readouterr().err


@pytest.mark.slow
def test_an_experiment_report_shows_summary_csv_and_the_comparison_figures(
    reported_experiment: Path,
) -> None:
    folder = reported_experiment
    page = (folder / report.REPORT).read_text("utf-8")
    names = {path.stem for path in (folder / report.FIGURES).iterdir()}
    assert names == {"differences", "lead-time", "time-split", "cash-cycle", "cash", "sellers"}
    assert len(images(page)) == len(names)
    summary = pd.read_csv(folder / "summary.csv")
    shown = {(kpi, variant): value for kpi, variant, value in VALUE.findall(page)}
    expected = {(r.kpi, r.variant): r.mean for r in summary.itertuples()}
    assert shown.keys() == expected.keys()
    for key, value in shown.items():
        assert (float(value) if value else math.nan) == pytest.approx(expected[key], nan_ok=True)
    assert "Base scenario tao-factory" in page and "credit" in page


# --- the console -------------------------------------------------------------------------------


def test_the_console_leaves_out_sections_with_nothing_to_show_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "mm1", *SHORT]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "NaN" not in out and "n/a" not in out
    assert "Sellers (all together" not in out and "Cash conversion cycle" not in out
    (note,) = [line for line in out.splitlines() if line.startswith("Left out")]
    assert "sellers and sellers per factory (the scenario has no sellers)" in note
    assert "cash conversion cycle (no money moved" in note
    assert "booked capacity (no factory books capacity)" in note
    assert re.search(r"on_time_quote_share +—", out)


def test_the_order_counts_are_a_small_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "mm1", *SHORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Orders at the horizon"))
    head = lines[start + 1].split()
    assert head == ["status", "orders", "payment", "orders", "refused", "because", "orders"]
    rows = [line.split() for line in lines[start + 2 : start + 7]]
    assert [row[0] for row in rows] == ["refused", "waiting", "in_production", "in_transit",
                                        "delivered"]  # fmt: skip
    assert max(len(line) for line in lines[start + 1 : start + 8]) < 100


def test_kpi_tables_of_replications_show_mean_plus_minus_half_width() -> None:
    estimate = report.Estimate(2.5, 0.25)
    assert report.cell_text(estimate) == "2.500 ± 0.250"
    assert report.cell_text(report.Estimate(math.nan, math.nan)) == report.MISSING
    assert report.cell_text(None) == report.cell_text(math.nan) == report.MISSING
    assert report.cell_text(1) == "1" and report.cell_text(1.0) == "1.000"


def test_run_kpis_writes_the_flat_kpi_row_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, file = tmp_path / "out", tmp_path / "kpis.json"
    assert main(["run", "mm1", *SHORT, "--kpis", str(file), "--out", str(out)]) == 0
    (row,) = json.loads(file.read_text())
    expected = metrics.kpi_row(json.loads((out / "kpis.json").read_text()))
    assert row == {"seed": 1} | expected
    assert row["lead_time.offline.sample_h"] is None  # null, never NaN


def test_run_kpis_with_replications_writes_one_csv_row_per_replication(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "kpis.csv"
    argv = ["run", "mm1", *SHORT, "--replications", "2", "--seed", "5", "--jobs", "1"]
    assert main([*argv, "--kpis", str(file)]) == 0
    table = pd.read_csv(file)
    assert list(table["seed"]) == [5, 6]
    assert table.columns[0] == "seed" and "lead_time.offline.mean_h" in table.columns
    assert all("." in column for column in table.columns[1:])


def test_show_prints_a_builtin_scenario_that_loads_as_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "tao-factory"]) == 0
    text = capsys.readouterr().out
    assert text == builtin_text("tao-factory")
    assert validate(tomllib.loads(text), "shown") == load("tao-factory")
    assert main(["show", "tao-factroy"]) == 2
    assert "built-ins: mm1, tao-factory" in capsys.readouterr().err


def test_the_report_and_its_figures_are_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "results.md").read_text("utf-8")
    assert f"`{report.REPORT}`" in text and f"`{report.FIGURES}/`" in text
    for name in plots.FIGURES:
        assert f"`{name}`" in text, f"figure {name} is not described in docs/results.md"


def test_the_comparison_table_heads_factors_and_points_by_their_keys_last_part() -> None:
    """Column heads name a factor, or a design point's own factor, by the last part of its
    dotted key (the whole key in the head's title), so the table stays readable."""
    key = "channels.ecommerce.payment.default_probability"
    rows = [
        {"variant": "voucher", "verdict": "baseline"},
        {"variant": f"credit {key}=0.05", "verdict": "higher"},
    ]
    summary = pd.DataFrame(
        [dict.fromkeys(stats.SUMMARY_COLUMNS, 1.0) | row | {"kpi": "orders.placed"} for row in rows]
    ).assign(**{"sellers.count": 135})
    page = experiment_folder._comparison(summary, ["sellers.count"], "CNY")
    heads = re.findall(r'<th title="([^"]*)">([^<]*)</th>', page)
    assert heads == [
        ("KPI", "KPI"),
        ("sellers.count", "count"),
        ("voucher", "voucher (baseline)"),
        (f"credit {key}=0.05", "credit default_probability=0.05"),
    ]


def test_the_experiment_text_names_each_variants_own_factors_and_the_crossed_ones() -> None:
    """A variant's own factors follow its changes; the factors every point has are said once."""
    point = {"variant": "credit k=1", "factors": {"g": 5, "k": 1}}
    manifest = {
        "experiment": "e",
        "source": "e.toml",
        "scenario": "tao-factory",
        "baseline": "base",
        "replications": 2,
        "variants": {"base": {}, "credit": {"regime": "offline_credit"}},
        "points": [
            {"variant": "base", "factors": {"g": 5}},
            {"variant": "base", "factors": {"g": 6}},
            point,
            point | {"variant": "credit k=2", "factors": {"g": 6, "k": 2}},
        ],
    }
    text = experiment_folder._experiment_text(manifest, None)
    assert "base: as the scenario; credit: regime = offline_credit (at k = 1, 2)." in text[1]
    assert text[2] == "Crossed with every variant: g = 5, 6."
