"""Timing: the fastest of interleaved rounds, the measure a ratio between contenders rests on.

Each round calls every contender once, back to back, starting one contender further along each
round, so that a slow spell of a shared machine falls on all of them rather than on one
contender's rounds or always on the same neighbour; the fastest round of each is the measure
least affected by other load.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping


def fastest(
    contenders: Mapping[str, Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Each contender's fastest time in seconds over `rounds` interleaved rounds, by `clock`:
    wall time, or `time.process_time` for this process's CPU time alone."""
    names = list(contenders)
    best = dict.fromkeys(names, math.inf)
    for turn in range(rounds):
        start = turn % len(names)
        for name in names[start:] + names[:start]:
            started = clock()
            contenders[name]()
            best[name] = min(best[name], clock() - started)
    return best
