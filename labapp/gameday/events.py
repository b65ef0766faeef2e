"""What a scenario does to the lab: faults, misbehaving clients, bad releases.

Each event is built from a scenario's drawn values (``{"kind": "dependency",
"service": "recommender", "latency_s": 0.6}``) and has ``start(lab, for_s)`` and
``stop(lab)``; the game day runs them on its timeline. Everything goes through
the lab's real parts: fault switches, the load generator, the shop's release.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..faults import Fault, error_rate, latency, outage
from ..load import LoadRun, get
from .scenarios import ScenarioError, client_address

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["Event", "RetryStorm", "make_event"]

MAX_CLIENT_RATE = 80.0  # requests/s one scripted client may send: load stays bounded
RETRY_GAP_S = 0.05  # a retry storm's "immediate" retry: the gap a mobile network's round trip leaves


class Event:
    """One thing that goes wrong, from ``start`` until ``stop``."""

    def start(self, lab: Lab, for_s: float) -> None:
        raise NotImplementedError

    def stop(self, lab: Lab) -> None:
        raise NotImplementedError


class DependencyFault(Event):
    def __init__(self, service: str, fault: Fault) -> None:
        self.service, self.fault = service, fault

    def start(self, lab: Lab, for_s: float) -> None:
        lab.inject(self.service, self.fault)

    def stop(self, lab: Lab) -> None:
        lab.heal(self.service)


class Flapping(Event):
    """Down for ``down_s``, up for ``up_s``, over and over, until stopped."""

    def __init__(self, service: str, down_s: float, up_s: float) -> None:
        if down_s <= 0 or up_s <= 0:
            raise ScenarioError(f"flapping needs down_s > 0 and up_s > 0, got {down_s} and {up_s}")
        self.service, self.down_s, self.up_s = service, down_s, up_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, lab: Lab, for_s: float) -> None:
        self._stop.clear()

        def flap() -> None:
            # A schedule to keep (down, up, down...), not a wait for a condition.
            while not self._stop.is_set():
                lab.inject(self.service, outage())
                if self._stop.wait(self.down_s):
                    break
                lab.heal(self.service)
                self._stop.wait(self.up_s)

        self._thread = threading.Thread(target=flap, name=f"gameday-flap-{self.service}", daemon=True)
        self._thread.start()

    def stop(self, lab: Lab) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        lab.heal(self.service)


class ClientLoad(Event):
    """One client identity sending ``rate`` requests/s to ``path`` (a flood, a crawler, a batch job)."""

    def __init__(self, client: int, rate: float, path: str, ids: int = 100) -> None:
        if not 0 < rate <= MAX_CLIENT_RATE:
            raise ScenarioError(f"a client's rate is between 0 and {MAX_CLIENT_RATE:g}/s, got {rate}")
        self.client, self.rate, self.path, self.ids = client, rate, path, ids
        self._run: LoadRun | None = None

    def start(self, lab: Lab, for_s: float) -> None:
        self._run = lab.start_load(
            rate=self.rate, duration_s=for_s, targets=get(self.path, ids=self.ids), clients=1, first_client=self.client
        )

    def stop(self, lab: Lab) -> None:
        if self._run is not None:
            self._run.stop()


class RetryStorm(Event):
    """A client whose checkouts retry every failure at once, up to ``retries`` times, with no backoff,
    against a payments service that can take ``payments_capacity`` calls a second.

    ``users`` loops share one source address; each checks out, then thinks
    ``think_s`` (at once again, when every retry failed): a quiet client while payments is healthy. Payments first fails
    everything for ``blip_s`` (the trigger); every failure comes back at once,
    payments gets more than it can take, its queue overflows and every call
    fails (goodput collapse), and every failure comes back at once... The storm
    outlives its trigger: a metastable failure. Only cutting the retries (or the
    client) ends it.
    """

    def __init__(
        self, client: int, users: int, retries: int, think_s: float, blip_s: float, payments_capacity: float
    ) -> None:
        if not 1 <= users <= 8 or not 1 <= retries <= 50:
            raise ScenarioError(f"a retry storm has 1-8 users and 1-50 retries, got {users} and {retries}")
        if payments_capacity <= 0 or blip_s <= 0:
            raise ScenarioError(f"need payments_capacity > 0 and blip_s > 0, got {payments_capacity} and {blip_s}")
        self.client, self.users, self.retries, self.think_s = client, users, retries, think_s
        self.blip_s, self.capacity = blip_s, payments_capacity
        self.sent = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, lab: Lab, for_s: float) -> None:
        self._stop.clear()
        url, address = lab.url, client_address(self.client)
        body = {"product_id": 1, "quantity": 1}

        def user() -> None:
            with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=5) as client:
                while not self._stop.is_set():
                    answered = False
                    for _ in range(1 + self.retries):
                        if self._stop.is_set():
                            return
                        with self._lock:
                            self.sent += 1
                        try:
                            status = client.post(url + "/checkout", json=body).status_code
                        except httpx.HTTPError:
                            status = 0
                        if 0 < status < 500:  # done, or refused (a 403 block): nothing to retry
                            answered = True
                            break
                        # "At once", as a phone app does it: the next try as soon as the last one's
                        # network round trip would allow (~50 ms), not a busy loop on one core.
                        self._stop.wait(RETRY_GAP_S)
                    # Out of retries, the impatient user presses "pay" again at once.
                    if answered:
                        self._stop.wait(self.think_s)

        self._threads = [
            threading.Thread(target=user, name=f"gameday-storm-{i}", daemon=True) for i in range(self.users)
        ]
        self._threads.append(threading.Thread(target=self._payments, args=(lab,), name="gameday-payments", daemon=True))
        for thread in self._threads:
            thread.start()

    def _payments(self, lab: Lab) -> None:
        """Payments' capacity: everything fails during the blip; afterwards, whenever the last
        second brought more than it can take, its queue overflows and every call fails."""
        arrivals = lab.switches["payments"].arrivals
        blip_ends = time.monotonic() + self.blip_s
        lab.inject("payments", error_rate(1.0))
        overloaded = True
        # A control loop: four times a second, payments looks at its last second of load.
        while not self._stop.wait(0.25):
            if time.monotonic() < blip_ends:
                continue
            now = time.time()
            load = sum(1 for t in reversed(arrivals) if t >= now - 1.0) if arrivals else 0
            if load > self.capacity and not overloaded:
                lab.inject("payments", error_rate(1.0))
            elif load <= self.capacity and overloaded:
                lab.heal("payments")
            overloaded = load > self.capacity

    def stop(self, lab: Lab) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        lab.heal("payments")


class Release(Event):
    """A new release of the shop with a bug; ``stop`` rolls it back."""

    def __init__(self, version: str, broken_route: str | None, error_share: float, path_labels: bool) -> None:
        self.version, self.broken_route, self.error_share, self.path_labels = (
            version,
            broken_route,
            error_share,
            path_labels,
        )

    def start(self, lab: Lab, for_s: float) -> None:
        lab.release.deploy(
            self.version, broken_route=self.broken_route, error_share=self.error_share, path_labels=self.path_labels
        )

    def stop(self, lab: Lab) -> None:
        lab.release.rollback()


class Together(Event):
    """Several events that start and stop as one (a bad release and the crawler that exposes it)."""

    def __init__(self, *events: Event) -> None:
        self.events = events

    def start(self, lab: Lab, for_s: float) -> None:
        for event in self.events:
            event.start(lab, for_s)

    def stop(self, lab: Lab) -> None:
        for event in reversed(self.events):
            event.stop(lab)


def _dependency(p: Mapping[str, Any]) -> Event:
    if "latency_s" in p:
        fault = latency(float(p["latency_s"]))
    elif "error_rate" in p:
        fault = error_rate(float(p["error_rate"]))
    elif p.get("outage"):
        fault = outage()
    else:
        raise ScenarioError(f"a dependency event needs latency_s, error_rate or outage: true, got {dict(p)}")
    return DependencyFault(str(p["service"]), fault)


def _release(p: Mapping[str, Any]) -> Event:
    release = Release(
        str(p.get("version", "v2")),
        p.get("broken_route"),
        float(p.get("error_share", 0.0)),
        bool(p.get("path_labels", False)),
    )
    crawler = p.get("crawler")
    if crawler is None:
        return release
    return Together(
        release, ClientLoad(int(crawler["client"]), float(crawler["rate"]), "/products/{id}", int(crawler["ids"]))
    )


_KINDS: dict[str, Callable[[Mapping[str, Any]], Event]] = {
    "dependency": _dependency,
    "flapping": lambda p: Flapping(str(p["service"]), float(p["down_s"]), float(p["up_s"])),
    "client_load": lambda p: ClientLoad(int(p["client"]), float(p["rate"]), str(p.get("path", "/products/{id}"))),
    "retry_storm": lambda p: RetryStorm(
        int(p["client"]),
        int(p["users"]),
        int(p["retries"]),
        float(p["think_s"]),
        float(p["blip_s"]),
        float(p["payments_capacity"]),
    ),
    "release": _release,
}


def make_event(params: Mapping[str, Any]) -> Event:
    """The event a scenario's drawn ``fault`` or ``decoy`` describes."""
    kind = params.get("kind")
    if kind not in _KINDS:
        raise ScenarioError(f"event kind {kind!r} is not one of {sorted(_KINDS)}")
    try:
        return _KINDS[kind](params)
    except KeyError as exc:
        raise ScenarioError(f"a {kind} event needs {exc.args[0]!r}; got {dict(params)}") from None
