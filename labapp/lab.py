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
import itertools
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from . import hosted
from .arguments import number, whole_number
from .config import LabConfig
from .faults import Fault, FaultSwitch, FaultWindow, Scenario, ScenarioRun, fault_windows
from .load import LoadResult, LoadRun, run_closed_loop, run_open_loop, start_open_loop
from .load.generator import MAX_REQUESTS, Targets
from .logs import LogCapture
from .observe import Watcher, watch
from .periodic import describe_error
from .ratelimit import shared_storage
from .runner import ServerThread
from .services import SERVICE_NAMES, make_catalog_app, make_payments_app, make_recommender_app
from .shop import ClientTracker, ShopControls, ShopRelease, make_shop_app
from .shop.access import new_admin_token
from .telemetry import ShopMetrics
from .tracing import Tracing
from .types import Stoppable

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from .alerts.stack import AlertingStack
    from .dashboard import LiveDashboard
    from .gameday import GameDay
    from .respond import GuardRails, LiveResponder
    from .security import FindingsCollector, ScanReport
    from .shop.replicas import ShopReplicas

# FaultWindow lives in labapp.faults; it stays importable from here for older code.
__all__ = ["Lab"]

_LIVE_LABS: weakref.WeakSet[Lab] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()

S = TypeVar("S", bound=Stoppable)

# Keys of what a Lab owns. One key, one thing: owning a new one under a key stops the old.
_WATCHER = "watcher"  # lab.watch() or lab.alerting(), whichever came last
_LOGS = "logs"
_GAMEDAY = "gameday"
_RESPONDER = "responder"
_REPLICAS = "replicas"
_SERVED = "serve:"  # + the name given to lab.serve()


@dataclass(frozen=True)
class _Owned:
    """One thing a lab owns. ``serves`` others (an extra server, Redis): it stops after the shop."""

    thing: Stoppable
    serves: bool


class _Extras(Mapping[str, ServerThread]):
    """``lab.extras``: the apps served with :meth:`Lab.serve`, by name; a view of what the lab owns."""

    def __init__(self, owned: dict[str, _Owned]) -> None:
        self._owned = owned

    def __getitem__(self, name: str) -> ServerThread:
        entry = self._owned.get(_SERVED + name)
        if entry is None:
            raise KeyError(name)
        return cast(ServerThread, entry.thing)

    def __iter__(self) -> Iterator[str]:
        return iter([key.removeprefix(_SERVED) for key in self._owned if key.startswith(_SERVED)])

    def __len__(self) -> int:
        return sum(1 for key in self._owned if key.startswith(_SERVED))

    def pop(self, name: str) -> ServerThread:
        """Stop owning the server ``name`` and hand it back (the caller stops it)."""
        server = self[name]
        del self._owned[_SERVED + name]
        return server


class Lab:
    """The shop and its dependencies, each served by uvicorn in a daemon thread."""

    def __init__(
        self,
        config: LabConfig | None = None,
        *,
        tracing: bool | Tracing = False,
        host: str | None = None,
        shop_port: int | None = None,
        seed: int | None = None,
        catalog_timeout_s: float | None = None,
        recommender_timeout_s: float | None = None,
        payments_timeout_s: float | None = None,
        start_timeout_s: float | None = None,
        allow_remote: bool | None = None,
        excluded_metric_paths: tuple[str, ...] | None = None,
        ready_requires: tuple[str, ...] | None = None,
        recommendations_cache: int | None = None,
        items_limit: str | None = None,
        rate_limit_strategy: str | None = None,
        rate_limit_storage: str | None = None,
        rate_limit_key: str | None = None,
        trusted_proxies: tuple[str, ...] | None = None,
        allowed_hosts: tuple[str, ...] | None = None,
        flaws: tuple[str, ...] | None = None,
        tier_limits: tuple[tuple[str, str], ...] | None = None,
        throttle_rate_per_s: float | None = None,
        throttle_queue: int | None = None,
        throttle_max_wait_s: float | None = None,
        payments_breaker_threshold: int | None = None,
        payments_breaker_recovery_s: float | None = None,
        payments_retry: str | None = None,
        payments_retry_attempts: int | None = None,
        admin_token: str | None = None,
    ) -> None:
        """``tracing=True`` traces every request (``lab.tracing`` holds the spans);
        pass a :class:`~labapp.tracing.Tracing` to choose its sampling.

        ``admin_token`` is the secret the shop's /admin routes ask for besides a
        loopback caller; by default a new random one per lab, which the lab keeps
        and sends itself (:meth:`admin`), so a notebook never shows it.

        Every other keyword is a :class:`~labapp.LabConfig` field (see there what
        each means); the ones given replace those of ``config``.
        """
        given = dict(locals())
        if config is not None and not isinstance(config, LabConfig):
            raise TypeError(f"config must be a LabConfig, got {type(config).__name__}")
        if not isinstance(tracing, (bool, Tracing)):
            raise TypeError(f"tracing must be True, False or a Tracing(...), got {type(tracing).__name__}")
        overrides = {f.name: given[f.name] for f in fields(LabConfig) if given[f.name] is not None}
        base = config or LabConfig()
        self.config = replace(base, **overrides) if overrides else base
        # Tracing is opt-in: spans cost CPU, and notebooks 00-04 measure without them.
        self.tracing: Tracing | None = Tracing() if tracing is True else (tracing or None)
        if admin_token is not None and (not isinstance(admin_token, str) or len(admin_token) < 16):
            raise ValueError("admin_token must be a string of at least 16 characters (or None for a random one)")
        self._admin_token = admin_token or new_admin_token()
        self.switches = {name: FaultSwitch(name, seed=self.config.seed + i) for i, name in enumerate(SERVICE_NAMES)}
        self.metrics: ShopMetrics | None = None
        # The incident switches (notebook 10): every replica of the shop shares them.
        self.controls = ShopControls()
        self.clients = ClientTracker()
        # The shop's running release (notebook 12's bad deploys); replicas share it too.
        self.release = ShopRelease(seed=self.config.seed)
        self.services: dict[str, ServerThread] = {}
        self.shop: ServerThread | None = None
        self.started_at: float | None = None
        # Everything else the lab starts (watchers, log captures, scenarios, extra
        # servers, Redis), oldest first; each stops with the lab.
        self._owned: dict[str, _Owned] = {}
        self._ids = itertools.count(1)
        self._findings: tuple[CollectorRegistry, FindingsCollector] | None = None  # security_findings (notebook 11)
        self._page: int | None = None  # the shop's entry for the JupyterLab launcher (hosted.py)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Lab:
        """Start the three services and the shop; return once all of them answer."""
        if self.running:
            return self
        _stop_other_labs(self)
        for switch in self.switches.values():
            switch.released.clear()
        self.controls.reset()
        self.clients.reset()
        self.release.reset()
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
            self._start_shop(self.config.shop_port)
        except BaseException:
            self.stop()
            raise
        self.started_at = time.time()
        self._page = hosted.announce("shop", self.url)
        with _LIVE_LOCK:
            _LIVE_LABS.add(self)
        return self

    def stop(self) -> None:
        """Stop everything the lab owns and every server. Safe to call twice.

        Background work first (scenarios, watchers, log captures), newest first.
        Then requests held by a latency fault are released, and the shop stops,
        so requests still inside it finish against live dependencies. Then the
        rest: extra servers, what they use (Redis), the three services. If
        something fails to stop, the others still stop and its error is raised.
        """
        if self._page is not None:
            hosted.withdraw(self._page)
            self._page = None
        owned = list(reversed(self._owned.values()))
        self._owned.clear()
        errors: list[Exception] = []
        _stop_all([entry.thing for entry in owned if not entry.serves], errors)
        for switch in self.switches.values():
            switch.released.set()  # requests held by a latency fault finish now
        if self.shop is not None:
            _stop_all([self.shop], errors)
        servers = [*(entry.thing for entry in owned if entry.serves), *self.services.values()]
        for server in servers:  # all asked at once: each takes ~0.2 s to notice
            request_stop = getattr(server, "request_stop", None)
            if request_stop is not None:
                request_stop()
        _stop_all(servers, errors)
        self.shop = None
        self.services.clear()
        if self.tracing is not None:
            self.tracing.shutdown()
        with _LIVE_LOCK:
            _LIVE_LABS.discard(self)
        if errors:
            raise errors[0]

    def _start_shop(self, port: int, config: LabConfig | None = None) -> None:
        """Build the shop for ``config`` (default the lab's), then serve it on ``port``.
        Building first: a setting the shop refuses raises before anything stops."""
        config = config or self.config
        metrics = ShopMetrics()
        app = make_shop_app(
            {name: s.url for name, s in self.services.items()},
            config=config,
            metrics=metrics,
            switches=self.switches,
            tracing=self.tracing,
            controls=self.controls,
            clients=self.clients,
            release=self.release,
            admin_token=self._admin_token,
        )
        if self.shop is not None:
            self.shop.stop()
        self.config, self.metrics = config, metrics
        self.shop = ServerThread(app, name="shop", host=config.host, port=port)
        self.shop.start(config.start_timeout_s, ready_path="/health")

    def reconfigure(self, changes: Mapping[str, Any]) -> LabConfig:
        """Restart the shop with some :class:`~labapp.LabConfig` settings changed, on the same port.

        What a team does to switch on a pattern of notebooks 07-09 in production
        (a config change and a rolling restart), e.g.
        ``lab.reconfigure({"payments_retry": "backoff", "payments_retry_attempts": 6})``.
        The shop's counters start again from zero (``rate()`` handles the reset); the
        dependencies, faults, incident switches and watchers carry on. A setting the
        shop refuses raises before anything stops. Returns the new config.
        """
        shop = self._require_running()
        if not isinstance(changes, Mapping):
            raise TypeError("reconfigure takes a dict of LabConfig settings, e.g. {'payments_retry': 'backoff'}")
        known = {f.name for f in fields(LabConfig)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"reconfigure got unknown settings {unknown}; LabConfig has {sorted(known)}")
        if {"host", "shop_port"} & set(changes):
            raise ValueError("reconfigure keeps the shop's address; start a new Lab to change host or shop_port")
        self._start_shop(shop.port, replace(self.config, **changes))
        return self.config

    @property
    def running(self) -> bool:
        return self.shop is not None and self.shop.running

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def owned(self) -> list[Stoppable]:
        """What the lab started besides its four servers, oldest first: it all stops with the lab."""
        return [entry.thing for entry in self._owned.values()]

    def _own(self, key: str, thing: S, *, serves: bool = False) -> S:
        """Own ``thing`` under ``key``, after stopping whatever was owned under it."""
        self._discard(key)
        self._owned[key] = _Owned(thing, serves)
        return thing

    def _discard(self, key: str) -> None:
        old = self._owned.pop(key, None)
        if old is not None:
            old.thing.stop()

    def _forget_finished(self) -> None:
        """Drop runs that are done without an error: nothing left to stop, nothing to report."""
        for key, entry in list(self._owned.items()):
            if getattr(entry.thing, "done", False) and getattr(entry.thing, "last_error", None) is None:
                del self._owned[key]

    def dashboard(self, interval_s: float = 1.0) -> LiveDashboard:
        """A live dashboard for the projector: fault controls per service, and the shop's
        request rate, errors, p95 and breaker state every ``interval_s``. Display it, then
        ``.start()``; it stops with the lab (or ``.stop()``). Re-running the cell replaces it.
        """
        from .dashboard import LiveDashboard

        self._require_running()
        return self._own("dashboard", LiveDashboard(self, interval_s))

    def admin(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """Call the shop's fault-control API (``/admin/...``) as the lab's owner, with its secret.

        >>> lab.admin("PUT", "/admin/faults/payments", {"error_rate": 0.5}).json()
        {'service': 'payments', 'summary': '50% errors'}
        """
        shop = self._require_running()
        if not path.startswith("/admin/") and path != "/admin":
            raise ValueError(f"lab.admin calls the /admin routes only, got {path!r}")
        headers = {"Authorization": f"Bearer {self._admin_token}"}
        with httpx.Client(timeout=5.0) as client:
            return client.request(method, shop.url + path, json=json, headers=headers)

    def scan(self, *, fuzz_examples: int = 10) -> ScanReport:
        """Scan the running shop for security flaws (notebook 11): the lab's probes, then schemathesis.

        The report is scored against the flaws this shop was built with
        (``config.flaws``), and published on its /metrics as ``security_findings{severity}``.
        """
        from .security import FindingsCollector, scan

        shop = self._require_running()
        report = scan(shop.url, shop.app, planted=self.config.flaws, fuzz_examples=fuzz_examples)
        assert self.metrics is not None  # set with the shop
        registry = self.metrics.registry
        if self._findings is None or self._findings[0] is not registry:  # a reconfigured shop has a new registry
            self._findings = (registry, FindingsCollector())
            registry.register(self._findings[1])
        self._findings[1].report = report
        return report

    # -- addresses ---------------------------------------------------------

    @property
    def url(self) -> str:
        """Where clients reach the shop: its base URL, or the balancer's after :meth:`balance`."""
        shop = self._require_running()
        replicas = self.replicas
        return replicas.url if replicas is not None else shop.url

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of every server in the lab, the shop first."""
        self._require_running()
        out = {"shop": self.url}
        out.update({name: s.url for name, s in self.services.items()})
        out.update({name: s.url for name, s in self.extras.items()})
        return out

    def pages(self) -> hosted.Pages:
        """Links for your browser to the shop's API docs and metrics, and to the UI of the
        Prometheus this kernel runs (``lab.watch()``): ``http://127.0.0.1:PORT/...`` on your
        machine, through the Jupyter server's proxy on a JupyterHub or Binder (hosted.py).
        """
        self._require_running()
        pages = hosted.Pages()
        pages["shop API docs"] = hosted.browser_url(self.url, "/docs")
        pages["shop metrics"] = hosted.browser_url(self.url, "/metrics")
        for name, url in hosted.announced():
            if name != "shop":  # another lab's shop in this kernel is not this lab's
                pages[name.capitalize()] = hosted.browser_url(url, "/")
        return pages

    @property
    def extras(self) -> _Extras:
        """The apps served with :meth:`serve`, by name."""
        return _Extras(self._owned)

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
        self._discard(_SERVED + name)
        server = ServerThread(app, name=name, host=self.config.host).start(self.config.start_timeout_s)
        return self._own(_SERVED + name, server, serves=True).url

    # -- traffic and watching ----------------------------------------------

    def load(
        self,
        rate: float,
        duration_s: float,
        *,
        targets: Targets = "/products/{id}",
        clients: int = 1,
        concurrency: int = 64,
        arrival: str = "uniform",
        timeout_s: float = 5.0,
        progress: bool = True,
        first_client: int = 0,
    ) -> LoadResult:
        """Open-loop load on the shop: ``rate`` requests/s for ``duration_s`` s; returns when it ends.

        ``targets``: a path, a list of paths/Targets, or a {target: weight} mix;
        ``clients``: distinct client identities (numbered from ``first_client``);
        ``concurrency``: most requests in flight; ``arrival``: "uniform" or
        "poisson"; ``timeout_s`` per request.
        See :func:`labapp.load.run_open_loop`. To keep working while it runs,
        use :meth:`start_load`.
        """
        return run_open_loop(
            self.url,
            rate=rate,
            duration_s=duration_s,
            targets=targets,
            clients=clients,
            concurrency=concurrency,
            arrival=arrival,
            timeout_s=timeout_s,
            seed=self.config.seed,
            progress=progress,
            first_client=first_client,
        )

    def start_load(
        self,
        rate: float,
        duration_s: float,
        *,
        targets: Targets = "/products/{id}",
        clients: int = 1,
        concurrency: int = 64,
        arrival: str = "uniform",
        timeout_s: float = 5.0,
        first_client: int = 0,
    ) -> LoadRun:
        """:meth:`load` in the background: returns a :class:`~labapp.load.LoadRun` at once.

        ``run.wait()`` returns the :class:`LoadResult` (or raises what the run
        failed with); ``run.cancel()`` stops it early, and so does ``lab.stop()``.
        """
        run = start_open_loop(
            self.url,
            rate=rate,
            duration_s=duration_s,
            targets=targets,
            clients=clients,
            concurrency=concurrency,
            arrival=arrival,
            timeout_s=timeout_s,
            seed=self.config.seed,
            first_client=first_client,
        )
        self._forget_finished()
        return self._own(f"load:{next(self._ids)}", run)

    def load_closed(
        self,
        users: int,
        duration_s: float,
        *,
        targets: Targets = "/products/{id}",
        clients: int | None = None,
        think_s: float = 0.0,
        max_requests: int = MAX_REQUESTS,
        timeout_s: float = 5.0,
        progress: bool = True,
    ) -> LoadResult:
        """Closed-loop load: ``users`` each send, wait for the answer, think ``think_s``, send again.

        Returns when ``duration_s`` has passed (or after ``max_requests``).
        ``clients`` defaults to one identity per user. See :func:`labapp.load.run_closed_loop`.
        """
        return run_closed_loop(
            self.url,
            users=users,
            duration_s=duration_s,
            targets=targets,
            clients=clients,
            think_s=think_s,
            max_requests=max_requests,
            timeout_s=timeout_s,
            seed=self.config.seed,
            progress=progress,
        )

    def watch(self, prefer: str = "auto", interval_s: float = 1.0, extra: tuple[str, ...] = ()) -> Watcher:
        """Scrape the shop (and ``extra`` apps served with :meth:`serve`) until the lab stops.

        A real Prometheus where the binary is installed, else the embedded scraper;
        it prints which. Calling it again replaces the previous watcher.
        """
        number("interval_s", interval_s, minimum=0.05, maximum=60, unit="seconds")
        self._require_running()
        targets = {"shop": self._shop_targets(), **{name: self.extras[name].url for name in extra}}
        self._discard(_WATCHER)
        watcher = self._own(_WATCHER, watch(targets, interval_s=interval_s, prefer=prefer))
        watcher.wait_for_scrapes(2)
        return watcher

    def alerting(
        self,
        rule_files: tuple[str, ...] | None = None,
        prefer: str = "auto",
        repeat_interval_s: float = 5.0,
        teams: bool = False,
    ) -> AlertingStack:
        """Evaluate alert rules on the shop and deliver alerts to a receiver in the lab.

        Real Prometheus + Alertmanager where both are installed, else the embedded
        evaluator (it prints which). Defaults to the lab-sized rules in data/rules/lab/.
        ``teams=True`` routes alerts by their team and severity labels
        (data/alertmanager/teams.yml): each notification names the team it went to.
        Replaces any watcher started before (and a responder on it); stops with the lab.
        """
        from .alerts.routing import TeamRouting
        from .alerts.rules import lab_rule_files
        from .alerts.stack import AlertingStack

        number("repeat_interval_s", repeat_interval_s, above=0, unit="seconds")
        self._require_running()
        self._discard(_RESPONDER)
        self._discard(_WATCHER)
        stack = AlertingStack(
            {"shop": self._shop_targets()},
            list(rule_files or lab_rule_files()),
            prefer=prefer,
            repeat_interval_s=repeat_interval_s,
            routing=TeamRouting.from_file() if teams else None,
        )
        self._own(_WATCHER, stack.start())
        stack.wait_for_scrapes(2)
        return stack

    def balance(self, replicas: int = 1, *, max_replicas: int = 4) -> ShopReplicas:
        """Put ``replicas`` shop replicas behind a round-robin load balancer; return the set.

        Send traffic to ``lab.replicas.url`` (the balancer). The responder's scale
        action adds and removes replicas; the watcher (``lab.watch`` or
        ``lab.alerting``) scrapes each replica as an instance of the ``shop`` job,
        and follows every change. The replicas share the incident switches and
        the per-client counts. ``lab.url`` becomes the balancer's, so ``lab.load`` goes
        through it; the original shop stays at ``lab.shop.url``, unwatched meanwhile.
        """
        from .proxy import PROXY_ADDRESS
        from .shop.replicas import ShopReplicas

        self._require_running()
        # Each replica believes X-Forwarded-For from the balancer only, so it sees the real client.
        config = replace(self.config, trusted_proxies=(PROXY_ADDRESS,), shop_port=0)

        def build() -> ASGIApp:
            return make_shop_app(
                self.service_urls,
                config=config,
                tracing=self.tracing,
                controls=self.controls,
                clients=self.clients,
                release=self.release,
            )

        self._discard(_REPLICAS)
        pool = ShopReplicas(build, host=self.config.host, max_replicas=max_replicas, on_change=self._retarget)
        try:
            pool.start(replicas)
        except BaseException:
            pool.stop()
            raise
        return self._own(_REPLICAS, pool, serves=True)

    @property
    def replicas(self) -> ShopReplicas | None:
        """The replica set of :meth:`balance`, or None."""
        owned = self._owned.get(_REPLICAS)
        return cast("ShopReplicas", owned.thing) if owned is not None else None

    def _shop_targets(self) -> list[str]:
        """What a watcher scrapes as the ``shop`` job: the replicas when balanced, else the shop."""
        replicas = self.replicas
        return replicas.urls if replicas is not None and len(replicas) else [self._require_running().url]

    def _retarget(self, urls: list[str]) -> None:
        """Service discovery: the watcher scrapes the replicas that exist now."""
        watcher = self._watcher()
        if watcher is not None:
            watcher.set_targets("shop", urls or [self._require_running().url])

    def _watcher(self) -> Watcher | None:
        """The watcher of :meth:`watch` or :meth:`alerting`, whichever came last."""
        from .alerts.stack import AlertingStack

        owned = self._owned.get(_WATCHER)
        if owned is None:
            return None
        thing = owned.thing
        return thing.watcher if isinstance(thing, AlertingStack) else cast("Watcher", thing)

    def respond(
        self,
        runbook: str | Path | None = None,
        *,
        guards: GuardRails | None = None,
        dry_run: bool = False,
        shed_share: float = 0.5,
    ) -> LiveResponder:
        """Act on the alerts of ``lab.alerting()`` with a runbook (default data/runbooks/shop.yml).

        The actions flip the shop's incident switches (``lab.controls``): block a
        client, skip the recommender, shed low-priority traffic. ``guards`` limit
        them (:class:`~labapp.respond.GuardRails`); ``dry_run`` only records what it
        would do. Replaces a responder started before; stops (and reverts) with the lab.
        """
        from .alerts.stack import AlertingStack
        from .respond import SHOP_RUNBOOK, GuardRails, LiveResponder, Responder, Runbook, shop_actions

        number("shed_share", shed_share, minimum=0, maximum=1)
        self._require_running()
        owned = self._owned.get(_WATCHER)
        stack = owned.thing if owned is not None else None
        if not isinstance(stack, AlertingStack):
            raise RuntimeError("respond() acts on alerts: start them first with lab.alerting(...)")
        self._discard(_RESPONDER)
        responder = Responder(
            Runbook.from_file(runbook or SHOP_RUNBOOK),
            shop_actions(self.controls, shed_share=shed_share, replicas=lambda: self.replicas),
            guards or GuardRails(),
            dry_run=dry_run,
            clients_seen=self.clients.clients_seen,
        )
        return self._own(_RESPONDER, LiveResponder(responder, stack.receiver))

    def game_day(
        self,
        scenario: str = "random",
        *,
        seed: int | None = None,
        duration_s: float = 36.0,
        time_scale: float = 1.0,
    ) -> GameDay:
        """A game day (notebook 12): ``scenario`` by name, or one drawn for you.

        ``seed`` fixes the draw (which scenario, route, client, start time); without
        it the draw comes from your name, so a neighbour's answer does not fit yours.
        Uses the lab's watcher and log capture, starting them if needed; give the
        lab ``tracing=True`` to use traces as evidence. ``game.play()`` starts it.
        """
        from .gameday import GameDay, draw, pick_scenario

        if seed is not None:
            whole_number("seed", seed, minimum=0)
        self._require_running()
        incident = draw(pick_scenario(scenario, seed), seed)
        watcher = self._watcher() or self.watch()
        owned = self._owned.get(_LOGS)
        logs = cast("LogCapture", owned.thing) if owned is not None else self.capture_logs()
        previous = self._owned.get(_GAMEDAY)
        quiet_at = cast("GameDay", previous.thing).quiet_at if previous is not None else 0.0
        self._discard(_GAMEDAY)
        game = GameDay(self, incident, watcher, logs, duration_s=duration_s, time_scale=time_scale, quiet_at=quiet_at)
        return self._own(_GAMEDAY, game)

    def capture_logs(
        self,
        *,
        max_lines: int = 100_000,
        sample_ratio: float = 1.0,
        slow_ms: float = 250.0,
        redact: bool = True,
        path: str | Path | None = None,
        max_bytes: int = 1_000_000,
        backups: int = 2,
    ) -> LogCapture:
        """Collect every service's logs as JSON lines until the lab stops.

        The options are :class:`labapp.logs.LogCapture`'s: keep the newest
        ``max_lines``; keep ``sample_ratio`` of ordinary requests (and every
        warning, failure and request slower than ``slow_ms``); ``redact``
        secrets; also write ``path``, rotated at ``max_bytes`` with ``backups``
        old files. A new capture replaces the previous one.
        """
        self._require_running()
        self._discard(_LOGS)
        capture = LogCapture(
            max_lines=max_lines,
            sample_ratio=sample_ratio,
            slow_ms=slow_ms,
            redact=redact,
            path=path,
            max_bytes=max_bytes,
            backups=backups,
        )
        return self._own(_LOGS, capture.start())

    def shared_limit_storage(self, prefer: str = "auto") -> str:
        """A storage URI for rate limits that several shop replicas share.

        A real Redis (started on loopback, stopped with the lab) where
        ``redis-server`` is installed; else one in-kernel storage the replicas
        share (``lab-memory://``). It prints which. ``prefer``: "auto", "real"
        or "embedded". See :func:`labapp.ratelimit.shared_storage`.
        """
        self._require_running()
        storage = shared_storage(f"shared-{id(self)}", host=self.config.host, prefer=prefer)
        return self._own(f"storage:{next(self._ids)}", storage, serves=True).uri

    # -- faults ------------------------------------------------------------

    def inject(self, service: str, fault: Fault) -> None:
        """Make ``service`` misbehave now, e.g. ``lab.inject("payments", outage())``."""
        self._switch(service).set(fault)

    def heal(self, service: str | None = None) -> None:
        """Clear the fault of ``service``, or of every service."""
        for switch in [self._switch(service)] if service else self.switches.values():
            switch.clear()

    def play(self, scenario: Scenario) -> ScenarioRun:
        """Play a fault schedule in the background; its clock starts now. ``lab.stop()`` cancels it."""
        if not isinstance(scenario, Scenario):
            raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
        for step in scenario.steps:
            self._switch(step.service)
        run = ScenarioRun(scenario, self.inject, self.heal)
        self._forget_finished()
        self._own(f"scenario:{next(self._ids)}", run)
        return run

    def fault_windows(self, since: float | None = None) -> list[FaultWindow]:
        """Every fault that was on since ``since`` (Unix seconds), for shading plots."""
        if since is not None:
            number("since", since, minimum=0, unit="Unix seconds (e.g. time.time() before the run)")
        return fault_windows(self.switches.values(), since)

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
        return f"<Lab shop={self.url} ({faults}){self._errors()}>"

    def _errors(self) -> str:
        """What each owned loop last failed with (its ``last_error``), or "" when none did."""
        found = []
        for key, entry in self._owned.items():
            error = getattr(entry.thing, "last_error", None)
            if error is not None:
                count = getattr(entry.thing, "error_count", 0)
                found.append(f"{key}: {describe_error(error)}" + (f" ({count} errors)" if count > 1 else ""))
        return "; errors: " + ", ".join(found) if found else ""


def _stop_all(things: list[Stoppable], errors: list[Exception]) -> None:
    """Stop each of ``things``; one that raises does not keep the others running."""
    for thing in things:
        try:
            thing.stop()
        except Exception as exc:
            errors.append(exc)


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
