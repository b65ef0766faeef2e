"""Traffic in: open- and closed-loop load with many client identities."""

from .clients import Attempt, retrying_client, send_bursts
from .generator import LoadRun, run_closed_loop, run_open_loop
from .result import LoadResult, Record
from .targets import Target, TargetMix, checkout, get

__all__ = [
    "Attempt",
    "LoadResult",
    "LoadRun",
    "Record",
    "Target",
    "TargetMix",
    "checkout",
    "get",
    "run_closed_loop",
    "retrying_client",
    "run_open_loop",
    "send_bursts",
]
