"""The load generator's progress bar: a widget in a notebook, plain text elsewhere, never red in JupyterLab."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

__all__ = ["in_notebook", "progress_bar"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, nbval), False in a terminal or under pytest."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(**options: Any) -> tqdm:
    """A progress bar: a widget in a notebook, plain text elsewhere.

    A text bar writes to stderr, which JupyterLab paints red like an error;
    in a notebook the bar is tqdm's notebook widget (needs ipywidgets), or,
    without ipywidgets, plain text on stdout. Elsewhere it is text on stderr.
    """
    if not in_notebook():
        return tqdm(file=sys.stderr, **options)
    if not options.get("disable"):
        try:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm(**options)
        except ImportError:  # no ipywidgets: tqdm.notebook cannot draw a widget
            pass
    return tqdm(file=sys.stdout, **options)
