"""Alerting: rule files tested with promtool, an embedded rule evaluator, delivery to a receiver."""

from __future__ import annotations

from .evaluator import AlertEvaluator, AlertEvent, AlertRule, RecordingRule, load_rules, webhook_payload
from .receiver import Notification, WebhookAlert, WebhookPayload, WebhookReceiver, format_notification
from .rules import (
    LAB_RULES_DIR,
    RESPOND_RULES_DIR,
    RULE_TESTS_DIR,
    RULES_DIR,
    check_rules,
    find_promtool,
    lab_rule_files,
    respond_rule_files,
    rule_files,
    rule_test_files,
    run_promtool_tests,
)
from .ruletest import format_results, run_rule_tests
from .stack import AlertingStack

__all__ = [
    "AlertEvaluator",
    "AlertEvent",
    "AlertRule",
    "AlertingStack",
    "LAB_RULES_DIR",
    "Notification",
    "RESPOND_RULES_DIR",
    "RULES_DIR",
    "RULE_TESTS_DIR",
    "RecordingRule",
    "WebhookAlert",
    "WebhookPayload",
    "WebhookReceiver",
    "check_rules",
    "find_promtool",
    "format_notification",
    "format_results",
    "lab_rule_files",
    "load_rules",
    "respond_rule_files",
    "rule_files",
    "rule_test_files",
    "run_promtool_tests",
    "run_rule_tests",
    "webhook_payload",
]
