"""A planning run's results folder, and the words of its guarantee.

DIR/optuna.db        the search's Optuna study (SQLite): a stopped search resumes from it
DIR/candidates.csv   every evaluated candidate, search and final: its values, replications,
                     and each KPI's mean and interval half-width
DIR/PLAN.json        the chosen plan as a whole scenario: `flexsim run DIR/PLAN.json` reruns it
DIR/guarantee.md     the chosen plan and the guarantee in plain words, with its numbers
DIR/manifest.json    what made the results, written last
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim.plan.evaluate import Candidate
from flexsim.plan.planner import PlanResult
from flexsim.plan.select import Guarantee, shortfall
from flexsim.results import provenance, write_text

CANDIDATES, PLAN_FILE, GUARANTEE = "candidates.csv", "PLAN.json", "guarantee.md"


def candidates_table(result: PlanResult) -> pd.DataFrame:
    """One row per evaluated candidate: phase (search, final), its number, each variable's
    value, its replications, then each KPI's mean and half-width (at the plan's confidence),
    whether its means meet the constraints (search) or it passed them (final), and whether it is
    the chosen plan."""
    plan = result.plan
    level = plan.settings.confidence
    guarantee = result.guarantee
    rows = []
    for candidate in [*result.candidates, *result.finals]:
        row: dict[str, Any] = {"phase": candidate.phase, "number": candidate.number}
        row |= candidate.params
        row["replications"] = len(candidate.seeds)
        for kpi in plan.kpis:
            has = bool(candidate.values.get(kpi))
            row[kpi] = candidate.mean(kpi) if has else math.nan
            row[f"{kpi} ±"] = candidate.half_width(kpi, level) if has else math.nan
        if candidate.phase == "final" and guarantee is not None:
            row["feasible"] = guarantee.feasible[candidate.number]
        else:
            row["feasible"] = candidate.defined and shortfall(plan, candidate) <= 0
        row["chosen"] = candidate is result.chosen
        row["error"] = candidate.error
        rows.append(row)
    return pd.DataFrame(rows)


def describe(params: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {value!r}" for name, value in params.items())


def statement(result: PlanResult) -> str:
    """The chosen plan and the guarantee, in plain words with the numbers (Markdown)."""
    plan = result.plan
    settings = plan.settings
    objective = plan.objective
    lines = [f"# Plan {settings.name}", ""]
    chosen = result.chosen
    if chosen is None:
        lines.append("No candidate met every constraint: there is no plan to recommend.")
    else:
        lines.append(f"Chosen plan: {describe(chosen.params)}.")
        lines.append("")
        estimate = _estimate(chosen, objective.name, settings.confidence)
        lines.append(
            f"Its {objective.name} ({objective.direction}) is {estimate}"
            f" over {len(chosen.seeds)} replications"
            + (" with fresh seeds." if chosen.phase == "final" else " of the search.")
        )
        for constraint in plan.constraints:
            value = _estimate(chosen, constraint.kpi, settings.confidence)
            lines.append(f"- constraint {constraint.describe()}: {value}")
    lines.append("")
    guarantee = result.guarantee
    if guarantee is None:
        lines.append(
            "No guarantee: the plan is the search's best candidate whose means meet the "
            "constraints (finalists = 0), with no re-evaluation."
        )
    else:
        tolerances = ", ".join(
            f"{c.kpi} {_number(t, 3)}"
            for c, t in zip(plan.constraints, guarantee.achieved_tolerances, strict=True)
        )
        confidence = f"{guarantee.confidence:.0%}"
        if chosen is None:
            lines.append(
                f"With confidence at least {confidence} ({guarantee.procedure}), none of the "
                f"{len(guarantee.feasible)} finalists meets every constraint with a margin of "
                f"its tolerance ({tolerances or 'no constraints'})."
            )
        else:
            lines.append(
                f"Guarantee ({guarantee.procedure}): with confidence at least {confidence}, the "
                "chosen plan meets every constraint, short of it by at most the constraint's "
                f"tolerance ({tolerances or 'no constraints'}), and its {objective.name} is within "
                f"δ = {_number(guarantee.achieved_delta, 3)} of the best of the "
                f"{len(guarantee.feasible)} finalists that meet every constraint with a margin "
                "of its tolerance."
            )
        lines.append("")
        lines.append(
            f"The finalists ran {guarantee.first_stage} replications each with fresh seeds, "
            "then as many more as the procedure asked: "
            + ", ".join(
                f"{describe(c.params)}: {n} ({'passed' if ok else 'failed'} the constraints)"
                for c, n, ok in zip(
                    result.finals, guarantee.replications, guarantee.feasible, strict=True
                )
            )
            + "."
        )
        if guarantee.capped:
            lines.append("")
            lines.append(
                f"plan.max_final ({settings.max_final}) capped the replications, so the "
                "guarantee holds for the δ and tolerances stated above, not for those asked "
                f"(δ = {_number(guarantee.delta, 3)}, tolerances "
                + ", ".join(_number(t, 3) for t in guarantee.tolerances)
                + ")."
            )
    lines.append("")
    lines.append(
        f"The search tried {len(result.candidates)} candidates in {result.search_runs} runs "
        f"({settings.replications} replications each, "
        + ("common random numbers" if settings.common_random_numbers else "own seeds each")
        + f", seed {settings.seed}); the selection ran {result.final_runs}."
    )
    return "\n".join(lines)


def _estimate(candidate: Candidate, kpi: str, level: float) -> str:
    mean = candidate.mean(kpi)
    width = candidate.half_width(kpi, level)
    if math.isnan(width):
        return _number(mean)
    return f"{_number(mean)} ± {_number(width, 2)} ({level:.0%} interval)"


def _number(value: float, digits: int = 4) -> str:
    """A number in words' company: `digits` significant digits, thousands separated (34,540,
    not 3.454e+04)."""
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    rounded = float(f"{value:.{digits}g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 10 ** (digits - 1) else f"{rounded:.{digits}g}"


def manifest(result: PlanResult) -> dict[str, Any]:
    """What made a planning run's results."""
    plan = result.plan
    chosen = result.chosen
    guarantee = result.guarantee
    return {
        "plan": plan.settings.name,
        "source": plan.source,
        "digest": plan.digest,
        "scenario": plan.settings.scenario,
        "seed": plan.settings.seed,
        "objective": plan.objective.model_dump(),
        "constraints": [c.model_dump() for c in plan.constraints],
        "chosen": chosen.params if chosen is not None else None,
        "guarantee": _guarantee(guarantee),
        "candidates": len(result.candidates),
        "search_runs": result.search_runs,
        "final_runs": result.final_runs,
        **provenance(),
        "backend": result.backend,
        "workers": result.workers,
        "wall_s": round(result.wall_s, 3),
    }


def _guarantee(guarantee: Guarantee | None) -> dict[str, Any] | None:
    if guarantee is None:
        return None
    return {
        "procedure": guarantee.procedure,
        "confidence": guarantee.confidence,
        "delta": guarantee.achieved_delta,
        "tolerances": guarantee.achieved_tolerances,
        "capped": guarantee.capped,
        "replications": guarantee.replications,
        "feasible": guarantee.feasible,
    }


def write(folder: Path, result: PlanResult) -> pd.DataFrame:
    """candidates.csv, PLAN.json (when a plan was chosen), guarantee.md and, last,
    manifest.json into `folder`; the candidates table returned (its figure is the caller's)."""
    table = candidates_table(result)
    write_text(folder / CANDIDATES, table.to_csv(index=False))
    if result.scenario is not None:
        write_text(folder / PLAN_FILE, result.scenario.model_dump_json(indent=2) + "\n")
    write_text(folder / GUARANTEE, statement(result) + "\n")
    text = json.dumps(manifest(result), indent=2, default=str)
    write_text(folder / "manifest.json", text + "\n")
    return table
