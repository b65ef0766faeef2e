"""Prometheus' numeric functions, on plain numbers, written once for the whole lab.

They follow Prometheus 2.x (the version the lab's CI runs promtool against):
``extrapolated_rate`` is its extrapolatedRate, ``bucket_quantile`` its
bucketQuantile, ``round_to`` its round(). The embedded PromQL engine and
``labapp.analysis`` both call these, so the two never disagree on an edge case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["bucket_quantile", "extrapolated_rate", "round_to"]


def extrapolated_rate(
    points: Sequence[tuple[float, float]], range_start: float, range_end: float, *, per_second: bool
) -> float | None:
    """increase() (or rate(), ``per_second``) of a counter sampled at ``points`` inside [start, end].

    None with fewer than two samples, as Prometheus returns no series then.
    """
    if len(points) < 2:
        return None
    first_value = points[0][1]
    result = points[-1][1] - first_value
    previous = first_value
    for _, value in points[1:]:
        if value < previous:  # a counter reset: the counter restarted from zero
            result += previous
        previous = value
    duration_to_start = points[0][0] - range_start
    duration_to_end = range_end - points[-1][0]
    sampled = points[-1][0] - points[0][0]
    average_step = sampled / (len(points) - 1)
    if result > 0 and first_value >= 0:
        # A counter is never below zero: do not extrapolate to before it was zero.
        # Prometheus 2.x applies this before the threshold test below.
        duration_to_start = min(duration_to_start, sampled * (first_value / result))
    threshold = average_step * 1.1
    extrapolate_to = sampled
    extrapolate_to += duration_to_start if duration_to_start < threshold else average_step / 2
    extrapolate_to += duration_to_end if duration_to_end < threshold else average_step / 2
    result *= extrapolate_to / sampled
    return result / (range_end - range_start) if per_second else result


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """histogram_quantile(q, ...) on one histogram: cumulative (upper bound, count) pairs.

    Linear interpolation inside the bucket that holds the rank; the lowest
    bucket starts at 0; a rank in the +Inf bucket answers the highest finite
    bound; counts that dip (rates of counters wobble) are made monotonic.
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets)
    if not ordered or not math.isinf(ordered[-1][0]):
        return math.nan
    merged: list[list[float]] = []
    for upper, count in ordered:  # series with the same bound (say "1" and "1.0") add up
        if merged and merged[-1][0] == upper:
            merged[-1][1] += count
        else:
            merged.append([upper, count])
    highest = -math.inf
    for bucket in merged:
        highest = max(highest, bucket[1])
        bucket[1] = highest
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0 or math.isnan(observations):
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    if count == 0:  # an empty bucket at q = 0: 0/0 in Go, NaN
        return math.nan
    return start + (end - start) * (rank / count)


def round_to(value: float, to_nearest: float = 1.0) -> float:
    """round(v, to_nearest): Prometheus' floor(v / to_nearest + 0.5) * to_nearest, computed as Go does."""
    if to_nearest == 0:
        return math.nan
    inverse = 1.0 / to_nearest
    if math.isnan(value) or math.isinf(value):
        return value
    return math.floor(value * inverse + 0.5) / inverse
