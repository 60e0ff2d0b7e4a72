"""Demand control: every operation's cost estimated before any fetch, refused over the budget.

The weights come from the supergraph's `@cost` and `@listSize` (gateway/supergraph/cost.py);
the rules are in `estimate`. `DemandControl.check` is the one hook the engine calls, after the
variables are coerced and before the plan runs; `measure` gives development mode the figures
for `extensions.cost`. See docs/limits.md for the settings and how the default was chosen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.config import ConfigError, GatewayConfig
from gateway.demand.estimate import CostError, CostEstimator
from gateway.errors import RequestError, error
from gateway.operation import Operation
from gateway.supergraph import Supergraph

__all__ = [
    "COST_ESTIMATED_TOO_EXPENSIVE",
    "COST_QUERY_PARSE_FAILURE",
    "CostCache",
    "CostError",
    "CostEstimator",
    "DemandControl",
    "Estimate",
]

# Apollo Router's codes: over the budget; not costable (a missing slicing argument).
COST_ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
COST_QUERY_PARSE_FAILURE = "COST_QUERY_PARSE_FAILURE"
MODES = ("enforce", "measure")
_ESTIMATES_PER_OPERATION = 64


class CostCache:
    """One prepared operation's estimates: the variables they depend on and, by the SHA-256 of
    those variables' values, at most `_ESTIMATES_PER_OPERATION` of them. It lives on the prepared
    operation, so the plan cache (bounded in bytes) decides how long it is kept."""

    __slots__ = ("estimates", "relevant")

    def __init__(self) -> None:
        self.relevant: frozenset[str] | None = None
        self.estimates: dict[bytes, float] = {}


@dataclass(frozen=True)
class Estimate:
    """One request's estimate and the budget it was held to."""

    estimated: float
    max: float


class DemandControl:
    """The budget (`max_cost`, `cost_mode`) and the estimator over one supergraph."""

    def __init__(self, supergraph: Supergraph, config: GatewayConfig) -> None:
        if config.cost_mode not in MODES:
            raise ConfigError(f"cost_mode must be one of {', '.join(MODES)}: {config.cost_mode!r}")
        if config.max_cost < 0 or config.cost_list_size < 0:
            raise ConfigError("max_cost and cost_list_size must not be negative")
        self.max = float(config.max_cost)
        self.enforce = config.cost_mode == "enforce"
        self.estimator = CostEstimator(
            supergraph.api_schema, supergraph.costs, config.cost_list_size
        )

    def check(
        self,
        operation: Operation,
        variables: Mapping[str, Any],
        cache: CostCache | None = None,
    ) -> Estimate | None:
        """The operation's estimate; RequestError when it may not run (enforce mode only).
        `cache`: the prepared operation's own (see CostCache); None estimates afresh.

        None in measure mode when the operation cannot be costed."""
        try:
            estimated = self._estimate(operation, variables, cache)
        except CostError as failure:
            if not self.enforce:
                return None
            raise RequestError(
                [error(str(failure), COST_QUERY_PARSE_FAILURE)], COST_QUERY_PARSE_FAILURE
            ) from None
        if self.enforce and estimated > self.max:
            raise RequestError(
                [
                    error(
                        f"query estimated cost {_number(estimated)} exceeded configured "
                        f"maximum {_number(self.max)}",
                        COST_ESTIMATED_TOO_EXPENSIVE,
                        **{"cost.estimated": estimated, "cost.max": self.max},
                    )
                ],
                COST_ESTIMATED_TOO_EXPENSIVE,
            )
        return Estimate(estimated, self.max)

    def _estimate(
        self, operation: Operation, variables: Mapping[str, Any], cache: CostCache | None
    ) -> float:
        """The estimate, from `cache` when it holds one for the values of the variables it
        depends on."""
        if cache is None:
            return self.estimator.estimate(operation, variables)
        if cache.relevant is None:
            cache.relevant = self.estimator.relevant_variables(operation)
        # The values' digest, not the values: a key never holds what a client sent (a name, a
        # NIK in an input object), and never grows with it.
        key = hashlib.sha256(
            orjson.dumps({n: variables[n] for n in sorted(cache.relevant) if n in variables})
        ).digest()
        estimated = cache.estimates.get(key)
        if estimated is None:
            estimated = self.estimator.estimate(operation, variables)
            if len(cache.estimates) < _ESTIMATES_PER_OPERATION:
                cache.estimates[key] = estimated
        return estimated

    def report(
        self,
        estimate: Estimate | None,
        operation: Operation,
        variables: Mapping[str, Any],
        data: Mapping[str, Any] | None,
    ) -> dict[str, float | None]:
        """`extensions.cost` for development mode: estimated, actual and the budget."""
        return {
            "estimated": estimate.estimated if estimate is not None else None,
            "actual": self.estimator.actual(operation, variables, data),
            "max": self.max,
        }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
