"""A real Prometheus, started by the lab on loopback where the binary is installed.

It gets its own config, a temporary data directory and its own port, so it
never touches a system Prometheus (Debian's package also installs a service).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from ..arguments import number
from .frames import result_frame
from .process import ManagedProcess, find_binary
from .scrape import _check_range, instances_of

__all__ = ["PrometheusServer", "find_prometheus"]


def find_prometheus() -> str | None:
    """Path of the ``prometheus`` binary on PATH, or None (also when LABAPP_EMBEDDED=1)."""
    return find_binary("prometheus")


class PrometheusServer(ManagedProcess):
    """Run ``prometheus`` scraping ``targets`` ({job: base URL, or a list of them}) every ``interval_s``.

    :meth:`set_targets` changes a job's instances while it runs: the lab rewrites
    prometheus.yml and sends SIGHUP, Prometheus' own way to reload its config.
    """

    mode = "prometheus"
    name = "prometheus"
    has_web_ui = True

    def __init__(
        self,
        targets: Mapping[str, str | Sequence[str]],
        *,
        interval_s: float = 1.0,
        rule_files: Sequence[str | Path] = (),
        binary: str | None = None,
        host: str = "127.0.0.1",
        alertmanager_url: str | None = None,
    ) -> None:
        # Checked first: Prometheus itself would only refuse it in a log line at start-up.
        interval_s = number("interval_s", interval_s, minimum=0.05, maximum=60, unit="seconds")
        found = binary or find_prometheus()
        if found is None:
            raise FileNotFoundError(
                "no 'prometheus' binary on PATH. On Debian/Ubuntu: sudo apt-get install prometheus. "
                "Without it, use the embedded Scraper (lab.watch() picks it for you)."
            )
        if not targets:
            raise ValueError("give at least one target, e.g. {'shop': lab.url}")
        super().__init__(found, host)
        self.targets = {job: instances_of(job, urls) for job, urls in targets.items()}
        self.interval_s = interval_s
        self.rule_files = [Path(p).resolve() for p in rule_files]
        # Where firing alerts go (an AlertmanagerServer's url); None: nowhere.
        self.alertmanager_url = alertmanager_url

    def _interval(self) -> str:
        # Prometheus durations take integers with a unit: 1s, 500ms (never 0.5s).
        return f"{round(self.interval_s * 1000)}ms" if self.interval_s % 1 else f"{self.interval_s:.0f}s"

    def config_text(self) -> str:
        """The prometheus.yml this run uses (printed by notebook 02)."""
        interval = self._interval()
        lines = [
            "global:",
            f"  scrape_interval: {interval}",
            f"  evaluation_interval: {interval}",
        ]
        if self.rule_files:
            lines.append("rule_files:")
            lines += [f"  - {p}" for p in self.rule_files]
        if self.alertmanager_url:
            am = urlsplit(self.alertmanager_url)
            lines += ["alerting:", "  alertmanagers:", "    - static_configs:", f"        - targets: ['{am.netloc}']"]
            if am.scheme == "https":
                lines.append("      scheme: https")
            if am.path.strip("/"):
                lines.append(f"      path_prefix: {am.path}")
        lines.append("scrape_configs:")
        for job, urls in self.targets.items():
            instances = ", ".join(f"'{urlsplit(url).netloc}'" for url in urls)
            lines += [f"  - job_name: {job}", "    static_configs:", f"      - targets: [{instances}]"]
        return "\n".join(lines) + "\n"

    def prepare(self, workdir: Path) -> None:
        self._config_path = workdir / "prometheus.yml"
        self._config_path.write_text(self.config_text())

    def set_targets(self, job: str, urls: str | Sequence[str]) -> None:
        """Scrape these instances for ``job`` from now on: rewrite the config, and SIGHUP to reload it.

        Prometheus' discovery passes new targets on within about 5 s; an instance
        that left has its series ended with staleness markers.
        """
        self.targets = {**self.targets, job: instances_of(job, urls, allow_empty=True)}
        if self._process is None:
            return  # not running: the config is written at start
        text = self.config_text()
        tmp = self._config_path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self._config_path)  # atomic: Prometheus never reads half a file
        self._process.send_signal(signal.SIGHUP)

    def command(self, workdir: Path) -> list[str]:
        return [
            self.binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address={self.host}:{self.port}",
            "--log.level=warn",
            *self.web_flags(),
            *self._alerting_flags(),
        ]

    def _alerting_flags(self) -> list[str]:
        if not self.alertmanager_url:
            return []
        # Prometheus sends a firing alert at most once per resend delay (default
        # 1m). Its first sends come before it has found the Alertmanager (its
        # discovery reports targets after ~5 s) and are dropped, so with the
        # default the first notification came ~62 s after start. Lab-sized: resend
        # on every evaluation. Each alert it sends then ends 4 intervals later
        # unless sent again, so a resolved rule also reaches Alertmanager quickly.
        return [f"--rules.alert.resend-delay={self._interval()}"]

    def wait_for_scrapes(self, n: int = 2, timeout_s: float = 15.0) -> None:
        """Block until every target has been scraped ``n`` times (``up`` has n samples)."""
        deadline = time.monotonic() + timeout_s
        window = f"{max(int(self.interval_s * (n + 3)), 2)}s"
        while time.monotonic() < deadline:
            frame = self.query(f"count_over_time(up[{window}])")
            instances = sum(len(urls) for urls in self.targets.values())
            if len(frame) >= instances and (frame["value"] >= n).all():
                return
            time.sleep(self.interval_s / 4)
        raise TimeoutError(f"prometheus did not scrape every target {n} times within {timeout_s} s")

    def _api(self, path: str, params: dict[str, str]) -> dict:  # type: ignore[type-arg]
        if self._process is None:
            raise RuntimeError("prometheus is not running: call start() first")
        response = self._http().get(self.url + path, params=params)
        body = response.json()
        if body.get("status") != "success":
            raise ValueError(f"prometheus rejected the query: {body.get('error', body)}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> pd.DataFrame:
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._api("/api/v1/query", params)
        return result_frame(_rows(data), promql)

    def query_range(self, promql: str, start: float, end: float | None = None, step_s: float = 1.0) -> pd.DataFrame:
        end = time.time() if end is None else end
        _check_range(start, end, step_s)
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step_s:g}"}
        return result_frame(_rows(self._api("/api/v1/query_range", params)), promql)

    def alerts(self) -> list[dict]:  # type: ignore[type-arg]
        """Alerts Prometheus holds now (pending or firing)."""
        return list(self._api("/api/v1/alerts", {})["alerts"])

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self._process else "stopped"
        return f"<PrometheusServer {state}, scraping {list(self.targets)} every {self.interval_s:g} s>"


def _rows(data: dict) -> list[tuple[float, tuple[tuple[str, str], ...], float]]:  # type: ignore[type-arg]
    rows: list[tuple[float, tuple[tuple[str, str], ...], float]] = []
    kind = data["resultType"]
    if kind == "scalar":
        return [(float(data["result"][0]), (), float(data["result"][1]))]
    for item in data["result"]:
        labels = tuple(sorted(item["metric"].items()))
        points = item["values"] if kind == "matrix" else [item["value"]]
        rows.extend((float(t), labels, float(v)) for t, v in points)
    return rows
