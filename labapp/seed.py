"""The seed's code, as the course material wrote it, made runnable.

Notebook 04 runs the seed's global error counters (``make_seed_error_app``).

Notebook 01 prints the metrics app, runs it, and then measures what is wrong
with it. The only change from the seed: ``registry=`` on each metric, so that
re-running a cell builds a fresh registry instead of raising
"Duplicated timeseries in CollectorRegistry" on the global one.

Notebook 03 shows the seed's scheduled health check, which does not run as
given (``SEED_HEALTH_CHECK``), and the corrected version below it.

Notebook 05 runs the seed's tracing setup (``make_seed_traced_app``) as
written, apart from where the console exporter prints.

Notebook 07 runs the seed's try/except fallback for recommendations
(``make_seed_degrading_app``) against the lab's own catalog and recommender.

Notebook 08 runs the seed's slowapi setup (``make_seed_limited_app``) and
shows its throttling idea (``SEED_THROTTLE``), which does not run.

Notebook 09 runs the seed's ``@circuit`` breaker with its "queued" fallback
(``make_seed_breaker_app``) against the lab's payments service.

Notebook 06 shows the second seed's log-file alert (``SEED_LOG_ALERT``); the
version that runs is :func:`labapp.logs.check_log_file`.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

import httpx
import schedule
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

__all__ = [
    "SEED_HEALTH_CHECK",
    "SEED_LOG_ALERT",
    "SEED_THROTTLE",
    "check_health",
    "make_seed_app",
    "make_seed_breaker_app",
    "make_seed_degrading_app",
    "make_seed_error_app",
    "make_seed_limited_app",
    "make_seed_traced_app",
    "run_health_schedule",
]


def make_seed_app(registry: CollectorRegistry) -> FastAPI:
    """The seed's app: metrics recorded in ``@app.middleware("http")``, labelled by raw path."""
    app = FastAPI()

    REQUEST_COUNT = Counter(
        "request_count", "App Request Count", ["method", "endpoint", "http_status"], registry=registry
    )
    REQUEST_LATENCY = Histogram("request_latency_seconds", "Request latency", ["endpoint"], registry=registry)

    @app.middleware("http")
    async def monitor_requests(request: Request, call_next):  # type: ignore[no-untyped-def]
        start_time = time.time()
        response = await call_next(request)
        latency = time.time() - start_time
        REQUEST_COUNT.labels(request.method, request.url.path, response.status_code).inc()
        REQUEST_LATENCY.labels(request.url.path).observe(latency)
        return response

    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type="text/plain")

    return app


# The seed's health check, in outline as the material gave it: `except` with no
# body is a SyntaxError, and nothing ever calls schedule.every(...).do(...) or
# schedule.run_pending(), so even fixed it would never run.
SEED_HEALTH_CHECK = """\
import requests
import schedule
import time

def check_health():
    try:
        response = requests.get("http://localhost:8000/health")
        if response.status_code == 200:
            print("Service is healthy")
        else:
            print("Service is unhealthy")
    except
"""


# The second seed's log-based alerting, in outline as the material gave it.
# It runs only once `send_alert` exists, and then it counts every ERROR line
# since the file began: after the 11th error of all time it alerts on every
# check, forever. Nothing calls monitor_logs, and basicConfig does nothing if
# any handler was configured before it.
SEED_LOG_ALERT = """\
import logging

logging.basicConfig(filename="app.log", level=logging.ERROR)

def monitor_logs():
    with open("app.log") as log_file:
        errors = [line for line in log_file if "ERROR" in line]
    if len(errors) > 10:
        send_alert(f"High error count: {len(errors)}")
"""


# The second seed's throttling, as the material gave it: FastAPI has no
# `fastapi.throttling` module, and no `block=True` anywhere.
SEED_THROTTLE = """\
from fastapi import FastAPI
from fastapi.throttling import Throttle

app = FastAPI()
throttle = Throttle(rate=10, per=1, block=True)

@app.get("/items")
@throttle
async def read_items():
    return {"items": []}
"""


def check_health(url: str, log: list[str]) -> None:
    """The seed's check, corrected: a timeout, and an ``except`` that says what it catches."""
    stamp = time.strftime("%H:%M:%S")
    try:
        response = httpx.get(url, timeout=1.0)
        if response.status_code == 200:
            log.append(f"{stamp} Service is healthy")
        else:
            log.append(f"{stamp} Service is unhealthy: HTTP {response.status_code}")
    except httpx.HTTPError as exc:
        log.append(f"{stamp} Service is unreachable: {type(exc).__name__}")


def run_health_schedule(url: str, every_s: float, log: list[str], stop: threading.Event) -> threading.Thread:
    """Schedule ``check_health`` every ``every_s`` seconds and run the schedule in a thread until ``stop``.

    A Scheduler of its own, not schedule's module-wide default, so re-running
    the cell does not pile up jobs. ``run_pending()`` must be called in a loop:
    that loop is what the seed was missing.
    """
    scheduler = schedule.Scheduler()
    scheduler.every(every_s).seconds.do(check_health, url, log)  # type: ignore[arg-type]  # floats work

    def loop() -> None:
        while not stop.is_set():
            scheduler.run_pending()
            stop.wait(max(scheduler.idle_seconds or every_s, 0.01))

    thread = threading.Thread(target=loop, name="lab-seed-health", daemon=True)
    thread.start()
    return thread


def make_seed_error_app(fail_share: float = 0.1, crash_share: float = 0.05, seed: int = 0) -> FastAPI:
    """The seed's error-rate tracking: two counters, bumped in ``@app.middleware("http")``.

    The seed keeps them as module globals; here they live in this factory so a
    re-run starts from zero (read them at ``app.state.error_rate()``). Its route
    answers 503 (an HTTPException) to ``fail_share`` of requests and raises a
    plain exception for ``crash_share``, as a real service's bugs would.
    """
    app = FastAPI()
    rng = random.Random(seed)
    shares = {"fail": fail_share, "crash": crash_share}
    error_count = 0
    total_requests = 0

    @app.middleware("http")
    async def track_errors(request: Request, call_next):  # type: ignore[no-untyped-def]
        nonlocal error_count, total_requests
        total_requests += 1
        try:
            return await call_next(request)
        except Exception:
            error_count += 1
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    def error_rate() -> float:
        return (error_count / total_requests) * 100 if total_requests else 0.0

    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        roll = rng.random()
        if roll < shares["crash"]:
            raise RuntimeError("a bug")
        if roll < shares["crash"] + shares["fail"]:
            raise HTTPException(503, "dependency unavailable")
        return {"product_id": product_id}

    def set_failures(fail: float, crash: float) -> None:
        shares.update(fail=fail, crash=crash)

    app.state.error_rate = error_rate
    app.state.set_failures = set_failures
    app.state.counts = lambda: (error_count, total_requests)
    return app


def make_seed_traced_app(out: TextIO = sys.stdout) -> FastAPI:
    """The seed's tracing setup, line for line: a global TracerProvider, a
    BatchSpanProcessor with a ConsoleSpanExporter, ``instrument_app``.

    The only change: ``out=``, where the exporter prints, so the notebook can
    count the spans it printed. Call it twice in one process and see why the
    lab does not do it this way.
    """
    from opentelemetry import trace
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    trace.set_tracer_provider(TracerProvider())
    tracer = trace.get_tracer(__name__)
    span_processor = BatchSpanProcessor(ConsoleSpanExporter(out=out))
    trace.get_tracer_provider().add_span_processor(span_processor)  # type: ignore[attr-defined]

    app = FastAPI()

    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        with tracer.start_as_current_span("read product"):
            return {"product_id": product_id}

    FastAPIInstrumentor.instrument_app(app)
    return app


def make_seed_degrading_app(catalog_url: str, recommender_url: str) -> FastAPI:
    """The seed's graceful degradation: recommendations in a try/except that falls back to [].

    The seed calls its services with ``requests.get(url)``, which has no
    timeout at all; here an ``httpx.AsyncClient(timeout=None)`` does the same
    without blocking the event loop. The lab's catalog and recommender answer it.
    """
    client = httpx.AsyncClient(timeout=None)

    async def get_product_details(product_id: int) -> dict[str, object]:
        response = await client.get(f"{catalog_url}/products/{product_id}")
        response.raise_for_status()
        return dict(response.json())

    async def get_recommendations(product_id: int) -> list[object]:
        response = await client.get(f"{recommender_url}/recommendations/{product_id}")
        response.raise_for_status()
        return list(response.json()["items"])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()  # not in the seed: the lab starts and stops this app many times

    app = FastAPI(lifespan=lifespan)

    @app.get("/products/{product_id}")
    async def get_product(product_id: int) -> dict[str, object]:
        product = await get_product_details(product_id)
        try:
            recommendations = await get_recommendations(product_id)
        except Exception:
            recommendations = []  # Fallback to empty recommendations
        return {"product": product, "recommendations": recommendations}

    return app


def make_seed_breaker_app(payments_url: str, recovery_timeout: float = 30) -> FastAPI:
    """The seed's circuit breaker: ``@circuit(failure_threshold=5, recovery_timeout=30)`` on the
    payments call, and a "queued" answer while it is open.

    As the seed wrote it, except: ``recovery_timeout`` is a parameter (lab-sized
    values), the breaker is built per app (so a re-run starts closed), and
    httpx's client stands in for ``requests`` (no timeout, like the seed's).
    """
    from circuitbreaker import CircuitBreakerError, CircuitBreakerMonitor, circuit

    @circuit(failure_threshold=5, recovery_timeout=recovery_timeout)
    def call_payment_service(data: dict[str, object]) -> dict[str, object]:
        response = httpx.post(f"{payments_url}/charges", json=data, timeout=None)
        response.raise_for_status()
        return dict(response.json())

    app = FastAPI()

    @app.post("/checkout")
    def checkout(data: dict[str, object]) -> dict[str, object]:
        try:
            return call_payment_service(data)
        except CircuitBreakerError:
            return {"status": "queued"}

    # Not in the seed: the breaker object, to watch its state. The decorator
    # registered it under the function's name a moment ago.
    app.state.breaker = CircuitBreakerMonitor.get(call_payment_service.__qualname__)
    return app


def make_seed_limited_app(limit: str = "100/minute") -> FastAPI:
    """The seed's rate limiting, as written: slowapi keyed by remote address, its 429 handler,
    ``@limiter.limit`` on /items. Only ``limit`` is a parameter (lab-sized values), and the
    limiter is built per app so a re-run starts with fresh counters."""
    from slowapi import Limiter, _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded
    from slowapi.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address)
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    @app.get("/items")
    @limiter.limit(limit)
    async def read_items(request: Request) -> dict[str, list[str]]:
        return {"items": ["kettle", "teapot", "mug"]}

    return app
