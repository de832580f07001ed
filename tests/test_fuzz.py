"""A fuzzer: hypothesis mutates valid scenario files (the built-ins mm1 and tao-factory, horizons
of at most 90 days) and command lines, and every outcome must be exit 0 with the audit passing
or exit 2 with one error paragraph naming what was wrong; never a traceback, a hang or more
than 1 GiB. In process, each case under an alarm; a few hostile cases in a child process whose
address space is capped. Marked slow; `FLEXSIM_FUZZ_EXAMPLES=N pytest -m slow tests/test_fuzz.py`
tries N cases instead of EXAMPLES, and `FLEXSIM_FUZZ_REPORT=FILE` writes the outcomes by class
(docs/robustness.md holds the last long run's)."""

from __future__ import annotations

import collections
import contextlib
import copy
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexsim.cli import main
from flexsim.scenario import builtin_text

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FLEXSIM_FUZZ_EXAMPLES", "150"))
SECONDS = 60  # a case that takes longer has hung
GIB = 2**30
BASES = {name: builtin_text(name) for name in ("mm1", "tao-factory")}
OUTCOMES: collections.Counter[str] = collections.Counter()
EXTREMES = [0, -1, 1, 2, 1e-300, 1e-9, 0.5, 1e9, 1e300, 2**31, 2**63, -(2**63), 10**30, 100_000]
EXTREMES += [100_001, float("inf"), float("-inf"), float("nan"), 1e308, 5e-324]
ODD_VALUES = [True, "", "x" * 10_000, "ж", [], [1, 2], {}, {"dist": "gamma"}, None, "2026-02-30"]


class Hang(Exception):
    """The case's alarm rang."""


def _ring(signum: int, frame: FrameType | None) -> None:
    raise Hang(f"no answer within {SECONDS} s")


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and list index of a parsed document, depth first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A built-in scenario, parsed, with one to three of its keys dropped, duplicated under
    another name, renamed, or given a value of another type or an extreme number; as JSON."""
    name = draw(st.sampled_from(sorted(BASES)))
    document = tomllib.loads(BASES[name])
    document["horizon_days"] = draw(st.integers(1, 90))
    document["warmup_days"] = draw(st.sampled_from([0, 0.5, 1, 10]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(document))))
        parent, key = _parent(document, path), path[-1]
        how = draw(st.sampled_from(["drop", "duplicate", "retag", "type", "number"]))
        if how == "drop":
            del parent[key]
        elif how in ("duplicate", "retag") and isinstance(parent, dict):
            renamed = draw(st.sampled_from([key + "_", key.upper(), key[:-1] or "k", "ünï"]))
            parent[renamed] = copy.deepcopy(parent[key])
            if how == "retag":
                del parent[key]
        elif how == "type":
            parent[key] = draw(st.sampled_from(ODD_VALUES))
        else:
            parent[key] = draw(st.sampled_from(EXTREMES))
    if isinstance(document.get("horizon_days"), int | float) and not (
        document["horizon_days"] <= 90
    ):
        document["horizon_days"] = 90
    return "json", json.dumps(document, default=str).encode()  # dates as ISO text


@st.composite
def mutated_texts(draw: st.DrawFn) -> tuple[str, bytes]:
    """A built-in's TOML text (horizon 30 days), edited as text: a line duplicated or cut,
    odd encodings and bytes, a huge or deeply nested document."""
    text = BASES[draw(st.sampled_from(sorted(BASES)))]
    text = "\n".join(
        "horizon_days = 30" if line.startswith("horizon_days") else line
        for line in text.splitlines()
    )
    text = text.replace("warmup_days = 500", "warmup_days = 5").replace("= 180", "= 5")
    lines = text.splitlines()
    where = draw(st.integers(0, len(lines) - 1))
    how = draw(
        st.sampled_from(
            ["duplicate", "cut", "bom", "utf16", "latin1", "nul", "truncate", "huge", "deep"]
        )
    )
    data = text.encode()
    if how == "duplicate":
        data = "\n".join([*lines[: where + 1], *lines[where:]]).encode()
    elif how == "cut":
        data = "\n".join(lines[:where] + lines[where + 1 :]).encode()
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    elif how == "utf16":
        data = text.encode("utf-16")
    elif how == "latin1":
        data = text.replace("description", "déscription").encode("latin-1", errors="replace")
    elif how == "nul":
        data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :]
    elif how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "huge":
        data += "".join(f"\nkey{i} = {i}" for i in range(draw(st.integers(1, 200_000)))).encode()
    else:
        depth = draw(st.integers(30, 5_000))
        data += b"\nnested = " + b"[" * depth + b"]" * depth + b"\n"
    return "toml", data


SETS = [
    "horizon_days=0",
    "horizon_days=-1",
    "horizon_days=1e9",
    "horizon_days=nan",
    "horizon_days=inf",
    "warmup_days=89",
    "factories.0.lines.0.unit_time_h=0",
    "factories.0.lines.0.unit_time_h=1e-300",
    "factories.٠.name=x",
    "factories.99.name=x",
    "customers.0.count=100001",
    "customers.0.interarrival_days=1e-12",
    "sellers.count=2",
    "finance.interest_days=1e-9",
    "nope=1",
    "horizon_days",
    "=",
    "horizon_days=[1,",
    'start_date="9999-12-01"',
    "finance.deposit_rate=1",
]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """`run` or `check` of a built-in with odd options: --set values, seeds, replications."""
    argv = [draw(st.sampled_from(["run", "check"])), draw(st.sampled_from(sorted(BASES)))]
    argv += ["--set", "horizon_days=20", "--set", "warmup_days=2"]
    for assignment in draw(st.lists(st.sampled_from(SETS), max_size=3)):
        argv += ["--set", assignment]
    if argv[0] == "run":
        seed = draw(st.sampled_from(["0", "1", "-1", "2**64", "x", str(2**64), "٣"]))
        argv += ["--seed", seed]
    return argv


def outcome(argv: list[str], out: Path | None, capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command in process under the alarm; check its outcome; return its class."""
    capsys.readouterr()
    previous = signal.signal(signal.SIGALRM, _ring)
    signal.alarm(SECONDS)
    try:
        code = main([*argv, *(["--out", str(out)] if out else [])])
    except SystemExit as stop:  # argparse refuses a malformed command line
        code = int(stop.code or 0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < GIB
    if code == 0:
        if out is not None:
            with contextlib.redirect_stdout(io.StringIO()):
                assert main(["audit", str(out)]) == 0, f"audit failed: {argv}"
        return "exit 0, audit passed" if out is not None else "exit 0"
    assert code == 2, (code, argv, err)
    if err.startswith("usage:"):  # argparse: the usage (wrapped), then the option and the problem
        assert ": error: argument " in err.rstrip().splitlines()[-1], err
        return "exit 2, usage"
    assert err.startswith("flexsim: error:") and err.count("\n") == 1, err
    assert len(err) < 4_000, f"an error of {len(err)} characters"
    return "exit 2, error"


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    report = os.environ.get("FLEXSIM_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(dict(OUTCOMES), indent=2, sort_keys=True) + "\n")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize="FLEXSIM_FUZZ_EXAMPLES" not in os.environ,  # CI: the same cases every time
)


@FUZZ
@given(case=st.one_of(mutated_documents(), mutated_texts()))
def test_a_mutated_scenario_runs_and_passes_the_audit_or_is_refused(
    case: tuple[str, bytes], tmp_path_factory: pytest.TempPathFactory, capsys: Any
) -> None:
    suffix, data = case
    where = tmp_path_factory.mktemp("fuzz")
    path = where / f"scenario.{suffix}"
    path.write_bytes(data)
    kind = outcome(["run", str(path)], where / "out", capsys)
    OUTCOMES[f"scenario file ({suffix}): {kind}"] += 1


@FUZZ
@given(argv=command_lines())
def test_a_mutated_command_line_runs_and_passes_the_audit_or_is_refused(
    argv: list[str], tmp_path_factory: pytest.TempPathFactory, capsys: Any
) -> None:
    out = tmp_path_factory.mktemp("fuzz") / "out" if argv[0] == "run" else None
    OUTCOMES[f"command line: {outcome(argv, out, capsys)}"] += 1


HOSTILE = {  # cases for a child process: what could hang or exhaust memory if a bound slipped
    "a huge count": ["check", "mm1", "--set", "customers.0.count=100000000000"],
    "deep nesting": ["check", "DEEP"],
    "/dev/zero": ["check", "/dev/zero"],
    "a stopped clock": ["run", "mm1", "--set", "customers.0.interarrival_days=1e-300"],
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_cases_end_in_a_capped_child_process(name: str, tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "{ b = " * 100_000 + "1" + " }" * 100_000 + "\n")
    argv = [str(deep) if arg == "DEEP" else arg for arg in HOSTILE[name]]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))

    done = subprocess.run(
        [sys.executable, "-m", "flexsim.cli", *argv],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=cap,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    if done.returncode == 2:
        assert done.stderr.startswith("flexsim: error:") and done.stderr.count("\n") == 1


def test_an_order_of_zero_work_taken_by_a_closed_line_finishes_no_earlier_than_its_setup(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fuzzer: with unit_time_h = 0, an order a closed line took was stamped
    finished when it was taken (193.0 h) and set up when the line opened (200 h)."""
    sets = ["horizon_days=20", "warmup_days=2", "factories.0.lines.0.unit_time_h=0"]
    out = tmp_path_factory.mktemp("zero") / "out"  # not tmp_path, which conftest audits
    assert main(["run", "tao-factory", *(f"--set={s}" for s in sets), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["audit", str(out)]) == 0, capsys.readouterr().out
