"""From records and registries to numbers: windows, rates, percentiles, buckets."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
from prometheus_client import CollectorRegistry

from .arguments import number
from .load import LoadResult
from .observe.promql.functions import bucket_quantile

__all__ = [
    "arrival_rate",
    "bucket_counts",
    "burn_rate",
    "compare_runs",
    "error_mask",
    "latency_percentiles",
    "poll",
    "quantile_from_buckets",
    "series_count",
    "windowed_rates",
]


def _frame(result: LoadResult | pd.DataFrame) -> pd.DataFrame:
    if isinstance(result, LoadResult):
        return result.to_frame()
    if isinstance(result, pd.DataFrame) and {"t", "latency_s", "status"} <= set(result.columns):
        return result
    raise TypeError("expected a LoadResult (what lab.load returns) or its .to_frame()")


def error_mask(frame: pd.DataFrame) -> pd.Series:
    """Which requests count as errors: 5xx, and no answer at all (status 0).

    4xx are the client's mistakes (404, 422) or the shop protecting itself
    (429): notebook 04 makes this choice explicit.
    """
    return (frame["status"] >= 500) | (frame["status"] == 0)


def windowed_rates(result: LoadResult | pd.DataFrame, window_s: float = 1.0) -> pd.DataFrame:
    """Per window: requests/s, errors/s and error % (by scheduled send time)."""
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    frame = _frame(result)
    window = (frame["t"] // window_s) * window_s
    grouped = frame.assign(window=window, error=error_mask(frame)).groupby("window")
    out = pd.DataFrame({"requests": grouped.size(), "errors": grouped["error"].sum()})
    out["rate"] = out["requests"] / window_s
    out["error_rate"] = out["errors"] / window_s
    out["error_pct"] = 100 * out["errors"] / out["requests"]
    return out.reset_index().rename(columns={"window": "t"})


def latency_percentiles(
    result: LoadResult | pd.DataFrame, window_s: float = 1.0, percentiles: Sequence[float] = (50, 95, 99)
) -> pd.DataFrame:
    """Latency percentiles in milliseconds per window; columns p50, p95, ..."""
    if any(not 0 < p < 100 for p in percentiles):
        raise ValueError(f"percentiles are numbers between 0 and 100, got {list(percentiles)}")
    frame = _frame(result)
    window = (frame["t"] // window_s) * window_s
    grouped = frame.assign(window=window).groupby("window")["latency_s"]
    out = pd.DataFrame({f"p{p:g}": grouped.quantile(p / 100) * 1000 for p in percentiles})
    return out.reset_index().rename(columns={"window": "t"})


def compare_runs(runs: Mapping[str, LoadResult], slow_s: float = 0.5) -> pd.DataFrame:
    """Load runs side by side, one row each: requests, achieved rate, latency percentiles (ms)
    and the share of requests slower than ``slow_s``.

    Latency is each run's own: from the scheduled send for ``lab.load`` (open loop),
    from the send for ``lab.load_closed``, where the two are the same moment.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError("runs maps a name to a LoadResult, e.g. {'open loop': lab.load(...)}")
    for name, run in runs.items():
        if not isinstance(run, LoadResult):
            raise TypeError(f"runs[{name!r}] is a {type(run).__name__}; expected a LoadResult (what lab.load returns)")
    number("slow_s", slow_s, above=0, unit="seconds")
    rows = {}
    for name, run in runs.items():
        summary = run.summary()
        latency = run.to_frame()["latency_s"]
        rows[name] = {
            "mode": run.mode,
            "requests": summary["requests"],
            "req/s": summary.get("achieved_rate", 0.0),
            **{key: summary.get(key, math.nan) for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
            f"slower than {slow_s:g} s": f"{(latency > slow_s).mean():.0%}" if len(latency) else "-",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def bucket_counts(registry: CollectorRegistry, metric: str, **labels: str) -> list[tuple[float, float]]:
    """Cumulative (upper bound, count) pairs of a histogram, summed over series matching ``labels``."""
    totals: dict[float, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name != f"{metric}_bucket":
                continue
            if any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            le = float(sample.labels["le"])
            totals[le] = totals.get(le, 0.0) + sample.value
    if not totals:
        raise ValueError(f"no histogram {metric!r} with labels {labels} in that registry")
    return sorted(totals.items())


def series_count(registry: CollectorRegistry) -> int:
    """Number of samples on the /metrics page: each is a series Prometheus must store."""
    return sum(len(family.samples) for family in registry.collect())


def quantile_from_buckets(buckets: Sequence[tuple[float, float]], q: float) -> float:
    """Prometheus' histogram_quantile on cumulative (upper bound, count) buckets: linear inside the bucket.

    The same function the embedded PromQL engine runs, so both answer alike at every edge.
    """
    return bucket_quantile(q, buckets)


def poll(
    read: Callable[[], float], *, until: Callable[[], bool], every_s: float = 0.1, timeout_s: float = 120.0
) -> list[tuple[float, float]]:
    """Call ``read()`` every ``every_s`` seconds until ``until()`` is true; return (time, value) pairs.

    For watching a gauge while a background load runs. Stops at ``timeout_s`` at the latest.
    """
    if every_s <= 0 or timeout_s <= 0:
        raise ValueError("every_s and timeout_s must be positive seconds")
    samples: list[tuple[float, float]] = []
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        samples.append((time.time(), read()))
        time.sleep(every_s)
    return samples


def burn_rate(
    result: LoadResult | pd.DataFrame, slo: float, window_s: float = 5.0, step_s: float = 1.0
) -> pd.DataFrame:
    """Error-budget burn rate over a sliding window, and the budget left, from load records.

    burn rate = error ratio over the window / (1 - slo): 1 spends the budget
    exactly over the SLO period, 14.4 spends 2% of a 30-day budget in an hour.
    ``budget_left_pct`` treats the run itself as the SLO period: 100% at the
    start, 0% once errors reach (1 - slo) of all requests the run sent.
    """
    if not 0 < slo < 1:
        raise ValueError(f"slo is a fraction like 0.999, got {slo}")
    frame = _frame(result).sort_values("t")
    errors = error_mask(frame).to_numpy()
    t = frame["t"].to_numpy()
    allowed = (1 - slo) * len(frame)
    rows = []
    end = step_s
    while end <= t.max() + step_s:
        in_window = (t > end - window_s) & (t <= end)
        ratio = errors[in_window].mean() if in_window.any() else math.nan
        spent = errors[t <= end].sum()
        rows.append(
            {
                "t": end,
                "error_ratio": ratio,
                "burn_rate": ratio / (1 - slo),
                "budget_left_pct": 100 * (1 - spent / allowed),
            }
        )
        end += step_s
    return pd.DataFrame(rows)


def arrival_rate(
    times: Sequence[float], t0: float, duration_s: float, window_s: float = 0.5
) -> tuple[list[float], list[float]]:
    """Events per second in windows of ``window_s`` from ``t0``: (window starts in s since t0, rates).

    For the times requests reached a service (``lab.switches[name].arrivals``).
    """
    if window_s <= 0 or duration_s <= 0:
        raise ValueError(f"window_s and duration_s must be positive, got {window_s} and {duration_s}")
    windows = max(1, math.ceil(duration_s / window_s))
    counts = [0] * windows
    for t in times:
        index = math.floor((t - t0) / window_s)
        if 0 <= index < windows:
            counts[index] += 1
    return [i * window_s for i in range(windows)], [c / window_s for c in counts]
