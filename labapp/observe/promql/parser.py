"""Text to syntax tree for the embedded PromQL subset, and Prometheus' duration syntax.

Anything outside the subset raises :class:`PromQLError` naming the construct,
so a learner knows the query is fine PromQL that only a real Prometheus runs.
"""

from __future__ import annotations

import math
import re

from .syntax import (
    AGGREGATIONS,
    COMPARISONS,
    FUNCTIONS,
    RANGE_FUNCTIONS,
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

__all__ = ["PromQLError", "format_duration", "parse", "parse_duration", "parse_series", "unquote"]


class PromQLError(ValueError):
    """The query is malformed, or uses PromQL this embedded evaluator does not cover."""


# What a real Prometheus knows and this subset does not: named in the error, never "syntax error".
_OTHER_FUNCTIONS = frozenset(
    "abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month "
    "day_of_week day_of_year days_in_month delta deriv exp floor histogram_count histogram_fraction "
    "histogram_stddev histogram_stdvar histogram_sum holt_winters hour idelta irate label_join label_replace "
    "last_over_time "
    "ln log10 log2 minute month predict_linear present_over_time quantile_over_time "
    "resets scalar sgn sort sort_desc sqrt stddev_over_time stdvar_over_time time timestamp vector "
    "year acos acosh asin asinh atan atanh cos cosh deg pi rad sin sinh tan tanh".split()
)
_OTHER_AGGREGATIONS = frozenset("topk bottomk quantile stddev stdvar count_values group limitk limit_ratio".split())
_MODIFIERS = frozenset("offset bool on ignoring group_left group_right atan2".split())
_KNOWN = f"it knows {', '.join(FUNCTIONS)} and {'/'.join(AGGREGATIONS)} by/without"

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}
_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_DURATION_ORDER = ("y", "w", "d", "h", "m", "s", "ms")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<dur>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)(?![\w.])
    | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<op>=~|!~|!=|==|>=|<=|[<>=(){}\[\],+\-*/%^@:])
    )""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def parse_duration(text: str | int | float) -> float:
    """Prometheus' duration syntax in seconds: '5m' -> 300.0, '1h30m' -> 5400.0, '500ms' -> 0.5.

    Numbers pass through as seconds. Units go from largest to smallest, each
    once, with whole numbers, as Prometheus requires ('1.5m' is refused there too).
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"not a Prometheus duration: {text!r} (examples: 10s, 5m, 1h)")
    if isinstance(text, (int, float)):
        return float(text)
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"not a Prometheus duration: {text!r} (examples: 10s, 5m, 1h30m, 500ms)")
    return sum(int(n) * _DURATION_UNITS[u] for n, u in zip(match.groups(), _DURATION_ORDER, strict=True) if n)


def format_duration(seconds: float) -> str:
    """Seconds in Prometheus' duration syntax, as Prometheus prints one: 90 -> '1m30s', 0.5 -> '500ms'.

    Whole milliseconds, largest unit first; ``parse_duration`` reads it back.
    """
    if seconds < 0 or math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"a duration is a finite number of seconds >= 0, got {seconds}")
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    parts = []
    for unit in _DURATION_ORDER:
        size = round(_DURATION_UNITS[unit] * 1000)
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)


def unquote(token: str) -> str:
    """A PromQL string literal's value: Go's escapes in "..." and '...', none in `...`.

    Non-ASCII text passes through as written (``"/é"`` stays ``/é``).
    """
    quote, body = token[0], token[1:-1]
    if quote == "`":
        return body

    def replace(match: re.Match[str]) -> str:
        seq = match.group(0)[1:]
        if seq in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[seq]
        if seq == quote:
            return quote
        if seq[0] in "xuU":
            return chr(int(seq[1:], 16))
        if seq[0] in "01234567" and len(seq) == 3:
            return chr(int(seq, 8))
        raise PromQLError(f"unknown escape sequence \\{seq} in the string {token}")

    return _ESCAPE.sub(replace, body)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PromQLError(f"cannot read the query at {text[pos : pos + 15].strip()!r} in {text.strip()!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
    return tokens


class _Parser:
    """Recursive descent; precedence, lowest first: or; and unless; comparisons; + -; * /; unary."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.tokens = _tokenize(text)
        self.i = 0

    # -- tokens ------------------------------------------------------------

    def peek(self, ahead: int = 0) -> str:
        i = self.i + ahead
        return self.tokens[i][1] if i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise PromQLError(f"the query ends early; expected {expected or 'more'}: {self.text!r}")
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            raise PromQLError(f"expected {expected!r} but found {token[1]!r} in {self.text!r}")
        self.i += 1
        return token

    def unsupported(self, construct: str) -> PromQLError:
        return PromQLError(
            f"{construct} is not in the embedded evaluator ({_KNOWN}); a real Prometheus supports it: {self.text!r}"
        )

    def check_modifier(self) -> None:
        """Binary-operator modifiers and other operators the subset lacks, named."""
        word = self.peek()
        if word in ("bool", "on", "ignoring", "group_left", "group_right"):
            raise self.unsupported(f"the {word!r} modifier")
        if word in ("%", "^", "atan2"):
            raise self.unsupported(f"the {word!r} operator")

    # -- grammar -----------------------------------------------------------

    def parse(self) -> Expr:
        node = self.or_expr()
        if self.i != len(self.tokens):
            self.check_modifier()
            if self.peek() in ("offset", "@"):
                raise self.unsupported(f"the {self.peek()!r} modifier")
            raise PromQLError(f"unexpected {self.peek()!r} in {self.text!r}")
        return node

    def binary_level(self, ops: tuple[str, ...], operand: str) -> Expr:
        node: Expr = getattr(self, operand)()
        while True:
            self.check_modifier()
            if self.peek() not in ops:
                return node
            op = self.take()[1]
            self.check_modifier()
            node = BinaryExpr(op, node, getattr(self, operand)())

    def or_expr(self) -> Expr:
        return self.binary_level(("or",), "and_expr")

    def and_expr(self) -> Expr:
        return self.binary_level(("and", "unless"), "comparison")

    def comparison(self) -> Expr:
        return self.binary_level(COMPARISONS, "additive")

    def additive(self) -> Expr:
        return self.binary_level(("+", "-"), "multiplicative")

    def multiplicative(self) -> Expr:
        return self.binary_level(("*", "/"), "unary")

    def unary(self) -> Expr:
        if self.peek() in ("-", "+"):
            op = self.take()[1]
            inner = self.unary()
            if isinstance(inner, NumberLiteral):
                return NumberLiteral(-inner.value if op == "-" else inner.value)
            return UnaryExpr(op, inner)
        return self.postfix(self.primary())

    def postfix(self, node: Expr) -> Expr:
        """A range ``[5m]`` after a selector; offset, @ and subqueries are named and refused."""
        if self.peek() in ("offset", "@"):
            raise self.unsupported(f"the {self.peek()!r} modifier")
        if self.peek() != "[":
            return node
        self.take("[")
        kind, text = self.take()
        if self.peek().startswith(":") or text.startswith(":"):
            raise self.unsupported("a subquery like [5m:1m]")
        if kind != "dur":
            raise PromQLError(f"a range looks like [5s] or [1m], got [{text}] in {self.text!r}")
        self.take("]")
        if not isinstance(node, VectorSelector):
            raise self.unsupported("a subquery (a range on an expression that is not a plain selector)")
        if self.peek() in ("offset", "@"):
            raise self.unsupported(f"the {self.peek()!r} modifier")
        return MatrixSelector(node, parse_duration(text))

    def primary(self) -> Expr:
        kind, text = self.take()
        if kind == "num":
            return NumberLiteral(float(int(text, 16)) if text[:2].lower() == "0x" else float(text))
        if kind == "dur":
            raise PromQLError(f"a duration like {text} belongs inside [...], as in rate(metric[{text}])")
        if kind == "str":
            raise self.unsupported("a string literal outside a label matcher")
        if text == "(":
            node = self.or_expr()
            self.take(")")
            return node
        if text == "{":
            self.i -= 1
            return self.selector("")
        if kind != "ident" or text in SET_OPERATORS or text in _MODIFIERS:
            raise PromQLError(f"unexpected {text!r} in {self.text!r}")
        if text.lower() in ("inf", "nan"):
            return NumberLiteral(float(text))
        if text in AGGREGATIONS:
            return self.aggregation(text)
        if text in _OTHER_AGGREGATIONS:
            raise self.unsupported(f"the aggregation {text}()")
        if self.peek() == "(":
            return self.call(text)
        return self.selector(text)

    def label_list(self) -> tuple[str, ...]:
        self.take("(")
        names: list[str] = []
        while self.peek() != ")":
            kind, name = self.take()
            if kind != "ident":
                raise PromQLError(f"expected a label name, found {name!r} in {self.text!r}")
            names.append(name)
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        return tuple(names)

    def aggregation(self, op: str) -> Aggregation:
        grouping: tuple[str, ...] = ()
        without = False
        if self.peek() in ("by", "without"):
            without = self.take()[1] == "without"
            grouping = self.label_list()
        self.take("(")
        inner = self.or_expr()
        if self.peek() == ",":
            raise PromQLError(f"{op}() takes one expression in {self.text!r}")
        self.take(")")
        if self.peek() in ("by", "without"):
            if grouping or without:
                raise PromQLError(f"{op}() has two by/without clauses in {self.text!r}")
            without = self.take()[1] == "without"
            grouping = self.label_list()
        return Aggregation(op, inner, grouping, without)

    def call(self, func: str) -> Call:
        if func not in FUNCTIONS:
            if func in _OTHER_FUNCTIONS:
                raise self.unsupported(f"the function {func}()")
            raise PromQLError(f"unknown function {func}() in {self.text!r}; {_KNOWN}")
        self.take("(")
        args: list[Expr] = []
        while self.peek() != ")":
            args.append(self.or_expr())
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        return _checked_call(func, tuple(args))

    def selector(self, name: str) -> VectorSelector:
        matchers: list[Matcher] = []
        if self.peek() == "{":
            self.take("{")
            while self.peek() != "}":
                kind, label = self.take()
                if kind != "ident":
                    raise PromQLError(f"expected a label name, found {label!r} in {self.text!r}")
                op = self.take()[1]
                if op not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"unknown label matcher {op!r} in {self.text!r}")
                kind, value = self.take()
                if kind != "str":
                    raise PromQLError(f'label values are quoted strings: {label}{op}"..." in {self.text!r}')
                matcher = Matcher(label, op, unquote(value))
                if op in ("=~", "!~"):
                    try:
                        re.compile(matcher.value)
                    except re.error as exc:
                        raise PromQLError(f"bad regular expression {matcher.value!r}: {exc}") from None
                if label == "__name__" and op == "=" and not name:
                    name = matcher.value
                else:
                    matchers.append(matcher)
                if self.peek() != "}":
                    self.take(",")
            self.take("}")
        if not name and not any(m.op in ("=", "=~") and m.value for m in matchers):
            raise PromQLError(f"a selector needs a metric name or a label matcher that is not empty: {self.text!r}")
        return VectorSelector(name, tuple(matchers))


def _checked_call(func: str, args: tuple[Expr, ...]) -> Call:
    if func in RANGE_FUNCTIONS and not (len(args) == 1 and isinstance(args[0], MatrixSelector)):
        raise PromQLError(f"{func}() takes one range selector, like {func}(metric[5s])")
    if func == "histogram_quantile" and len(args) != 2:
        raise PromQLError("histogram_quantile takes a number and a vector: histogram_quantile(0.95, ...)")
    if func == "round" and not 1 <= len(args) <= 2:
        raise PromQLError("round takes a vector and, optionally, the number to round to: round(x, 0.001)")
    for arg in args:
        if isinstance(arg, MatrixSelector) and func not in RANGE_FUNCTIONS:
            raise PromQLError(f"{func}() takes an instant vector, not a range like metric[5s]")
    return Call(func, args)


def parse(text: str) -> Expr:
    """Parse ``text`` into a syntax tree, or raise PromQLError."""
    if not isinstance(text, str) or not text.strip():
        raise PromQLError("give a PromQL query as a non-empty string")
    return _Parser(text).parse()


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    """A series description as promtool files write it: ``name{a="b"}`` or ``{a="b"}`` -> (name, labels)."""
    if text.strip() == "{}":  # a sample with no labels at all: a scalar result
        return "", {}
    node = parse(text)
    if not isinstance(node, VectorSelector) or any(m.op != "=" for m in node.matchers):
        raise PromQLError(f'a series is a name with label="value" pairs, like up{{job="shop"}}; got {text!r}')
    return node.name, {m.label: m.value for m in node.matchers}
