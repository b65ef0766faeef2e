"""One traced lab per live game-day file, scraped by the embedded scraper (the notebook covers Prometheus)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labapp import Lab


@pytest.fixture(scope="module")
def game_lab(shared_lab: Lab) -> Iterator[Lab]:
    shared_lab.stop()  # one lab at a time; the ``lab`` fixture restarts the shared one later
    with Lab(tracing=True) as lab:
        lab.watch(prefer="embedded")
        yield lab
