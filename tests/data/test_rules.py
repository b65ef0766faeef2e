"""The alert rules in data/rules: valid (promtool check rules), proven on simulated
time by two engines, and those tests able to fail (a mutated rule or expectation breaks them).

One spec, two engines: every test file under data/rules/tests/ runs through
``promtool test rules`` (the real Prometheus engine) and through
``python -m labapp test-rules`` (the embedded one learners without the binary
use). The promtool runs are skipped, with the reason, where promtool is not on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from labapp.alerts import (
    RULES_DIR,
    check_rules,
    find_promtool,
    lab_rule_files,
    respond_rule_files,
    rule_files,
    rule_test_files,
    run_promtool_tests,
)

needs_promtool = pytest.mark.skipif(
    find_promtool() is None, reason="no 'promtool' binary on PATH (Debian/Ubuntu: apt-get install prometheus)"
)

ALL_RULE_FILES = rule_files() + lab_rule_files() + respond_rule_files()


def _id(path: Path) -> str:
    return path.relative_to(RULES_DIR).as_posix()


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def _load_yaml(path: Path) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict), path
    return loaded


def _tested_rule_files(test_file: Path) -> set[Path]:
    return {(test_file.parent / name).resolve() for name in _load_yaml(test_file)["rule_files"]}


# --- the files are where the lab expects them (no promtool needed) -----------------


def test_the_rule_files_are_found() -> None:
    assert [_id(p) for p in rule_files()] == ["error_rate.yml", "security.yml", "slo.yml"]
    assert [_id(p) for p in lab_rule_files()] == ["lab/error_rate_lab.yml"]
    assert [_id(p) for p in respond_rule_files()] == ["respond/respond_lab.yml"]
    assert [_id(p) for p in rule_test_files()] == [
        "tests/engine_edges_test.yml",
        "tests/error_rate_lab_test.yml",
        "tests/error_rate_test.yml",
        "tests/notebook_queries_test.yml",
        "tests/respond_lab_test.yml",
        "tests/security_test.yml",
        "tests/slo_test.yml",
        "tests/slo_ticket_test.yml",
    ]


@pytest.mark.parametrize("rule_file", ALL_RULE_FILES, ids=_id)
def test_every_alert_is_named_in_a_promtool_test(rule_file: Path) -> None:
    alerts = {
        rule["alert"]: rule for group in _load_yaml(rule_file)["groups"] for rule in group["rules"] if "alert" in rule
    }
    assert alerts, f"{_id(rule_file)} defines no alert"
    tested: set[str] = set()
    for test_file in rule_test_files():
        if rule_file.resolve() in _tested_rule_files(test_file):
            for case in _load_yaml(test_file)["tests"]:
                tested |= {check["alertname"] for check in case.get("alert_rule_test", [])}
    assert set(alerts) <= tested, f"alerts without a promtool test: {sorted(set(alerts) - tested)}"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        assert {"summary", "description"} <= set(rule["annotations"]), name


def test_missing_promtool_raises_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("labapp.alerts.rules.find_promtool", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus"):
        run_promtool_tests()
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus"):
        check_rules()


# --- promtool: every rule file valid, every test file passing ----------------------


@pytest.mark.prometheus
@needs_promtool
@pytest.mark.parametrize("rule_file", ALL_RULE_FILES, ids=_id)
def test_promtool_check_rules(rule_file: Path) -> None:
    result = check_rules([rule_file])
    assert result.returncode == 0, _output(result)
    assert "SUCCESS" in result.stdout, _output(result)


ENGINES = [
    pytest.param("promtool", marks=[pytest.mark.prometheus, needs_promtool]),
    pytest.param("embedded"),
]


def run_rule_tests_with(engine: str, files: list[Path]) -> tuple[int, str]:
    """Run rule-test files through ``engine``: (exit status, everything it printed)."""
    if engine == "promtool":
        result = run_promtool_tests(files)
    else:
        command = [sys.executable, "-m", "labapp", "test-rules", *map(str, files)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return result.returncode, _output(result)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("test_file", rule_test_files(), ids=_id)
def test_rule_tests_pass(engine: str, test_file: Path) -> None:
    status, output = run_rule_tests_with(engine, [test_file])
    assert status == 0, output
    assert "SUCCESS" in output, output


# --- the promtool tests can fail: a mutated rule must break them --------------------

# (rule file, test file, text in the rule file, its replacement, what the failure names)
MUTATIONS = [
    pytest.param(
        "error_rate.yml", "tests/error_rate_test.yml", "> 0.05", "> 0.07", "ShopHighErrorRate", id="threshold-7pct"
    ),
    pytest.param("error_rate.yml", "tests/error_rate_test.yml", "for: 5m", "for: 3m", "ShopHighErrorRate", id="for-3m"),
    pytest.param(
        "error_rate.yml",
        "tests/error_rate_test.yml",
        'status=~"5.."',
        'status=~"[45].."',
        "ShopHighErrorRate",
        id="4xx-counted-as-errors",
    ),
    pytest.param(
        "lab/error_rate_lab.yml",
        "tests/error_rate_lab_test.yml",
        "> 0.05",
        "> 0.07",
        "ShopHighErrorRateLab",
        id="lab-threshold-7pct",
    ),
    pytest.param(
        "slo.yml", "tests/slo_test.yml", "(14.4 * 0.001)", "(14.4 * 0.002)", "ShopErrorBudgetBurn1h", id="slo-1h-budget"
    ),
    pytest.param("slo.yml", "tests/slo_test.yml", "(6 * 0.001)", "(6 * 0.002)", "ShopErrorBudgetBurn6h", id="slo-6h"),
    pytest.param(
        "slo.yml", "tests/slo_ticket_test.yml", "(1 * 0.001)", "(1 * 0.002)", "ShopErrorBudgetBurn3d", id="slo-3d"
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("rule_file", "test_file", "old", "new", "alertname"), MUTATIONS)
def test_rule_tests_fail_when_the_rule_changes(
    tmp_path: Path, engine: str, rule_file: str, test_file: str, old: str, new: str, alertname: str
) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy)
    target = copy / rule_file
    text = target.read_text()
    assert old in text, f"mutation {old!r} not found in {rule_file}: the test would prove nothing"
    target.write_text(text.replace(old, new))

    status, output = run_rule_tests_with(engine, [copy / test_file])

    assert status != 0, "the rule tests still pass with the rule changed: they are vacuous\n" + output
    # A failed assertion about this alert, not a file that failed to load.
    assert "FAILED" in output, output
    assert f"alertname: {alertname}," in output, output


# (test file, an expected value in it, a wrong one, the case the failure must name)
WRONG_EXPECTATIONS = [
    pytest.param(
        "tests/error_rate_lab_test.yml",
        "            value: 5.4\n",
        "            value: 5.5\n",
        "round(100 * job:shop_http_request_errors:ratio_rate10s, 0.001)",
        id="lab-ratio",
    ),
    pytest.param(
        "tests/notebook_queries_test.yml",
        "            value: 0.40625\n",
        "            value: 0.4\n",
        "histogram_quantile(0.95,",
        id="notebook-p95",
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("test_file", "old", "new", "case"), WRONG_EXPECTATIONS)
def test_rule_tests_fail_naming_the_case_when_an_expected_value_changes(
    tmp_path: Path, engine: str, test_file: str, old: str, new: str, case: str
) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy)
    target = copy / test_file
    text = target.read_text()
    assert text.count(old) == 1, f"{old!r} should occur once in {test_file}"
    target.write_text(text.replace(old, new))

    status, output = run_rule_tests_with(engine, [target])

    assert status == 1, output
    assert "FAILED" in output and case in output, output
