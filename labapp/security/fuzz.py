"""Schema-driven fuzzing with schemathesis: every operation in the shop's OpenAPI schema, valid and invalid inputs.

schemathesis reads /openapi.json, generates requests with hypothesis (values
that fit the schema, and values that break it), sends them over real HTTP and
checks each answer: here ``not_a_server_error`` (a 5xx means the shop did not
handle an input) and ``negative_data_rejection`` (input the schema forbids must
be refused with a 4xx). Runs are derandomized: the same shop gets the same
requests every time.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterable
from typing import Any

# Hypothesis keeps caches under ./.hypothesis unless told otherwise; the lab writes nothing into the notebooks folder.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "labapp-hypothesis"))

import requests

from .findings import Finding
from .ledger import load_ledger

__all__ = ["FuzzCase", "fuzz"]

_CUSTOMER = {"Authorization": "Bearer paid-key-cyd"}
_FIX_500 = "Validate the input at the edge (types, bounds, lengths in the schema) and handle every failure as a 4xx."


class FuzzCase:
    """How many requests schemathesis sent to one operation, and what came back."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"<FuzzCase {self.operation}: {self.sent} sent, statuses {dict(sorted(self.statuses.items()))}>"


def fuzz(url: str, *, examples: int = 15, skip: Iterable[str] = ()) -> tuple[list[Finding], list[FuzzCase]]:
    """Fuzz every operation of the shop at ``url``; the findings, and what was sent per operation.

    ``examples`` valid and as many invalid inputs per operation (a lab value: CI
    runs hundreds). A 5xx is a finding; the ledger says which planted flaw it
    points at (``operations``), if any. Operations named in ``skip`` (e.g.
    ``"GET /items/queued"``) are left out.
    """
    import schemathesis
    from schemathesis.core.result import Err

    owners = {op: flaw.id for flaw in load_ledger().values() for op in flaw.operations}
    session = requests.Session()
    session.headers["Connection"] = "close"  # as the probes: a failing shop drops kept-alive connections
    schema = schemathesis.openapi.from_url(url + "/openapi.json", config=schemathesis.Config(), timeout=10)
    findings: dict[tuple[str, str], Finding] = {}
    cases: list[FuzzCase] = []
    skipped = set(skip)
    try:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise RuntimeError(
                    f"the shop's OpenAPI schema has an operation schemathesis cannot read: {result.err()}"
                )
            operation = result.ok()
            if operation.label not in skipped:
                cases.append(_fuzz_operation(operation, session, url, examples, owners, findings))
    finally:
        session.close()
    return list(findings.values()), cases


def _fuzz_operation(
    operation: Any,
    session: requests.Session,
    url: str,
    examples: int,
    owners: dict[str, str],
    findings: dict[tuple[str, str], Finding],
) -> FuzzCase:
    """Valid, then invalid inputs to one operation; failures go into ``findings`` (first per check)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import negative_data_rejection

    log = FuzzCase(operation.label)
    run_settings = settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )

    def check(case: Any) -> None:
        # With a customer's key, so the fuzzer gets past authentication into the route's own code.
        response = case.call(session=session, base_url=url, timeout=10, headers=_CUSTOMER)
        log.sent += 1
        log.statuses[response.status_code] = log.statuses.get(response.status_code, 0) + 1
        for rule in (not_a_server_error, negative_data_rejection):
            try:
                case.validate_response(response, checks=[rule])
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = (operation.label, failure.title)
                    if key not in findings:
                        findings[key] = _to_finding(operation.label, failure.title, response, owners)

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run = run_settings(given(case=operation.as_strategy(generation_mode=mode))(check))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # hypothesis' notes about generation speed: noise here
            try:
                run()
            except Unsatisfiable:
                pass  # nothing invalid to send: an operation without parameters or body
    return log


def _to_finding(operation: str, title: str, response: object, owners: dict[str, str]) -> Finding:
    status = getattr(response, "status_code", 0)
    request = getattr(response, "request", None)
    asked = f"{getattr(request, 'method', '')} {getattr(request, 'url', '')}"
    body = getattr(request, "body", None)
    if body:
        asked += f" {body[:120]!r}"
    text = str(getattr(response, "text", ""))[:160].replace("\n", " ")
    flaw = owners.get(operation) if status >= 500 else None
    ledger = load_ledger()
    if flaw is not None:
        entry = ledger[flaw]
        return Finding(
            "fuzz", entry.severity, entry.owasp, f"{title} on {operation}", asked, f"{status} {text}", entry.fix, flaw
        )
    severity = "high" if status >= 500 else "medium"
    owasp = "API8:2023 Security Misconfiguration"
    return Finding("fuzz", severity, owasp, f"{title} on {operation}", asked, f"{status} {text}", _FIX_500)
