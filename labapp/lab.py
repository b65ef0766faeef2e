"""Lab: the shop and its three dependencies, running in this process.

    lab = Lab().start()          # catalog, recommender, payments, then the shop
    lab.inject("payments", outage())
    lab.heal()
    lab.stop()

Starting a new Lab stops any other one in this process, so re-running a
notebook cell replaces the lab instead of leaking threads and ports.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from .config import LabConfig
from .faults import Fault, FaultSwitch, Scenario, ScenarioRun
from .load import LoadResult, LoadRun, run_closed_loop, run_open_loop
from .logs import LogCapture
from .observe import Watcher, watch
from .observe.process import ManagedProcess

if TYPE_CHECKING:
    from .alerts.stack import AlertingStack
from .runner import ServerThread
from .services import SERVICE_NAMES, make_catalog_app, make_payments_app, make_recommender_app
from .shop import make_shop_app
from .telemetry import ShopMetrics
from .tracing import Tracing

__all__ = ["FaultWindow", "Lab"]

_LIVE_LABS: weakref.WeakSet[Lab] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class FaultWindow:
    """A stretch of wall-clock time (Unix seconds) during which ``service`` had ``fault``."""

    service: str
    label: str
    start: float
    end: float | None  # None: still on


class Lab:
    """The shop and its dependencies, each served by uvicorn in a daemon thread."""

    def __init__(self, config: LabConfig | None = None, *, tracing: bool | Tracing = False, **overrides: Any) -> None:
        """``tracing=True`` traces every request (``lab.tracing`` holds the spans);
        pass a :class:`~labapp.tracing.Tracing` to choose its sampling."""
        if config is not None and not isinstance(config, LabConfig):
            raise TypeError(f"config must be a LabConfig, got {type(config).__name__}")
        if not isinstance(tracing, (bool, Tracing)):
            raise TypeError(f"tracing must be True, False or a Tracing(...), got {type(tracing).__name__}")
        base = config or LabConfig()
        self.config = LabConfig(**{**vars(base), **overrides}) if overrides else base
        # Tracing is opt-in: spans cost CPU, and notebooks 00-04 measure without them.
        self.tracing: Tracing | None = Tracing() if tracing is True else (tracing or None)
        self.switches = {name: FaultSwitch(name, seed=self.config.seed + i) for i, name in enumerate(SERVICE_NAMES)}
        self.metrics: ShopMetrics | None = None
        self.services: dict[str, ServerThread] = {}
        self.shop: ServerThread | None = None
        self.extras: dict[str, ServerThread] = {}
        self.started_at: float | None = None
        self._scenarios: list[ScenarioRun] = []
        self._watchers: list[Watcher | AlertingStack] = []
        self._log_captures: list[LogCapture] = []
        self._processes: list[ManagedProcess] = []

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Lab:
        """Start the three services and the shop; return once all of them answer."""
        if self.running:
            return self
        _stop_other_labs(self)
        for switch in self.switches.values():
            switch.released.clear()
        try:
            factories = {
                "catalog": make_catalog_app,
                "recommender": make_recommender_app,
                "payments": make_payments_app,
            }
            for name in SERVICE_NAMES:
                service_app = factories[name](self.switches[name])
                if self.tracing is not None:
                    self.tracing.instrument_app(service_app, name)  # before it serves its first request
                server = ServerThread(service_app, name=name, host=self.config.host)
                self.services[name] = server.start(self.config.start_timeout_s)
            self.metrics = ShopMetrics()
            app = make_shop_app(
                {name: s.url for name, s in self.services.items()},
                config=self.config,
                metrics=self.metrics,
                switches=self.switches,
                tracing=self.tracing,
            )
            self.shop = ServerThread(app, name="shop", host=self.config.host, port=self.config.shop_port)
            self.shop.start(self.config.start_timeout_s, ready_path="/health")
        except BaseException:
            self.stop()
            raise
        self.started_at = time.time()
        with _LIVE_LOCK:
            _LIVE_LABS.add(self)
        return self

    def stop(self) -> None:
        """Stop scenarios, watchers and every server. Safe to call twice."""
        for run in self._scenarios:
            run.cancel()
        self._scenarios.clear()
        for watcher in self._watchers:
            watcher.stop()
        self._watchers.clear()
        for capture in self._log_captures:
            capture.stop()
        self._log_captures.clear()
        for switch in self.switches.values():
            switch.released.set()  # requests held by a latency fault finish now
        for process in self._processes:
            process.stop()
        self._processes.clear()
        # The shop first, so requests still inside it can finish against live
        # dependencies; then the rest together (each takes ~0.2 s to notice).
        if self.shop is not None:
            self.shop.stop()
        servers = [*self.extras.values(), *self.services.values()]
        for server in servers:
            server.request_stop()
        for server in servers:
            server.stop()
        self.shop = None
        self.services.clear()
        self.extras.clear()
        if self.tracing is not None:
            self.tracing.shutdown()
        with _LIVE_LOCK:
            _LIVE_LABS.discard(self)

    @property
    def running(self) -> bool:
        return self.shop is not None and self.shop.running

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------

    @property
    def url(self) -> str:
        """The shop's base URL."""
        return self._require_running().url

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of every server in the lab, the shop first."""
        self._require_running()
        out = {"shop": self.url}
        out.update({name: s.url for name, s in self.services.items()})
        out.update({name: s.url for name, s in self.extras.items()})
        return out

    @property
    def service_urls(self) -> dict[str, str]:
        """Base URL of each dependency: catalog, recommender, payments."""
        self._require_running()
        return {name: s.url for name, s in self.services.items()}

    def serve(self, app: ASGIApp | FastAPI, name: str) -> str:
        """Serve another app (a variant to compare) beside the shop; return its URL.

        Serving again under the same name replaces the old one. It stops with the lab.
        """
        self._require_running()
        if not name.isidentifier():
            raise ValueError(f"name must be a simple identifier like 'seed_app', got {name!r}")
        if name in self.extras:
            self.extras.pop(name).stop()
        self.extras[name] = ServerThread(app, name=name, host=self.config.host).start(self.config.start_timeout_s)
        return self.extras[name].url

    # -- traffic and watching ----------------------------------------------

    def load(self, rate: float, duration_s: float, **options: Any) -> LoadResult | LoadRun:
        """Open-loop load on the shop: ``rate`` requests/s for ``duration_s`` s.

        Options are those of :func:`labapp.load.run_open_loop` (targets, clients, ...).
        """
        return run_open_loop(self.url, rate=rate, duration_s=duration_s, seed=self.config.seed, **options)

    def load_closed(self, users: int, duration_s: float, **options: Any) -> LoadResult | LoadRun:
        """Closed-loop load: ``users`` each send, wait, send again. See :func:`run_closed_loop`."""
        return run_closed_loop(self.url, users=users, duration_s=duration_s, seed=self.config.seed, **options)

    def watch(self, prefer: str = "auto", interval_s: float = 1.0, extra: tuple[str, ...] = ()) -> Watcher:
        """Scrape the shop (and ``extra`` apps served with :meth:`serve`) until the lab stops.

        A real Prometheus where the binary is installed, else the embedded scraper;
        it prints which. Calling it again replaces the previous watcher.
        """
        self._require_running()
        for old in self._watchers:
            old.stop()
        self._watchers.clear()
        targets = {"shop": self.url, **{name: self.extras[name].url for name in extra}}
        watcher = watch(targets, interval_s=interval_s, prefer=prefer)
        self._watchers.append(watcher)
        watcher.wait_for_scrapes(2)
        return watcher

    def alerting(
        self, rule_files: tuple[str, ...] | None = None, prefer: str = "auto", repeat_interval_s: float = 5.0
    ) -> AlertingStack:
        """Evaluate alert rules on the shop and deliver alerts to a receiver in the lab.

        Real Prometheus + Alertmanager where both are installed, else the embedded
        evaluator (it prints which). Defaults to the lab-sized rules in data/rules/lab/.
        Replaces any watcher started before; stops with the lab.
        """
        from .alerts.rules import lab_rule_files
        from .alerts.stack import AlertingStack

        self._require_running()
        for old in self._watchers:
            old.stop()
        self._watchers.clear()
        stack = AlertingStack(
            {"shop": self.url}, list(rule_files or lab_rule_files()), prefer=prefer, repeat_interval_s=repeat_interval_s
        ).start()
        self._watchers.append(stack)
        stack.wait_for_scrapes(2)
        return stack

    def capture_logs(self, **options: Any) -> LogCapture:
        """Collect every service's logs as JSON lines until the lab stops.

        Options are those of :class:`labapp.logs.LogCapture` (sample_ratio,
        path, max_lines, ...). A new capture replaces the previous one.
        """
        self._require_running()
        capture = LogCapture(**options).start()
        self._log_captures = [capture]
        return capture

    def shared_limit_storage(self, prefer: str = "auto") -> str:
        """A storage URI for rate limits that several shop replicas share.

        A real Redis (started on loopback, stopped with the lab) where
        ``redis-server`` is installed; else one in-kernel storage the replicas
        share (``lab-memory://``). It prints which. ``prefer``: "auto", "real"
        or "embedded".
        """
        from .ratelimit import RedisServer, SharedMemoryStorage, find_redis

        if prefer not in ("auto", "real", "embedded"):
            raise ValueError(f"prefer must be 'auto', 'real' or 'embedded', got {prefer!r}")
        self._require_running()
        binary = find_redis() if prefer != "embedded" else None
        if binary is None:
            if prefer == "real":
                raise RuntimeError("no redis-server on PATH: install Debian's redis-server, or use prefer='auto'")
            uri = f"lab-memory://shared-{id(self)}"
            SharedMemoryStorage.forget(uri)
            why = "as asked" if prefer == "embedded" else "no redis-server on PATH"
            print(f"mode: embedded ({why}): the replicas in this kernel share {uri}")
            return uri
        server = RedisServer(binary, host=self.config.host).start()
        self._processes.append(server)
        print(f"mode: real Redis ({server.version}) at {server.url}")
        return server.url

    # -- faults ------------------------------------------------------------

    def inject(self, service: str, fault: Fault) -> None:
        """Make ``service`` misbehave now, e.g. ``lab.inject("payments", outage())``."""
        self._switch(service).set(fault)

    def heal(self, service: str | None = None) -> None:
        """Clear the fault of ``service``, or of every service."""
        for switch in [self._switch(service)] if service else self.switches.values():
            switch.clear()

    def play(self, scenario: Scenario) -> ScenarioRun:
        """Play a fault schedule in the background; its clock starts now."""
        if not isinstance(scenario, Scenario):
            raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
        for step in scenario.steps:
            self._switch(step.service)
        run = ScenarioRun(scenario, self.inject, self.heal)
        self._scenarios.append(run)
        return run

    def fault_windows(self, since: float | None = None) -> list[FaultWindow]:
        """Every fault that was on since ``since`` (Unix seconds), for shading plots."""
        windows: list[FaultWindow] = []
        for switch in self.switches.values():
            open_: tuple[float, Fault] | None = None
            for event in switch.history:
                if open_ is not None:
                    windows.append(FaultWindow(switch.service, open_[1].describe(), open_[0], event.at))
                open_ = (event.at, event.fault) if event.fault else None
            if open_ is not None:
                windows.append(FaultWindow(switch.service, open_[1].describe(), open_[0], None))
        if since is not None:
            windows = [w for w in windows if w.end is None or w.end >= since]
        return sorted(windows, key=lambda w: w.start)

    def faults(self) -> Mapping[str, str]:
        """The current fault of each service, in words."""
        return {name: switch.fault.describe() for name, switch in self.switches.items()}

    def _switch(self, service: str) -> FaultSwitch:
        if service not in self.switches:
            raise ValueError(f"no service {service!r}; the lab has {list(self.switches)}")
        return self.switches[service]

    def _require_running(self) -> ServerThread:
        if self.shop is None or not self.shop.running:
            raise RuntimeError("the lab is not running: call lab.start() first")
        return self.shop

    def __repr__(self) -> str:
        if not self.running:
            return "<Lab stopped>"
        faults = ", ".join(f"{k}: {v}" for k, v in self.faults().items())
        return f"<Lab shop={self.url} ({faults})>"


def _stop_other_labs(keep: Lab) -> None:
    with _LIVE_LOCK:
        others = [lab for lab in _LIVE_LABS if lab is not keep]
    for lab in others:
        lab.stop()


@atexit.register
def _stop_all_labs() -> None:
    with _LIVE_LOCK:
        labs = list(_LIVE_LABS)
    for lab in labs:
        lab.stop()
