"""Checks for the numbers a learner passes to the lab's public functions.

A wrong argument must fail at once, naming the argument and what to pass, not
three calls deeper as "'<=' not supported between instances of 'str' and 'int'"
(or, worse, as a Prometheus that will not start).
"""

from __future__ import annotations

import math

__all__ = ["number", "whole_number"]


def number(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    unit: str = "",
) -> float:
    """``value`` as a float, or ValueError naming ``name`` and the range it must lie in.

    ``minimum`` and ``maximum`` are inclusive, ``above`` exclusive; ``unit`` ("seconds")
    goes into the message.
    """
    is_number = not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
    if not is_number or _outside(value, minimum, above, maximum):  # type: ignore[arg-type]
        raise ValueError(f"{name} must be {_rule(minimum, above, maximum, unit, 'a number')}; got {value!r}")
    return float(value)  # type: ignore[arg-type]


def whole_number(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` if it is an int in range, else ValueError naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, int) or _outside(value, minimum, None, maximum):
        raise ValueError(f"{name} must be {_rule(minimum, None, maximum, '', 'a whole number')}; got {value!r}")
    return value


def _outside(value: float, minimum: float | None, above: float | None, maximum: float | None) -> bool:
    return (
        (minimum is not None and value < minimum)
        or (above is not None and value <= above)
        or (maximum is not None and value > maximum)
    )


def _rule(minimum: float | None, above: float | None, maximum: float | None, unit: str, kind: str) -> str:
    kind = f"{kind} of {unit}" if unit else kind
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum:g} to {maximum:g}"
    if above is not None and maximum is not None:
        return f"{kind} above {above:g} and at most {maximum:g}"
    if above is not None:
        return f"{kind} above {above:g}"
    if minimum is not None:
        return f"{kind}, at least {minimum:g}"
    if maximum is not None:
        return f"{kind}, at most {maximum:g}"
    return kind
