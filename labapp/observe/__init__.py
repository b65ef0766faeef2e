"""Reading the signals back: an embedded scraper or a real Prometheus, same queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .prometheus import PrometheusServer, find_prometheus
from .promql import PromQLError
from .scrape import Scraper

__all__ = ["PromQLError", "PrometheusServer", "Scraper", "Watcher", "find_prometheus", "watch"]

Watcher = Scraper | PrometheusServer


def watch(
    targets: Mapping[str, str | Sequence[str]], *, interval_s: float = 1.0, prefer: str = "auto", quiet: bool = False
) -> Watcher:
    """Start watching ``targets``: a real Prometheus when installed, else the embedded scraper.

    ``prefer`` is "auto", "prometheus" (fail if missing) or "embedded".
    Prints which mode it chose, unless ``quiet``.
    """
    if prefer not in ("auto", "prometheus", "embedded"):
        raise ValueError(f"prefer must be 'auto', 'prometheus' or 'embedded', got {prefer!r}")
    binary = find_prometheus()
    watcher: Watcher
    if prefer == "prometheus" or (prefer == "auto" and binary):
        watcher = PrometheusServer(targets, interval_s=interval_s).start()
        version = watcher.version.split(" (")[0]
        message = f"mode: real Prometheus ({version}) at {watcher.url}, scraping every {interval_s:g} s"
    else:
        watcher = Scraper(targets, interval_s=interval_s).start()
        why = "by request" if prefer == "embedded" else "no 'prometheus' binary on PATH"
        message = f"mode: embedded scraper ({why}), scraping every {interval_s:g} s; PromQL subset evaluated in Python"
    if not quiet:
        print(message)
    return watcher
