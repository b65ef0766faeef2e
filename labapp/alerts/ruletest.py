"""``promtool test rules``, run by the embedded engine: one spec file, two engines.

A learner without the Prometheus binary learns from the embedded scraper,
PromQL subset and rule evaluator. This module runs promtool's own rule-test
files through them, so every file under ``data/rules/tests/`` checks both
engines: promtool in CI, and this anywhere Python runs::

    python -m labapp test-rules data/rules/tests/*.yml

It follows promtool 2.x: input series in its expanding notation (``0+10x100``,
``1x5``, ``_``, ``_x3``, ``stale``) at ``interval`` steps from time 0; rules
evaluated every ``evaluation_interval`` from 0 to the last ``eval_time``;
``alert_rule_test`` compares the firing alerts (labels and annotations) at
the evaluation that covers ``eval_time``; ``promql_expr_test`` compares
samples exactly, as promtool does (round() the ones floats cannot hold).
"""

from __future__ import annotations

import glob
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..observe.promql import PromQLError, evaluate, format_duration, parse, parse_duration, parse_series
from ..observe.store import STALE, Labels, SeriesStore
from .evaluator import AlertEvaluator, RuleEvaluationError, go_value, load_rules

__all__ = ["RuleTestFailure", "RuleTestResult", "expand_values", "format_results", "run_rule_tests"]

_EXPANDING = re.compile(
    r"(?P<start>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|Inf|NaN))"
    r"(?:(?P<sign>[-+])(?P<step>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))?x(?P<times>\d+)"
)
_MISSING = None
_FILE_KEYS = {"rule_files", "evaluation_interval", "group_eval_order", "tests"}
_GROUP_KEYS = {"interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "name"}


@dataclass(frozen=True)
class RuleTestFailure:
    """One failing case: what was tested, when, what was expected and what came out."""

    group: str
    case: str  # 'expr: "..."' or 'alertname: X'
    eval_time: str
    expected: str
    got: str

    def __str__(self) -> str:
        name = f"    name: {self.group},\n" if self.group else ""
        return f"{name}    {self.case}, time: {self.eval_time},\n        exp: {self.expected}\n        got: {self.got}"


@dataclass
class RuleTestResult:
    """The outcome of one test file."""

    path: Path
    failures: list[RuleTestFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the file or a rule could not be run at all
    cases: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.errors


def expand_values(text: str) -> list[float | None]:
    """promtool's value notation -> one entry per step: a number, STALE, or None (no sample)."""
    out: list[float | None] = []
    for token in str(text).split():
        if token == "_":
            out.append(_MISSING)
        elif token == "stale":
            out.append(STALE)
        elif token.startswith("_x") and token[2:].isdigit():
            out.extend([_MISSING] * int(token[2:]))  # '_x3' is three missing samples, not four
        elif (match := _EXPANDING.fullmatch(token)) is not None:
            value = float(match["start"])
            step = float(match["step"] or 0) * (-1 if match["sign"] == "-" else 1)
            out.append(value)
            for _ in range(int(match["times"])):
                value += step  # cumulative, as promtool adds it (a + k*b can differ in the last bit)
                out.append(value)
        else:
            try:
                out.append(float(token))
            except ValueError:
                raise ValueError(
                    f"cannot read {token!r} in values {text!r}: use numbers, a+bxn, a-bxn, axn, _, _xn or stale"
                ) from None
    return out


def _sample_text(labels: Mapping[str, str], value: float) -> str:
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}} {go_value(value)}"


def _samples_text(samples: Sequence[tuple[Labels, float]]) -> str:
    return ", ".join(_sample_text(dict(labels), value) for labels, value in samples) or "nil"


def _alerts_text(alerts: Sequence[tuple[Labels, Labels]]) -> str:
    if not alerts:
        return "[]"
    return "[" + "; ".join(f"labels: {dict(lab)}, annotations: {dict(ann)}" for lab, ann in alerts) + "]"


def _load_store(group: Mapping[str, Any], interval_s: float) -> SeriesStore:
    store = SeriesStore(max_samples_per_series=10_000_000)
    for entry in group.get("input_series") or []:
        name, labels = parse_series(str(entry["series"]))
        values = expand_values(str(entry.get("values", "")))
        samples = [(i * interval_s, v) for i, v in enumerate(values) if v is not None]
        for t, value in samples:
            store.add(t, [(name, labels, value)], {})
    return store


def _promql_case(store: SeriesStore, case: Mapping[str, Any], group_name: str) -> RuleTestFailure | None:
    expr, at = str(case["expr"]), parse_duration(case.get("eval_time", 0))
    where = (group_name, f"expr: {expr!r}", format_duration(at))
    try:
        value = evaluate(parse(expr), store, at)
    except PromQLError as exc:
        return RuleTestFailure(*where, "a result", f"error: {exc}")
    got = sorted([((), value)] if isinstance(value, float) else value.items())
    expected: list[tuple[Labels, float]] = []
    for sample in case.get("exp_samples") or []:
        name, labels = parse_series(str(sample.get("labels", "{}")))
        key = SeriesStore.key(name, labels) if name else tuple(sorted(labels.items()))
        expected.append((key, float(sample.get("value", 0))))
    expected.sort()
    # Exact, as promtool compares (NaN never equals NaN there either).
    if [k for k, _ in got] == [k for k, _ in expected] and all(
        g == e and not math.isnan(g) for (_, g), (_, e) in zip(got, expected, strict=True)
    ):
        return None
    return RuleTestFailure(*where, _samples_text(expected), _samples_text(got))


def _expected_alerts(case: Mapping[str, Any]) -> list[tuple[Labels, Labels]]:
    out = []
    for alert in case.get("exp_alerts") or []:
        labels = {str(k): str(v) for k, v in (alert.get("exp_labels") or {}).items()}
        labels["alertname"] = str(case["alertname"])
        annotations = {str(k): str(v) for k, v in (alert.get("exp_annotations") or {}).items()}
        out.append((tuple(sorted(labels.items())), tuple(sorted(annotations.items()))))
    return sorted(out)


def _run_group(
    group: Mapping[str, Any], rule_files: Sequence[Path], eval_interval_s: float, result: RuleTestResult
) -> None:
    unknown = set(group) - _GROUP_KEYS
    if unknown:
        result.errors.append(f"unknown keys in a test group: {sorted(unknown)}")
        return
    name = str(group.get("name", ""))
    interval_s = parse_duration(group.get("interval", eval_interval_s)) or eval_interval_s
    store = _load_store(group, interval_s)
    evaluator = AlertEvaluator(store, load_rules(*rule_files), interval_s=eval_interval_s)
    alert_cases = list(group.get("alert_rule_test") or [])
    promql_cases = list(group.get("promql_expr_test") or [])
    result.cases += len(alert_cases) + len(promql_cases)
    alert_times = [parse_duration(c.get("eval_time", 0)) for c in alert_cases]
    end = max([*alert_times, *(parse_duration(c.get("eval_time", 0)) for c in promql_cases)], default=0.0)
    pending = sorted((at, index) for index, at in enumerate(alert_times))
    steps = int(math.floor(end / eval_interval_s + 1e-9))
    for step in range(steps + 1):
        ts = step * eval_interval_s
        try:
            evaluator.evaluate(ts)
        except RuleEvaluationError as exc:
            result.errors.append(f"    rule evaluation failed at {format_duration(ts)}: {exc}")
            return
        # promtool checks an alert case at the evaluation with ts <= eval_time < ts + interval.
        while pending and pending[0][0] < ts + eval_interval_s:
            at, index = pending.pop(0)
            case = alert_cases[index]
            alertname = str(case.get("alertname", ""))
            if not alertname:
                result.errors.append(f"an alert_rule_test case at {format_duration(at)} has no alertname")
                continue
            got = sorted(
                (tuple(sorted(a["labels"].items())), tuple(sorted(a["annotations"].items())))
                for a in evaluator.firing(alertname)
            )
            expected = _expected_alerts(case)
            if got != expected:
                result.failures.append(
                    RuleTestFailure(
                        name, f"alertname: {alertname}", format_duration(at), _alerts_text(expected), _alerts_text(got)
                    )
                )
    for case in promql_cases:
        failure = _promql_case(store, case, name)
        if failure is not None:
            result.failures.append(failure)


def run_rule_tests(path: str | Path) -> RuleTestResult:
    """Run one promtool rule-test file through the embedded engine."""
    path = Path(path)
    result = RuleTestResult(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("a rule test file is a YAML mapping with rule_files and tests")
        unknown = set(document) - _FILE_KEYS
        if unknown:
            raise ValueError(f"unknown top-level keys {sorted(unknown)} (promtool refuses them too)")
        rule_files: list[Path] = []
        for pattern in document.get("rule_files") or []:
            full = pattern if Path(pattern).is_absolute() else str(path.parent / pattern)
            matches = sorted(glob.glob(full))
            if not matches:
                raise ValueError(f"no rule file matches {pattern!r} (relative to {path.parent})")
            rule_files.extend(Path(m) for m in matches)
        eval_interval_s = parse_duration(document.get("evaluation_interval", "1m"))
        for group in document.get("tests") or []:
            _run_group(group, rule_files, eval_interval_s, result)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    return result


def format_results(results: Sequence[RuleTestResult], write: Callable[[str], object] = print) -> None:
    """Print results as promtool does: the file, then SUCCESS or FAILED with each failing case."""
    for result in results:
        write(f"Unit Testing:  {result.path}")
        if result.passed:
            write(f"  SUCCESS ({result.cases} cases, embedded engine)\n")
            continue
        write("  FAILED:")
        for error in result.errors:
            write(error)
        for failure in result.failures:
            write(str(failure))
            write("")
