"""A small PromQL subset, evaluated over the embedded scraper's samples.

With a real Prometheus the lab sends your query string to it. Without one, this
module evaluates the same string, so notebook cells do not change. It knows:

    metric{label="v", label!="v", label=~"re", label!~"re"}   selectors
    rate(m[5s]), increase(m[5s])                              counters, with
                                                              Prometheus' extrapolation
    sum / avg / min / max / count  by (...) | without (...)   aggregation
    histogram_quantile(0.95, <vector with an le label>)
    + - * /  between vectors (one-to-one on labels) or with numbers, ( ... )
    > < >= <= == !=   as filters (no ``bool``), and / or / unless

Anything else raises PromQLError naming what is not supported here.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from .store import Labels, SeriesStore, is_stale

__all__ = ["PromQLError", "evaluate", "parse"]

LOOKBACK_S = 300.0  # Prometheus' default lookback for instant selectors
AGGREGATIONS = {"sum", "avg", "min", "max", "count"}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?)(?P<unit>ms|s|m|h|d)?"
    r"|(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<op>=~|!~|!=|==|>=|<=|[<>=(){}\[\],+\-*/]))"
)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class PromQLError(ValueError):
    """The query is malformed, or uses PromQL this embedded evaluator does not cover."""


Vector = dict[Labels, float]
Value = Vector | float


# -- syntax tree ----------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value)
    range_s: float | None = None


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[object, ...]


@dataclass(frozen=True)
class Aggregate:
    op: str
    expr: object
    labels: tuple[str, ...]
    without: bool


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object


# -- parser ---------------------------------------------------------------


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PromQLError(f"cannot read the query at {text[pos : pos + 15]!r}")
        pos = m.end()
        kind = m.lastgroup if m.lastgroup != "unit" else "num"
        if m.group("num") is not None:
            tokens.append(("dur" if m.group("unit") else "num", m.group(0).strip()))
        else:
            tokens.append((kind or "", m.group(0).strip()))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise PromQLError(f"query ends early; expected {expected or 'more'}: {self.text!r}")
        tok = self.tokens[self.i]
        if expected is not None and tok[1] != expected:
            raise PromQLError(f"expected {expected!r} but found {tok[1]!r} in {self.text!r}")
        self.i += 1
        return tok

    def parse(self) -> object:
        node = self.expr()
        if self.i != len(self.tokens):
            raise PromQLError(f"unexpected {self.peek()!r} in {self.text!r}")
        return node

    # Precedence, lowest first: or; and / unless; comparisons; + -; * /.
    def expr(self) -> object:
        node = self.conjunction()
        while self.peek() == "or":
            self.take()
            node = Binary("or", node, self.conjunction())
        return node

    def conjunction(self) -> object:
        node = self.comparison()
        while self.peek() in ("and", "unless"):
            op = self.take()[1]
            node = Binary(op, node, self.comparison())
        return node

    def comparison(self) -> object:
        node = self.sum()
        while self.peek() in _COMPARISONS:
            op = self.take()[1]
            if self.peek() == "bool":
                raise PromQLError("the 'bool' modifier is not in the embedded evaluator")
            node = Binary(op, node, self.sum())
        return node

    def sum(self) -> object:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            node = Binary(op, node, self.term())
        return node

    def term(self) -> object:
        node = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> object:
        kind, text = self.take()
        if kind == "num":
            return Number(float(text))
        if text == "(":
            node = self.expr()
            self.take(")")
            return node
        if kind != "ident" or text in ("and", "or", "unless"):
            raise PromQLError(f"unexpected {text!r} in {self.text!r}")
        if text in AGGREGATIONS:
            return self.aggregate(text)
        if self.peek() == "(":
            return self.call(text)
        return self.selector(text)

    def labels(self) -> tuple[str, ...]:
        self.take("(")
        names = []
        while self.peek() != ")":
            names.append(self.take()[1])
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return tuple(names)

    def aggregate(self, op: str) -> Aggregate:
        labels: tuple[str, ...] = ()
        without = False
        if self.peek() in ("by", "without"):
            without = self.take()[1] == "without"
            labels = self.labels()
        self.take("(")
        inner = self.expr()
        self.take(")")
        if self.peek() in ("by", "without"):
            without = self.take()[1] == "without"
            labels = self.labels()
        return Aggregate(op, inner, labels, without)

    def call(self, func: str) -> Call:
        if func not in ("rate", "increase", "histogram_quantile"):
            raise PromQLError(
                f"{func}() is not in the embedded evaluator (it knows rate, increase, "
                "histogram_quantile, sum/avg/min/max/count); a real Prometheus knows it all"
            )
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expr())
        self.take(")")
        if func in ("rate", "increase") and not (len(args) == 1 and isinstance(args[0], Selector) and args[0].range_s):
            raise PromQLError(f"{func}() takes one range selector, like {func}(metric[5s])")
        if func == "histogram_quantile" and not (len(args) == 2 and isinstance(args[0], Number)):
            raise PromQLError("histogram_quantile takes a number and a vector: histogram_quantile(0.95, ...)")
        return Call(func, tuple(args))

    def selector(self, name: str) -> Selector:
        matchers = []
        if self.peek() == "{":
            self.take("{")
            while self.peek() != "}":
                label = self.take()[1]
                op = self.take()[1]
                if op not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"unknown label matcher {op!r} in {self.text!r}")
                kind, value = self.take()
                if kind != "str":
                    raise PromQLError(f'label values are quoted strings: {label}{op}"..."')
                matchers.append((label, op, value[1:-1].encode().decode("unicode_escape")))
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
        range_s = None
        if self.peek() == "[":
            self.take("[")
            kind, text = self.take()
            if kind != "dur":
                raise PromQLError(f"a range looks like [5s] or [1m], got [{text}]")
            self.take("]")
            unit = re.sub(r"[\d.]", "", text)
            range_s = float(text[: -len(unit)]) * _UNITS[unit]
        return Selector(name, tuple(matchers), range_s)


def parse(text: str) -> object:
    """Parse ``text`` into a syntax tree, or raise PromQLError."""
    if not isinstance(text, str) or not text.strip():
        raise PromQLError("give a PromQL query as a non-empty string")
    return _Parser(text).parse()


# -- evaluation -----------------------------------------------------------


def evaluate(node: object, store: SeriesStore, at: float) -> Value:
    """The value of ``node`` at Unix time ``at``: an instant vector or a number."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Selector):
        if node.range_s is not None:
            raise PromQLError("a range selector like m[5s] must be inside rate() or increase()")
        return _instant(node, store, at)
    if isinstance(node, Call):
        if node.func == "histogram_quantile":
            q = node.args[0].value  # type: ignore[attr-defined]
            vec = evaluate(node.args[1], store, at)
            if not isinstance(vec, dict):
                raise PromQLError("histogram_quantile needs a vector of buckets")
            return _histogram_quantile(q, vec)
        return _rate(node.args[0], store, at, per_second=node.func == "rate")  # type: ignore[arg-type]
    if isinstance(node, Aggregate):
        vec = evaluate(node.expr, store, at)
        if not isinstance(vec, dict):
            raise PromQLError(f"{node.op} needs a vector")
        return _aggregate(node, vec)
    if isinstance(node, Binary):
        return _binary(node.op, evaluate(node.left, store, at), evaluate(node.right, store, at))
    raise PromQLError(f"cannot evaluate {node!r}")


def _matches(labels: Labels, matchers: tuple[tuple[str, str, str], ...]) -> bool:
    d = dict(labels)
    for label, op, value in matchers:
        actual = d.get(label, "")
        if op == "=" and actual != value or op == "!=" and actual == value:
            return False
        if op == "=~" and not re.fullmatch(value, actual) or op == "!~" and re.fullmatch(value, actual):
            return False
    return True


def _drop_name(labels: Labels) -> Labels:
    return tuple(kv for kv in labels if kv[0] != "__name__")


def _instant(sel: Selector, store: SeriesStore, at: float) -> Vector:
    out: Vector = {}
    for s in store.series(sel.name):
        if not _matches(s.labels, sel.matchers):
            continue
        i = bisect.bisect_right(s.times, at) - 1  # last sample at or before `at`
        if i >= 0 and s.times[i] > at - LOOKBACK_S and not is_stale(s.values[i]):
            out[s.labels] = s.values[i]
    return out


def _rate(sel: Selector, store: SeriesStore, at: float, *, per_second: bool) -> Vector:
    """Prometheus' extrapolatedRate, for counters."""
    assert sel.range_s is not None
    start = at - sel.range_s
    out: Vector = {}
    for s in store.series(sel.name):
        if not _matches(s.labels, sel.matchers):
            continue
        lo, hi = bisect.bisect_right(s.times, start), bisect.bisect_right(s.times, at)
        points = [(t, v) for t, v in zip(s.times[lo:hi], s.values[lo:hi], strict=True) if not is_stale(v)]
        if len(points) < 2:
            continue
        increase, prev = 0.0, points[0][1]
        for _, v in points[1:]:
            increase += v - prev if v >= prev else v  # a drop is a counter reset
            prev = v
        (t0, v0), (t1, _) = points[0], points[-1]
        sampled = t1 - t0
        avg_step = sampled / (len(points) - 1)
        to_start, to_end = t0 - start, at - t1
        if to_start >= avg_step * 1.1:
            to_start = avg_step / 2
        if increase > 0 and v0 >= 0:
            to_start = min(to_start, sampled * (v0 / increase))  # counters never go below 0
        if to_end >= avg_step * 1.1:
            to_end = avg_step / 2
        value = increase * (sampled + to_start + to_end) / sampled
        out[_drop_name(s.labels)] = value / sel.range_s if per_second else value
    return out


def _aggregate(node: Aggregate, vec: Vector) -> Vector:
    groups: dict[Labels, list[float]] = {}
    for labels, v in vec.items():
        if node.without:
            key = tuple(kv for kv in _drop_name(labels) if kv[0] not in node.labels)
        else:
            key = tuple(kv for kv in labels if kv[0] in node.labels)
        groups.setdefault(key, []).append(v)
    fns: dict[str, Callable[[list[float]], float]] = {
        "sum": sum,
        "avg": lambda xs: sum(xs) / len(xs),
        "min": min,
        "max": max,
        "count": lambda xs: float(len(xs)),
    }
    return {key: fns[node.op](values) for key, values in groups.items()}


def _divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


_OPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
}


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def _binary(op: str, left: Value, right: Value) -> Value:
    if op in ("and", "or", "unless"):
        return _set_op(op, left, right)
    if op in _COMPARISONS:
        return _filter(_COMPARISONS[op], left, right)
    fn = _OPS[op]
    if isinstance(left, float) and isinstance(right, float):
        return fn(left, right)
    if isinstance(left, dict) and isinstance(right, float):
        return {_drop_name(k): fn(v, right) for k, v in left.items()}
    if isinstance(left, float) and isinstance(right, dict):
        return {_drop_name(k): fn(left, v) for k, v in right.items()}
    assert isinstance(left, dict) and isinstance(right, dict)
    rhs = {_drop_name(k): v for k, v in right.items()}
    return {_drop_name(k): fn(v, rhs[_drop_name(k)]) for k, v in left.items() if _drop_name(k) in rhs}


def _histogram_quantile(q: float, vec: Vector) -> Vector:
    """Prometheus' bucketQuantile: linear interpolation inside the bucket holding the rank."""
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for labels, v in vec.items():
        d = dict(labels)
        if "le" not in d:
            continue
        key = tuple(kv for kv in _drop_name(labels) if kv[0] != "le")
        groups.setdefault(key, []).append((float(d["le"]), v))
    out: Vector = {}
    for key, buckets in groups.items():
        buckets.sort()
        if q < 0 or q > 1:
            out[key] = -math.inf if q < 0 else math.inf
            continue
        if not math.isinf(buckets[-1][0]) or len(buckets) < 2:
            out[key] = math.nan
            continue
        counts: list[float] = []
        for _, c in buckets:  # rates of cumulative counts can wobble; keep them monotonic
            counts.append(max(c, counts[-1]) if counts else c)
        total = counts[-1]
        if total == 0 or math.isnan(total):
            out[key] = math.nan
            continue
        rank = q * total
        b = next(i for i, c in enumerate(counts) if c >= rank)
        if b == len(buckets) - 1:
            out[key] = buckets[-2][0]
            continue
        upper = buckets[b][0]
        if b == 0 and upper <= 0:
            out[key] = upper
            continue
        lower = 0.0 if b == 0 else buckets[b - 1][0]
        below = 0.0 if b == 0 else counts[b - 1]
        in_bucket = counts[b] - below
        # An empty bucket (q = 0) gives 0/0: NaN, as in Prometheus.
        out[key] = lower + (upper - lower) * (rank - below) / in_bucket if in_bucket else math.nan
    return out


def _set_op(op: str, left: Value, right: Value) -> Vector:
    """and / or / unless: label-set matching between two vectors (names ignored)."""
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise PromQLError(f"'{op}' works between two vectors")
    right_keys = {_drop_name(k) for k in right}
    if op == "and":
        return {k: v for k, v in left.items() if _drop_name(k) in right_keys}
    if op == "unless":
        return {k: v for k, v in left.items() if _drop_name(k) not in right_keys}
    left_keys = {_drop_name(k) for k in left}
    return {**left, **{k: v for k, v in right.items() if _drop_name(k) not in left_keys}}


def _filter(keep: Callable[[float, float], bool], left: Value, right: Value) -> Value:
    """A comparison without ``bool`` filters: it keeps the elements for which it holds."""
    if isinstance(left, float) and isinstance(right, float):
        raise PromQLError("comparing two numbers needs the 'bool' modifier, which the embedded evaluator lacks")
    if isinstance(left, dict) and isinstance(right, float):
        return {k: v for k, v in left.items() if keep(v, right)}
    if isinstance(left, float) and isinstance(right, dict):
        return {k: v for k, v in right.items() if keep(left, v)}
    assert isinstance(left, dict) and isinstance(right, dict)
    rhs = {_drop_name(k): v for k, v in right.items()}
    return {k: v for k, v in left.items() if _drop_name(k) in rhs and keep(v, rhs[_drop_name(k)])}
