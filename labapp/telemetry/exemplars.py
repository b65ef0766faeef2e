"""Exemplars: the trace ids a latency histogram keeps beside its buckets."""

from __future__ import annotations

import httpx
import pandas as pd
from prometheus_client.openmetrics.parser import text_string_to_metric_families

__all__ = ["OPENMETRICS_ACCEPT", "read_exemplars"]

# Exemplars exist only in the OpenMetrics format; a scraper asks for it like this.
OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def read_exemplars(metrics_url: str, metric: str = "shop_http_request_duration_seconds") -> pd.DataFrame:
    """Scrape ``metrics_url`` as OpenMetrics; one row per histogram bucket that holds an exemplar.

    Columns: route, le (bucket bound, s), requests (cumulative count), trace_id,
    seconds (that request's latency), at (when it was recorded).
    """
    response = httpx.get(metrics_url, headers={"accept": OPENMETRICS_ACCEPT}, timeout=5.0)
    response.raise_for_status()
    if not response.headers.get("content-type", "").startswith("application/openmetrics-text"):
        raise ValueError(f"{metrics_url} did not answer in OpenMetrics, so it has no exemplars")
    rows = [
        {
            "route": sample.labels.get("route"),
            "le": float(sample.labels["le"]),
            "requests": sample.value,
            "trace_id": sample.exemplar.labels.get("trace_id"),
            "seconds": sample.exemplar.value,
            "at": pd.Timestamp(float(sample.exemplar.timestamp), unit="s") if sample.exemplar.timestamp else pd.NaT,
        }
        for family in text_string_to_metric_families(response.text)
        if family.name == metric
        for sample in family.samples
        if sample.name == f"{metric}_bucket" and sample.exemplar is not None
    ]
    return pd.DataFrame(rows, columns=["route", "le", "requests", "trace_id", "seconds", "at"])
