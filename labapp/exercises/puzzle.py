"""Puzzles that differ from one learner to the next, and stay put for each learner.

A neighbour's answer should not fit your puzzle, but re-running a notebook should
not move the goalposts. So a puzzle draws from a random generator seeded by the
learner's name (the hub's user name, else the login name) and the puzzle's topic.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import random

__all__ = ["learner_name", "puzzle_rng"]


def learner_name() -> str:
    """The learner this kernel belongs to: JupyterHub's user name, else the login name."""
    for variable in ("LAB_LEARNER", "JUPYTERHUB_USER"):
        if name := os.environ.get(variable, "").strip():
            return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "learner"


def puzzle_rng(topic: str, learner: str | None = None) -> random.Random:
    """A generator for one puzzle: the same for one learner and topic, different across learners.

    ``LAB_LEARNER`` overrides the name, so an instructor can reproduce a learner's puzzle.
    """
    if not topic:
        raise ValueError("puzzle_rng needs a topic, e.g. 'nb05-slow-hop', so puzzles differ from one another")
    who = learner if learner is not None else learner_name()
    digest = hashlib.sha256(f"{who}\x00{topic}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
