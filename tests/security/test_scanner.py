"""The scanner against the ledger: every planted flaw found, nothing in the hardened shop, fuzzing finds no 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from labapp import Lab
from labapp.security import findings_frame, load_ledger
from labapp.security.report import parse_flaws
from labapp.security.static import bandit_scan
from labapp.shop.flaws import FLAWS, VULNERABLE


@pytest.fixture(scope="module")
def vulnerable() -> Iterator[Lab]:
    with Lab(flaws=VULNERABLE) as lab:
        yield lab


def test_the_ledger_lists_every_plantable_flaw_with_an_owasp_item() -> None:
    ledger = load_ledger()
    assert list(ledger) == list(FLAWS)
    for flaw in ledger.values():
        assert flaw.owasp.startswith(("API1:2023", "API2:2023", "API3:2023", "API4:2023", "API5:2023", "API8:2023"))
        assert flaw.severity in ("high", "medium", "low")
        assert flaw.where.split(" ")[0].startswith("labapp/")


def test_every_planted_flaw_is_found_and_every_finding_points_at_one(vulnerable: Lab) -> None:
    report = vulnerable.scan(fuzz_examples=5)
    result = report.score()
    assert result.missed == ()
    assert result.recall == 1.0
    assert result.unexpected == ()
    assert result.precision == 1.0
    frame = findings_frame(report.findings)
    assert list(frame["severity"]) == sorted(frame["severity"], key=("high", "medium", "low").index)
    for finding in report.findings:
        assert finding.request and finding.response and finding.fix
    # The report is on the shop's /metrics, for an alert rule to page on.
    page = httpx.get(vulnerable.url + "/metrics").text
    assert f'security_findings{{severity="high"}} {report.counts()["high"]}.0' in page
    assert report.counts()["high"] >= 4


def test_the_hardened_shop_has_no_finding_and_fuzzing_finds_no_server_error() -> None:
    with Lab() as lab:
        report = lab.scan(fuzz_examples=10)
        schema = httpx.get(lab.url + "/openapi.json").json()
    assert report.findings == [], findings_frame(report.findings).to_string()
    operations = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}
    assert {case.operation for case in report.fuzzed} == operations
    for case in report.fuzzed:
        assert not [status for status in case.statuses if status >= 500], case
    assert report.requests_fuzzed > 150
    assert str(report.score()) == "no flaws planted; 0 findings (each one is news)"


@pytest.fixture(scope="module")
def one_lab() -> Iterator[Lab]:
    """One lab for the single-flaw scans: each restarts only the shop (reconfigure)."""
    with Lab() as lab:
        yield lab


@pytest.mark.parametrize("flaw", [f for f in FLAWS if f != "error-traces"])
def test_each_flaw_alone_is_found_and_nothing_else(one_lab: Lab, flaw: str) -> None:
    one_lab.reconfigure({"flaws": (flaw,)})
    report = one_lab.scan(fuzz_examples=0)
    assert report.score().found == (flaw,)
    assert report.score().unexpected == ()


def test_a_leak_is_seen_only_when_something_fails(one_lab: Lab) -> None:
    """error-traces alone is latent: no input breaks the hardened search. With the injectable one, it shows."""
    one_lab.reconfigure({"flaws": ("error-traces",)})
    alone = one_lab.scan(fuzz_examples=0)
    one_lab.reconfigure({"flaws": ("error-traces", "search-sqli")})
    both = one_lab.scan(fuzz_examples=0)
    assert alone.score().missed == ("error-traces",)
    assert both.score().missed == ()
    trace = next(f for f in both.findings if f.flaw == "error-traces")
    assert trace.response.startswith("500 Traceback")


def test_bandit_finds_the_planted_sql_and_nothing_unexplained() -> None:
    results = bandit_scan()
    planted = [r for r in results if r.verdict == "planted"]
    assert [(r.test, r.path) for r in planted] == [("B608", "labapp/shop/store.py")]
    assert [r for r in results if r.verdict == "unexplained"] == []
    assert all(r.reason for r in results)


def test_parse_flaws() -> None:
    assert parse_flaws("none") == ()
    assert parse_flaws("all") == VULNERABLE
    assert parse_flaws("cors-any-origin, search-sqli") == ("cors-any-origin", "search-sqli")
    with pytest.raises(ValueError, match="unknown flaws"):
        parse_flaws("sqli")
