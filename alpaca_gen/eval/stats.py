"""The numbers of a pairwise comparison: win rate with a bootstrap interval, a sign test, kappa.

Win rate counts a tie as half a win (AlpacaEval's and FastChat's adjusted rate). The
95% interval resamples items with replacement (10,000 times, seeded, so the same
judgments always print the same interval). The sign test is exact and two-sided over
the decided items (ties left out), as for Alpaca's 90 : 89. Cohen's kappa compares
two raters on the items both judged, over the outcomes a / b / tie.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

BOOTSTRAP = 10_000


def win_rate(outcomes: list[str]) -> float | None:
    """Share of wins for A, a tie counting half: None with no outcome."""
    if not outcomes:
        return None
    c = Counter(outcomes)
    return (c["a"] + 0.5 * c["tie"]) / len(outcomes)


def bootstrap_interval(outcomes: list[str], *, seed: int = 0, resamples: int = BOOTSTRAP,
                       level: float = 0.95) -> tuple[float, float] | None:
    if not outcomes:
        return None
    scores = np.array([1.0 if o == "a" else 0.5 if o == "tie" else 0.0 for o in outcomes])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(scores), size=(resamples, len(scores)))
    means = scores[picks].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial p-value of ``wins`` against ``losses`` at p = 0.5 (1.0 with none)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Agreement of two raters beyond chance over paired labels; None with fewer than 2 items
    or when chance agreement is already total (both always say the same one thing)."""
    if len(first) != len(second):
        raise ValueError("kappa needs the same items from both raters")
    n = len(first)
    if n < 2:
        return None
    observed = sum(a == b for a, b in zip(first, second)) / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[label] * cb[label] for label in set(ca) | set(cb)) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)
