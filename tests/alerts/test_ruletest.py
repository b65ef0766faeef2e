"""The embedded runner of promtool's rule-test files: notation, reports, exit status.

That every file under data/rules/tests passes it (and promtool) is in tests/data/test_rules.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from labapp.__main__ import main
from labapp.alerts.ruletest import expand_values, run_rule_tests
from labapp.observe.store import is_stale


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0+10x3", [0, 10, 20, 30]),
        ("-2+4x3", [-2, 2, 6, 10]),
        ("1-2x4", [1, -1, -3, -5, -7]),
        ("1x4", [1, 1, 1, 1, 1]),
        ("1 _x3 5", [1, None, None, None, 5]),
        ("3 _ 4", [3, None, 4]),
        ("1e3 2.5", [1000, 2.5]),
    ],
)
def test_promtools_expanding_notation(text: str, expected: list[float | None]) -> None:
    assert expand_values(text) == expected


def test_stale_and_added_steps() -> None:
    values = expand_values("1 stale 0+0.1x10")
    assert values[0] == 1 and values[1] is not None and is_stale(values[1])
    assert values[-1] == 0.9999999999999999  # added ten times, as promtool does, not 0.1 * 10
    assert not math.isnan(values[-1])


def test_unreadable_values_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"cannot read 'ten'.*a\+bxn"):
        expand_values("1 ten")


RULES = """groups:
- name: g
  rules:
  - alert: Busy
    expr: load > 5
    for: 2s
    labels: {severity: page}
    annotations: {summary: "load {{ $value }}"}
"""

TESTS = """rule_files: [rules.yml]
evaluation_interval: 1s
tests:
- interval: 1s
  name: busy
  input_series:
  - series: 'load{host="a"}'
    values: '1 9 9 9 9'
  alert_rule_test:
  - eval_time: 2s
    alertname: Busy
    exp_alerts: []
  - eval_time: 3s
    alertname: Busy
    exp_alerts:
    - exp_labels: {severity: page, host: a}
      exp_annotations: {summary: "load 9"}
  promql_expr_test:
  - expr: load * 2
    eval_time: 4s
    exp_samples:
    - labels: '{host="a"}'
      value: 18
"""


def write(tmp_path: Path, tests: str = TESTS) -> Path:
    (tmp_path / "rules.yml").write_text(RULES)
    path = tmp_path / "busy_test.yml"
    path.write_text(tests)
    return path


def test_a_passing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_rule_tests(write(tmp_path))
    assert result.passed and result.cases == 3
    assert main(["test-rules", str(write(tmp_path))]) == 0
    assert "SUCCESS" in capsys.readouterr().out


def test_a_failing_case_is_named_with_expected_and_got(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, TESTS.replace("value: 18", "value: 17").replace("- eval_time: 2s", "- eval_time: 3s"))
    assert main(["test-rules", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out
    assert "expr: 'load * 2', time: 4s" in out and "exp: {host=\"a\"} 17" in out and "got: {host=\"a\"} 18" in out
    assert "alertname: Busy, time: 3s" in out  # a firing alert where none was expected


def test_files_that_cannot_run_say_why(tmp_path: Path) -> None:
    missing = write(tmp_path, TESTS.replace("rule_files: [rules.yml]", "rule_files: [nowhere.yml]"))
    assert "no rule file matches 'nowhere.yml'" in run_rule_tests(missing).errors[0]
    unknown = write(tmp_path, "rule_file: [rules.yml]\ntests: []\n")
    assert "unknown top-level keys ['rule_file']" in run_rule_tests(unknown).errors[0]
    bad_expr = write(tmp_path, TESTS.replace("expr: load * 2", "expr: irate(load[5s])"))
    (failure,) = run_rule_tests(bad_expr).failures
    assert "the function irate() is not in the embedded evaluator" in failure.got
