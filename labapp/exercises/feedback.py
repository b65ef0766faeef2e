"""How every checker answers: ✓ and a line, or ✗, what is wrong, and a hint."""

from __future__ import annotations

__all__ = ["fail", "ok"]


def ok(message: str) -> bool:
    print(f"✓ {message}")
    return True


def fail(problem: str, hint: str) -> bool:
    print(f"✗ {problem}\n  hint: {hint}")
    return False
