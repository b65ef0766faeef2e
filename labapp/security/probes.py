"""The lab's own probes: what a schema-driven fuzzer does not check.

Each probe sends a few real requests and returns findings. Two vantage points:

- **inside**: real HTTP over loopback, like another program or learner on the
  same machine;
- **outside**: the same app object called in process with a peer address from
  the documentation range (203.0.113.7), as a caller on the internet would
  reach it through a public address. On one loopback-only machine there is no
  other way to be remote; the shop's checks read the same socket-peer field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp

from ..aio import run_sync
from .findings import Finding
from .ledger import load_ledger

__all__ = ["OUTSIDE_ADDRESS", "PROBES", "ScanTarget", "run_probes"]

OUTSIDE_ADDRESS = "203.0.113.7"  # TEST-NET-3 (RFC 5737): never a real host
_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "', "sqlite3.", "OperationalError")
_SENSITIVE_KEY = re.compile(r"cost|supplier|password|secret|token|internal|card(?!_last4)", re.IGNORECASE)
_JSON = {"content-type": "application/json"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@dataclass
class ScanTarget:
    """A running shop: its URL (inside), its app object (outside) and two customers' API keys."""

    url: str
    app: ASGIApp
    keys: tuple[str, str] = ("free-key-ada", "free-key-bob")
    inside: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A new connection per request: a shop that fails with an exception (error-traces)
        # closes its end, and the next request on a kept-alive connection meets a reset.
        self.inside = httpx.Client(base_url=self.url, timeout=10.0, headers={"Connection": "close"})

    def outside(self, method: str, path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(OUTSIDE_ADDRESS, 40_000))
            host = httpx.URL(self.url).netloc.decode()
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
                return await client.request(method, path)

        return run_sync(call, name="lab-scan-outside")

    def close(self) -> None:
        self.inside.close()


def _said(response: httpx.Response, limit: int = 160) -> str:
    text = response.text.replace("\n", " ")
    return f"{response.status_code} {text[:limit]}{'...' if len(text) > limit else ''}"


def _asked(response: httpx.Response, via: str = "") -> str:
    request = response.request
    body = request.content.decode(errors="replace")[:120] if request.content else ""
    return f"{via}{request.method} {request.url.raw_path.decode()}" + (f" {body}" if body else "")


def _finding(flaw: str, check: str, response: httpx.Response, detail: str = "", via: str = "") -> Finding:
    entry = load_ledger()[flaw]
    title = entry.title + (f": {detail}" if detail else "")
    return Finding(check, entry.severity, entry.owasp, title, _asked(response, via), _said(response), entry.fix, flaw)


def probe_security_headers(target: ScanTarget) -> list[Finding]:
    """ZAP's passive rules 10021 (nosniff), 10020 (framing), 10038 (CSP), 10036 (Server version)."""
    response = target.inside.get("/health")
    headers = response.headers
    missing = [
        name
        for name, present in (
            ("X-Content-Type-Options: nosniff (ZAP 10021)", headers.get("x-content-type-options") == "nosniff"),
            (
                "X-Frame-Options or CSP frame-ancestors (ZAP 10020)",
                "x-frame-options" in headers or "frame-ancestors" in headers.get("content-security-policy", ""),
            ),
            ("Content-Security-Policy (ZAP 10038)", "content-security-policy" in headers),
        )
        if not present
    ]
    findings = []
    if missing:
        findings.append(
            _finding("security-headers-missing", "security-headers", response, f"missing {', '.join(missing)}")
        )
    server = headers.get("server", "")
    if re.search(r"\d", server):
        findings.append(
            _finding("security-headers-missing", "server-version", response, f"Server: {server} (ZAP 10036)")
        )
    return findings


def probe_cors(target: ScanTarget) -> list[Finding]:
    """Would a page on another site be allowed to read the answer?"""
    response = target.inside.get("/products/1", headers={"Origin": "https://evil.example"})
    allowed = response.headers.get("access-control-allow-origin", "")
    if allowed in ("*", "https://evil.example"):
        return [_finding("cors-any-origin", "cors", response, f"Access-Control-Allow-Origin: {allowed}")]
    return []


def probe_internals(target: ScanTarget) -> list[Finding]:
    """Docs, schema and metrics, asked for from outside."""
    findings = []
    for path in ("/docs", "/openapi.json", "/metrics"):
        response = target.outside("GET", path)
        if response.status_code == 200:
            findings.append(_finding("internals-exposed", "internals", response, path, via="from outside: "))
    return findings


def probe_admin(target: ScanTarget) -> list[Finding]:
    """The fault-control API without the lab's secret, from this machine and from outside."""
    findings = []
    inside = target.inside.get("/admin/faults")
    if inside.status_code == 200:
        findings.append(_finding("admin-open", "admin-auth", inside, "from this machine, no secret"))
    outside = target.outside("GET", "/admin/faults")
    if outside.status_code == 200:
        findings.append(_finding("admin-open", "admin-auth", outside, "from outside", via="from outside: "))
    return findings


def probe_error_disclosure(target: ScanTarget) -> list[Finding]:
    """Hostile inputs; does any 5xx body show the program's insides?"""
    attempts = [
        lambda: target.inside.get("/search", params={"q": "'"}),
        lambda: target.inside.get("/search", params={"q": '"\\'}),
        lambda: target.inside.get("/products/1e99"),
        lambda: target.inside.post(
            "/checkout", content=b'{"product_id": 1,', headers={"content-type": "application/json"}
        ),
    ]
    for attempt in attempts:
        response = attempt()
        if response.status_code >= 500 and any(marker in response.text for marker in _TRACE_MARKERS):
            return [_finding("error-traces", "error-disclosure", response, "a stack trace in the answer")]
    return []


def probe_sql_injection(target: ScanTarget) -> list[Finding]:
    """Boolean-based: a condition that is always true must not widen the search; error-based: a quote must not 500."""

    def count(q: str) -> tuple[int, httpx.Response]:
        response = target.inside.get("/search", params={"q": q})
        items = response.json().get("items", []) if response.status_code == 200 else []
        return len(items), response

    baseline, _ = count("zzqx")
    widened, response = count("zzqx' OR '1'='1' --")
    if widened > baseline:
        return [
            _finding("search-sqli", "sql-injection", response, f"{widened} rows for an injected OR, {baseline} without")
        ]
    _, broken = count("zzqx'")
    if broken.status_code >= 500:
        return [_finding("search-sqli", "sql-injection", broken, "a single quote breaks the query")]
    return []


def probe_object_authorization(target: ScanTarget) -> list[Finding]:
    """Customer A orders; can customer B read A's order with B's own valid key?"""
    owner, other = ({"Authorization": f"Bearer {key}"} for key in target.keys)
    order = target.inside.post("/checkout", json={"product_id": 3, "quantity": 1}, headers=owner)
    if order.status_code != 200:
        return []  # no order to try with (the shop is failing): nothing to conclude
    order_id = order.json()["order_id"]
    response = target.inside.get(f"/orders/{order_id}", headers=other)
    if response.status_code == 200:
        return [_finding("order-bola", "object-authorization", response, "another customer's order, with a valid key")]
    return []


def probe_login_attempts(target: ScanTarget, attempts: int = 12) -> list[Finding]:
    """Wrong passwords in a row: is the route ever limited?"""
    statuses = []
    for i in range(attempts):
        response = target.inside.post("/token", json={"username": "ada", "password": f"guess-{i}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            return []
    if 401 in statuses:
        return [_finding("login-unlimited", "login-attempts", response, f"{attempts} wrong passwords, none refused")]
    return []


def probe_excessive_data(target: ScanTarget) -> list[Finding]:
    """Fields and values a customer should not see in a product page."""
    response = target.inside.get("/products/1")
    if response.status_code != 200:
        return []
    record: dict[str, Any] = response.json()
    leaked = [key for key in record if _SENSITIVE_KEY.search(key)]
    leaked += [f"{key} (an e-mail)" for key, value in record.items() if isinstance(value, str) and _EMAIL.search(value)]
    if leaked:
        return [_finding("product-internal-fields", "excessive-data", response, f"fields {sorted(set(leaked))}")]
    return []


def probe_page_size(target: ScanTarget) -> list[Finding]:
    """Can one request ask for everything?"""
    response = target.inside.get("/items", params={"limit": 1000})
    if response.status_code == 200 and len(response.json().get("items", [])) > 100:
        return [
            _finding("items-unbounded", "page-size", response, f"{len(response.json()['items'])} items in one page")
        ]
    return []


PROBES: dict[str, Callable[[ScanTarget], list[Finding]]] = {
    "security-headers": probe_security_headers,
    "cors": probe_cors,
    "internals": probe_internals,
    "admin-auth": probe_admin,
    "error-disclosure": probe_error_disclosure,
    "sql-injection": probe_sql_injection,
    "object-authorization": probe_object_authorization,
    "login-attempts": probe_login_attempts,
    "excessive-data": probe_excessive_data,
    "page-size": probe_page_size,
}


def run_probes(target: ScanTarget) -> list[Finding]:
    """Every probe, in order (error disclosure before injection: see the ledger)."""
    return [finding for probe in PROBES.values() for finding in probe(target)]
