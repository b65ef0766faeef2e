"""The alerting stack end to end: a rule fires on the shop's errors and the receiver hears it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labapp import Lab, outage
from labapp.alerts import AlertingStack
from labapp.observe import find_prometheus
from labapp.observe.alertmanager import find_alertmanager

RULE = """\
groups:
  - name: test
    interval: 1s
    rules:
      - alert: ShopErrors
        expr: sum(rate(shop_http_requests_total{status=~"5.."}[3s])) > 0
        for: 1s
        labels: {severity: page}
        annotations: {summary: "the shop answers 5xx"}
"""

MODES = [
    "embedded",
    pytest.param(
        "real",
        marks=pytest.mark.skipif(
            not (find_prometheus() and find_alertmanager()),
            reason="needs the prometheus and prometheus-alertmanager binaries (apt-get install ...)",
        ),
    ),
]


@pytest.mark.parametrize("mode", MODES)
def test_outage_fires_and_healing_resolves(lab: Lab, tmp_path: Path, mode: str) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(RULE)
    stack = AlertingStack({"shop": lab.url}, [rules], prefer=mode, repeat_interval_s=60).start(quiet=True)
    run = None
    try:
        assert stack.mode == mode
        stack.wait_for_scrapes(1)
        lab.inject("catalog", outage())
        run = lab.start_load(rate=20, duration_s=30)
        fired = stack.receiver.wait_for(alertname="ShopErrors", status="firing", timeout_s=25)
        assert any(a["labels"]["alertname"] == "ShopErrors" and a["state"] == "firing" for a in stack.alerts())
        lab.heal()
        resolved = stack.receiver.wait_for(alertname="ShopErrors", status="resolved", timeout_s=25)
        assert resolved.received_at > fired.received_at
        (alert,) = fired.alerts
        assert alert.labels["severity"] == "page" and alert.annotations["summary"] == "the shop answers 5xx"
    finally:
        if run is not None:  # never leave a 30 s load running on the shared lab
            run.cancel()
        stack.stop()


def test_bad_arguments(lab: Lab) -> None:
    with pytest.raises(ValueError, match="prefer"):
        AlertingStack({"shop": lab.url}, ["x.yml"], prefer="grafana")
    with pytest.raises(ValueError, match="rule file"):
        AlertingStack({"shop": lab.url}, [])


def test_a_rule_failing_at_evaluation_is_named_when_nothing_arrives(lab: Lab, tmp_path: Path) -> None:
    # It parses, but {job="shop"} holds up and the shop's unlabelled gauges: series with the same
    # labels on the right of '/', which no one-to-one match allows. Only evaluation finds that.
    rules = tmp_path / "rules.yml"
    rules.write_text(RULE.replace('sum(rate(shop_http_requests_total{status=~"5.."}[3s]))', 'up / {job="shop"}'))
    stack = AlertingStack({"shop": lab.url}, [rules], prefer="embedded").start(quiet=True)
    try:
        stack.wait_for_scrapes(2)
        with pytest.raises(TimeoutError, match=r"cannot evaluate: ShopErrors: .*aggregate first"):
            stack.receiver.wait_for(alertname="ShopErrors", timeout_s=1.5)
        assert "ShopErrors" in repr(stack)
        assert stack.last_error is not None
    finally:
        stack.stop()
