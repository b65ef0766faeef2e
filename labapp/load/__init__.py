"""Traffic in: open- and closed-loop load with many client identities."""

from .clients import Attempt, retrying_client, send_bursts
from .generator import LoadRun, run_closed_loop, run_open_loop, start_closed_loop, start_open_loop
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
    "retrying_client",
    "run_closed_loop",
    "run_open_loop",
    "send_bursts",
    "start_closed_loop",
    "start_open_loop",
]
