"""Retry policies: how many times a failed step is retried and how long it waits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from ..errors import DagsterInvalidDefinitionError


class Backoff(Enum):
    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class Jitter(Enum):
    FULL = "FULL"
    PLUS_MINUS = "PLUS_MINUS"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a failing step up to ``max_retries`` times, waiting ``delay`` seconds between
    attempts, growing linearly or exponentially with ``backoff`` and randomised by ``jitter``."""

    max_retries: int = 1
    delay: float | None = None
    backoff: Backoff | None = None
    jitter: Jitter | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise DagsterInvalidDefinitionError("RetryPolicy max_retries must be >= 0.")
        if (self.backoff or self.jitter) and not self.delay:
            raise DagsterInvalidDefinitionError(
                "RetryPolicy: backoff and jitter need a delay to act on; set delay=..."
            )

    def calculate_delay(self, attempt_num: int) -> float:
        """Seconds to wait before retry number ``attempt_num`` (1 for the first retry)."""
        if not self.delay:
            return 0.0
        if self.backoff is Backoff.EXPONENTIAL:
            delay = self.delay * ((2 ** attempt_num) - 1)  # 1, 3, 7, ... delays, as Dagster
        elif self.backoff is Backoff.LINEAR:
            delay = self.delay * attempt_num
        else:
            delay = self.delay
        if self.jitter is Jitter.FULL:
            delay = random.random() * delay
        elif self.jitter is Jitter.PLUS_MINUS:
            delay = max(0.0, delay + random.uniform(-self.delay, self.delay))
        return delay
