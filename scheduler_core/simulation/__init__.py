"""The factory simulator (``paichan simulate``) and the live shop-floor driver.

Simulation: :func:`make_scenario` draws what happens (arrivals, rush requests, breakdowns,
processing-time noise) from per-source seeded streams, so every policy sees the same world;
:func:`simulate_policy` runs one policy through it against a store behind the unit-of-work
port, driving the product's own use cases and planner on a simulated clock;
:func:`summarize` turns a run into delivery and customer measures (:class:`CustomerModel`).

Live driving (for ``paichan demo``): :class:`ShopFloorDriver` plays the shop floor and the
customers against real services with any clock::

    driver = ShopFloorDriver(services, random.Random(7))
    lines = await driver.step(now)      # call repeatedly with an advancing time

Each ``step(now)`` reports progress (报工) on the work the current plan has running, now and
then breaks down or repairs a machine, and now and then adds a new order or a rush request
(插单), each through the use cases (which re-plan); it returns one line per thing it did.
"""

from __future__ import annotations

from .customer import CustomerModel
from .driver import DriverSettings, FloorEvent, ShopFloorDriver
from .engine import (
    POLICIES,
    OrderOutcome,
    Policy,
    RunResult,
    SimClock,
    SimSettings,
    seed_storage,
    simulate_policy,
)
from .metrics import summarize, weekly_delay_rate
from .scenario import Arrival, Breakdown, Scenario, ScenarioSpec, make_scenario

__all__ = [
    "POLICIES",
    "Arrival",
    "Breakdown",
    "CustomerModel",
    "DriverSettings",
    "FloorEvent",
    "OrderOutcome",
    "Policy",
    "RunResult",
    "Scenario",
    "ScenarioSpec",
    "ShopFloorDriver",
    "SimClock",
    "SimSettings",
    "make_scenario",
    "seed_storage",
    "simulate_policy",
    "summarize",
    "weekly_delay_rate",
]
