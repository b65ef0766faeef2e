"""Every runbook timeline in data/ passes, and the runner can fail: a changed expectation is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labapp.__main__ import main
from labapp.respond import RunbookError, format_timeline_results, run_timeline_file

TIMELINES = sorted((Path(__file__).parents[2] / "data" / "runbooks" / "tests").glob("*.yml"))


@pytest.mark.parametrize("path", TIMELINES, ids=lambda p: p.stem)
def test_every_timeline_passes(path: Path) -> None:
    results = run_timeline_file(path)
    assert all(r.passed for r in results), format_timeline_results(results)


def test_the_files_cover_the_cases_the_issue_names() -> None:
    names = " ".join(t["name"] for p in TIMELINES for t in yaml.safe_load(p.read_text())["timelines"])
    for case in ("repeated", "duplicate", "flapping", "resolved message for an alert never seen", "resolved never"):
        assert case in names, case


def _mutated(tmp_path: Path, change: str, to: str) -> Path:
    source = TIMELINES[-1]  # shop_test.yml
    text = source.read_text()
    assert change in text
    (tmp_path / "shop.yml").write_text((source.parent.parent / "shop.yml").read_text())
    mutated = tmp_path / "tests" / source.name
    mutated.parent.mkdir()
    mutated.write_text(text.replace(change, to, 1))
    return mutated


def test_a_wrong_expectation_fails_and_names_the_timeline(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "[60, reverted, block, 10.0.0.7, resolved]", "[65, reverted, block, 10.0.0.7, resolved]")
    results = run_timeline_file(path)
    failed = [r for r in results if not r.passed]
    assert [r.name for r in failed] == ["firing, repeated, then resolved; one block, one unblock"]
    report = format_timeline_results(results)
    assert "65 reverted block 10.0.0.7" in report and "60 reverted block 10.0.0.7" in report
    assert report.endswith("FAILED: 8 of 9 timelines passed")


def test_a_missing_decision_fails(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "      - [20, refused, degrade, recommender, cooldown]\n", "")
    assert sum(not r.passed for r in run_timeline_file(path)) == 1


def test_the_command_line_exits_1_on_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test-runbooks", *map(str, TIMELINES)]) == 0
    assert "SUCCESS: 14 of 14" in capsys.readouterr().out
    path = _mutated(tmp_path, "[0, applied, scale, shop]", "[0, applied, scale, web]")
    assert main(["test-runbooks", str(path)]) == 1


def test_bad_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="no such runbook test file"):
        run_timeline_file(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("runbook: shop.yml\ntimelines: [{name: x, until: 5, expect: [[0, applied]]}]\n")
    with pytest.raises(RunbookError, match=r"\[at, outcome, action, target\]"):
        run_timeline_file(bad)


def test_replay_decides_under_other_rails_and_ends() -> None:
    from labapp.alerts.webhook import Status, make_payload
    from labapp.respond import GuardRails, Runbook, replay
    from labapp.respond.timeline import _alert

    FIRING: Status = "firing"  # noqa: N806
    RESOLVED: Status = "resolved"  # noqa: N806

    runbook = Runbook.from_file(TIMELINES[0].parent.parent / "shop.yml")
    flap = [
        (
            t,
            make_payload(
                status,
                [_alert({"alertname": "DependencySlow", "service": "recommender", "tier": "optional"}, status, t)],
            ),
        )
        for t, status in [(0.0, FIRING), (5.0, RESOLVED), (8.0, FIRING)]
    ]
    guarded = replay(flap, runbook, GuardRails(cooldown_s=10, expires_after_s=20))
    assert [(e.at, e.outcome) for e in guarded] == [(0.0, "applied"), (5.0, "reverted"), (8.0, "refused")]
    off = replay(flap, runbook, GuardRails.off())  # never expires: it stops at the horizon, not never
    assert [e.outcome for e in off] == ["applied", "reverted", "applied"]
