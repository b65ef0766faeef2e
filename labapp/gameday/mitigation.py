"""Judging a fix: the customers' latency, errors and refusals before the fault, with it, and after the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["REFUSED", "MitigationReport", "fallbacks_served", "judge"]

# Answers that turn a customer away: blocked, rate-limited, or shed (a 503 anywhere but
# checkout; there a 503 is the breaker failing a purchase, an error).
REFUSED = (403, 429)


@dataclass(frozen=True)
class MitigationReport:
    """What a fix did, under the same traffic and the same fault.

    Latency is the customers' p95 (ms), errors their share of 5xx or no answer (%),
    refused their share of 403/429/503 (%); each before the fault, with the fault
    and no fix, and after the fix.
    """

    slo: str
    baseline: dict[str, float]
    unmitigated: dict[str, float]
    mitigated: dict[str, float]
    recovered: bool
    recovered_after_s: float | None
    collateral: list[str]
    explanation: str
    frame: pd.DataFrame

    def __str__(self) -> str:
        def row(name: str, m: dict[str, float]) -> str:
            return (
                f"  {name:<22} p95 {m['p95_ms']:7.1f} ms   errors {m['error_pct']:5.1f} %"
                f"   refused {m['refused_pct']:5.1f} %" + (f"   series {m['series']:.0f}" if "series" in m else "")
            )

        lines = [
            f"Mitigation: {'SLO recovered' if self.recovered else 'SLO NOT recovered'} ({self.slo})",
            row("before the fault", self.baseline),
            row("fault, no fix", self.unmitigated),
            row("fault, with your fix", self.mitigated),
            f"  {self.explanation}",
        ]
        if self.recovered_after_s is not None:
            lines.append(f"  back within the SLO {self.recovered_after_s:.1f} s after the fix")
        lines += [f"  collateral: {c}" for c in self.collateral] or ["  collateral: none measured"]
        return "\n".join(lines)

    __repr__ = __str__


def judge(
    slo: str,
    frame: pd.DataFrame,
    fixed_at: float,
    baseline_frame: pd.DataFrame,
    *,
    degraded: float = 0.0,
    series: tuple[float, float, float] | None = None,
) -> MitigationReport:
    """Did the fix bring the customers back within the SLO, and what else did it cost?

    ``frame`` is the replay's load records, ``baseline_frame`` the records from before
    the fault; ``series`` (samples per scrape before, during, after) for the ``series`` SLO.
    """
    baseline = _stats(baseline_frame)
    unmitigated = _stats(frame[frame["scheduled"].between(fixed_at - 3.5, fixed_at)])
    # Judged once the fix has settled: a third of the way through what is left (a queue drains first).
    settled = frame[frame["scheduled"] >= fixed_at + max(1.0, (frame["scheduled"].max() - fixed_at) / 3)]
    mitigated = _stats(settled)
    if slo == "series":
        before, during, after = series or (float("nan"),) * 3
        baseline["series"], unmitigated["series"], mitigated["series"] = before, during, after
        recovered = mitigated["series"] <= before * 1.2
        explanation = (
            f"the shop's samples per scrape: {before:.0f} before the fault, {mitigated['series']:.0f} after "
            f"the fix; the SLO here is {before * 1.2:.0f} (the baseline's + 20 %)"
        )
        recovered_after = None
    else:
        recovered, explanation = _within(slo, baseline, mitigated)
        if not recovered:
            recovered, explanation = _most_seconds_within(slo, baseline, settled, explanation)
        recovered_after = _recovered_after(frame, fixed_at, slo, baseline) if recovered else None
    collateral = []
    if slo != "served" and mitigated["refused_pct"] > baseline["refused_pct"] + 1:
        collateral.append(
            f"{mitigated['refused_pct']:.1f} % of the customers' requests refused (403/429/503), "
            f"against {baseline['refused_pct']:.1f} % before the fault"
        )
    if degraded > 0:
        collateral.append(f"{degraded:.0f} pages served without recommendations (degraded)")
    if slo != "latency" and not _within("latency", baseline, mitigated)[0]:
        collateral.append(
            f"the customers' p95 is {mitigated['p95_ms']:.0f} ms after the fix, "
            f"{baseline['p95_ms']:.0f} ms before the fault"
        )
    if mitigated["error_pct"] > baseline["error_pct"] + 1 and slo != "errors":
        collateral.append(
            f"errors at {mitigated['error_pct']:.1f} % after the fix, {baseline['error_pct']:.1f} % before the fault"
        )
    return MitigationReport(
        slo, baseline, unmitigated, mitigated, recovered, recovered_after, collateral, explanation, frame
    )


def _stats(frame: pd.DataFrame) -> dict[str, float]:
    if frame.empty:
        return {"requests": 0, "p95_ms": float("nan"), "error_pct": float("nan"), "refused_pct": float("nan")}
    status = frame["status"]
    refused = status.isin(REFUSED) | ((status == 503) & (frame["path"] != "/checkout"))
    return {
        "requests": float(len(frame)),
        "p95_ms": float(frame["latency_s"].quantile(0.95)) * 1000,
        "error_pct": 100 * float((((status >= 500) & ~refused) | (status == 0)).mean()),
        "refused_pct": 100 * float(refused.mean()),
    }


def _within(slo: str, baseline: dict[str, float], after: dict[str, float]) -> tuple[bool, str]:
    """Fair on a slow machine: judged against the baseline measured in the same run."""
    if slo == "latency":
        bound = max(baseline["p95_ms"] * 1.5, baseline["p95_ms"] + 50)
        ok = after["p95_ms"] <= bound
        return (
            ok,
            f"the customers' p95 is {after['p95_ms']:.0f} ms after the fix; "
            f"the SLO here is {bound:.0f} ms (the baseline's ×1.5, or +50 ms)",
        )
    if slo == "served":
        bound = baseline["error_pct"] + baseline["refused_pct"] + 1.0
        failed = after["error_pct"] + after["refused_pct"]
        return (
            failed <= bound,
            f"{failed:.1f} % of the customers' requests failed or were turned away after the fix; "
            f"the SLO here is {bound:.1f} % (the baseline's + 1 point)",
        )
    bound = baseline["error_pct"] + 1.0
    ok = after["error_pct"] <= bound
    return (
        ok,
        f"the customers' errors are {after['error_pct']:.1f} % after the fix; "
        f"the SLO here is {bound:.1f} % (the baseline's + 1 point)",
    )


def _most_seconds_within(
    slo: str, baseline: dict[str, float], settled: pd.DataFrame, explanation: str
) -> tuple[bool, str]:
    """Fair on a busy machine: a stall of the machine (another process, not the fault) spoils a second or
    two, and with them the whole window's tail. Recovered when at least two thirds of its whole seconds,
    and at least three of them, are within the SLO on their own; a fault left unfixed spoils every second."""
    seconds = ((settled["scheduled"] - settled["scheduled"].min()) // 1).astype(int)
    within = [_within(slo, baseline, _stats(rows))[0] for _, rows in settled.groupby(seconds)]
    good = sum(within)
    if len(within) >= 3 and good >= 2 / 3 * len(within):
        return True, f"{explanation}; but {good} of its {len(within)} seconds are within it: a stall, not the fault"
    return False, explanation


def _recovered_after(frame: pd.DataFrame, fixed_at: float, slo: str, baseline: dict[str, float]) -> float | None:
    """Seconds from the fix to the first whole second after which every second meets the SLO."""
    after = frame[frame["scheduled"] >= fixed_at].copy()
    if after.empty:
        return None
    # Two-second buckets: ~40 requests each, enough for a p95 that is not just the slowest one.
    after["second"] = ((after["scheduled"] - fixed_at) // 2 * 2).astype(int)
    ok = after.groupby("second").apply(lambda rows: _within(slo, baseline, _stats(rows))[0], include_groups=False)
    for second in ok.index:
        if ok.loc[second:].all():
            return float(second)
    return None


def fallbacks_served(lab: Lab) -> float:
    if lab.metrics is None:
        return 0.0
    return sum(s.value for m in lab.metrics.fallbacks.collect() for s in m.samples if s.name.endswith("_total"))
