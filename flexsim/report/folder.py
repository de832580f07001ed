"""Report folder: DIR/report.html and DIR/figures/ written into a run, experiment or plan
folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from flexsim import plots
from flexsim.report.experiment_folder import experiment_page
from flexsim.report.page import ReportError, html_page
from flexsim.report.plan_folder import is_plan_folder, plan_page
from flexsim.report.run_folder import run_page
from flexsim.results import write_bytes, write_text

REPORT = "report.html"
FIGURES = "figures"
Progress = Callable[[int, int], None]  # (figures drawn, figures to draw)


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
        elif is_plan_folder(folder):
            page = plan_page(folder)
        else:
            raise ReportError(
                f"{folder}: not a results folder: a run folder (flexsim run --out) has "
                "kpis.json, an experiment folder (flexsim experiment --out) summary.csv, a plan "
                "folder (flexsim plan --out) candidates.csv and guarantee.md"
            )
    except (OSError, ValueError, KeyError) as error:
        raise ReportError(f"{folder}: cannot read the results ({error})") from None
    drawn = _draw(page.figures, folder / FIGURES, fmt, progress)
    path = folder / REPORT
    write_text(path, html_page(page, drawn, fmt))
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
        write_bytes(into / f"{figure.name}.{fmt}", data)
        drawn.append((figure, data))
    if progress is not None:
        progress(len(figures), len(figures))
    kept = {f"{figure.name}.{fmt}" for figure, _ in drawn}
    for stale in into.iterdir():  # a figure an earlier report drew in another format or kind
        if stale.stem in plots.FIGURES and stale.name not in kept:
            stale.unlink()
    return drawn
