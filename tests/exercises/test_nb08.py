"""Notebook 08's checkers: each judges what the learner's code causes on a real server."""

from __future__ import annotations

import random
import time

import httpx
import pytest
from starlette.requests import Request

from labapp import Lab, LabConfig
from labapp.exercises import check_limit_config, check_polite_client, check_tier_keys
from labapp.ratelimit import TIER_OF_KEY, client_address

TIERS = dict(LabConfig().tier_limits)


def polite(client: httpx.Client, url: str) -> httpx.Response:
    answer = client.get(url)
    for _ in range(4):
        if answer.status_code != 429:
            break
        time.sleep(float(answer.headers.get("retry-after", 1)) + random.uniform(0, 0.1))
        answer = client.get(url)
    return answer


def waits_one_second(client: httpx.Client, url: str) -> httpx.Response:
    answer = client.get(url)
    for _ in range(4):
        if answer.status_code != 429:
            break
        time.sleep(1)
        answer = client.get(url)
    return answer


def tight_loop(client: httpx.Client, url: str) -> httpx.Response:
    answer = client.get(url)
    for _ in range(50):
        if answer.status_code != 429:
            break
        answer = client.get(url)
    return answer


def never_gives_up(client: httpx.Client, url: str) -> httpx.Response:
    while (answer := client.get(url)).status_code == 429:
        time.sleep(float(answer.headers["retry-after"]))
    return answer


def gives_up_at_once(client: httpx.Client, url: str) -> httpx.Response:
    return client.get(url)


def stub(client: httpx.Client, url: str) -> None: ...


@pytest.mark.parametrize(
    ("function", "verdict", "needle"),
    [
        (polite, True, "none early"),
        (waits_one_second, False, "wait that long"),
        (tight_loop, False, "before the 2 s of Retry-After"),
        (never_gives_up, False, "give up after a few tries"),
        (gives_up_at_once, False, "ask again"),
        (stub, False, "return the last httpx.Response"),
        (None, False, "expected a function"),
    ],
)
def test_polite_client(
    lab: Lab, capsys: pytest.CaptureFixture[str], function: object, verdict: bool, needle: str
) -> None:
    assert check_polite_client(lab, function) is verdict
    out = capsys.readouterr().out
    assert needle in out
    assert "ex08_doorman" not in lab.extras


def api_key(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip()


def tier_limit(key: str) -> str:
    return TIERS[TIER_OF_KEY[key]]


def by_tier(request: Request) -> str:
    return TIER_OF_KEY.get(api_key(request), "none")


def tier_limit_of_tier(key: str) -> str:
    return TIERS[key]


def free_for_all(key: str) -> str:
    return TIERS["free"]


def whole_header(request: Request) -> str:
    return request.headers.get("authorization", "")


def no_key_parameter(k: str) -> str:
    return TIERS["free"]


def tier_name(key: str) -> str:
    return TIER_OF_KEY[key]


@pytest.mark.parametrize(
    ("key_of", "limit_for", "verdict", "needle"),
    [
        (api_key, tier_limit, True, "paid-key-cyd 12 of 12"),
        (client_address, free_for_all, False, "not the address"),
        (by_tier, tier_limit_of_tier, False, "share one budget"),
        (api_key, free_for_all, False, "look up the key's tier"),
        (whole_header, tier_limit, False, "limit_for('Bearer free-key-ada') raised KeyError"),
        (api_key, no_key_parameter, False, "no parameter called 'key'"),
        (api_key, tier_name, False, "limits notation"),
        ("api_key", tier_limit, False, "not a function"),
        (print, print, False, "no parameter called 'request'"),  # a builtin: no signature to read
    ],
)
def test_tier_keys(
    lab: Lab, capsys: pytest.CaptureFixture[str], key_of: object, limit_for: object, verdict: bool, needle: str
) -> None:
    assert check_tier_keys(lab, key_of, limit_for) is verdict
    out = capsys.readouterr().out
    assert needle in out
    assert "5/second" not in out.split("hint:")[-1] and "50/second" not in out
    assert "ex08_tiers" not in lab.extras


@pytest.mark.parametrize(
    ("config", "verdict", "needle"),
    [
        (LabConfig(items_limit="10/second", rate_limit_strategy="moving-window"), True, "of the 30 at the window edge"),
        (LabConfig(items_limit="10/second"), False, "rate_limit_strategy"),  # fixed window: 2x at the edge
        (LabConfig(items_limit="5/second", rate_limit_strategy="moving-window"), False, "honest client must fit"),
        (
            LabConfig(items_limit="10/second", rate_limit_strategy="moving-window", rate_limit_key="forwarded-blindly"),
            False,
            "trust the header only from known proxies",
        ),
        ("10/second", False, "expected a LabConfig"),
    ],
)
def test_limit_config(lab: Lab, capsys: pytest.CaptureFixture[str], config: object, verdict: bool, needle: str) -> None:
    assert check_limit_config(lab, config) is verdict
    out = capsys.readouterr().out
    assert needle in out
    hint = out.split("hint:")[-1]
    assert "moving-window" not in hint and "sliding-window" not in hint and "10/second" not in hint
    assert "ex08_shop" not in lab.extras
