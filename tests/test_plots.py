"""Figures from small hand-made tables: each draws the series its table holds, says "nothing to
show" for an empty one, and has a title, axis labels and a caption of one or two sentences;
drawing needs no display, and `import flexsim` does not import matplotlib."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from flexsim import metrics, plots
from flexsim.plots import Figure

NAN = math.nan
DAY = 24.0


def orders(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Orders from (id, kind, family, quantity, placed_at, finished_at, status) rows, every stage
    at once (no fabric wait, no queue) so that lead time is finished − placed."""
    frame = pd.DataFrame(
        rows,
        columns=["order_id", "kind", "family", "quantity", "placed_at", "finished_at", "status"],
    )
    return frame.assign(
        item=[f"s/item-{i}" for i in frame["order_id"]],
        factory="plant",
        fabric_at=frame["placed_at"],
        setup_at=frame["placed_at"],
        start_at=frame["placed_at"],
        delivered_at=frame["finished_at"] + DAY,
        due_at=frame["placed_at"] + 7 * DAY,
        quote_at=NAN,
    )


ORDERS = orders(
    [
        (0, "offline", "shirts", 100, 10.0, 10.0 + 2 * DAY, "delivered"),
        (1, "offline", "shirts", 50, 20.0, 20.0 + 4 * DAY, "delivered"),
        (2, "trial", "tshirts", 30, 30.0, 30.0 + 0.5 * DAY, "delivered"),
        (3, "trial", "tshirts", 30, 40.0, NAN, "waiting"),
        (4, "repeat", "tshirts", 60, 5.0, NAN, "refused"),
    ]
)


def estimates(values: dict[str, float], variant: str = "run") -> pd.DataFrame:
    return plots.run_estimates(dict(values), variant)


def texts(figure: Figure) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in figure.figure.findobj(Text) if isinstance(t, Text)]


def axes(figure: Figure) -> list[Any]:
    return list(figure.figure.axes)


def labelled(ax: Any, label: str) -> list[Any]:
    """The artists of an axes drawn with this legend label (a bar: its first rectangle)."""
    bars = [c.patches[0] for c in ax.containers if c.get_label() == label]
    return bars + [a for a in [*ax.lines, *ax.collections] if a.get_label() == label]


# --- each figure draws what its table holds --------------------------------------------------


def test_lead_time_draws_one_step_line_per_kind_of_the_finished_orders() -> None:
    figure = plots.lead_time(ORDERS, start_h=0.0)
    (ax,) = axes(figure)
    (offline,) = labelled(ax, "offline (2 orders)")
    (trial,) = labelled(ax, "trial (1 orders)")
    assert set(offline.get_xdata()) == {2.0, 4.0}  # days, placed → finished
    assert set(trial.get_xdata()) == {0.5}
    assert offline.get_ydata()[-1] == 1.0
    assert not labelled(ax, "repeat (0 orders)")  # refused and unfinished orders are not drawn


def test_lead_time_by_variant_has_a_panel_per_kind_and_a_line_per_variant() -> None:
    both = pd.concat([ORDERS.assign(variant="a"), ORDERS.assign(variant="b")])
    figure = plots.lead_time(both, start_h=0.0)
    offline, trial = axes(figure)
    assert offline.get_title() == "offline orders (4)" and trial.get_title() == "trial orders (2)"
    (line,) = labelled(offline, "b")
    assert set(line.get_xdata()) == {2.0, 4.0}


def test_lead_time_estimates_draw_mean_and_p95_in_days_per_variant() -> None:
    rows = pd.concat(
        [
            estimates({"lead_time.trial.mean_h": 48.0, "lead_time.trial.p95_h": 96.0}, "a"),
            estimates({"lead_time.trial.mean_h": 24.0, "lead_time.trial.p95_h": 72.0}, "b"),
        ]
    )
    (ax,) = axes(plots.lead_time_estimates(rows))
    drawn = sorted(x for line in ax.lines for x in line.get_xdata() if len(line.get_xdata()))
    assert drawn == [1.0, 2.0, 3.0, 4.0]


def test_time_split_stacks_each_state_share_and_writes_busy_and_overtime() -> None:
    shares = {"processing": 0.5, "changeover": 0.1, "idle": 0.2, "down": 0.05, "off_shift": 0.15}
    row = {f"utilisation.plant.line.{state}": share for state, share in shares.items()}
    row |= {"utilisation.plant.line.busy_of_open": 0.706, "utilisation.plant.line.overtime_h": 12.0}
    figure = plots.time_split(estimates(row))
    (ax,) = axes(figure)
    widths = {state: labelled(ax, plots.STATE_NAMES.get(state, state)) for state in shares}
    assert {state: bars[0].get_width() for state, bars in widths.items()} == pytest.approx(shares)
    assert labelled(ax, "idle")[0].get_x() == pytest.approx(0.6)  # after processing, changeover
    assert any(text == "busy 71% of open hours\novertime 12 h" for text in texts(figure))


def test_gantt_draws_orders_by_family_changeovers_and_closed_time_in_the_window() -> None:
    states = pd.DataFrame(
        {
            "factory": "plant",
            "line": "line",
            "at": [0.0, 8.0, 9.0, 30.0, 40.0],
            "state": ["off_shift", "changeover", "processing", "off_shift", "idle"],
            "order_id": [-1, 7, 7, 7, -1],
            "overtime": [False, False, False, True, False],
        }
    )
    figure = plots.gantt(states, ORDERS.assign(order_id=[7, 8, 9, 10, 11]), (0.0, 48.0))
    (ax,) = axes(figure)
    (shirts,) = labelled(ax, "shirts")
    assert shirts.get_paths()[0].get_extents().x0 == pytest.approx(9 / DAY)
    assert shirts.get_paths()[0].get_extents().x1 == pytest.approx(30 / DAY)
    (closed,) = labelled(ax, "closed (off shift)")
    assert len(closed.get_paths()) == 2  # 0-8 h and 30-40 h
    assert labelled(ax, "changeover") and labelled(ax, "overtime")
    assert "#7" in texts(figure)
    assert "days 0–2" in figure.title


def test_backlog_draws_the_pieces_per_factory_and_the_booked_week() -> None:
    backlog = metrics.backlog(ORDERS, 4 * DAY)
    capacity = pd.DataFrame(
        {
            "factory": "plant",
            "line": "line",
            "at": [0.0, 0.0, 24.0],
            "day_at": [0.0, 24.0, 24.0],
            "open_h": [10.0, 10.0, 10.0],
            "booked_h": [5.0, 10.0, 2.0],
        }
    )
    top, bottom = axes(plots.backlog(backlog, capacity, warmup_h=0.0))
    (line,) = labelled(top, "plant")
    assert list(line.get_ydata()) == list(backlog["pieces"])
    (booked,) = labelled(bottom, "plant.line")
    assert list(booked.get_ydata()) == [0.75, 0.2]  # (5 + 10) / 20, then 2 / 10


def test_cash_draws_each_party_in_its_own_panel_with_a_band_when_given() -> None:
    series = pd.DataFrame(
        {
            "party": ["factory/plant"] * 3 + ["sellers"] * 3,
            "day": [0, 1, 2] * 2,
            "cash": [2e6, 1.5e6, 2.5e6, 100.0, 200.0, 300.0],
        }
    )
    plant, sellers = axes(plots.cash(series, warmup_days=1.0, currency="CNY"))
    assert list(plant.lines[0].get_ydata()) == [2.0, 1.5, 2.5]  # in millions
    assert plant.get_ylabel() == "cash (million CNY)" and sellers.get_ylabel() == "cash (CNY)"
    banded = series.assign(variant="a", low=series["cash"] - 1, high=series["cash"] + 1)
    figure = plots.cash(banded, warmup_days=0.0, currency="CNY")
    assert "confidence interval" in figure.caption
    assert any(type(c).__name__ == "FillBetweenPolyCollection" for c in axes(figure)[1].collections)


def test_cash_cycle_draws_dio_dso_minus_dpo_and_ccc_per_party() -> None:
    parts = {"dio_days": 5.0, "dso_days": 10.0, "dpo_days": 3.0, "ccc_days": 12.0}
    row = {f"cash_cycle.factory/plant.{k}": v for k, v in parts.items()}
    row |= {f"cash_cycle.platform.{k}": NAN for k in parts} | {
        "cash_cycle.platform.dso_days": 2938.0
    }
    # the platform: a DSO (its voucher float over a day of fees) but no cycle, so no panel
    (ax,) = axes(plots.cash_cycle(estimates(row)))
    assert [bar.get_width() for bar in ax.patches] == [5.0, 10.0, -3.0, 12.0]
    assert ax.get_title() == "factory/plant"


def summary(rows: list[tuple[str, str, float, float, float, float, str]]) -> pd.DataFrame:
    columns = ["variant", "kpi", "mean", "diff_mean", "diff_low", "diff_high", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def test_differences_plots_each_difference_relative_to_the_baseline_mean() -> None:
    table = summary(
        [
            ("base", "cash_cycle.factory/plant.ccc_days", 20.0, NAN, NAN, NAN, "baseline"),
            ("credit", "cash_cycle.factory/plant.ccc_days", 30.0, 10.0, 8.0, 12.0, "higher"),
            ("base", "sellers.fill_rate", 0.9, NAN, NAN, NAN, "baseline"),
            ("credit", "sellers.fill_rate", 0.89, -0.01, -0.03, 0.01, "no difference"),
        ]
    )
    figure = plots.differences(table, "CNY")
    (ax,) = axes(figure)
    dots = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
    assert [line.get_xdata()[0] for line in dots] == pytest.approx([0.5, -0.01 / 0.9])
    assert [line.get_markerfacecolor() != "white" for line in dots] == [True, False]
    assert "+10 days [+8, +12]" in texts(figure)
    assert "-1 pp [-3, +1]" in texts(figure)


def test_differences_beyond_the_axis_are_arrow_heads_at_its_edge() -> None:
    table = summary(
        [
            ("base", "cash_cycle.factory/plant.ccc_days", 10.0, NAN, NAN, NAN, "baseline"),
            ("credit", "cash_cycle.factory/plant.ccc_days", 50.0, 40.0, 35.0, 45.0, "higher"),
        ]
    )
    (ax,) = axes(plots.differences(table))
    (arrow,) = [line for line in ax.lines if line.get_marker() == ">"]
    assert arrow.get_xdata()[0] < ax.get_xlim()[1]


def test_differences_in_cells_take_their_variants_colour_and_name_their_cell() -> None:
    """Two cells (say default probabilities 0.02 and 0.1), each with its own baseline: a
    variant keeps one colour in both cells, its cells on consecutive rows, each difference
    preceded by its cell's value, against that cell's baseline."""
    rows = [
        ("base", "x.ccc_days", 20.0, NAN, NAN, NAN, "baseline"),
        ("credit", "x.ccc_days", 30.0, 10.0, 8.0, 12.0, "higher"),
        ("cash", "x.ccc_days", 22.0, 2.0, 1.0, 3.0, "higher"),
        ("base", "x.ccc_days", 40.0, NAN, NAN, NAN, "baseline"),
        ("credit", "x.ccc_days", 60.0, 20.0, 18.0, 22.0, "higher"),
        ("cash", "x.ccc_days", 42.0, 2.0, 1.0, 3.0, "higher"),
    ]
    cells = ["0.02"] * 3 + ["0.1"] * 3
    table = summary(rows).assign(cell=cells, family=[row[0] for row in rows])
    figure = plots.differences(table, "", "default_probability")
    (ax,) = axes(figure)
    dots = sorted(
        (line.get_ydata()[0], line.get_xdata()[0], line.get_color())
        for line in ax.lines
        if line.get_marker() == "o" and len(line.get_xdata())
    )
    assert [x for _, x, _ in dots] == pytest.approx([0.5, 0.5, 0.1, 0.05])  # credit, then cash
    colours = [colour for _, _, colour in dots]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    assert {"0.02: +10 days [+8, +12]", "0.1: +20 days [+18, +22]"} <= set(texts(figure))
    assert "its default_probability" in ax.get_xlabel()


def test_sellers_splits_demand_into_sold_and_lost_and_draws_the_funnel() -> None:
    row = {"sellers.demand": 100, "sellers.sold": 80, "sellers.lost": 20, "sellers.fill_rate": 0.8}
    items = pd.DataFrame(
        {
            "item": ["s/item-2", "s/item-3", "s/item-9"],
            "launched_at": [0.0, 0.0, 1.0],
            "sampled_at": [1.0, 2.0, NAN],
            "listed_at": [3.0, NAN, NAN],
            "first_sale_at": [4.0, NAN, NAN],
        }
    )
    steps = plots.funnel(items, ORDERS, start_h=0.0)
    assert list(steps["items"]) == [3, 2, 2, 1, 1, 0]  # item-3's trial waits; item-9 is dropped
    figure = plots.sellers(estimates(row), steps)
    left, right = axes(figure)
    assert [bar.get_width() for bar in left.patches] == [80, 20]
    assert [bar.get_width() for bar in right.patches] == [3, 2, 2, 1, 1, 0]
    assert "fill rate 80.0%" in texts(figure)


# --- empty input, captions, formats ------------------------------------------------------------

EMPTY_ESTIMATES = estimates({})
NO_ORDERS = ORDERS.iloc[:0]
EMPTY: dict[str, Callable[[], Figure]] = {
    "lead-time": lambda: plots.lead_time(NO_ORDERS, 0.0),
    "lead-time-estimates": lambda: plots.lead_time_estimates(EMPTY_ESTIMATES),
    "time-split": lambda: plots.time_split(EMPTY_ESTIMATES),
    "gantt": lambda: plots.gantt(
        pd.DataFrame(columns=["factory", "line", "at"]), NO_ORDERS, (0, 1)
    ),
    "backlog": lambda: plots.backlog(metrics.backlog(NO_ORDERS, 48.0), pd.DataFrame(), 0.0),
    "cash": lambda: plots.cash(pd.DataFrame(columns=["party", "day", "cash"]), 0.0, "CNY"),
    "cash-cycle": lambda: plots.cash_cycle(EMPTY_ESTIMATES),
    "differences": lambda: plots.differences(summary([])),
    "sellers": lambda: plots.sellers(EMPTY_ESTIMATES),
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_a_figure_of_an_empty_table_says_nothing_to_show(name: str) -> None:
    figure = EMPTY[name]()
    assert figure.says_nothing()
    assert any(text.startswith("nothing to show: ") for text in texts(figure))
    assert figure.render("png").startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def drawn_figures() -> list[Figure]:
    """One figure of each kind with something to show."""
    full = {f"utilisation.plant.line.{state}": 0.2 for state in plots.STATE_COLOURS}
    row = {"cash_cycle.factory/plant.dio_days": 3.0, "sellers.demand": 5, "sellers.sold": 5}
    row |= full | {"sellers.lost": 0, "lead_time.trial.mean_h": 30.0}
    states = pd.DataFrame(
        {"factory": "p", "line": "l", "at": [0.0], "state": ["processing"], "order_id": [0]}
    )
    cash = pd.DataFrame({"party": "platform", "day": [0, 1], "cash": [0.0, 1.0]})
    diffs = summary(
        [
            ("base", "sellers.fill_rate", 0.9, NAN, NAN, NAN, "baseline"),
            ("x", "sellers.fill_rate", 0.8, -0.1, -0.2, 0.0, "lower"),
        ]
    )
    return [
        plots.lead_time(ORDERS, 0.0),
        plots.lead_time_estimates(estimates(row)),
        plots.time_split(estimates(row)),
        plots.gantt(states, ORDERS.assign(order_id=range(5)), (0.0, 24.0)),
        plots.backlog(metrics.backlog(ORDERS, 96.0), pd.DataFrame(), 0.0),
        plots.cash(cash, 0.0, "CNY"),
        plots.cash_cycle(estimates(row)),
        plots.differences(diffs),
        plots.sellers(estimates(row)),
    ]


def test_every_figure_has_its_name_a_title_axis_labels_and_a_short_caption(
    drawn_figures: list[Figure],
) -> None:
    figures = drawn_figures + [make() for make in EMPTY.values()]
    assert {f.name for f in figures} == set(plots.FIGURES)
    for figure in figures:
        assert figure.title and figure.figure.get_suptitle() == figure.title
        sentences = re.findall(r"[.!?](?:\s|$)", figure.caption)
        assert 1 <= len(sentences) <= 2, f"{figure.name}: {figure.caption!r}"
        if not figure.says_nothing():
            labels = [ax.get_xlabel() or ax.get_ylabel() for ax in axes(figure)]
            assert any(labels), f"{figure.name} has no axis label"


@pytest.mark.parametrize("fmt", plots.FORMATS)
def test_figures_render_as_png_or_svg(fmt: str, drawn_figures: list[Figure]) -> None:
    data = drawn_figures[0].render(fmt)
    assert data.startswith(b"\x89PNG" if fmt == "png" else b"<?xml")
    with pytest.raises(ValueError, match="png or svg"):
        drawn_figures[0].render("jpg")


def test_the_fixed_colours_are_from_the_colour_blind_palette() -> None:
    import seaborn as sns

    palette = set(sns.color_palette("colorblind").as_hex())
    named = {*plots.FAMILY_COLOURS, plots.OVERTIME_COLOUR}
    named |= {c for s, c in plots.STATE_COLOURS.items() if s != "idle"}  # idle: a light grey
    assert named <= palette


@pytest.mark.parametrize(
    ("name", "unit", "words"),
    [
        ("cash_cycle.factory/fuchun.ccc_days", "days", "cash conversion cycle · factory/fuchun"),
        ("lead_time.repeat.mean_h", "h", "mean lead time · repeat orders"),
        ("utilisation.fuchun.ecom.busy_of_open", "share", "busy share of open time · fuchun.ecom"),
        ("sellers.fill_rate", "share", "fill rate · sellers"),
        ("sellers.lost", "pieces", "lost · sellers"),
        ("cash_cycle.sellers.profit", "CNY", "profit · sellers"),
        ("orders.refused", "orders", "refused · orders"),
    ],
)
def test_kpi_names_in_words_and_units(name: str, unit: str, words: str) -> None:
    assert plots.kpi_unit(name, "CNY") == unit
    assert plots.kpi_label(name) == words


def test_importing_flexsim_and_its_report_leaves_matplotlib_unloaded() -> None:
    code = (
        "import sys, flexsim, flexsim.plots, flexsim.report, flexsim.cli; "
        "print(sorted(m for m in ('matplotlib', 'seaborn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_drawing_leaves_pyplot_without_figures(drawn_figures: list[Figure]) -> None:
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # drawn on their own canvases, never through pyplot
