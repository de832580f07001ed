"""flexsim: discrete-event simulation of online sellers and the small-batch factories they use."""

from typing import TYPE_CHECKING, Any

from flexsim.metrics import kpis
from flexsim.run import RunResult, run
from flexsim.scenario import Scenario, ScenarioError, builtin_names, load, load_builtin

if TYPE_CHECKING:
    from flexsim.experiment import (
        ExperimentError,
        ExperimentResult,
        compare,
        load_experiment,
        replicate,
    )

__all__ = [
    "ExperimentError",
    "ExperimentResult",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "compare",
    "kpis",
    "load",
    "load_builtin",
    "load_experiment",
    "replicate",
    "run",
]

# The experiment layer's names are imported when first used (PEP 562) rather than here, so that
# `import flexsim` loads only what a run needs.
_EXPERIMENT = {"ExperimentError", "ExperimentResult", "compare", "load_experiment", "replicate"}


def __getattr__(name: str) -> Any:
    if name in _EXPERIMENT:
        from flexsim import experiment

        return getattr(experiment, name)
    raise AttributeError(f"module 'flexsim' has no attribute {name!r}")
