"""The seed code the notebooks print must stay the seeds' own code.

Each notebook that shows "the seed's code" prints a function or a string from
``labapp/seed.py``. These tests pin, as literals, the facts quoted from the two
seed documents (metric names, labels, calls, values, exception handling,
messages), so that a look-alike cannot creep back in. Where the seed documents
themselves are present (``/work/shared/seeds``, not in CI), the same literals
are also checked against them.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from labapp import seed

SEED_PY = Path(seed.__file__)
TREE = ast.parse(SEED_PY.read_text())
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SEED_DOCS = Path("/work/shared/seeds")


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _function(name: str, within: ast.AST = TREE) -> Function:
    """The one function ``name`` defined in ``within`` (module level or directly in a function body)."""
    body = within.body if isinstance(within, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) else []
    found = [n for n in body if isinstance(n, Function) and n.name == name]
    assert len(found) == 1, f"{name} defined {len(found)} times there in labapp/seed.py"
    return found[0]


def _calls(node: ast.AST, name: str) -> list[ast.Call]:
    """Calls to ``name`` (a plain name or the last attribute) anywhere under ``node``."""
    out = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called == name:
                out.append(call)
    return out


def _literals(call: ast.Call) -> list[object]:
    """The positional arguments of ``call`` that are literals."""
    values = []
    for arg in call.args:
        try:
            values.append(ast.literal_eval(arg))
        except ValueError:
            values.append(None)
    return values


def _keywords(call: ast.Call) -> dict[str, object]:
    out: dict[str, object] = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            out[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            out[kw.arg] = ast.unparse(kw.value)
    return out


def _notebook_code(name: str) -> str:
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _in_seed_docs(*facts: str) -> None:
    """Where the seed documents are present, each fact must appear in one of them (spaces ignored)."""
    if not SEED_DOCS.is_dir():
        return
    text = "".join(p.read_text() for p in sorted(SEED_DOCS.glob("*.txt"))).replace(" ", "")
    for fact in facts:
        assert fact.replace(" ", "") in text, f"not in the seeds: {fact!r}"


# -- 01 · metrics: the first seed's metrics.py and main.py ---------------------------


def test_01_seed_metrics_names_labels_and_calls() -> None:
    fn = _function("make_seed_app")
    (counter,) = _calls(fn, "Counter")
    (histogram,) = _calls(fn, "Histogram")
    assert _literals(counter) == ["http_requests_total", "Total HTTP requests", ["method", "path", "status"]]
    assert _literals(histogram) == [
        "http_request_duration_seconds",
        "Request duration in seconds",
        ["method", "path"],
    ]
    assert len(_calls(fn, "perf_counter")) == 2
    assert not _calls(fn, "time"), "the seed times with time.perf_counter(), not time.time()"
    (response,) = _calls(fn, "Response")
    assert ast.unparse(response.keywords[0].value) == "CONTENT_TYPE_LATEST"
    assert _calls(fn, "generate_latest")
    source = ast.unparse(fn)
    assert "app.middleware('http')" in source and "async def measure(request: Request, call_next)" in source
    _in_seed_docs(
        "'http_requests_total',\n'Total HTTP requests',\n['method', 'path', 'status'],",
        "'http_request_duration_seconds',\n'Request duration in seconds',\n['method', 'path'],",
        "start = time.perf_counter()",
        "Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)",
    )


def test_01_seed_app_exposes_the_seeds_names_as_written() -> None:
    registry = CollectorRegistry()
    transport = httpx.ASGITransport(app=seed.make_seed_app(registry))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://seed") as client:
            await client.get("/products/1")
            return await client.get("/metrics")

    import asyncio

    page = asyncio.run(go())
    assert page.headers["content-type"] == CONTENT_TYPE_LATEST
    labels = {"method": "GET", "path": "/products/1", "status": "200"}
    assert registry.get_sample_value("http_requests_total", labels) == 1
    assert "http_requests_total_total" not in page.text  # prometheus-client keeps the seed's name
    timed = {"method": "GET", "path": "/products/1"}
    assert registry.get_sample_value("http_request_duration_seconds_count", timed) == 1


def test_01_stored_seed_shows_its_lost_indentation() -> None:
    with pytest.raises(IndentationError):
        compile(seed.SEED_METRICS_AS_STORED, "seed", "exec")
    assert all(not line.startswith(" ") for line in seed.SEED_METRICS_AS_STORED.splitlines())
    _in_seed_docs(seed.SEED_METRICS_AS_STORED)


def test_01_notebook_prints_the_seed_app() -> None:
    code = _notebook_code("01_metrics.ipynb")
    assert "inspect.getsource(make_seed_app)" in code
    assert "SEED_METRICS_AS_STORED" in code
    assert "request_count" not in code


def test_seed_module_source_is_what_inspect_prints() -> None:
    assert inspect.getsource(seed.make_seed_app) in SEED_PY.read_text()


# -- 09 · circuit breaker: the first seed's call_payment_api and charge --------------


def test_09_seed_breaker_values_and_its_broad_except() -> None:
    fn = _function("make_seed_breaker_app")
    api = _function("call_payment_api", fn)
    (decorator,) = api.decorator_list
    assert isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "circuit"
    kws = {kw.arg: ast.unparse(kw.value) for kw in decorator.keywords}
    assert kws == {"failure_threshold": "5", "recovery_timeout": "recovery_timeout"}
    assert ast.unparse(fn.args.defaults[-1]) == "30"  # the seed's 30 s unless a notebook sizes it
    assert "return payment_client.charge(order)" in ast.unparse(api)
    charge = _function("charge", fn)
    (handler,) = [n for n in ast.walk(charge) if isinstance(n, ast.ExceptHandler)]
    assert handler.type is not None and ast.unparse(handler.type) == "Exception"
    (answer,) = [n for n in ast.walk(handler) if isinstance(n, ast.Return)]
    assert answer.value is not None
    assert ast.literal_eval(answer.value) == {"status": "queued", "note": "payment delayed"}
    _in_seed_docs(
        "@circuit(failure_threshold=5, recovery_timeout=30)",
        "def call_payment_api(order):",
        "except Exception:",
        "return {'status': 'queued', 'note': 'payment delayed'}",
    )


def test_09_notebook_prints_the_seed_breaker() -> None:
    code = _notebook_code("09_circuit_breaker_and_retries.ipynb")
    assert "inspect.getsource(make_seed_breaker_app)" in code
    assert '{"status": "queued", "note": "payment delayed"}' in code


# -- 07 · graceful degradation: the first seed's get_product_page --------------------


def test_07_seed_fallback_logs_the_seeds_warning() -> None:
    fn = _function("make_seed_degrading_app")
    page = _function("get_product_page", fn)
    assert isinstance(page, ast.AsyncFunctionDef)  # the seed's is `async def`
    (handler,) = [n for n in ast.walk(page) if isinstance(n, ast.ExceptHandler)]
    assert handler.type is not None and ast.unparse(handler.type) == "Exception" and handler.name == "err"
    (warning,) = _calls(handler, "warning")
    assert ast.unparse(warning) == "logger.warning('recommendations unavailable: %s', err)"
    assert "recommendations = []" in ast.unparse(handler)
    source = ast.unparse(page)
    assert "product = await db.get_product(product_id)" in source
    assert "recommendations = await recommender.fetch(product_id)" in source
    assert "return {'product': product, 'recommendations': recommendations}" in source
    assert "logger = logging.getLogger(__name__)" in ast.unparse(fn)
    _in_seed_docs(
        "logger.warning('recommendations unavailable: %s', err)",
        "recommendations = [] # fall back instead of failing the whole page",
        "return {'product': product, 'recommendations': recommendations}",
    )


def test_07_notebook_prints_the_seed_page_and_its_warning() -> None:
    code = _notebook_code("07_graceful_degradation.ipynb")
    assert "inspect.getsource(make_seed_degrading_app)" in code
    assert '"recommendations unavailable: "' in code


# -- 03 · health checks: the second seed's scheduled check ---------------------------


def test_03_seed_health_check_is_the_articles_text_and_fails_as_it_does() -> None:
    text = seed.SEED_HEALTH_CHECK
    for fact in (
        "import httpx\nimport schedule\n",
        "from fastapi import FastAPI, BackgroundTasks, HTTPException",
        'endpoint = ""',
        "status = response.raise_for_status()",
        "if status == None:",
        "except httpx.RequestError as e:",
        "except httpx.HTTPError as e:",
        'error = f"HTTP Error: {e.response.status_code}"',
        "except Exception as e:",
        "# Schedule the health check every 10 mins",
        "async def on_startup(background_health_check_init: BackgroundTasks):",
    ):
        assert fact in text.replace("\xa0", " "), fact
    assert "try:" not in text and "requests.get" not in text
    assert "\xa0" in text  # its indentation, as printed
    with pytest.raises(SyntaxError, match="U\\+00A0"):
        compile(text, "seed", "exec")
    with pytest.raises(IndentationError):
        compile(text.replace("\xa0", " "), "seed", "exec")
    _in_seed_docs(text)


def test_03_smallest_correction_never_says_ok(capsys: pytest.CaptureFixture[str]) -> None:
    source = ast.unparse(_function("make_seed_health_check"))
    assert "status = response.raise_for_status()" in source and "if status == None:" in source
    seed.make_seed_health_check("")()
    assert capsys.readouterr().out.startswith("Health Status: Error: ")
    ok = httpx.Response(200, request=httpx.Request("GET", "http://seed/health"))
    assert ok.raise_for_status() is ok  # never None: "OK" is never printed


def test_03_notebook_shows_the_seed_and_its_correction() -> None:
    code = _notebook_code("03_health_checks.ipynb")
    assert "print(SEED_HEALTH_CHECK)" in code
    assert "inspect.getsource(make_seed_health_check)" in code


# -- 04 · error rates: the second seed's exception handler ---------------------------


def test_04_seed_error_rate_is_the_articles_text_and_fails_as_it_does() -> None:
    text = seed.SEED_ERROR_RATE
    plain = text.replace("\xa0", " ")
    for fact in (
        "error_count = 0\ntotal_requests = 0",
        "async def http_exception_handler(rqst, excpn):",
        "global error_count, total_requests",
        '"error_rate": calculate_error_rate()},',
        "def error_rate_validation():",
        "return (error_count / total_requests) * 100.0",
    ):
        assert fact in plain, fact
    assert "import JSONResponse" not in text and "add_exception_handler" not in text
    with pytest.raises(SyntaxError, match="never closed"):
        compile(plain, "seed", "exec")
    _in_seed_docs(text)


def test_04_smallest_correction_keeps_the_seeds_logic() -> None:
    fn = _function("make_seed_error_app")
    handler = _function("http_exception_handler", fn)
    source = ast.unparse(handler)
    assert "error_count += 1" in source and "total_requests += 1" in source  # both only on errors
    (response,) = _calls(handler, "JSONResponse")
    assert [kw.arg for kw in response.keywords] == ["content"]  # no status_code, as in the seed
    assert "error_rate_validation()" in source
    assert "return error_count / total_requests * 100.0" in ast.unparse(_function("error_rate_validation", fn))

    app = seed.make_seed_error_app(fail_share=0.5, crash_share=0.0)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://seed") as client:
            return [await client.get(f"/products/{i}") for i in range(40)]

    import asyncio

    answers = asyncio.run(go())
    assert {r.status_code for r in answers} == {200}  # the seed's errors reach clients as 200s
    assert app.state.failed["503"] > 0
    assert app.state.counts() == (app.state.failed["503"], app.state.failed["503"])
    assert app.state.error_rate() == 100.0


def test_04_notebook_shows_the_seed_and_its_correction() -> None:
    code = _notebook_code("04_error_rates_and_alerts.ipynb")
    assert "print(SEED_ERROR_RATE)" in code
    assert "inspect.getsource(make_seed_error_app)" in code


# -- 08 · rate limiting: the first seed's slowapi setup, the second seed's throttling -


def test_08_seed_slowapi_setup() -> None:
    fn = _function("make_seed_limited_app")
    assert ast.unparse(fn.args.defaults[-1]) == "'100/minute'"
    (limiter,) = _calls(fn, "Limiter")
    assert ast.unparse(limiter) == "Limiter(key_func=get_remote_address)"
    route = _function("list_items", fn)
    assert [ast.unparse(d) for d in route.decorator_list] == ["app.get('/api/items')", "limiter.limit(limit)"]
    assert "return {'items': []}" in ast.unparse(route)
    assert "app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)" in ast.unparse(fn)
    _in_seed_docs(
        "limiter = Limiter(key_func=get_remote_address) # track callers by IP",
        "@app.get('/api/items')\n@limiter.limit('100/minute')",
        "def list_items(request: Request):\nreturn {'items': []}",
    )


def test_08_seed_throttle_is_the_articles_text_and_cannot_run() -> None:
    text = seed.SEED_THROTTLE
    plain = text.replace("\xa0", " ")
    for fact in (
        "from import OAuth2PasswordBearer",
        "from fastapi.throttling import Throttle, ThrottleRequest, SimpleRateLimiter",
        'limiter = SimpleRateLimiter(rate_limit="500/minute", block=True)',
        'oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")',
        "await limiter.consume(\n",
        '"The rate limit is 500 per minute.\n',
    ):
        assert fact in plain, fact
    assert "Throttle(rate=" not in text
    with pytest.raises(SyntaxError):
        compile(plain.replace("from import", "from fastapi.security import"), "seed", "exec")
    with pytest.raises(ModuleNotFoundError):
        __import__("fastapi.throttling")
    _in_seed_docs(text, 'SimpleRateLimiter(rate_limit="500/minute", block=True)')


def test_08_notebook_shows_both_seeds() -> None:
    code = _notebook_code("08_rate_limiting.ipynb")
    assert "inspect.getsource(make_seed_limited_app)" in code
    assert "print(SEED_THROTTLE)" in code and "import fastapi.throttling" in code


# -- 06 · structured logs: the second seed's log alert -------------------------------


def test_06_seed_log_alert_is_the_articles_text() -> None:
    text = seed.SEED_LOG_ALERT
    plain = text.replace("\xa0", " ")
    for fact in (
        "from plyer import notification",
        'logging.basicConfig(filename="API_error_analysis.log", level=logging.ERROR)',
        'message = "Parsed item from log file"',
        "def send_notification(message):",
        'title="Log Alert",',
    ):
        assert fact in plain, fact
    assert "send_alert" not in text and "monitor_logs" not in text
    with pytest.raises(SyntaxError, match="U\\+00A0"):
        compile(text, "seed", "exec")
    compile(plain, "seed", "exec")  # with plain spaces it compiles; plyer is what stops it
    _in_seed_docs(text)


def test_06_seed_send_notification_notifies_no_one(capsys: pytest.CaptureFixture[str]) -> None:
    fn = _function("send_notification")
    assert ast.unparse(fn.body[-1]) == "title = ('Log Alert',)"
    assert seed.send_notification("Parsed item from log file") is None
    assert capsys.readouterr().out == ""
    heard: list[str] = []
    seed.notify_log_alert("5% of requests failed", notify=heard.append)
    assert heard == ["Log Alert: 5% of requests failed"]


def test_06_notebook_shows_the_seed_and_needs_no_plyer() -> None:
    code = _notebook_code("06_structured_logs.ipynb")
    assert "print(SEED_LOG_ALERT)" in code and "inspect.getsource(send_notification)" in code
    assert "import plyer" not in code and '"API_error_analysis.log"' in code


# -- 05 · tracing: the first seed's tracing.py ---------------------------------------


def test_05_seed_tracing_setup() -> None:
    fn = _function("make_seed_traced_app")
    source = ast.unparse(fn)
    assert "trace.set_tracer_provider(TracerProvider())" in source
    assert "BatchSpanProcessor(ConsoleSpanExporter(out=out))" in source
    setup = _function("setup_tracing", fn)
    assert ast.unparse(setup.body[-1]) == "FastAPIInstrumentor.instrument_app(app)"
    assert not _calls(fn, "start_as_current_span"), "the seed adds no spans by hand"
    _in_seed_docs(
        "trace.set_tracer_provider(TracerProvider())",
        "BatchSpanProcessor(ConsoleSpanExporter())",
        "def setup_tracing(app):",
        "FastAPIInstrumentor.instrument_app(app)",
    )
