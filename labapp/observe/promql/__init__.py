"""A small PromQL subset, evaluated over the embedded scraper's samples.

With a real Prometheus the lab sends your query string to it. Without one,
this package evaluates the same string, so notebook cells do not change:

    parser.py     text -> typed syntax tree (syntax.py); durations
    engine.py     syntax tree + SeriesStore + instant -> vector or number
    functions.py  Prometheus' rate extrapolation, histogram quantile, round

It knows:

    metric{label="v", label!="v", label=~"re", label!~"re"}   selectors
    rate(m[5s]), increase(m[5s])                              counters, with
                                                              Prometheus' extrapolation
    avg/max/min/sum/count_over_time(m[5s])                    gauges over a range
    sum / avg / min / max / count  by (...) | without (...)   aggregation
    histogram_quantile(0.95, <vector with an le label>)
    round(v), round(v, 0.001)
    + - * /  between vectors (one-to-one on labels) or with numbers, unary -, ( ... )
    > < >= <= == !=   as filters (no ``bool``), and / or / unless

Anything else raises PromQLError naming the construct, and saying that a real
Prometheus supports it. ``python -m labapp test-rules`` runs promtool's rule
test files through this engine, so both engines answer to the same files.
"""

from .engine import LOOKBACK_S, Value, Vector, evaluate
from .parser import PromQLError, format_duration, parse, parse_duration, parse_series, unquote
from .syntax import Expr

__all__ = [
    "LOOKBACK_S",
    "Expr",
    "PromQLError",
    "Value",
    "Vector",
    "evaluate",
    "format_duration",
    "parse",
    "parse_duration",
    "parse_series",
    "unquote",
]
