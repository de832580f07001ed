"""Benchmark session plumbing: the `fast` marker and a short summary of measured ratios.

Run with `python -m pytest benchmarks -m fast --benchmark-only` (CI) or with `-m ""` for the
full set (pyproject's default `-m` leaves the slow ones out); README.md in this folder says what
each benchmark measures.
"""

from __future__ import annotations

import pytest

SUMMARY = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fast: benchmarks cheap enough to run in CI on every push")
    config.stash[SUMMARY] = []


@pytest.fixture
def summary(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test adds here are printed at the end of the session, pass or fail."""
    return request.config.stash[SUMMARY]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("flexsim benchmark summary")
        for line in lines:
            terminalreporter.write_line(line)
