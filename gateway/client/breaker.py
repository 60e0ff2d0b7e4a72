"""A circuit breaker per subgraph: after repeated failures the gateway stops sending to that
subgraph for a while and answers at once, then lets one probe through to see if it is back.

States: "closed" (requests go out; `failures` failures in a row open it), "open" (nothing goes
out until `cooldown` seconds have passed), "half_open" (one probe goes out; its success closes
the breaker, its failure opens it again for another cooldown). A failure is what says the
subgraph itself is unwell — a connection error, a timeout, an HTTP 5xx — never a GraphQL error
in a 200 answer. Transitions are logged; `state` is read by health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger("satu_anak.gateway.breaker")

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        failures: int = 5,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, State], None] | None = None,
    ) -> None:
        self.service = service
        # Told each new state (the metrics gauge): "half_open" when a probe is let through.
        self._on_change = on_change
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self._clock = clock
        self._state: State = "closed"
        self._failures = 0  # in a row, while closed
        self._opened_at = 0.0
        self._probing = False  # a half-open probe is out
        self.opened = 0  # how many times it opened (for metrics)
        self.rejected = 0  # requests answered at once while open (for metrics)

    @property
    def state(self) -> State:
        """The state now: an open breaker whose cooldown has passed reads "half_open"."""
        if self._state == "open" and self._clock() - self._opened_at >= self.cooldown:
            return "half_open"
        return self._state

    def allow(self) -> bool:
        """Whether a request may go out now; False: answer it at once as unavailable. In
        half-open state only one request (the probe) is let through at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            if self._state != "half_open":
                self._move("half_open")
            self._probing = True
            return True
        self.rejected += 1
        return False

    def success(self) -> None:
        self._failures = 0
        self._probing = False
        if self._state != "closed":
            self._move("closed")

    def failure(self) -> None:
        self._probing = False
        if self._state == "closed":
            self._failures += 1
            if self._failures < self.threshold:
                return
        self._failures = 0
        self._opened_at = self._clock()
        self.opened += 1
        self._move("open")

    def release(self) -> None:
        """The request let through ended with neither success nor failure (cancelled, or an
        answer that says nothing of the subgraph's health): a probe may go out again."""
        self._probing = False

    def _move(self, state: State) -> None:
        if state != self._state:
            log.warning(
                "circuit breaker of subgraph %s: %s -> %s",
                self.service,
                self._state,
                state,
                extra={"subgraph": self.service, "breaker_from": self._state, "breaker_to": state},
            )
        self._state = state
        if self._on_change is not None:
            self._on_change(self.service, state)
