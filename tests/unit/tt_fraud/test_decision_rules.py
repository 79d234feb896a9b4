"""DecisionEngine: rules as data, evaluated allow -> block -> challenge -> review."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tt_fraud import (
    DEFAULT_RULES,
    BotDetectedError,
    Decision,
    DecisionEngine,
    FraudDetectedError,
    FraudInputError,
    Rule,
    RuleKind,
    Signal,
    rules_from_json,
    rules_to_json,
)

engine = DecisionEngine()


def rule(
    name: str, kind: RuleKind, signal: str, op: str, value: object, code: str | None = None
) -> Rule:
    return Rule.from_json(
        {
            "name": name,
            "kind": kind.value,
            "signal": signal,
            "op": op,
            "value": value,
            "errorCode": code,
        }
    )


@pytest.mark.parametrize(
    ("facts", "decision", "rule", "code"),
    [
        ({"bot_score": Decimal("0.71")}, Decision.DECLINE, "block_bot", "BOT_DETECTED"),
        ({"bot_score": Decimal("0.70")}, Decision.CHALLENGE, "challenge_bot", None),
        ({"scalper_score": Decimal("0.71")}, Decision.DECLINE, "block_scalper", "FRAUD_DETECTED"),
        ({"is_known_scalper": True}, Decision.DECLINE, "block_known_scalper", "FRAUD_DETECTED"),
        ({"scalper_score": Decimal("0.51")}, Decision.CHALLENGE, "challenge_scalper", None),
        ({"scalper_score": Decimal("0.31")}, Decision.REVIEW, "review_scalper", None),
        ({"accounts_on_device": 3}, Decision.REVIEW, "review_shared_device", None),
        ({"accounts_on_device": 2, "bot_score": Decimal("0.50")}, Decision.APPROVE, None, None),
        ({}, Decision.APPROVE, None, None),
    ],
)
def test_default_rules(
    facts: dict[str, object], decision: Decision, rule: str | None, code: str | None
) -> None:
    result = engine.decide(facts)

    assert (result.decision, result.rule, result.error_code) == (decision, rule, code)


def test_block_beats_challenge_and_review_whatever_the_list_order() -> None:
    rules = (
        rule("review_any", RuleKind.REVIEW, "bot_score", ">=", "0"),
        rule("challenge_any", RuleKind.CHALLENGE, "bot_score", ">=", "0"),
        rule("block_high", RuleKind.BLOCK, "bot_score", ">", "0.9", "BOT_DETECTED"),
    )
    engine = DecisionEngine(rules)

    assert engine.decide({"bot_score": Decimal("0.95")}).rule == "block_high"
    assert engine.decide({"bot_score": Decimal("0.5")}).rule == "challenge_any"


def test_allow_beats_block() -> None:
    allow = rule("allow_box_office", RuleKind.ALLOW, "user_role", "==", "box_office")
    engine = DecisionEngine((*DEFAULT_RULES, allow))

    result = engine.decide({"user_role": "box_office", "bot_score": Decimal("0.99")})

    assert (result.decision, result.rule, result.error_code) == (
        Decision.APPROVE,
        "allow_box_office",
        None,
    )
    assert result.score == Decimal("0.99")


def test_within_a_kind_the_first_rule_wins() -> None:
    engine = DecisionEngine(
        (
            rule("first", RuleKind.REVIEW, "n", ">", 1),
            rule("second", RuleKind.REVIEW, "n", ">", 0),
        )
    )

    assert engine.decide({"n": 5}).rule == "first"


def test_score_is_the_largest_detector_score_and_signals_are_kept() -> None:
    signals = (Signal("bot.webdriver", Decimal("0.90"), "navigator.webdriver is true"),)

    result = engine.decide(
        {"bot_score": Decimal("0.2"), "scalper_score": Decimal("0.456")}, signals
    )

    assert result.score == Decimal("0.46")
    assert result.signals == signals


def test_missing_or_mistyped_facts_do_not_match() -> None:
    assert not rule("r", RuleKind.BLOCK, "bot_score", ">", "0.5").matches({})
    assert not rule("r", RuleKind.BLOCK, "bot_score", ">", "0.5").matches({"bot_score": True})
    assert not rule("r", RuleKind.BLOCK, "flag", "is", True).matches({"flag": 1})
    assert not rule("r", RuleKind.BLOCK, "role", "==", 1).matches({"role": True})


def test_a_decline_names_its_error() -> None:
    bot = engine.decide({"bot_score": Decimal("0.8")}).error()
    fraud = engine.decide({"is_known_scalper": True}).error()

    assert isinstance(bot, BotDetectedError)
    assert bot.code == "BOT_DETECTED"
    assert isinstance(fraud, FraudDetectedError)
    assert fraud.code == "FRAUD_DETECTED"
    assert engine.decide({}).error() is None


def test_rules_round_trip_through_json_text() -> None:
    text = json.dumps(rules_to_json(DEFAULT_RULES))

    assert rules_from_json(json.loads(text)) == DEFAULT_RULES
    assert '"0.70"' in text  # thresholds are decimal strings, never floats


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"kind": "deny"}, "kind"),
        ({"op": "!="}, "op"),
        ({"op": ">", "value": "high"}, "value"),
        ({"op": ">", "value": 0.7}, "value"),
        ({"op": "is", "value": "yes"}, "value"),
        ({"signal": "Bot Score"}, "signal"),
        ({"errorCode": "bot detected"}, "errorCode"),
    ],
)
def test_a_bad_rule_is_refused_by_name(bad: dict[str, object], field: str) -> None:
    good = {"name": "my_rule", "kind": "block", "signal": "bot_score", "op": ">", "value": "0.7"}

    with pytest.raises(FraudInputError) as raised:
        rules_from_json({"rules": [good | bad]})

    assert raised.value.details[0][0] == f"rules.my_rule.{field}"
    assert "my_rule" in raised.value.message


def test_rule_names_are_unique() -> None:
    twice = rules_to_json((DEFAULT_RULES[0], DEFAULT_RULES[0]))

    with pytest.raises(FraudInputError):
        rules_from_json(twice)
