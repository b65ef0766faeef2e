"""Scenario files: every one loads, draws differ per learner and stay put per seed, and bad files say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from labapp import Lab
from labapp.gameday import (
    GAMEDAY_DIR,
    MECHANISMS,
    Diagnosis,
    ScenarioError,
    draw,
    load_scenario,
    pick_scenario,
    scenario_names,
)
from labapp.gameday.events import make_event

NAMES = scenario_names()


def test_the_scenarios_the_issue_names_are_there() -> None:
    assert set(NAMES) >= {
        "slow_recommender",
        "flapping_payments",
        "abusive_client",
        "bad_deploy",
        "cardinality_explosion",
        "retry_storm",
    }


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_loads_and_draws_events_the_lab_can_play(name: str) -> None:
    incident = draw(load_scenario(name), seed=3)
    assert incident.truth.mechanism in MECHANISMS
    make_event(incident.fault), make_event(incident.decoy)  # noqa: B018  # both build, or raise ScenarioError
    assert "$" not in incident.signals[0].query and "$" not in incident.decoy_signal
    assert incident.decoy_signal not in {s.query for s in incident.signals}
    assert float(incident.decoy["at_s"]) + float(incident.decoy["for_s"]) < incident.truth.start_s


def test_the_same_seed_draws_the_same_incident_and_other_seeds_vary_it() -> None:
    spec = load_scenario("bad_deploy")
    assert draw(spec, seed=7) == draw(spec, seed=7)
    draws = {(d.truth.routes, d.truth.start_s, d.fault["error_share"]) for d in (draw(spec, seed=s) for s in range(20))}
    assert len(draws) > 10


def test_without_a_seed_the_draw_follows_the_learner(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_scenario("abusive_client")
    monkeypatch.setenv("LAB_LEARNER", "ada")
    ada = draw(spec)
    assert draw(spec) == ada
    clients = set()
    for name in ("grace", "alan", "edsger", "barbara", "ken"):
        monkeypatch.setenv("LAB_LEARNER", name)
        clients.add(draw(spec).truth.clients)
    assert len(clients | {ada.truth.clients}) >= 4


def test_random_picks_a_scenario_from_the_seed() -> None:
    picked = {pick_scenario("random", seed).name for seed in range(30)}
    assert picked <= set(NAMES) and len(picked) >= 4
    assert pick_scenario("random", 5).name == pick_scenario("random", 5).name


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    return path


def test_bad_files_say_what_to_fix(tmp_path: Path) -> None:
    source = (GAMEDAY_DIR / "slow_recommender.yml").read_text()
    with pytest.raises(ScenarioError, match="must match the file name"):
        load_scenario(_write(tmp_path, "other", source))
    with pytest.raises(ScenarioError, match="is not one of"):
        load_scenario(_write(tmp_path, "slow_recommender", source.replace("mechanism: latency", "mechanism: gremlins")))
    with pytest.raises(ScenarioError, match="one_of"):
        draw(
            load_scenario(_write(tmp_path, "slow_recommender", source.replace("one_of: [0.3", "one_of: 0.3, x: [0.3")))
        )
    with pytest.raises(ScenarioError, match="no scenario 'nope'; known: abusive_client"):
        load_scenario("nope")
    with pytest.raises(ScenarioError, match="event kind 'meteor'"):
        make_event({"kind": "meteor"})
    with pytest.raises(ScenarioError, match="needs 'service'"):
        make_event({"kind": "flapping", "down_s": 1, "up_s": 1})


def test_a_diagnosis_refuses_what_it_cannot_grade() -> None:
    with pytest.raises(ValueError, match="service is one of"):
        Diagnosis("database", "latency", 10)
    with pytest.raises(ValueError, match="Pick one of: 'latency'"):
        Diagnosis("shop", "gremlins", 10)
    with pytest.raises(TypeError, match="lists"):
        Diagnosis("shop", "bad_deploy", 10, routes="/items")
    with pytest.raises(ValueError, match="seconds after the game day began"):
        Diagnosis("shop", "bad_deploy", -3)


def test_playing_again_replays_the_incident_but_not_while_it_plays(lab: Lab) -> None:
    lab.watch(prefer="embedded")
    game = lab.game_day("bad_deploy", seed=1, duration_s=13, time_scale=0.25)
    game.play(wait=False)
    with pytest.raises(RuntimeError, match="still playing"):
        game.play()
    game.stop()
    first = game.run
    game.play(wait=False)  # a re-run cell: the same incident from the start
    assert game.run is not first and game.run.incident == first.incident
    assert game.run.started is not None and first.started is not None and game.run.started > first.started
    game.stop()
    assert lab.release.version == "v1"
