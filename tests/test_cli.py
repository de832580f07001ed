"""Command line: bad input exits 2 with one `flexsim: error:` paragraph naming the file and the
dotted key (in process and in a real subprocess), and the happy paths print and write what they
promise."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from flexsim import results
from flexsim.cli import main
from flexsim.scenario import Scenario, load_builtin

WriteScenario = Callable[..., Path]
SHORT = ["--set", "horizon_days=400", "--set", "warmup_days=50"]  # mm1 in ~0.01 s
BAD_CASES = [
    "syntax",
    "unknown-key",
    "wrong-type",
    "negative-rate",
    "unknown-dispatch",
    "missing-file",
    "set-without-equals",
    "set-unknown-path",
    "set-negative-value",
    "out-is-a-file",
    "out-empty",
    "out-under-a-file",
    "out-not-results",
    "negative-seed",
    "not-utf8",
    "check-unknown-key",
]


def bad_case(case: str, write: WriteScenario, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The argv of one bad-input case and the fragments its error message must contain."""
    ok = write()
    customer = '\n[[customers]]\nname = "shop"\nfactory = "plant"\n'
    match case:
        case "syntax":
            path = write(append="broken = \n")
            return ["run", str(path)], [str(path), "not valid TOML", "line 11"]
        case "unknown-key":
            path = write(("unit_time_h", "unit_tme_h"))
            return ["run", str(path)], [
                str(path),
                "factories.0.lines.0",
                "did you mean 'unit_time_h'",
            ]
        case "wrong-type":
            path = write(("horizon_days = 100", 'horizon_days = "long"'))
            return ["run", str(path)], [str(path), "horizon_days"]
        case "negative-rate":
            path = write(
                append=customer + 'interarrival_days = { dist = "exponential", mean = -2 }\n'
            )
            return ["run", str(path)], [str(path), "customers.0.interarrival_days.mean"]
        case "unknown-dispatch":
            path = write(append='dispatch = "lifo"\n')
            return ["run", str(path)], [str(path), "factories.0.lines.0.dispatch", "fifo", "edd"]
        case "missing-file":
            path = tmp_path / "absent.toml"
            return ["run", str(path)], [str(path), "cannot read"]
        case "set-without-equals":
            return ["run", str(ok), "--set", "horizon_days"], ["--set", "horizon_days"]
        case "set-unknown-path":
            key = "factories.0.lines.nope.dispatch"
            return ["run", str(ok), "--set", f"{key}=edd"], [str(ok), key, "line"]
        case "set-negative-value":
            return ["run", str(ok), "--set", "horizon_days=-5"], [str(ok), "horizon_days"]
        case "out-is-a-file":
            out = tmp_path / "taken.txt"
            out.write_text("not a folder\n")
            return ["run", str(ok), "--out", str(out)], ["--out", str(out)]
        case "out-empty":
            return ["run", str(ok), "--out", ""], ["--out ''", "empty"]
        case "out-under-a-file":  # no folder can be made there, not even by root
            (tmp_path / "file").write_text("")
            out = tmp_path / "file" / "out"
            return ["run", str(ok), "--out", str(out)], ["--out", str(out), "cannot write"]
        case "out-not-results":
            (tmp_path / "notes.txt").write_text("mine\n")
            out_args = ["--out", str(tmp_path), "--overwrite"]
            return ["run", str(ok), *out_args], ["--out", str(tmp_path), "manifest.json"]
        case "negative-seed":
            return ["run", str(ok), "--seed", "-1"], ["--seed", "-1"]
        case "not-utf8":
            path = tmp_path / "latin1.toml"
            path.write_bytes('name = "café"\n'.encode("latin-1"))
            return ["check", str(path)], [str(path)]
        case "check-unknown-key":
            path = write(("warmup_days", "warmup_dyas"))
            return ["check", str(path)], [str(path), "did you mean 'warmup_days'"]
    raise AssertionError(case)


def assert_one_error_paragraph(stderr: str, fragments: list[str]) -> None:
    assert "Traceback" not in stderr
    assert stderr.startswith("flexsim: error:"), stderr
    assert "\n\n" not in stderr.strip(), f"more than one paragraph: {stderr!r}"
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} not in {stderr!r}"


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_with_one_error_paragraph(
    case: str, write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, fragments = bad_case(case, write_scenario, tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert_one_error_paragraph(captured.err, fragments)
    assert "Lead time" not in captured.out


@pytest.mark.parametrize("case", ["unknown-key", "set-unknown-path", "missing-file", "not-utf8"])
def test_bad_input_in_a_subprocess_exits_2_without_traceback(
    case: str, write_scenario: WriteScenario, tmp_path: Path
) -> None:
    argv, fragments = bad_case(case, write_scenario, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "flexsim.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert_one_error_paragraph(done.stderr, fragments)


def test_out_file_is_refused_before_running(
    write_scenario: WriteScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "taken.txt"
    out.write_text("keep me\n")
    assert main(["run", str(write_scenario()), "--out", str(out)]) == 2
    assert out.read_text() == "keep me\n"
    assert capsys.readouterr().out == ""


def test_scenarios_lists_the_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert {"tao-factory", "mm1"} <= set(names)
    assert load_builtin("mm1").description in out


def test_schema_is_json_with_factories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "factories" in schema["properties"]
    assert "factories" in schema["required"]


def test_check_says_the_file_is_valid(
    write_scenario: WriteScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write_scenario())]) == 0
    captured = capsys.readouterr()
    assert "is valid" in captured.out
    assert "'tiny'" in captured.out
    assert "\n\n" not in captured.out.strip()
    assert captured.err == ""


def test_check_accepts_a_builtin_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tao-factory"]) == 0
    assert "is valid" in capsys.readouterr().out


def test_run_prints_lead_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "mm1", *SHORT]) == 0
    captured = capsys.readouterr()
    assert "Lead time" in captured.out
    assert "400 days" in captured.out
    assert captured.err == ""


def test_run_with_the_same_seed_prints_the_same_tables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def body() -> list[str]:
        assert main(["run", "mm1", "--seed", "4", *SHORT]) == 0
        return capsys.readouterr().out.splitlines()[1:]  # line 0 holds the wall time

    assert body() == body()


def test_run_out_writes_tables_kpis_scenario_and_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "mm1"
    assert main(["run", "mm1", "--seed", "7", *SHORT, "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    for name in ["orders.csv.gz", "line_states.csv.gz", "kpis.json", "scenario.json"]:
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp")), "temporary files left behind"

    orders = pd.read_csv(out / "orders.csv.gz")
    assert len(orders) > 0
    with gzip.open(out / "line_states.csv.gz", "rt") as handle:
        assert handle.readline().strip()

    kpis = json.loads((out / "kpis.json").read_text())
    assert "lead_time" in kpis

    scenario = Scenario.model_validate_json((out / "scenario.json").read_text())
    assert scenario == load_builtin("mm1", {"horizon_days": 400, "warmup_days": 50})

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert "git_commit" in manifest
    assert {"numpy", "simpy", "pandas", "pydantic"} <= set(manifest["packages"])
    assert isinstance(manifest["wall_s"], int | float)
    assert manifest["wall_s"] >= 0
    assert manifest["tables"]["orders"] == len(orders)


def test_run_out_files_are_readable_as_the_umask_allows(tmp_path: Path) -> None:
    # a results folder is shared: its files get the usual mode, not mkstemp's private 0600
    old = os.umask(0o022)
    try:
        assert main(["run", "mm1", *SHORT, "--out", str(tmp_path / "out")]) == 0
    finally:
        os.umask(old)
    for path in sorted((tmp_path / "out").iterdir()):
        assert path.stat().st_mode & 0o777 == 0o644, f"{path.name}: {oct(path.stat().st_mode)}"


def test_run_out_twice_exits_2_unless_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "D"
    assert main(["run", "mm1", *SHORT, "--out", str(out)]) == 0
    first = {path.name: path.read_bytes() for path in out.iterdir()}
    capsys.readouterr()
    assert main(["run", "mm1", *SHORT, "--seed", "2", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert_one_error_paragraph(captured.err, ["--out", str(out), "--overwrite"])
    assert captured.out == ""  # refused before the run
    assert {path.name: path.read_bytes() for path in out.iterdir()} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]


def test_overwrite_replaces_the_results_folder_whole(tmp_path: Path) -> None:
    out = tmp_path / "D"
    assert main(["run", "mm1", *SHORT, "--out", str(out)]) == 0
    (out / "extra.txt").write_text("from before\n")
    assert main(["run", "mm1", *SHORT, "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert not (out / "extra.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]


def test_an_error_while_writing_leaves_the_partial_folder_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full_disk(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(results, "write_text", full_disk)  # after the tables, before kpis.json
    out = tmp_path / "D"
    assert main(["run", "mm1", *SHORT, "--out", str(out)]) == 2
    partial = tmp_path / "D.partial"
    assert_one_error_paragraph(
        capsys.readouterr().err, [str(out), os.strerror(errno.ENOSPC), f"kept in {partial}/"]
    )
    assert not out.exists()
    assert (partial / "orders.csv.gz").is_file()
    assert os.strerror(errno.ENOSPC) in (partial / "PARTIAL").read_text()


def start_run(out: Path, *options: str) -> subprocess.Popen[str]:
    """`flexsim run … --out NAME` in a subprocess working in out's parent, SIGINT at its default
    even when the tests run in the background (where it is ignored and flexsim leaves it so)."""
    return subprocess.Popen(
        [sys.executable, "-m", "flexsim.cli", "run", *options, "--out", out.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=out.parent,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    """Wait until `path` exists (the run has claimed its folder and is working)."""
    while not path.exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_stops_a_run_with_one_line_and_keeps_the_partial_folder(
    tmp_path: Path, stop: signal.Signals
) -> None:
    out = tmp_path / "D"
    # minutes, if not stopped; a warm-up past every payment term: no note on stderr
    running = start_run(out, "--set", "horizon_days=20000", "--set", "warmup_days=400")
    try:
        wait_for(tmp_path / "D.partial", running)
        running.send_signal(stop)
        _, stderr = running.communicate(timeout=120)
    finally:
        running.kill()
    assert running.returncode == 128 + stop
    assert stderr == f"flexsim: interrupted ({stop.name}); partial results kept in D.partial/\n"
    assert stop.name in (tmp_path / "D.partial" / "PARTIAL").read_text()
    assert not out.exists()


def test_the_second_run_to_finish_exits_2_and_keeps_its_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "D"
    running = start_run(out, "mm1", *SHORT)
    try:
        wait_for(tmp_path / "D.partial", running)
        running.send_signal(signal.SIGSTOP)  # so that this process surely finishes first
        assert main(["run", "mm1", *SHORT, "--seed", "2", "--out", str(out)]) == 0
        running.send_signal(signal.SIGCONT)
        _, stderr = running.communicate(timeout=120)
    finally:
        running.kill()
    kept = f"D.partial-{running.pid}"
    assert running.returncode == 2
    assert_one_error_paragraph(stderr, ["--out D", "another writer", f"kept in {kept}/"])
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert json.loads((tmp_path / kept / "manifest.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D", kept]
