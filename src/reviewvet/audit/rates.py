"""Rates with their counts and 95 % Wilson score intervals, for the audit report and its charts.
A rate over nothing (n = 0) is no rate: None, never 0."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Z = 1.96  # the standard normal quantile of a two-sided 95 % interval


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials; None when n is 0."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"a count of {k!r} out of {n!r}")
    z2 = z * z
    centre = k + z2 / 2
    spread = z * math.sqrt(k * (n - k) / n + z2 / 4)
    return max(0.0, (centre - spread) / (n + z2)), min(1.0, (centre + spread) / (n + z2))


@dataclass(frozen=True)
class Rate:
    """k of n, with its 95 % Wilson score interval. Over nothing (n = 0) there is no rate."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.k, self.n)

    def __str__(self) -> str:
        if self.rate is None or self.interval is None:
            return f"— ({self.k}/{self.n})"
        low, high = self.interval
        return f"{100 * self.rate:.1f}% ({self.k}/{self.n}, 95% CI {100 * low:.1f}–{100 * high:.1f}%)"

    def data(self) -> dict[str, Any]:
        low, high = self.interval or (None, None)
        return {"k": self.k, "n": self.n, "rate": self.rate, "ci_low": low, "ci_high": high}
