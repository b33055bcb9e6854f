"""Three-point estimates (PERT) per work package, their sum, and a Monte Carlo alternative.

Per package: E = (O + 4M + P) / 6 and σ = (P − O) / 6. Packages are taken as independent, so
the total's σ is sqrt(Σσ²) (dependent packages would make it wider). P50 and P80 of the total
come from the normal approximation (P80 = E + 0.8416 σ). The Monte Carlo alternative draws each
package from a triangular or a beta-PERT distribution and reads the percentiles off the sums; its
seed is fixed so that a report can be reproduced.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Z_80 = 0.8416  # standard normal quantile of 0.80
DEFAULT_DRAWS = 20_000
DEFAULT_SEED = 20_260_101
DISTRIBUTIONS = {"beta_pert": "bêta-PERT", "triangular": "triangulaire"}


@dataclass(frozen=True)
class Package:
    name: str
    optimistic: float
    most_likely: float
    pessimistic: float

    @property
    def mean(self) -> float:
        return (self.optimistic + 4 * self.most_likely + self.pessimistic) / 6

    @property
    def sigma(self) -> float:
        return (self.pessimistic - self.optimistic) / 6


@dataclass(frozen=True)
class PertTotal:
    mean: float
    sigma: float
    p50: float
    p80: float

    def percentile_of(self, value: float) -> float:
        """Where a value sits in the normal approximation of the total, in %."""
        if self.sigma == 0:
            return 100.0 if value >= self.mean else 0.0
        return 100 * NormalDist(self.mean, self.sigma).cdf(value)


def pert_total(packages: Sequence[Package]) -> PertTotal:
    mean = sum(package.mean for package in packages)
    sigma = math.sqrt(sum(package.sigma**2 for package in packages))
    return PertTotal(mean=mean, sigma=sigma, p50=mean, p80=mean + Z_80 * sigma)


def monte_carlo_totals(
    packages: Sequence[Package],
    *,
    distribution: str = "beta_pert",
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    totals = np.zeros(draws)
    for package in packages:
        low, mode, high = package.optimistic, package.most_likely, package.pessimistic
        if high == low:
            totals += low
        elif distribution == "triangular":
            totals += rng.triangular(low, mode, high, draws)
        else:
            # Beta-PERT: shape parameters giving the PERT mean (O + 4M + P) / 6.
            alpha = 1 + 4 * (mode - low) / (high - low)
            beta = 1 + 4 * (high - mode) / (high - low)
            totals += low + (high - low) * rng.beta(alpha, beta, draws)
    return totals
