"""The balance policy, pure: standings from balances and time."""

from __future__ import annotations

import pytest

from vertice_core.billing.policy import (
    DELETED,
    EXHAUSTED,
    LOW,
    OK,
    STOPPED,
    PolicySettings,
    Standing,
    message,
    standing,
)

T = 1_000_000.0
ENFORCE = PolicySettings(warn_below=10.0, enforce=True, stop_after=3600, delete_after=7200)


@pytest.mark.parametrize(
    ("balance", "before", "now", "after"),
    [
        (50.0, Standing(), T, Standing(OK)),
        (10.0, Standing(), T, Standing(LOW)),  # at the threshold: warned
        (0.01, Standing(OK), T, Standing(LOW)),
        (0.0, Standing(LOW), T, Standing(EXHAUSTED, T)),  # zero is exhausted
        (-3.0, Standing(EXHAUSTED, T), T + 3599, Standing(EXHAUSTED, T)),
        (-3.0, Standing(EXHAUSTED, T), T + 3600, Standing(STOPPED, T)),
        (-3.0, Standing(STOPPED, T), T + 7199, Standing(STOPPED, T)),
        (-3.0, Standing(STOPPED, T), T + 7200, Standing(DELETED, T)),
        (-3.0, Standing(EXHAUSTED, T), T + 9000, Standing(DELETED, T)),  # both at once
        (-3.0, Standing(DELETED, T), T + 9000, Standing(DELETED, T)),
        (25.0, Standing(STOPPED, T), T + 5000, Standing(OK)),  # credited: the clock resets
        (5.0, Standing(DELETED, T), T + 9000, Standing(LOW)),
    ],
)
def test_standings_with_enforcement(
    balance: float, before: Standing, now: float, after: Standing
) -> None:
    assert standing(balance, before, now, ENFORCE) == after


def test_without_enforcement_a_project_is_only_reported() -> None:
    settings = PolicySettings(warn_below=5.0)
    assert standing(-1.0, Standing(EXHAUSTED, T), T + 10**7, settings) == Standing(EXHAUSTED, T)
    assert standing(4.0, Standing(), T, settings) == Standing(LOW)


def test_no_threshold_no_warning() -> None:
    assert standing(0.5, Standing(), T, PolicySettings(enforce=True)) == Standing(OK)


def test_deletion_is_off_by_default() -> None:
    settings = PolicySettings(enforce=True, stop_after=60)
    assert standing(-1.0, Standing(STOPPED, T), T + 10**9, settings) == Standing(STOPPED, T)


def test_messages_name_the_project_and_the_balance() -> None:
    text = message(EXHAUSTED, "shop", "-1.20 USD", ENFORCE)
    assert "'shop'" in text and "-1.20 USD" in text and "refused" in text
    assert "stopped" in message(STOPPED, "shop", "-1.20 USD", ENFORCE)
    assert "deleted" in message(DELETED, "shop", "-1.20 USD", ENFORCE)
    assert "10" in message(LOW, "shop", "9.00 USD", ENFORCE)
