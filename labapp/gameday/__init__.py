"""Game day (notebook 12): a hidden incident under busy traffic, a diagnosis graded on its evidence,
and a fix measured under the same traffic."""

from .evidence import Change, Verdict, compare
from .fixes import KNOWN_FIXES
from .game import GameDay, pick_scenario
from .grade import Diagnosis, Grade, Part
from .mitigation import MitigationReport
from .play import GameDayRun, Window
from .scenarios import (
    GAMEDAY_DIR,
    MECHANISMS,
    Incident,
    ScenarioError,
    ScenarioSpec,
    Truth,
    draw,
    load_scenario,
    scenario_names,
)
from .triage import Finding, failures_in_runs, triage

__all__ = [
    "Change",
    "Diagnosis",
    "Finding",
    "GAMEDAY_DIR",
    "GameDay",
    "GameDayRun",
    "Grade",
    "Incident",
    "KNOWN_FIXES",
    "MECHANISMS",
    "MitigationReport",
    "Part",
    "ScenarioError",
    "ScenarioSpec",
    "Truth",
    "Verdict",
    "Window",
    "compare",
    "draw",
    "failures_in_runs",
    "load_scenario",
    "pick_scenario",
    "scenario_names",
    "triage",
]
