"""Schedule: call a function after a delay with one SimPy timeout, no process.

Money and goods in flight (a payment due in 90 days, a parcel in transit) need no process of
their own: a timeout with a callback is the cheapest event SimPy has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy


def after(env: simpy.Environment, delay_h: float, action: Callable[[], Any]) -> None:
    """Run `action()` when `delay_h` hours have passed (at once for a delay of 0)."""
    event = env.timeout(max(delay_h, 0.0))
    event.callbacks.append(lambda _event: action())
