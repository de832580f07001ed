"""How a command ends: its exit codes, the usage errors that end it with exit code 2, and
SIGINT and SIGTERM turned into `Interrupted`."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

FAILED = 1  # some runs of an experiment raised, or a law of the audit does not hold
BAD_INPUT = 2


class UsageError(Exception):
    """Bad input other than the scenario itself (an output folder, a seed)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM asked flexsim to stop. A KeyboardInterrupt, so that whatever cleans up
    after Ctrl-C (an output folder keeping its partial results) does so after SIGTERM too.

    Its one argument is the signal number: SimPy rebuilds an exception raised inside a model
    process from its arguments (`type(error)(*error.args)`), and a signal arrives anywhere."""

    def __init__(self, signum: int) -> None:
        self.signal = signal.Signals(signum)
        super().__init__(int(signum))

    def __str__(self) -> str:
        return self.signal.name


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Make SIGINT and SIGTERM raise Interrupted while the block runs, unless they are ignored
    (as SIGINT is in a background job) or this is not the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = {
        signum: signal.signal(signum, _interrupt)
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler)
    }
    try:
        yield
    finally:
        for signum, handler in taken.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _notes(error: BaseException) -> str:
    """The notes added to an error (where its partial results are), to end its line."""
    return "".join(f"; {note}" for note in getattr(error, "__notes__", []))
