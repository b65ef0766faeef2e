"""Game-day scenarios: YAML an instructor can read, drawn into one learner's incident.

A scenario file (``data/gameday/*.yml``) says what goes wrong, a decoy that is
not the cause, the right diagnosis, the signals that show it, and fixes that
work. Values written as ``{one_of: [...]}`` or ``{between: [low, high]}`` are
drawn per learner from a seed, so a neighbour's answer does not fit yours:

    start_s: {between: [10, 14]}          # when the fault begins, s after the start
    fault:
      kind: dependency
      service: recommender
      latency_s: {one_of: [0.4, 0.6]}

Client identities (``client: 212``) become source addresses the way the load
generator numbers them: identity n sends from 127.0.0.(n + 2).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "GAMEDAY_DIR",
    "MECHANISMS",
    "Incident",
    "ScenarioError",
    "ScenarioSpec",
    "Truth",
    "client_address",
    "draw",
    "load_scenario",
    "scenario_names",
]

GAMEDAY_DIR = Path(__file__).resolve().parents[2] / "data" / "gameday"

# What can be wrong, in the words a diagnosis uses.
MECHANISMS = {
    "latency": "a dependency answers slowly",
    "errors": "a dependency fails a share of its calls",
    "flapping": "a dependency goes down and up again, over and over",
    "abusive_client": "one client sends far more than its share",
    "bad_deploy": "a new release of the shop broke something",
    "cardinality": "a metric grows a new series for every value of a label",
    "retry_storm": "a client retries failures at once, multiplying its traffic",
}
SERVICES = ("shop", "catalog", "recommender", "payments")


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with what to fix."""


def client_address(identity: int) -> str:
    """The source address of load-generator client ``identity`` (0 sends from 127.0.0.2)."""
    return f"127.0.0.{identity + 2}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(_Model):
    """A PromQL expression that shows the fault; ``$client``/``$route`` are filled in per learner."""

    query: str = Field(min_length=1)


class Answer(_Model):
    service: Literal["shop", "catalog", "recommender", "payments"]
    mechanism: str
    routes: str | None = None  # a key of the fault's drawn values holding the route, if the answer names one
    clients: str | None = None  # likewise for the culprit client's identity


class Fix(_Model):
    what: str = Field(min_length=1)
    apply: str = Field(min_length=1)  # a name in labapp.gameday.fixes.KNOWN_FIXES


class Decoy(_Model):
    what: str = Field(min_length=1)
    signal: str = Field(min_length=1)
    event: dict[str, Any]


class Traffic(_Model):
    rate: float = Field(default=20, gt=0, le=60)
    clients: int = Field(default=10, ge=1, le=50)
    mix: dict[str, float] = Field(default_factory=lambda: {"/products/{id}": 7.0, "/items": 2.0, "checkout": 1.0})


class ScenarioSpec(_Model):
    """One scenario file, validated."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    briefing: str = Field(min_length=1)
    start_s: Any
    fault: dict[str, Any]
    decoy: Decoy
    answer: Answer
    signals: list[Signal] = Field(min_length=1)
    slo: Literal["latency", "errors", "served", "series"]
    fixes: list[Fix] = Field(min_length=1)
    traffic: Traffic = Field(default_factory=Traffic)


@dataclass(frozen=True)
class Truth:
    """What really happened: the diagnosis a checker accepts. Hidden from the learner until revealed."""

    service: str
    mechanism: str
    start_s: float  # after the game day began
    routes: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Incident:
    """One learner's draw of a scenario: every value fixed."""

    name: str
    title: str
    briefing: str
    seed: int
    fault: dict[str, Any]
    decoy: dict[str, Any]
    decoy_signal: str
    truth: Truth
    signals: tuple[Signal, ...]
    slo: str
    fixes: tuple[Fix, ...]
    traffic: Traffic
    spec: ScenarioSpec = field(repr=False)

    @property
    def detect_query(self) -> Signal:
        return self.signals[0]


def scenario_names(directory: Path = GAMEDAY_DIR) -> list[str]:
    """The scenarios in ``directory``, by file name."""
    return sorted(p.stem for p in directory.glob("*.yml"))


def load_scenario(name_or_path: str | Path, directory: Path = GAMEDAY_DIR) -> ScenarioSpec:
    """Read and validate one scenario, by name (``slow_recommender``) or path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = directory / f"{name_or_path}.yml"
    if not path.is_file():
        raise ScenarioError(f"no scenario {str(name_or_path)!r}; known: {', '.join(scenario_names(directory))}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = ScenarioSpec.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if spec.answer.mechanism not in MECHANISMS:
        raise ScenarioError(f"{path}: mechanism {spec.answer.mechanism!r} is not one of {sorted(MECHANISMS)}")
    if spec.name != path.stem:
        raise ScenarioError(f"{path}: name {spec.name!r} must match the file name {path.stem!r}")
    return spec


def draw(spec: ScenarioSpec, seed: int | None = None) -> Incident:
    """Fix every drawn value of ``spec``: from ``seed``, else from the learner's name."""
    if seed is None:
        from ..exercises.puzzle import puzzle_rng  # here: the exercises package imports this one

        seed = puzzle_rng(f"gameday-{spec.name}").randrange(1_000_000)
    rng = random.Random(f"{spec.name}:{seed}")
    start_s = float(_draw(spec.start_s, rng))
    fault = {key: _draw(value, rng) for key, value in spec.fault.items()}
    decoy = {key: _draw(value, rng) for key, value in spec.decoy.event.items()}
    routes = (str(fault[spec.answer.routes]),) if spec.answer.routes else ()
    clients = (client_address(int(fault[spec.answer.clients])),) if spec.answer.clients else ()
    fill = {"route": routes[0] if routes else "", "client": clients[0] if clients else ""}
    fill.update({f"decoy_{k}": client_address(v) if k == "client" else str(v) for k, v in decoy.items()})
    signals = tuple(Signal(query=Template(s.query).substitute(fill)) for s in spec.signals)
    truth = Truth(spec.answer.service, spec.answer.mechanism, start_s, routes, clients)
    return Incident(
        name=spec.name,
        title=spec.title,
        briefing=spec.briefing.strip(),
        seed=seed,
        fault=fault,
        decoy=decoy,
        decoy_signal=Template(spec.decoy.signal).substitute(fill),
        truth=truth,
        signals=signals,
        slo=spec.slo,
        fixes=tuple(spec.fixes),
        traffic=spec.traffic,
        spec=spec,
    )


def _draw(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict) and {"one_of", "between"} & set(value):
        how, choices = next(iter(value.items()))
        if len(value) == 1 and isinstance(choices, list):
            if how == "one_of" and choices:
                return rng.choice(choices)
            if how == "between" and len(choices) == 2:
                low, high = choices
                if isinstance(low, int) and isinstance(high, int):
                    return rng.randint(low, high)
                return round(rng.uniform(float(low), float(high)), 1)
        raise ScenarioError(f"a drawn value is {{one_of: [a, ...]}} or {{between: [low, high]}}, got {value!r}")
    if isinstance(value, dict):
        return {key: _draw(inner, rng) for key, inner in value.items()}
    return value
