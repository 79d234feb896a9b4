"""VelocityPolicy: the spec's limits as data, read from and written to JSON."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tt_fraud import (
    FraudInputError,
    VelocityDimension,
    VelocityLimit,
    VelocityPolicy,
    VelocitySubjects,
)


def one(**fields: object) -> dict[str, object]:
    return {"limits": [{"dimension": "user", "windowSeconds": 60, "limit": 1} | fields]}


def test_spec_default_limits() -> None:
    limits = {(limit.key, limit.limit) for limit in VelocityPolicy.spec_default().limits}

    assert limits == {
        ("user/3600s", 5),
        ("user/86400s", 20),
        ("user/604800s", 50),
        ("ip/60s", 10),
        ("ip/3600s", 50),
        ("card/86400s", 10),
        ("card_users/86400s", 3),
    }


def test_policy_round_trips_through_json_text() -> None:
    policy = VelocityPolicy.spec_default()

    assert VelocityPolicy.from_json(json.loads(json.dumps(policy.to_json()))) == policy


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            {"limits": [{"dimension": "device", "windowSeconds": 60, "limit": 1}]},
            "limits[0].dimension",
        ),
        (
            {"limits": [{"dimension": "user", "windowSeconds": 0, "limit": 1}]},
            "limits[0].windowSeconds",
        ),
        (
            {"limits": [{"dimension": "user", "windowSeconds": 60, "limit": True}]},
            "limits[0].limit",
        ),
        (
            {"limits": [{"dimension": "user", "windowSeconds": 60.5, "limit": 1}]},
            "limits[0].windowSeconds",
        ),
        ({"limits": "none"}, "limits"),
    ],
)
def test_bad_policies_are_refused_by_field(raw: object, field: str) -> None:
    with pytest.raises(FraudInputError) as raised:
        VelocityPolicy.from_json(raw)

    assert raised.value.details[0][0] == field


def test_two_limits_on_the_same_window_are_refused() -> None:
    hour = VelocityLimit(dimension=VelocityDimension.USER, window=timedelta(hours=1), limit=5)

    with pytest.raises(FraudInputError):
        VelocityPolicy((hour, hour))


def test_subjects_refuse_braces_that_would_break_the_hash_tag() -> None:
    with pytest.raises(FraudInputError):
        VelocitySubjects(tenant_id="t}", user_id="u")
    with pytest.raises(FraudInputError):
        VelocitySubjects(tenant_id="t", user_id="")
    assert VelocitySubjects(tenant_id="t", user_id="u").ip is None
