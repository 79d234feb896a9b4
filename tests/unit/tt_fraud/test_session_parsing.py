"""SessionData.from_json: the request's sessionData, parsed strictly."""

from __future__ import annotations

import pytest

from tt_fraud import MAX_ACTIONS, FraudInputError, SessionAction, SessionData
from tt_money import InvalidInputError


def problems(obj: object) -> tuple[tuple[str, str], ...]:
    with pytest.raises(FraudInputError) as raised:
        SessionData.from_json(obj)
    return raised.value.details


def test_a_well_formed_session_is_parsed() -> None:
    session = SessionData.from_json(
        {
            "actions": [
                {"type": "mousemove", "timestamp": 10, "x": 5, "y": 6},
                {"type": "click", "timestamp": 10, "x": 5, "y": 6},
                {"type": "keydown", "timestamp": 250},
            ],
            "browserFeatures": {
                "webdriver": False,
                "plugins": 3,
                "languages": 2,
                "hardwareConcurrency": 8,
                "screen": {"width": 1920, "height": 1080},
                "userAgent": "Mozilla/5.0",
                "touch": False,
                "somethingNew": [1, 2],
            },
        }
    )

    assert session.actions == (
        SessionAction(type="mousemove", at_ms=10, x=5, y=6),
        SessionAction(type="click", at_ms=10, x=5, y=6),
        SessionAction(type="keydown", at_ms=250),
    )
    assert session.user_agent == "Mozilla/5.0"
    assert session.feature_int("plugins") == 3
    assert session.feature_bool("webdriver") is False
    assert session.browser_features["somethingNew"] == [1, 2]


def test_missing_session_data_is_empty() -> None:
    assert SessionData.from_json(None) == SessionData.empty()
    assert SessionData.empty().actions == ()


def test_errors_are_validation_errors() -> None:
    with pytest.raises(InvalidInputError) as raised:
        SessionData.from_json([])
    assert raised.value.code == "VALIDATION_ERROR"
    assert raised.value.details == (("sessionData", "must be an object"),)


@pytest.mark.parametrize(
    ("action", "field", "message"),
    [
        ({"type": "click", "timestamp": "5"}, "timestamp", "must be an integer"),
        ({"type": "click", "timestamp": 5.0}, "timestamp", "must be an integer"),
        ({"type": "click", "timestamp": True}, "timestamp", "must be an integer"),
        ({"type": "click", "timestamp": -1}, "timestamp", "must not be negative"),
        ({"type": "click", "timestamp": 5, "x": True}, "x", "must be an integer"),
        ({"type": "click", "timestamp": 5, "y": 1.5}, "y", "must be an integer"),
        ({"type": 7, "timestamp": 5}, "type", "must be a string of 1..32 characters"),
        ({"type": "", "timestamp": 5}, "type", "must be a string of 1..32 characters"),
    ],
)
def test_a_malformed_action_is_named(action: dict[str, object], field: str, message: str) -> None:
    good = [{"type": "click", "timestamp": 1}] * 3

    assert problems({"actions": [*good, action]}) == ((f"sessionData.actions[3].{field}", message),)


def test_timestamps_must_not_go_backwards() -> None:
    actions = [{"type": "click", "timestamp": 100}, {"type": "click", "timestamp": 99}]

    assert problems({"actions": actions}) == (
        ("sessionData.actions[1].timestamp", "must not be earlier than the previous action"),
    )


def test_too_many_actions_are_refused() -> None:
    actions = [
        {"type": "mousemove", "timestamp": i, "x": 0, "y": 0} for i in range(MAX_ACTIONS + 1)
    ]

    assert problems({"actions": actions}) == (
        ("sessionData.actions", f"must have at most {MAX_ACTIONS} actions"),
    )
    assert len(SessionData.from_json({"actions": actions[:MAX_ACTIONS]}).actions) == MAX_ACTIONS


@pytest.mark.parametrize(
    ("features", "field", "message"),
    [
        ({"webdriver": "false"}, "webdriver", "must be a boolean"),
        ({"plugins": True}, "plugins", "must be an array, an array-like object or a count"),
        ({"plugins": -1}, "plugins", "must be an array, an array-like object or a count"),
        (
            {"plugins": {"name": "x"}},
            "plugins",
            "must be an array, an array-like object or a count",
        ),
        ({"languages": 2.0}, "languages", "must be an array, an array-like object or a count"),
        ({"languages": "en-US"}, "languages", "must be an array, an array-like object or a count"),
        ({"hardwareConcurrency": -2}, "hardwareConcurrency", "must be a non-negative integer"),
        ({"userAgent": 5}, "userAgent", "must be a string"),
        ({"screen": [800, 600]}, "screen", "must be an object"),
        ({"screen": {"width": "800"}}, "screen.width", "must be a non-negative integer"),
    ],
)
def test_malformed_browser_features_are_named(
    features: dict[str, object], field: str, message: str
) -> None:
    assert problems({"browserFeatures": features}) == (
        (f"sessionData.browserFeatures.{field}", message),
    )


def test_every_problem_is_reported_at_once() -> None:
    details = problems(
        {
            "actions": [{"type": "click", "timestamp": "x"}, "nope"],
            "browserFeatures": {"touch": 1},
        }
    )

    assert [field for field, _ in details] == [
        "sessionData.actions[0].timestamp",
        "sessionData.actions[1]",
        "sessionData.browserFeatures.touch",
    ]


@pytest.mark.parametrize(
    ("features", "counts"),
    [
        # What a front end sends from navigator.languages and JSON.stringify(navigator.plugins)
        ({"languages": ["en-US", "en"], "plugins": {"0": {}, "1": {}, "2": {}}}, (2, 3)),
        ({"languages": [], "plugins": []}, (0, 0)),
        ({"languages": 3, "plugins": {"length": 5, "0": {}}}, (3, 5)),
        ({"languages": ["fr"], "plugins": [{"name": "PDF Viewer"}]}, (1, 1)),
    ],
)
def test_browser_lists_are_accepted_as_browsers_serialize_them_and_kept_as_counts(
    features: dict[str, object], counts: tuple[int, int]
) -> None:
    parsed = SessionData.from_json({"browserFeatures": features})
    assert (parsed.browser_features["languages"], parsed.browser_features["plugins"]) == counts
