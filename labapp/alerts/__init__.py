"""Alerting: rule files tested with promtool, an embedded rule evaluator, delivery to a receiver."""

from __future__ import annotations

from .evaluator import AlertEvaluator, AlertEvent, AlertRule, RecordingRule, load_rules, webhook_payload
from .rules import (
    LAB_RULES_DIR,
    RULE_TESTS_DIR,
    RULES_DIR,
    check_rules,
    find_promtool,
    lab_rule_files,
    rule_files,
    rule_test_files,
    run_promtool_tests,
)

__all__ = [
    "LAB_RULES_DIR",
    "AlertEvaluator",
    "AlertEvent",
    "AlertRule",
    "RecordingRule",
    "RULES_DIR",
    "RULE_TESTS_DIR",
    "check_rules",
    "find_promtool",
    "lab_rule_files",
    "load_rules",
    "rule_files",
    "rule_test_files",
    "run_promtool_tests",
    "webhook_payload",
]
