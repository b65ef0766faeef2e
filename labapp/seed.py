"""The two seed documents' code, as they wrote it, made runnable where it can be.

The first seed (prometheus-client, OpenTelemetry, graceful degradation,
slowapi, circuitbreaker) reached us with its indentation lost: its functions
here restore the obvious indentation and change only what each docstring lists.
The second seed (an article on API monitoring with FastAPI) has fragments that
do not compile: they are kept as printed, in ``SEED_*`` strings (its
indentation is non-breaking spaces), beside the smallest correction that runs.

- 01 metrics: ``make_seed_app`` (``SEED_METRICS_AS_STORED``: its lost indentation).
- 03 health checks: ``SEED_HEALTH_CHECK``, ``make_seed_health_check``; the lab's
  version is ``check_health`` and ``run_health_schedule``.
- 04 error rates: ``SEED_ERROR_RATE``, ``make_seed_error_app``.
- 05 tracing: ``make_seed_traced_app``.
- 06 logs: ``SEED_LOG_ALERT``, ``send_notification`` (notifies no one), and
  ``notify_log_alert`` (the fix, without plyer); the parsing it left out is
  :func:`labapp.logs.check_log_file`.
- 07 graceful degradation: ``make_seed_degrading_app``.
- 08 rate limiting: ``make_seed_limited_app``; ``SEED_THROTTLE`` (cannot run).
- 09 circuit breaker: ``make_seed_breaker_app``: its ``except Exception`` tells
  declined customers their payment was delayed.

``tests/test_seed_fidelity.py`` pins the facts each notebook quotes.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TextIO

import httpx
import schedule
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

__all__ = [
    "SEED_ERROR_RATE",
    "SEED_HEALTH_CHECK",
    "SEED_LOG_ALERT",
    "SEED_METRICS_AS_STORED",
    "SEED_THROTTLE",
    "check_health",
    "make_seed_app",
    "make_seed_breaker_app",
    "make_seed_degrading_app",
    "make_seed_error_app",
    "make_seed_health_check",
    "make_seed_limited_app",
    "make_seed_traced_app",
    "notify_log_alert",
    "run_health_schedule",
    "send_notification",
]


def make_seed_app(registry: CollectorRegistry) -> FastAPI:
    """The first seed's ``metrics.py`` and ``main.py``, with its indentation restored.

    What changed, and only that: ``registry=registry`` on both metrics and in
    ``generate_latest(registry)`` (the seed uses the global registry, which
    refuses a second definition when a cell is re-run), both files in one
    function, and a ``/products/{product_id}`` route so there is something to
    measure (the seed shows only ``/metrics``).
    """
    # metrics.py — define what you want to measure
    # A counter only ever goes up — perfect for "how many requests"
    REQUEST_COUNT = Counter(
        "http_requests_total",
        "Total HTTP requests",
        ["method", "path", "status"],
        registry=registry,
    )
    # A histogram records a distribution — perfect for "how long did it take"
    REQUEST_DURATION = Histogram(
        "http_request_duration_seconds",
        "Request duration in seconds",
        ["method", "path"],
        registry=registry,
    )

    # main.py — measure every request and expose the numbers
    app = FastAPI()

    @app.middleware("http")
    async def measure(request: Request, call_next):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        response = await call_next(request)
        REQUEST_DURATION.labels(request.method, request.url.path).observe(time.perf_counter() - start)
        REQUEST_COUNT.labels(request.method, request.url.path, response.status_code).inc()
        return response

    # Prometheus scrapes (visits) this endpoint on a schedule
    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/products/{product_id}")  # not in the seed: a page to measure
    async def read_product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    return app


# The seed's middleware exactly as the stored copy has it: every line at column 0.
SEED_METRICS_AS_STORED = """\
@app.middleware('http')
async def measure(request: Request, call_next):
start = time.perf_counter()
response = await call_next(request)
"""


# The second seed's health check, exactly as the article prints it, indentation
# included: copied from a web page, it is made of non-breaking spaces (\xa0), and
# Python stops at the first one. With plain spaces, it stops at the first
# `except`, which has no `try`.
# Its other defects: `raise_for_status()` compared with None (in httpx it returns
# the response, so "OK" is never printed), `endpoint = ""`, two functions whose
# bodies are only a comment, and `BackgroundTasks` asked for in a start-up hook
# that is never registered (FastAPI injects it into request handlers only).
SEED_HEALTH_CHECK = """\
from fastapi import FastAPI, BackgroundTasks, HTTPException
import httpx
import schedule
import time

#Endpoint to validate for health and availability
endpoint = ""

def endpoint_health_check():
\xa0 \xa0 \xa0 response = httpx.get(endpoint)
\xa0 \xa0 \xa0 status = response.raise_for_status()
\xa0 \xa0 \xa0 if status == None:
\xa0 \xa0 \xa0 \xa0 Health_check = "OK"
\xa0 \xa0 \xa0 \xa0 print(f"Health Status: {Health_check}")
\xa0 \xa0 except httpx.RequestError as e:
\xa0 \xa0 \xa0 error = f"Error: {str(e)}"
\xa0 \xa0 \xa0 print(f"Health Status: {error}")
\xa0 except httpx.HTTPError as e:
\xa0 \xa0 \xa0 error = f"HTTP Error: {e.response.status_code}"
\xa0 \xa0 \xa0 print(f"Health Status: {error}")
\xa0 except Exception as e:
\xa0 \xa0 \xa0 error = f"Unexpected Error: {str(e)}"
\xa0 \xa0 \xa0 print(f"Health Status: {error}")

def run_periodic_health_checks():
\xa0 # Schedule the health check every 10 mins

app = FastAPI()

async def on_startup(background_health_check_init: BackgroundTasks):
\xa0 # Starting background periodic health check
"""


def make_seed_health_check(endpoint: str) -> Callable[[], None]:
    """The seed's ``endpoint_health_check``, with the smallest correction that lets it run.

    The correction: plain spaces for the non-breaking ones, consistent
    indentation, and a ``try:`` above the first three lines; ``endpoint`` is a
    parameter (the seed's is ``""``). Everything
    else is the seed's, including ``status == None``, which is never true in
    httpx: ``raise_for_status()`` returns the response, so "OK" is never printed.
    """

    def endpoint_health_check():  # type: ignore[no-untyped-def]
        try:
            response = httpx.get(endpoint)
            status = response.raise_for_status()
            if status == None:  # noqa: E711  # the seed's comparison, kept
                Health_check = "OK"
                print(f"Health Status: {Health_check}")
        except httpx.RequestError as e:
            error = f"Error: {str(e)}"
            print(f"Health Status: {error}")
        except httpx.HTTPError as e:
            error = f"HTTP Error: {e.response.status_code}"  # type: ignore[attr-defined]
            print(f"Health Status: {error}")
        except Exception as e:
            error = f"Unexpected Error: {str(e)}"
            print(f"Health Status: {error}")

    return endpoint_health_check  # type: ignore[no-any-return]


# The second seed's log alert, exactly as the article prints it. As printed it
# does not compile (non-breaking spaces). With plain spaces it compiles, then
# stops at `from plyer import notification` where plyer is not installed, as
# here. Beyond that: nothing parses the file ("Parsed item from log file" is a
# placeholder), `send_notification` only assigns the tuple ("Log Alert",) to a
# local and notifies no one, and an ERROR-level file has no line per request,
# so no denominator for an error rate.
SEED_LOG_ALERT = """\
import logging
from plyer import notification

logging.basicConfig(filename="API_error_analysis.log", level=logging.ERROR)

message = "Parsed item from log file"

def send_notification(message):
\xa0 \xa0 \xa0 title="Log Alert",
"""


def send_notification(message):  # type: ignore[no-untyped-def]
    """The second seed's ``send_notification``, with plain spaces for its non-breaking ones.

    Nothing else changed: it assigns the tuple ``("Log Alert",)`` to a local
    (the trailing comma) and returns ``None``. plyer is never called.
    """
    title = ("Log Alert",)  # noqa: E225, F841  # the seed's line, as written


def notify_log_alert(message: str, title: str = "Log Alert", notify: Callable[[str], object] = print) -> None:
    """What ``send_notification`` meant, without plyer: hand ``title`` and ``message`` to ``notify``.

    plyer's ``notification.notify(title=..., message=...)`` shows a desktop
    pop-up, which a Jupyter kernel on a server cannot show anyone. The lab
    prints; in production ``notify`` posts to a pager or chat webhook.
    """
    notify(f"{title}: {message}")


# The second seed's throttling, exactly as the article prints it. It cannot run:
# `from import` is a syntax error, `limiter.consume(` and the two-line string are
# never closed, the indentation is non-breaking spaces, and FastAPI has no
# `fastapi.throttling` module (no Throttle, ThrottleRequest or SimpleRateLimiter).
# What it meant: 500 requests a minute per authenticated user, and callers over
# the limit wait (block=True) instead of being rejected.
SEED_THROTTLE = """\
from fastapi import FastAPI, Depends
from import OAuth2PasswordBearer
from fastapi.throttling import Throttle, ThrottleRequest, SimpleRateLimiter

app = FastAPI()

# enabling throttle setting
limiter = SimpleRateLimiter(rate_limit="500/minute", block=True)

# validting users for redirection and limiting
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

async def get_current_user(token: str = Depends(oauth2_scheme)):
\xa0 return token

async def bounded_endpoint(current_user: str = Depends(get_current_user),
\xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 \xa0 request: ThrottleRequest = Depends()):
\xa0 await limiter.consume(
\xa0 return {"message": "The rate limit is 500 per minute.
\xa0 \xa0 \xa0 \xa0 \xa0 \xa0 upgrade for more"}
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


# The second seed's error-rate tracking, exactly as the article prints it. It
# does not compile (non-breaking spaces; then a parenthesis never closed), and
# once it does: JSONResponse is not imported, calculate_error_rate() does not
# exist, the handler is never registered, and total_requests grows only inside
# the error handler, so the rate is 100 % as soon as there is one error.
SEED_ERROR_RATE = """\
from fastapi import FastAPI, HTTPException

app = FastAPI()

error_count = 0
total_requests = 0

async def http_exception_handler(rqst, excpn):
\xa0 global error_count, total_requests
\xa0 error_count += 1
\xa0 total_requests += 1
\xa0 return JSONResponse(
\xa0 \xa0 \xa0 content={"error": excpn.detail, "error_rate": calculate_error_rate()},

def error_rate_validation():
\xa0 if total_requests == 0:
\xa0 \xa0 \xa0 return 0.0
\xa0 return (error_count / total_requests) * 100.0
"""


def make_seed_error_app(fail_share: float = 0.1, crash_share: float = 0.05, seed: int = 0) -> FastAPI:
    """The seed's error-rate handler, with the smallest correction that runs.

    The correction: plain spaces; ``JSONResponse`` imported (at the top of this
    module); ``calculate_error_rate()``, which does not exist, replaced by
    ``error_rate_validation()``, which the seed defines; the parenthesis closed;
    the handler registered for ``HTTPException``. ``global`` becomes
    ``nonlocal`` because the counters live in this factory (a re-run starts from
    zero). Kept as the seed has them: ``total_requests`` grows only in the
    error handler, and the ``JSONResponse`` has no ``status_code`` (so 200).

    Not in the seed: a route that raises ``HTTPException(503)`` for
    ``fail_share`` of requests (a dependency is down) and a plain exception for
    ``crash_share`` (a bug), and ``app.state`` readers for the notebook.
    """
    app = FastAPI()

    error_count = 0
    total_requests = 0

    async def http_exception_handler(rqst, excpn):  # type: ignore[no-untyped-def]
        nonlocal error_count, total_requests  # the seed: global
        error_count += 1
        total_requests += 1
        return JSONResponse(
            content={"error": excpn.detail, "error_rate": error_rate_validation()},
        )  # the seed leaves this parenthesis open

    def error_rate_validation():  # type: ignore[no-untyped-def]
        if total_requests == 0:
            return 0.0
        return (error_count / total_requests) * 100.0

    app.add_exception_handler(HTTPException, http_exception_handler)  # the seed never registers it

    rng = random.Random(seed)
    shares = {"fail": fail_share, "crash": crash_share}
    failed = {"503": 0, "crash": 0}

    @app.get("/products/{product_id}")  # not in the seed: something to fail
    async def read_product(product_id: int) -> dict[str, int]:
        roll = rng.random()
        if roll < shares["crash"]:
            failed["crash"] += 1
            raise RuntimeError("a bug")
        if roll < shares["crash"] + shares["fail"]:
            failed["503"] += 1
            raise HTTPException(503, "dependency unavailable")
        return {"product_id": product_id}

    def set_failures(fail: float, crash: float) -> None:
        shares.update(fail=fail, crash=crash)

    app.state.error_rate = error_rate_validation
    app.state.set_failures = set_failures
    app.state.counts = lambda: (error_count, total_requests)
    app.state.failed = failed  # what the route really did
    return app


def make_seed_traced_app(out: TextIO = sys.stdout) -> FastAPI:
    """The first seed's ``tracing.py``, with its indentation restored: a global
    TracerProvider, a BatchSpanProcessor with a ConsoleSpanExporter, and
    ``setup_tracing(app)``, which calls ``FastAPIInstrumentor.instrument_app``.

    What changed, and only that: ``ConsoleSpanExporter(out=out)``, where the
    exporter prints, so the notebook can count the spans it printed; an app with
    a ``/products/{product_id}`` route, handed to ``setup_tracing`` (the seed
    does not show its app). Call it twice in one process and see why the lab
    does not do it this way.
    """
    # tracing.py — wire tracing into your FastAPI app
    from opentelemetry import trace
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    trace.set_tracer_provider(TracerProvider())
    # ConsoleSpanExporter just prints traces; swap for an OTLP exporter in production
    trace.get_tracer_provider().add_span_processor(  # type: ignore[attr-defined]
        BatchSpanProcessor(ConsoleSpanExporter(out=out))
    )

    def setup_tracing(app):  # type: ignore[no-untyped-def]
        # Auto-creates a trace for every request — no per-route code needed
        FastAPIInstrumentor.instrument_app(app)

    app = FastAPI()  # not in the seed: an app to trace

    @app.get("/products/{product_id}")
    async def read_product(product_id: int) -> dict[str, int]:
        return {"product_id": product_id}

    setup_tracing(app)
    return app


def make_seed_degrading_app(catalog_url: str, recommender_url: str) -> FastAPI:
    """The first seed's product page, with its indentation restored: the catalog is essential
    ("let it raise"), recommendations are fetched in a try/except that logs
    ``logger.warning('recommendations unavailable: %s', err)`` and falls back to ``[]``.

    What changed, and only that: ``db`` and ``recommender``, which the seed never defines,
    are small clients of the lab's catalog and recommender over HTTP (``httpx.AsyncClient``,
    no timeout, like the seed, which sets none); a ``/products/{product_id}`` route serves
    ``get_product_page``. The logger is ``logging.getLogger(__name__)``, here
    ``labapp.seed``, so the lab's log capture sees its warnings.
    """
    client = httpx.AsyncClient(timeout=None)

    class Catalog:  # not in the seed: `db`, on the lab's catalog service
        async def get_product(self, product_id: int) -> dict[str, object]:
            response = await client.get(f"{catalog_url}/products/{product_id}")
            response.raise_for_status()
            return dict(response.json())

    class Recommender:  # not in the seed: `recommender`, on the lab's recommender service
        async def fetch(self, product_id: int) -> list[object]:
            response = await client.get(f"{recommender_url}/recommendations/{product_id}")
            response.raise_for_status()
            return list(response.json()["items"])

    db, recommender = Catalog(), Recommender()

    # A product page that still works when recommendations are down
    logger = logging.getLogger(__name__)

    async def get_product_page(product_id: int):  # type: ignore[no-untyped-def]
        product = await db.get_product(product_id)  # essential — let it raise
        try:
            recommendations = await recommender.fetch(product_id)  # nice-to-have
        except Exception as err:
            logger.warning("recommendations unavailable: %s", err)
            recommendations = []  # fall back instead of failing the whole page
        return {"product": product, "recommendations": recommendations}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()  # not in the seed: the lab starts and stops this app many times

    app = FastAPI(lifespan=lifespan)
    app.get("/products/{product_id}")(get_product_page)  # not in the seed: the route
    return app


def make_seed_breaker_app(payments_url: str, recovery_timeout: float = 30) -> FastAPI:
    """The first seed's circuit breaker, with its indentation restored: ``call_payment_api``
    under ``@circuit(failure_threshold=5, recovery_timeout=30)``, and ``charge``, which catches
    ``Exception`` and answers ``{'status': 'queued', 'note': 'payment delayed'}``.

    What changed, and only that: ``payment_client`` (which the seed never defines) is an
    ``httpx.Client`` on the lab's payments service whose ``charge`` posts the order and raises
    on an error status, as the seed's comment says; ``recovery_timeout`` is a parameter
    (lab-sized values); the breaker is built per app (a re-run starts closed); a ``/checkout``
    route calls ``charge``.
    """
    from circuitbreaker import CircuitBreakerMonitor, circuit

    class PaymentClient:  # not in the seed: a real payments endpoint behind its name
        def __init__(self) -> None:
            self.http = httpx.Client(base_url=payments_url, timeout=None)

        def charge(self, order: dict[str, object]) -> dict[str, object]:
            response = self.http.post("/charges", json=order)
            response.raise_for_status()  # "raises on failure"
            return dict(response.json())

    payment_client = PaymentClient()

    # After 5 failures the circuit "opens" and calls fail fast for 30 seconds,
    # instead of hanging while the broken service times out.
    @circuit(failure_threshold=5, recovery_timeout=recovery_timeout)
    def call_payment_api(order):  # type: ignore[no-untyped-def]
        return payment_client.charge(order)  # raises on failure

    def charge(order):  # type: ignore[no-untyped-def]
        try:
            return call_payment_api(order)
        except Exception:
            # Plan B while the circuit is open
            return {"status": "queued", "note": "payment delayed"}

    app = FastAPI()

    @app.post("/checkout")  # not in the seed: the route that calls charge()
    def checkout(order: dict[str, object]) -> dict[str, object]:
        return charge(order)  # type: ignore[no-any-return]

    # Not in the seed: the breaker object, to watch its state. The decorator
    # registered it under the function's name a moment ago.
    app.state.breaker = CircuitBreakerMonitor.get(call_payment_api.__qualname__)
    return app


def make_seed_limited_app(limit: str = "100/minute") -> FastAPI:
    """The first seed's rate limiting, with its indentation restored: slowapi keyed by
    ``get_remote_address``, its 429 handler, ``@limiter.limit('100/minute')`` on
    ``/api/items``.

    What changed, and only that: ``limit`` is a parameter (lab-sized values;
    the seed's ``'100/minute'`` by default), and the limiter is built per app,
    so a re-run starts with fresh counters.
    """
    from slowapi import Limiter, _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded
    from slowapi.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address)  # track callers by IP
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]

    @app.get("/api/items")
    @limiter.limit(limit)  # max 100 requests per IP per minute
    def list_items(request: Request):  # type: ignore[no-untyped-def]
        return {"items": []}

    return app
