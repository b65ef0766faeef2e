"""Surviving a failing dependency: a circuit breaker and retry policies."""

from .breaker import STATES, BreakerStateCollector, LabCircuitBreaker
from .retries import RETRY_KINDS, RetryPolicy, call_with_retries

__all__ = ["BreakerStateCollector", "LabCircuitBreaker", "RETRY_KINDS", "RetryPolicy", "STATES", "call_with_retries"]
