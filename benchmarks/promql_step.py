"""What one query_range step of the embedded PromQL engine costs after 10 and after 60 minutes of scrapes.

    python benchmarks/promql_step.py [--minutes 10,60] [--repeat 20]

It takes one real /metrics page of the shop (a lab under a short load, so the
histograms and counters have series), then fills a SeriesStore with that page
scraped every second for N minutes (counters rising, as a real scrape would
see them), and times ``evaluate(parse(q), store, t)`` at the newest instant:
the cost of one step of a notebook's ``query_range``. A step should cost the
same whatever N is: only the window a query asks for is read.

Uses only ``SeriesStore.add``, ``parse`` and ``evaluate``, so it runs against
older versions of labapp too (put their checkout first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from labapp import Lab
from labapp.observe.promql import evaluate, parse
from labapp.observe.store import SeriesStore

QUERIES = {
    "rate by route": "sum by (route) (rate(shop_http_requests_total[5s]))",
    "error ratio": 'sum(rate(shop_http_requests_total{status=~"5.."}[5s])) / sum(rate(shop_http_requests_total[5s]))',
    "p95": "histogram_quantile(0.95, sum by (le) "
    '(rate(shop_http_request_duration_seconds_bucket{route="/products/{product_id}"}[5s])))',
    "gauge": "shop_http_requests_in_flight",
}


def shop_page() -> list[tuple[str, dict[str, str], float]]:
    with Lab() as lab:
        lab.load(rate=50, duration_s=1, progress=False)
        text = httpx.get(lab.url + "/metrics").text
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def filled_store(page: list[tuple[str, dict[str, str], float]], minutes: int) -> SeriesStore:
    store = SeriesStore()
    extra = {"job": "shop", "instance": "127.0.0.1:8000"}
    for second in range(minutes * 60):
        store.add(float(second), [(n, labels, v + 10.0 * second) for n, labels, v in page], extra)
    return store


def step_ms(store: SeriesStore, query: str, at: float, repeat: int) -> float:
    node = parse(query)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate(node, store, at)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="10,60", help="comma-separated store ages in minutes")
    parser.add_argument("--repeat", type=int, default=20, help="evaluations per query (median reported)")
    args = parser.parse_args()
    page = shop_page()
    print(f"one scrape of the shop: {len(page)} samples")
    print(f"{'minutes':>7} {'samples':>10} " + " ".join(f"{name:>14}" for name in QUERIES) + "   (ms per step)")
    for minutes in (int(m) for m in args.minutes.split(",")):
        store = filled_store(page, minutes)
        at = minutes * 60 - 1.0
        cells = [step_ms(store, q, at, args.repeat) for q in QUERIES.values()]
        print(f"{minutes:>7} {len(page) * minutes * 60:>10,} " + " ".join(f"{c:>14.3f}" for c in cells))


if __name__ == "__main__":
    main()
