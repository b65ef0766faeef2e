"""Checker for notebook 02 (Prometheus)."""

from __future__ import annotations

import math
import re

from ..observe import PromQLError, Watcher
from .feedback import fail, ok

__all__ = ["check_p99_query"]

REFERENCE = (
    "histogram_quantile(0.99, sum by (le) "
    '(rate(shop_http_request_duration_seconds_bucket{route="/products/{product_id}"}[5s])))'
)


def check_p99_query(query: object, watcher: Watcher, start: float) -> bool:
    """The exercise: p99 latency of the product page over 5 s windows, as PromQL.

    Runs ``query`` and the reference on ``watcher`` from ``start`` and compares values.
    """
    if not isinstance(query, str):
        return fail(f"expected a PromQL string, got {type(query).__name__}", "write the query in quotes")
    compact = re.sub(r"\s+", "", query)
    if not compact.startswith("histogram_quantile(0.99,"):
        return fail(
            "the query should start with histogram_quantile(0.99, ...)",
            "p99 is the 0.99 quantile; histogram_quantile takes it first",
        )
    if "_bucket" not in compact or "rate(" not in compact:
        return fail(
            "histogram_quantile needs the per-second rate of the _bucket series",
            "rate(shop_http_request_duration_seconds_bucket{...}[5s])",
        )
    by = re.search(r"by\(([^)]*)\)", compact)
    if by is None or "le" not in by.group(1).split(","):
        return fail("summing buckets must keep the le label", "sum by (le) (rate(...))")
    try:
        mine = watcher.query_range(query, start)
        reference = watcher.query_range(REFERENCE, start)
    except (PromQLError, ValueError) as exc:
        return fail(f"the query did not run: {exc}", "compare your brackets and quotes with the examples above")
    if mine.empty:
        return fail("the query returned no data", 'check the route matcher: route="/products/{product_id}"')
    label_columns = [c for c in mine.columns if c not in ("time", "value")]
    if label_columns and len(mine[label_columns].drop_duplicates()) > 1:
        return fail("the query returns several series", "sum by (le) only: drop route, method, instance")
    a = mine.set_index("time")["value"]
    b = reference.set_index("time")["value"]
    common = a.index.intersection(b.index)
    if not all(math.isclose(a[t], b[t], rel_tol=1e-6) or (math.isnan(a[t]) and math.isnan(b[t])) for t in common):
        return fail(
            "the values differ from the reference p99 of the product page",
            'filter to route="/products/{product_id}" and use a [5s] window',
        )
    return ok(f"p99 of the product page, {len(common)} points; latest {b.iloc[-1] * 1000:.1f} ms")
