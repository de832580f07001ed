"""Peers: the same M/M/1 queue written in plain SimPy and in Ciw, to time flexsim against.

Each function simulates a single-server FIFO queue with Poisson arrivals (rate `lam`) and
exponential service (rate `mu`) from an empty system at time 0 until `horizon`, and returns the
mean wait in queue of the customers it counts, with their number, so a benchmark
can check that it timed a working M/M/1 (Wq = ρ/(μ−λ)) and not a broken or shortened one.
Times are in whatever unit the rates use; the benchmarks use days (λ = 1, μ = 1.25).
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any, NamedTuple

import ciw
import simpy


class MM1Result(NamedTuple):
    mean_wait: float  # mean wait in queue, in the rates' time unit
    customers: int  # customers whose wait is in the mean


def simpy_mm1(lam: float, mu: float, horizon: float, seed: int) -> MM1Result:
    """M/M/1 as a competent SimPy user writes it for speed: a Resource, a source process, one
    process per customer, the standard library's `random` (a scalar draw from it costs a
    fraction of one from a numpy Generator), one stream for interarrivals and one for services,
    and each customer's (arrived, started, left) times kept as a tuple."""
    arrivals, services = random.Random(seed), random.Random(seed + 1)
    interarrival, service = arrivals.expovariate, services.expovariate
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    records: list[tuple[float, float, float]] = []

    def customer() -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        with server.request() as request:
            yield request
            started = env.now
            yield env.timeout(service(mu))
        records.append((arrived, started, env.now))

    def source() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(interarrival(lam))
            env.process(customer())

    env.process(source())
    env.run(until=horizon)
    # the customers who finished service by the horizon, as in Ciw's records below
    waits = [started - arrived for arrived, started, _ in records]
    return MM1Result(sum(waits) / len(waits), len(waits))


def ciw_mm1(lam: float, mu: float, horizon: float, seed: int) -> MM1Result:
    """M/M/1 as Ciw's documentation builds it: one node, one server, records collected at the
    end (Ciw records customers who completed service)."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[1],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon)
    waits = [r.waiting_time for r in simulation.get_all_records() if r.record_type == "service"]
    return MM1Result(sum(waits) / len(waits), len(waits))
