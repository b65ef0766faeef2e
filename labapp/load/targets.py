"""What the load generator sends: a weighted mix of requests."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..arguments import whole_number

__all__ = ["Target", "TargetMix", "checkout", "get"]


# eq=False: targets are dict keys in a weighted mix, hashed by identity.
@dataclass(frozen=True, eq=False)
class Target:
    """One kind of request. ``{id}`` in the path becomes a random id in 1..``ids``."""

    method: str
    path: str
    json: Mapping[str, Any] | None = None
    ids: int = 100
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"a target path starts with '/', got {self.path!r}")
        if self.method.upper() not in {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}:
            raise ValueError(f"unknown HTTP method {self.method!r}")
        whole_number("ids", self.ids, minimum=1)

    def render(self, rng: random.Random) -> tuple[str, str, Mapping[str, Any] | None]:
        """(method, path, json) for one request."""
        if "{id}" not in self.path and not self.json:
            return self.method, self.path, None
        n = rng.randint(1, self.ids)
        body = {k: (n if v == "{id}" else v) for k, v in self.json.items()} if self.json else None
        return self.method, self.path.replace("{id}", str(n)), body


def get(path: str, ids: int = 100) -> Target:
    """A GET of ``path``; ``{id}`` in it becomes a random id in 1..``ids``."""
    return Target("GET", path, ids=ids)


def checkout(ids: int = 100) -> Target:
    """A checkout of a random product, through the payments service."""
    return Target("POST", "/checkout", json={"product_id": "{id}", "quantity": 1}, ids=ids)


class TargetMix:
    """A weighted choice among targets: ``{get("/products/{id}"): 9, checkout(): 1}``."""

    def __init__(self, targets: str | Target | Sequence[str | Target] | Mapping[str | Target, float]) -> None:
        if isinstance(targets, (str, Target)):
            targets = [targets]
        if isinstance(targets, Mapping):
            items = list(targets.items())
        else:
            items = [(t, 1.0) for t in targets]
        if not items:
            raise ValueError("give at least one path or Target to send")
        self.targets = [t if isinstance(t, Target) else get(t) for t, _ in items]
        self.weights = [float(w) for _, w in items]
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum, got {self.weights}")

    def pick(self, rng: random.Random) -> tuple[str, str, Mapping[str, Any] | None, Mapping[str, str]]:
        """(method, path, json body, headers) for one request."""
        target = rng.choices(self.targets, self.weights)[0] if len(self.targets) > 1 else self.targets[0]
        return (*target.render(rng), target.headers)
