"""What checkers need to know about the learner's functions before they call them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

__all__ = ["as_function", "parameters"]


def as_function(value: object) -> Callable[..., Any] | None:
    """``value`` if it can be called, else None (the checker then says what it got instead)."""
    return cast("Callable[..., Any]", value) if callable(value) else None


def parameters(function: Callable[..., Any]) -> list[str]:
    """The names of ``function``'s parameters; none known for a builtin without a signature."""
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []
