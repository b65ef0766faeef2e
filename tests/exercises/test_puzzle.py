"""Puzzles are per learner: stable for one, different across a class."""

from __future__ import annotations

import pytest

from labapp.exercises.puzzle import learner_name, puzzle_rng


def test_one_learner_gets_the_same_puzzle_twice() -> None:
    assert puzzle_rng("t", "ada").random() == puzzle_rng("t", "ada").random()


def test_a_class_gets_different_puzzles() -> None:
    picks = {puzzle_rng("nb05", f"learner{i}").choice("abc") for i in range(30)}
    assert picks == set("abc")
    assert puzzle_rng("a", "ada").random() != puzzle_rng("b", "ada").random()


def test_the_hub_user_name_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAB_LEARNER", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "grace")
    assert learner_name() == "grace"
    monkeypatch.setenv("LAB_LEARNER", "ada")
    assert learner_name() == "ada"


def test_a_topic_is_required() -> None:
    with pytest.raises(ValueError, match="needs a topic"):
        puzzle_rng("")
