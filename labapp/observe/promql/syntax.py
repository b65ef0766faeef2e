"""The typed syntax tree of the embedded PromQL subset.

Expr ─┬─ NumberLiteral      0.05
      ├─ VectorSelector     http_requests_total{status=~"5.."}
      ├─ MatrixSelector     http_requests_total[5m]        (only inside a function)
      ├─ Call               rate(...), increase(...), round(...), histogram_quantile(...)
      ├─ Aggregation        sum by (route) (...)
      ├─ UnaryExpr          -x
      └─ BinaryExpr         a / b, a > 0.05, a and b
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGGREGATIONS",
    "ARITHMETIC",
    "COMPARISONS",
    "FUNCTIONS",
    "OVER_TIME",
    "RANGE_FUNCTIONS",
    "SET_OPERATORS",
    "Aggregation",
    "BinaryExpr",
    "Call",
    "Expr",
    "Matcher",
    "MatrixSelector",
    "NumberLiteral",
    "UnaryExpr",
    "VectorSelector",
]

AGGREGATIONS = ("sum", "avg", "min", "max", "count")
# Functions over a range of one gauge's samples, as Prometheus' <agg>_over_time.
OVER_TIME = ("avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time")
RANGE_FUNCTIONS = ("rate", "increase", *OVER_TIME)
FUNCTIONS = ("rate", "increase", "round", "histogram_quantile", *OVER_TIME)
ARITHMETIC = ("+", "-", "*", "/")
COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")
SET_OPERATORS = ("and", "or", "unless")


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label op "value"`` with op one of = != =~ !~."""

    label: str
    op: str
    value: str


@dataclass(frozen=True)
class NumberLiteral:
    value: float


@dataclass(frozen=True)
class VectorSelector:
    """``name{matchers}``; ``name`` may be empty when the matchers say enough (``{job="shop"}``)."""

    name: str
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True)
class MatrixSelector:
    """``selector[range]``: every sample in the last ``range_s`` seconds."""

    vector: VectorSelector
    range_s: float


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Aggregation:
    op: str
    expr: Expr
    grouping: tuple[str, ...] = ()
    without: bool = False


@dataclass(frozen=True)
class UnaryExpr:
    op: str  # "-" or "+"
    expr: Expr


@dataclass(frozen=True)
class BinaryExpr:
    op: str
    lhs: Expr
    rhs: Expr


Expr = NumberLiteral | VectorSelector | MatrixSelector | Call | Aggregation | UnaryExpr | BinaryExpr
