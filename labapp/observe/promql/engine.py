"""Evaluating a syntax tree over a SeriesStore at one instant, as Prometheus 2.x does.

Selection follows Prometheus 2.x, the version the lab runs and tests with
promtool: an instant selector takes the newest sample in [t - 5m, t] unless
it is a staleness marker; a range selector [r] takes the samples in
[t - r, t], both ends included. (Prometheus 3 leaves t - r out.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

from ..store import Labels, SeriesStore, is_stale
from .functions import bucket_quantile, extrapolated_rate, round_to
from .parser import PromQLError
from .syntax import (
    COMPARISONS,
    OVER_TIME,
    SET_OPERATORS,
    Aggregation,
    BinaryExpr,
    Call,
    Expr,
    Matcher,
    MatrixSelector,
    NumberLiteral,
    UnaryExpr,
    VectorSelector,
)

__all__ = ["LOOKBACK_S", "Value", "Vector", "evaluate"]

LOOKBACK_S = 300.0  # Prometheus' default lookback for instant selectors

Vector = dict[Labels, float]
Value = Vector | float


def evaluate(node: Expr, store: SeriesStore, at: float) -> Value:
    """The value of ``node`` at Unix time ``at``: an instant vector or a number."""
    if isinstance(node, NumberLiteral):
        return node.value
    if isinstance(node, VectorSelector):
        return _instant(node, store, at)
    if isinstance(node, MatrixSelector):
        raise PromQLError("a range selector like m[5s] must be inside rate(), increase() or an <agg>_over_time()")
    if isinstance(node, Call):
        return _call(node, store, at)
    if isinstance(node, Aggregation):
        vector = evaluate(node.expr, store, at)
        if not isinstance(vector, dict):
            raise PromQLError(f"{node.op}() needs a vector, not a number")
        return _aggregate(node, vector)
    if isinstance(node, UnaryExpr):
        value = evaluate(node.expr, store, at)
        if node.op == "+":
            return value
        if isinstance(value, float):
            return -value
        return {_drop_name(k): -v for k, v in value.items()}
    if isinstance(node, BinaryExpr):
        return _binary(node.op, evaluate(node.lhs, store, at), evaluate(node.rhs, store, at))
    raise PromQLError(f"cannot evaluate {node!r}")


# -- selection ------------------------------------------------------------


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matcher(matchers: tuple[Matcher, ...]) -> Callable[[Labels], bool]:
    def keep(labels: Labels) -> bool:
        d = dict(labels)
        for m in matchers:
            actual = d.get(m.label, "")  # a missing label matches as ""
            if m.op == "=" and actual != m.value or m.op == "!=" and actual == m.value:
                return False
            if m.op in ("=~", "!~") and (_regex(m.value).fullmatch(actual) is None) == (m.op == "=~"):
                return False
        return True

    return keep


def _instant(sel: VectorSelector, store: SeriesStore, at: float) -> Vector:
    out: Vector = {}
    for window in store.select(sel.name, _matcher(sel.matchers), at - LOOKBACK_S, at):
        _, value = window.points[-1]
        if not is_stale(value):  # a series that ended is gone at once
            out[window.labels] = value
    return out


def _rate(sel: MatrixSelector, store: SeriesStore, at: float, *, per_second: bool) -> Vector:
    start = at - sel.range_s
    out: Vector = {}
    for window in store.select(sel.vector.name, _matcher(sel.vector.matchers), start, at):
        points = [(t, v) for t, v in window.points if not is_stale(v)]
        value = extrapolated_rate(points, start, at, per_second=per_second)
        if value is not None:
            out[_drop_name(window.labels)] = value
    return out


def _over_time(sel: MatrixSelector, store: SeriesStore, at: float, func: str) -> Vector:
    """avg/max/min/sum/count_over_time: one number per series from its samples in [at - range, at],
    folded as the aggregation of the same name folds a vector (Prometheus does the same)."""
    fold = _AGGREGATES[func.removesuffix("_over_time")]
    out: Vector = {}
    for window in store.select(sel.vector.name, _matcher(sel.vector.matchers), at - sel.range_s, at):
        values = [v for _, v in window.points if not is_stale(v)]
        if values:
            out[_drop_name(window.labels)] = fold(values)
    return out


# -- functions ------------------------------------------------------------


def _call(node: Call, store: SeriesStore, at: float) -> Value:
    if node.func in ("rate", "increase"):
        selector = node.args[0]
        assert isinstance(selector, MatrixSelector)  # the parser checked
        return _rate(selector, store, at, per_second=node.func == "rate")
    if node.func in OVER_TIME:
        selector = node.args[0]
        assert isinstance(selector, MatrixSelector)  # the parser checked
        return _over_time(selector, store, at, node.func)
    if node.func == "histogram_quantile":
        q = _scalar(evaluate(node.args[0], store, at), "histogram_quantile's first argument")
        vector = _vector(evaluate(node.args[1], store, at), "histogram_quantile's second argument")
        return _histogram_quantile(q, vector)
    if node.func == "round":
        vector = _vector(evaluate(node.args[0], store, at), "round's first argument")
        to = _scalar(evaluate(node.args[1], store, at), "round's second argument") if len(node.args) > 1 else 1.0
        return {_drop_name(k): round_to(v, to) for k, v in vector.items()}
    raise PromQLError(f"cannot evaluate {node.func}()")


def _scalar(value: Value, what: str) -> float:
    if not isinstance(value, float):
        raise PromQLError(f"{what} must be a number")
    return value


def _vector(value: Value, what: str) -> Vector:
    if not isinstance(value, dict):
        raise PromQLError(f"{what} must be a vector, not a number")
    return value


def _histogram_quantile(q: float, vector: Vector) -> Vector:
    histograms: dict[Labels, list[tuple[float, float]]] = {}
    for labels, count in vector.items():
        le = dict(labels).get("le")
        try:
            upper = float(le) if le is not None else None
        except ValueError:
            upper = None
        if upper is None:
            continue  # not a bucket: ignored, as Prometheus does
        key = tuple(kv for kv in labels if kv[0] not in ("__name__", "le"))
        histograms.setdefault(key, []).append((upper, count))
    return {key: bucket_quantile(q, buckets) for key, buckets in histograms.items()}


# -- aggregation and operators ---------------------------------------------


def _drop_name(labels: Labels) -> Labels:
    return tuple(kv for kv in labels if kv[0] != "__name__")


def _mean(values: list[float]) -> float:
    """Prometheus 2.x's running mean (not sum / count): the same float result, to the last bit."""
    mean = 0.0
    for n, v in enumerate(values, start=1):
        if math.isinf(mean) and math.isinf(v) and (mean > 0) == (v > 0):
            continue
        mean += v / n - mean / n
    return mean


_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": lambda xs: _sequential_sum(xs),
    "avg": _mean,
    "min": lambda xs: min(xs, key=lambda x: (math.isnan(x), x)),
    "max": lambda xs: max(xs, key=lambda x: (not math.isnan(x), x)),
    "count": lambda xs: float(len(xs)),
}


def _sequential_sum(values: list[float]) -> float:
    total = 0.0
    for v in values:  # in series order, as Prometheus adds them
        total += v
    return total


def _aggregate(node: Aggregation, vector: Vector) -> Vector:
    groups: dict[Labels, list[float]] = {}
    for labels in sorted(vector):  # Prometheus sees series sorted by labels
        if node.without:
            key = tuple(kv for kv in labels if kv[0] != "__name__" and kv[0] not in node.grouping)
        else:
            key = tuple(kv for kv in labels if kv[0] in node.grouping)
        groups.setdefault(key, []).append(vector[labels])
    return {key: _AGGREGATES[node.op](values) for key, values in groups.items()}


def _divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
}

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def _binary(op: str, left: Value, right: Value) -> Value:
    if op in SET_OPERATORS:
        return _set_operation(op, left, right)
    if op in COMPARISONS:
        return _filter(_COMPARE[op], left, right)
    fn = _ARITHMETIC[op]
    if isinstance(left, float) and isinstance(right, float):
        return fn(left, right)
    if isinstance(left, dict) and isinstance(right, float):
        return {_drop_name(k): fn(v, right) for k, v in left.items()}
    if isinstance(left, float) and isinstance(right, dict):
        return {_drop_name(k): fn(left, v) for k, v in right.items()}
    assert isinstance(left, dict) and isinstance(right, dict)
    rhs = _by_signature(right, op)
    return {_drop_name(k): fn(v, rhs[_drop_name(k)]) for k, v in left.items() if _drop_name(k) in rhs}


def _by_signature(vector: Vector, op: str) -> dict[Labels, float]:
    """One-to-one matching: each label set (name aside) may appear once on a side."""
    out: dict[Labels, float] = {}
    for labels, value in vector.items():
        key = _drop_name(labels)
        if key in out:
            raise PromQLError(
                f"'{op}' found two series with the same labels {dict(key)} on its right-hand side; "
                "aggregate first (sum by (...)); on()/group_left need a real Prometheus"
            )
        out[key] = value
    return out


def _set_operation(op: str, left: Value, right: Value) -> Vector:
    """and / or / unless: label-set matching between two vectors (names ignored)."""
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise PromQLError(f"'{op}' works between two vectors, not with a number")
    right_keys = {_drop_name(k) for k in right}
    if op == "and":
        return {k: v for k, v in left.items() if _drop_name(k) in right_keys}
    if op == "unless":
        return {k: v for k, v in left.items() if _drop_name(k) not in right_keys}
    left_keys = {_drop_name(k) for k in left}
    return {**left, **{k: v for k, v in right.items() if _drop_name(k) not in left_keys}}


def _filter(keep: Callable[[float, float], bool], left: Value, right: Value) -> Value:
    """A comparison without ``bool`` filters: it keeps the elements for which it holds, name and all."""
    if isinstance(left, float) and isinstance(right, float):
        raise PromQLError(
            "comparing two numbers needs the 'bool' modifier, which is not in the embedded evaluator; "
            "a real Prometheus supports it"
        )
    if isinstance(left, dict) and isinstance(right, float):
        return {k: v for k, v in left.items() if keep(v, right)}
    if isinstance(left, float) and isinstance(right, dict):
        return {k: v for k, v in right.items() if keep(left, v)}
    assert isinstance(left, dict) and isinstance(right, dict)
    rhs = _by_signature(right, "comparison")
    return {k: v for k, v in left.items() if _drop_name(k) in rhs and keep(v, rhs[_drop_name(k)])}
