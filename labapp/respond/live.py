"""A responder attached to a running alert receiver, with its expiry check ticking in a thread."""

from __future__ import annotations

from ..alerts.receiver import WebhookReceiver
from ..periodic import Periodic, TicksPeriodically
from .responder import Responder

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

    def stop(self) -> None:
        self._unsubscribe()
        self._ticker.stop()
        self.responder.revert_all("responder stopped")

    def __repr__(self) -> str:
        r = self.responder
        mode = "dry run" if r.dry_run else ("paused" if r.paused else "acting")
        return f"<LiveResponder {mode}: {len(r.audit)} decisions, in force: {r.active}{self._ticker.error_note()}>"
