"""The load generator's progress bar: a widget in a notebook, plain text elsewhere, never red in JupyterLab."""

from __future__ import annotations

import sys
import types

import pytest
import tqdm
import tqdm.notebook

from labapp.load import progress


class ZMQInteractiveShell:  # the name Jupyter's kernel shell has
    pass


@pytest.fixture
def in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)


def test_outside_a_notebook_the_bar_is_text_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert not progress.in_notebook()
    bar = progress.progress_bar(total=3, desc="open-loop load", mininterval=0)
    bar.update(3)
    bar.close()
    assert type(bar) is tqdm.tqdm
    out, err = capsys.readouterr()
    assert "open-loop load" in err
    assert out == ""


@pytest.mark.usefixtures("in_a_notebook")
def test_in_a_notebook_the_bar_is_the_notebook_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, object]] = []

    class Widget(tqdm.tqdm):  # type: ignore[type-arg]
        def __init__(self, **options: object) -> None:
            made.append(options)
            super().__init__(disable=True)

    monkeypatch.setattr(tqdm.notebook, "tqdm", Widget)
    assert progress.in_notebook()
    bar = progress.progress_bar(total=3, desc="open-loop load")
    assert isinstance(bar, Widget)
    assert "file" not in made[0]  # the widget draws itself; nothing goes to stderr


@pytest.mark.usefixtures("in_a_notebook")
def test_in_a_notebook_without_ipywidgets_the_bar_is_text_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.notebook", None)  # import fails, as without ipywidgets
    bar = progress.progress_bar(total=3, desc="open-loop load", mininterval=0)
    bar.update(3)
    bar.close()
    out, err = capsys.readouterr()
    assert "open-loop load" in out
    assert err == ""


@pytest.mark.usefixtures("in_a_notebook")
def test_a_disabled_bar_draws_nothing_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    bar = progress.progress_bar(total=3, desc="open-loop load", disable=True)
    bar.update(3)
    bar.close()
    assert capsys.readouterr() == ("", "")
