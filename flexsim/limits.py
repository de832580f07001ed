"""Limits: every bound that input files, scenario values and the engine are held to, in one
place, so that the schema, the readers, the run and docs/scenario.md cite the same numbers.

Each limit either keeps the clock moving (a run always reaches its horizon), keeps memory and
time bounded before any work is done, or keeps every draw, product and date representable; the
sizes still admit a cluster of 10,000 sellers and 50 factories with room to spare.
"""

from __future__ import annotations

# ── input files (scenario and experiment files, --set values) ─────────────────────────────────
MAX_FILE_BYTES = 10 * 2**20  # 10 MiB: a scenario of 10,000 sellers is a few kB
MAX_NESTING = 32  # tables and arrays inside each other; a scenario needs about 8
MAX_PROBLEMS = 5  # validation problems an error message lists ("and N more" after them)
MAX_PROBLEM_CHARS = 1_000  # characters of one listed problem
MAX_QUOTED_CHARS = 60  # characters of a user's key or name quoted back in a message
MAX_NAME_CHARS = 100  # characters of a name (factory, line, customer, calendar, family)

# ── sizes expanded when the model is built, or an experiment planned ──────────────────────────
MAX_BUYERS = 100_000  # customers (after `count`) and sellers together
MAX_FACTORY_COPIES = 1_000  # factories (after `count`)
MAX_LINE_COPIES = 100  # copies of one line (its `count`)
MAX_CUSTOMER_ITEMS = 1_000_000  # items named for order-stream customers: count × families × styles
MAX_POINTS = 10_000  # design points of one experiment: a grid larger than this is a typo
MAX_REPLICATIONS = 100_000  # of one design point
MAX_RUNS = 1_000_000  # of one experiment: design points × replications (at most)
MAX_JOBS_PER_CORE = 4  # local worker processes (--jobs) per core
MAX_SHAPLEY_MEMBERS = 12  # an alliance sharing by the Shapley value: 2^12 coalitions a review

# ── values ────────────────────────────────────────────────────────────────────────────────────
MAX_NUMBER = 1e12  # any plain number or distribution parameter (money, quantities, weights, …)
MIN_POSITIVE = 1e-12  # any number that must be above 0: its reciprocal and square stay finite
MAX_HORIZON_DAYS = 100_000.0  # the longest run (about 274 years); no duration is longer
MIN_CV, MAX_CV = 1e-6, 100.0  # gamma and lognormal: shape 1/cv² stays within [1e-4, 1e12]
MAX_ERLANG_K = 10_000
MAX_RATE_PER_YEAR = 1.0  # interest and discount rates (100 % a year): interest compounded
# daily over the longest horizon then stays finite (at 10, money passed 1e308 in 274 years)
MAX_FACTOR = 100.0  # a season's launch or demand factor
MIN_CONVERSION = 1e-6  # a funnel's conversion: clicks per buyer stay at most a million
MAX_DAILY_CLICKS = MAX_NUMBER  # the mean of one item's clicks of one kind in a day (model/shelf.py)
MAX_LIFE_YEARS = 100.0  # an investment's life, over which it is depreciated

# ── the clock: every repeating gap has a positive mean, so time advances ─────────────────────
MIN_GAP_H = 1 / 60  # one minute: the least mean gap between one customer's orders, and the
# least mean processing time between a line's failures
MIN_INTEREST_DAYS = 1.0  # interest is settled at most daily
MAX_LAUNCHES_PER_WEEK = 10_000.0  # one seller's launches (about one a minute)
MAX_REMAKES = 100  # remakes of one proof sample
MAX_BOOKING_DAYS = 366.0  # how far ahead a factory books (its capacity table grows with it)

# ── the engine's guard against a model that stops the clock ──────────────────────────────────
# It stops a run after more than N events at one simulated instant, or 2N within one simulated
# hour, where N = max(GUARD_MIN_EVENTS, GUARD_EVENTS_PER_BUYER × buyers): the largest bursts of
# a sound model (every seller starting at time 0, a day's escrow releases) are a few events per
# buyer, and a stalled one trips the guard in seconds, before memory runs short.
GUARD_MIN_EVENTS = 100_000
GUARD_EVENTS_PER_BUYER = 10
GUARD_EVERY = 10_000  # events between two looks at the clock
