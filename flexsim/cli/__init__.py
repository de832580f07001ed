"""Command line: `flexsim run | compare | experiment | report | audit | orderbook | check | show
| scenarios | schema`; the only package that prints.

Bad input (a scenario file, a --set, an output folder) ends with one paragraph on stderr and
exit code 2, never a traceback. SIGINT and SIGTERM end any command with one line on stderr and
exit code 130 or 143 (128 + the signal's number), also without a traceback.

One module per command family: `run`, `experiment` (compare and experiment), `folders` (report,
audit, orderbook), `scenarios` (check, show, scenarios, schema); `options` holds the options they
share, `exits` the exit codes, usage errors and signals, `parser` the parser; `main` is here.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from flexsim import audit, report
from flexsim.cli.exits import BAD_INPUT, FAILED, Interrupted, UsageError, _notes, _signals_raise
from flexsim.cli.parser import _parser
from flexsim.cli.run import render
from flexsim.scenario import ScenarioError

__all__ = ["BAD_INPUT", "FAILED", "Interrupted", "UsageError", "main", "render"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    with _signals_raise():
        try:
            return int(args.command(args))
        except (ScenarioError, UsageError, report.ReportError, audit.AuditError) as error:
            print(f"flexsim: error: {error}{_notes(error)}", file=sys.stderr)
            return BAD_INPUT
        except BrokenPipeError:  # the reader (say `| head`) closed the pipe: nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except KeyboardInterrupt as stop:
            stopped = stop.signal if isinstance(stop, Interrupted) else signal.SIGINT
            print(f"flexsim: interrupted ({stopped.name}){_notes(stop)}", file=sys.stderr)
            return 128 + stopped
