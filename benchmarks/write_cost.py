"""What writing a run's tables adds to it: one run of a built-in scenario and its KPIs, then
`results.write` as gzip CSV, the CSV writer results.py used before pyarrow formatted the tables
(pandas `to_csv` at gzip level 6) and Parquet, in interleaved rounds on the same result, each
timed in wall and CPU time (`time.process_time`) beside the run's own.

    python -m benchmarks.write_cost taobao-village '{"sellers.count": 2000}' 3

Arguments: a built-in scenario, its overrides as JSON (default `{}`), rounds (default 3).
Parquet needs pyarrow. Figures: benchmarks/README.md, The village.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import flexsim
from flexsim import metrics, results
from flexsim.run import RunResult

SEED = 1


def pandas_csv(result: RunResult, kpis: dict[str, Any], folder: Path) -> None:
    """The tables as results.write wrote them before pyarrow formatted them; the same JSON."""
    for name, table in (result.tables | results.derived_tables(result)).items():
        gzip6 = {"method": "gzip", "compresslevel": 6}
        results._atomic(  # the former writer, for comparison only
            folder / f"{name}.csv.gz", partial(table.to_csv, index=False, compression=gzip6)
        )
    results.write_text(folder / "kpis.json", json.dumps(kpis, indent=2, default=str))
    results.write_text(folder / "scenario.json", result.scenario.model_dump_json(indent=2))
    made = results.manifest(result, result.scenario.name, {})
    results.write_text(folder / "manifest.json", json.dumps(made, indent=2, default=str))


def main(argv: list[str]) -> None:
    name = argv[0]
    overrides = json.loads(argv[1]) if len(argv) > 1 else {}
    rounds = int(argv[2]) if len(argv) > 2 else 3
    scenario = flexsim.load_builtin(name, overrides)
    cpu, wall = time.process_time(), time.perf_counter()
    result = flexsim.run(scenario, SEED)
    run_cpu, run_wall = time.process_time() - cpu, time.perf_counter() - wall
    kpis = metrics.scenario_kpis(result.tables, scenario)
    print(
        f"{name} {overrides}: run {run_wall:.2f} s wall, {run_cpu:.2f} s CPU; "
        f"{len(result.tables['ledger']):,} postings; load {os.getloadavg()[0]:.1f}"
    )
    writers: dict[str, Callable[[Path], object]] = {
        "csv": partial(results.write, result, kpis, source=name, overrides=overrides),
        "csv, pandas at gzip 6": partial(pandas_csv, result, kpis),
        "parquet": partial(
            results.write, result, kpis, source=name, overrides=overrides, table_format="parquet"
        ),
    }
    with tempfile.TemporaryDirectory() as where:
        for _ in range(rounds):
            for label, write in writers.items():
                folder = Path(where) / "run"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                cpu, wall = time.process_time(), time.perf_counter()
                write(folder)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                size = sum(path.stat().st_size for path in folder.iterdir())
                print(
                    f"  {label:22} {wall:6.2f} s wall ({wall / run_wall:6.1%} of the run's), "
                    f"{cpu:6.2f} s CPU ({cpu / run_cpu:6.1%}), {size / 1e6:6.2f} MB, "
                    f"load {os.getloadavg()[0]:.1f}"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
