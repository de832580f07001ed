"""Capacity planning: the cheapest (or best) plan that meets constraints on KPIs, searched
with Optuna over common random numbers and chosen among finalists by a constrained
ranking-and-selection procedure with a stated guarantee.

    plan = flexsim.plan.load_plan("experiments/ecommerce_plan.toml")
    result = flexsim.plan.run_plan(plan, folder)   # folder holds the study (optuna.db)

docs/planning.md documents the planning file, the procedure and its guarantee.
"""

from __future__ import annotations

from flexsim.plan.evaluate import Candidate
from flexsim.plan.planner import PlanResult, run_plan
from flexsim.plan.select import PROCEDURE, Guarantee
from flexsim.plan.spec import Plan, PlanError, is_plan_file, load_plan

__all__ = [
    "PROCEDURE",
    "Candidate",
    "Guarantee",
    "Plan",
    "PlanError",
    "PlanResult",
    "is_plan_file",
    "load_plan",
    "run_plan",
]
