"""flexsim: discrete-event simulation of online sellers and the small-batch factories they use."""

from flexsim.metrics import kpis
from flexsim.run import RunResult, run
from flexsim.scenario import Scenario, ScenarioError, builtin_names, load, load_builtin

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "kpis",
    "load",
    "load_builtin",
    "run",
]
