"""The flaws notebook 11 can plant in the shop, one switch each (``LabConfig.flaws``).

The lab's default is none of them: the hardened shop. ``VULNERABLE`` plants all
of them. data/security/ledger.yml maps each to its OWASP API Security Top 10
(2023) item, says where the code is and what fixes it; the scanner is scored
against that ledger.
"""

from __future__ import annotations

__all__ = ["FLAWS", "VULNERABLE"]

FLAWS: dict[str, str] = {
    "order-bola": "GET /orders/{id} shows any customer's order to any valid key",
    "login-unlimited": "POST /token accepts unlimited password guesses",
    "product-internal-fields": "product pages pass the catalog's internal fields (cost, supplier) through",
    "items-unbounded": "GET /items accepts any page size",
    "admin-open": "the fault-control routes ask for neither loopback nor the lab's secret",
    "security-headers-missing": "no nosniff, CSP or frame protection; a Server header names the software",
    "cors-any-origin": "Access-Control-Allow-Origin: * on every response",
    "error-traces": "a 500's body carries the Python traceback (FastAPI debug=True)",
    "internals-exposed": "/docs, /openapi.json and /metrics answer callers from anywhere",
    "search-sqli": "product search builds its SQL with an f-string",
}
VULNERABLE: tuple[str, ...] = tuple(FLAWS)
