"""Health checks from the outside: a scheduled checker and availability maths."""

from .availability import availability
from .checker import HealthChecker, Probe

__all__ = ["HealthChecker", "Probe", "availability"]
