"""Experiment errors: bad experiment input, reported as one paragraph."""

from __future__ import annotations

from flexsim.scenario import ScenarioError


class ExperimentError(ScenarioError):
    """Bad experiment input; one paragraph naming the file and the dotted key."""
