"""The runbook's actions on a running shop, through its incident switches (:class:`ShopControls`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..shop import ShopControls

__all__ = ["BlockClient", "ShedLoad", "ShopAction", "SkipDependency", "shop_actions"]


@dataclass
class BlockClient:
    """Deny a client address at the shop's door (403 with a reason)."""

    controls: ShopControls

    def apply(self, target: str) -> str:
        self.controls.block(target)
        return f"blocked {target}"

    def revert(self, target: str) -> str:
        self.controls.unblock(target)
        return f"unblocked {target}"


@dataclass
class SkipDependency:
    """Degraded mode: stop calling a nice-to-have dependency; pages say they are degraded."""

    controls: ShopControls

    def apply(self, target: str) -> str:
        self.controls.skip(target)
        return f"stopped calling {target}; pages are served without it"

    def revert(self, target: str) -> str:
        self.controls.unskip(target)
        return f"calling {target} again"


@dataclass
class ShedLoad:
    """Refuse a share of low-priority requests (503, Retry-After) so checkout keeps its capacity."""

    controls: ShopControls
    share: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"ShedLoad share must be in (0, 1], e.g. 0.5 to refuse half; got {self.share!r}")

    def apply(self, target: str) -> str:
        self.controls.shed(self.share)
        return f"shedding {self.share:.0%} of low-priority requests to {target}"

    def revert(self, target: str) -> str:
        self.controls.shed(0)
        return f"stopped shedding at {target}"


ShopAction = BlockClient | SkipDependency | ShedLoad


def shop_actions(controls: ShopControls, *, shed_share: float = 0.5) -> dict[str, ShopAction]:
    """The actions data/runbooks/shop.yml names, bound to one shop's switches (scaling comes with replicas)."""
    return {"block": BlockClient(controls), "degrade": SkipDependency(controls), "shed": ShedLoad(controls, shed_share)}
