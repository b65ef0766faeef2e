"""Guard rails: the limits an automated responder keeps, whatever the alerts say.

An automation that acts on alerts can do harm faster than a person: block every
client, scale without end, delete the healthy replacement on a late message. Each
rail here is a rule a cautious on-call engineer follows, made explicit.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BLOCK", "GuardRails"]

# The action whose targets are clients; the address rails below apply to it.
BLOCK = "block"


class GuardRails(BaseModel):
    """Limits on what the responder may do. ``GuardRails.off()`` lifts them, to show what they prevent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cooldown_s: float = Field(default=60.0, ge=0)
    """After an action is reverted, wait this long before taking it again on the same target (anti-flap)."""
    max_actions: int = Field(default=5, ge=1)
    """At most this many actions taken ..."""
    window_s: float = Field(default=300.0, gt=0)
    """... in any window of this many seconds."""
    expires_after_s: float = Field(default=120.0, gt=0)
    """An action is reverted unless a firing notification for its alert came within this long.
    Keep it above Alertmanager's repeat_interval, or actions expire while their alert still fires."""
    protected_clients: frozenset[str] = frozenset({"127.0.0.1", "::1"})
    """Addresses never blocked: the admin's own, the health checker's, the load balancer's."""
    max_blocked_share: float = Field(default=0.2, gt=0, le=1)
    """Never block more than this share of the clients seen."""

    @classmethod
    def off(cls) -> GuardRails:
        """No cooldown, no limits, no protected addresses, no expiry to speak of: for the demonstration only."""
        return cls(
            cooldown_s=0,
            max_actions=1_000_000,
            window_s=1,
            expires_after_s=1e12,
            protected_clients=frozenset(),
            max_blocked_share=1.0,
        )

    def refuse_block(self, client: str, blocked: Iterable[str], clients_seen: int) -> str | None:
        """Why blocking ``client`` is refused, or None when it is allowed."""
        if client in self.protected_clients:
            return f"{client} is protected (the admin's or the lab's own address)"
        share = (len(set(blocked)) + 1) / max(clients_seen, 1)
        if share > self.max_blocked_share:
            return (
                f"blocking {client} would block {share:.0%} of the {clients_seen} clients seen, "
                f"over the {self.max_blocked_share:.0%} limit"
            )
        return None
