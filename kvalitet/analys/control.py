"""What is unusual: control charts for monthly counts that do not cry wolf (docs/analys.md).

Pure functions over plain numbers (no database), so the statistics can be tested on
simulated data.

For each series (a unit's avvikelser per month, a category's count across units) each month
under test is compared with the months before it (the baseline, default 12 months). Under
"nothing has changed" the counts are Poisson with one rate, so, given the total T of the month
and its baseline, the month's count is Binomial(T, p) with p = the month's share of the
exposure (1/(k+1) for k baseline months of equal exposure; staff numbers or ärende volumes
change the shares: that is the u-chart, rates per exposure). This is the exact conditional
test for two Poisson rates: it allows for the baseline itself being an estimate, where a plain
Shewhart limit from the estimated mean would flag too often.

- "Ovanligt många": P(X >= count) < alpha_test.
- "Tyst" (a unit that falls silent, the under-reporting flag made statistical): the last
  `silent_months` months together, P(X <= count) < alpha_test.

Family-wise false alarms are held with Bonferroni: alpha_test = alpha / (months tested x 2
tests), so the chance that a series with no change gets ANY flag over the months tested is at
most `alpha` (the sensitivity setting, default 0.01). A small count can never reach that
significance, so small numbers get no flag without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy.stats import binom, poisson

SENSITIVITY = {"lag": 0.001, "normal": 0.01, "hog": 0.05}
SENSITIVITY_LABELS = {"lag": "Låg (färre flaggor)", "normal": "Normal", "hog": "Hög (fler flaggor)"}
BASELINE_MONTHS = 12
MIN_BASELINE_MONTHS = 6
SILENT_MONTHS = 2


@dataclass
class Signal:
    index: int  # the month's index in the series
    direction: str  # "hog" (unusually many) or "tyst" (unusually few / silent)
    count: int
    expected: float  # the baseline rate scaled to the month's exposure
    low: int  # the usual range (80 % of months with the baseline rate fall inside)
    high: int
    p_value: float
    alpha_test: float
    months: int = 1  # months the count covers (the silent flag looks at several)
    extra: dict[str, object] = field(default_factory=dict)


def usual_range(rate: float) -> tuple[int, int]:
    """The range 80 % of months fall in at Poisson rate `rate` ("normalt 2–5")."""
    if rate <= 0:
        return 0, 0
    return int(poisson.ppf(0.10, rate)), int(poisson.ppf(0.90, rate))


def bonferroni_alpha(alpha: float, months_tested: int) -> float:
    """Bonferroni: each of the 2 tests per month tested gets alpha / (2 x months)."""
    return alpha / (2 * max(1, months_tested))


def scan(
    counts: Sequence[int],
    test_from: int,
    *,
    exposure: Sequence[float] | None = None,
    alpha: float = SENSITIVITY["normal"],
    baseline_months: int = BASELINE_MONTHS,
    silent_months: int = SILENT_MONTHS,
) -> list[Signal]:
    """The special-cause signals of `counts` (one per month, oldest first) in the months from
    index `test_from` to the end. Each month is compared with the `baseline_months` before it
    (at least MIN_BASELINE_MONTHS, else it is not tested)."""
    n = len(counts)
    weights = list(exposure) if exposure is not None else [1.0] * n
    tested = [i for i in range(max(test_from, 0), n) if i >= MIN_BASELINE_MONTHS]
    if not tested:
        return []
    alpha_t = bonferroni_alpha(alpha, len(tested))
    found: list[Signal] = []
    for i in tested:
        lo = max(0, i - baseline_months)
        base = range(lo, i)
        base_count = sum(counts[j] for j in base)
        base_exp = sum(weights[j] for j in base)
        if base_exp <= 0 or weights[i] <= 0:
            continue
        rate = base_count / base_exp
        # Unusually many in month i.
        total = base_count + counts[i]
        share = weights[i] / (base_exp + weights[i])
        if total > 0 and counts[i] > rate * weights[i]:
            p_high = float(binom.sf(counts[i] - 1, total, share))
            if p_high < alpha_t:
                low, high = usual_range(rate * weights[i])
                found.append(Signal(i, "hog", counts[i], rate * weights[i], low, high,
                                    p_high, alpha_t))  # fmt: skip
                continue
        # Silent: the last `silent_months` months up to i, against the baseline before them.
        start = i - silent_months + 1
        if start < MIN_BASELINE_MONTHS or silent_months < 1:
            continue
        window = range(start, i + 1)
        base = range(max(0, start - baseline_months), start)
        base_count = sum(counts[j] for j in base)
        base_exp = sum(weights[j] for j in base)
        win_count = sum(counts[j] for j in window)
        win_exp = sum(weights[j] for j in window)
        if base_exp <= 0 or win_exp <= 0:
            continue
        rate = base_count / base_exp
        total = base_count + win_count
        share = win_exp / (base_exp + win_exp)
        if total > 0 and win_count < rate * win_exp:
            p_low = float(binom.cdf(win_count, total, share))
            if p_low < alpha_t:
                low, high = usual_range(rate * weights[i])
                found.append(Signal(i, "tyst", win_count, rate * win_exp, low, high, p_low,
                                    alpha_t, months=silent_months))  # fmt: skip
    return found
