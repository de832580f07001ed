"""Schedule: call a function after a delay with one SimPy timeout, no process.

Money and goods in flight (a payment due in 90 days, a parcel in transit) need no process of
their own: a timeout with a callback is the cheapest event SimPy has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy


def after(env: simpy.Environment, delay_h: float, action: Callable[[], Any]) -> None:
    """Run `action()` when `delay_h` hours have passed; a delay of 0 runs it now, inline,
    because an event that changes nothing about time would only cost a heap push and pop."""
    if delay_h <= 0:
        action()
        return
    event = env.timeout(delay_h)
    event.callbacks.append(lambda _event: action())
