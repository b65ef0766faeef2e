"""Structured logs: one JSON event per request, carrying the request's trace id."""

from .access import ACCESS_LOGGER, AccessLogMiddleware
from .alert import LogAlertCheck, check_log_file
from .analysis import log_error_rates, logs_frame
from .capture import LogCapture
from .filters import Redactor, SuccessSampler, TraceContext

__all__ = [
    "ACCESS_LOGGER",
    "AccessLogMiddleware",
    "LogAlertCheck",
    "LogCapture",
    "Redactor",
    "SuccessSampler",
    "TraceContext",
    "check_log_file",
    "log_error_rates",
    "logs_frame",
]
