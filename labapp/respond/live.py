"""A responder attached to a running alert receiver, with its expiry check ticking in a thread."""

from __future__ import annotations

import time

from ..alerts.receiver import WebhookReceiver
from ..periodic import Periodic, TicksPeriodically
from .responder import AuditEntry, Responder

__all__ = ["LiveResponder"]


class LiveResponder(TicksPeriodically):
    """Feeds every notification the receiver gets to ``responder`` and ticks its expiry every ``tick_s``.

    ``stop()`` detaches it and reverts whatever is still in force, so a stopped
    lab never leaves a client blocked or the shop shedding.
    """

    def __init__(self, responder: Responder, receiver: WebhookReceiver, *, tick_s: float = 1.0) -> None:
        if tick_s <= 0:
            raise ValueError(f"tick_s must be above zero, e.g. 1.0; got {tick_s!r}")
        self.responder = responder
        self.receiver = receiver
        self._unsubscribe = receiver.subscribe(responder.handle)
        self._ticker = Periodic(responder.tick, tick_s, "lab-responder")
        self._ticker.start()

    def wait_for(self, outcome: str, action: str, *, timeout_s: float = 30.0) -> AuditEntry:
        """Wait until the audit has a decision ``outcome`` (e.g. "applied") on ``action``; return it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [e for e in self.responder.audit if e.outcome == outcome and e.action == action]
            if found:
                return found[0]
            time.sleep(0.1)
        seen = ", ".join(f"{e.outcome} {e.action} {e.target}" for e in self.responder.audit) or "no decision yet"
        raise TimeoutError(f"no '{outcome} {action}' within {timeout_s:g} s ({seen}){self._ticker.error_note()}")

    def wait_idle(self, *, timeout_s: float = 60.0) -> None:
        """Wait until no action is in force any more (each reverted on resolve or expiry)."""
        deadline = time.monotonic() + timeout_s
        while self.responder.active:
            if time.monotonic() > deadline:
                raise TimeoutError(f"still in force after {timeout_s:g} s: {self.responder.active}")
            time.sleep(0.1)

    def stop(self) -> None:
        self._unsubscribe()
        self._ticker.stop()
        self.responder.revert_all("responder stopped")

    def __repr__(self) -> str:
        r = self.responder
        mode = "dry run" if r.dry_run else ("paused" if r.paused else "acting")
        return f"<LiveResponder {mode}: {len(r.audit)} decisions, in force: {r.active}{self._ticker.error_note()}>"
