"""The runbook's actions on a running shop, through its incident switches (:class:`ShopControls`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..shop import ShopControls
from ..shop.replicas import ShopReplicas

__all__ = ["BlockClient", "ScaleOut", "ShedLoad", "ShopAction", "SkipDependency", "shop_actions"]


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


@dataclass
class ScaleOut:
    """Add a shop replica behind the balancer; remove it when the alert is over."""

    replicas: Callable[[], ShopReplicas | None]

    def _set(self) -> ShopReplicas:
        replicas = self.replicas()
        if replicas is None:
            raise RuntimeError("no replicas to scale: put the shop behind a balancer first with lab.balance()")
        return replicas

    def apply(self, target: str) -> str:
        replicas = self._set()
        url = replicas.add()
        return f"added a {target} replica at {url} ({len(replicas)} now)"

    def revert(self, target: str) -> str:
        replicas = self._set()
        url = replicas.remove()
        return f"removed the {target} replica at {url} ({len(replicas)} now)"


ShopAction = BlockClient | SkipDependency | ShedLoad | ScaleOut


def shop_actions(
    controls: ShopControls,
    *,
    shed_share: float = 0.5,
    replicas: Callable[[], ShopReplicas | None] = lambda: None,
) -> dict[str, ShopAction]:
    """The actions data/runbooks/shop.yml names, bound to one shop's switches and replica set."""
    return {
        "block": BlockClient(controls),
        "degrade": SkipDependency(controls),
        "shed": ShedLoad(controls, shed_share),
        "scale": ScaleOut(replicas),
    }
