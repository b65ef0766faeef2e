"""One function per picture, each in a module on its topic. Each returns the matplotlib Figure it drew on.

Plots take data (a LoadResult, frames, fault windows, lists), never a Lab.
Times on the x axis are seconds since the load run started; fault windows from
``lab.fault_windows()`` are shaded so cause and effect sit side by side.
"""

from .alerts import plot_alert_timeline, plot_budget_burn
from .gameday import plot_game_day
from .health import plot_uptime
from .load import (
    plot_latency_histogram,
    plot_latency_over_time,
    plot_rates,
    plot_request_latencies,
    plot_status_mix,
)
from .metrics import plot_bucket_comparison, plot_query, plot_series, plot_series_counts
from .ratelimit import plot_allowed_by_client, plot_window_strategies
from .resilience import plot_breaker_timeline
from .respond import plot_response_timeline
from .security import plot_findings
from .traces import plot_service_latency, plot_trace_waterfall

__all__ = [
    "plot_alert_timeline",
    "plot_allowed_by_client",
    "plot_breaker_timeline",
    "plot_bucket_comparison",
    "plot_budget_burn",
    "plot_findings",
    "plot_game_day",
    "plot_latency_histogram",
    "plot_latency_over_time",
    "plot_query",
    "plot_rates",
    "plot_request_latencies",
    "plot_response_timeline",
    "plot_series",
    "plot_series_counts",
    "plot_service_latency",
    "plot_status_mix",
    "plot_trace_waterfall",
    "plot_uptime",
    "plot_window_strategies",
]
