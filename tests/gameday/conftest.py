"""A fresh traced lab per live game day, scraped by the embedded scraper (the notebook covers Prometheus).

Fresh, not shared by a file: the last scenario's fault would stay in the next one's baseline for the
longest signal window (10 s), and a new lab starts in about a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labapp import Lab


@pytest.fixture
def game_lab(shared_lab: Lab) -> Iterator[Lab]:
    shared_lab.stop()  # one lab at a time; the ``lab`` fixture restarts the shared one later
    with Lab(tracing=True) as lab:
        lab.watch(prefer="embedded")
        yield lab
