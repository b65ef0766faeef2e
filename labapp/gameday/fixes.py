"""Mitigations known to work, by the names scenario files use (``fixes: - apply: rollback``).

The checker judges any fix by what it causes; these are the reference fixes the
tests and an instructor's ``--fix`` use. Each takes the lab and the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .scenarios import Incident

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["KNOWN_FIXES"]


def skip_recommender(lab: Lab, incident: Incident) -> None:
    """Degraded mode: pages go out without recommendations."""
    lab.controls.skip("recommender")


def retry_payments(lab: Lab, incident: Incident) -> None:
    """Retries with full-jitter backoff, eight tries: together they outlast a sub-second outage."""
    lab.reconfigure({"payments_retry": "backoff", "payments_retry_attempts": 8})


def block_client(lab: Lab, incident: Incident) -> None:
    """Block the culprit's address on the shop's deny list."""
    for address in incident.truth.clients:
        lab.controls.block(address)


def rollback(lab: Lab, incident: Incident) -> None:
    """Back to the previous release."""
    lab.release.rollback()


KNOWN_FIXES: dict[str, Callable[[Lab, Incident], None]] = {
    f.__name__: f for f in (skip_recommender, retry_payments, block_client, rollback)
}
