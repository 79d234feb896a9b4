"""The explainable decision: rules (data) over named facts, evaluated in a fixed order.

Like Stripe Radar, rules are grouped by kind and the kinds run in a fixed order: allow
rules first (a match approves and stops: a trusted box-office account is never blocked),
then block (decline), then challenge (3-D Secure), then review; within a kind, rules run
in list order and the first match wins. No match approves. Rules compare *facts*, a
mapping of named values the caller assembles (``bot_score``, ``scalper_score``,
``is_known_scalper``, ``accounts_on_device``, ``velocity_exceeded``, ``user_role`` ...);
a rule whose fact is missing, or of a type its operator cannot compare, does not match.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, get_args

import attrs

from tt_fraud.errors import BotDetectedError, FraudDetectedError, FraudError, FraudInputError
from tt_fraud.signals import Signal, quantize_score

__all__ = [
    "DEFAULT_RULES",
    "SCORE_FACTS",
    "Decision",
    "DecisionEngine",
    "FraudDecision",
    "Operator",
    "Rule",
    "RuleKind",
    "RuleValue",
    "rules_from_json",
    "rules_to_json",
]

Operator = Literal[">", ">=", "<", "<=", "==", "is"]
RuleValue = Decimal | int | str | bool | None
_ORDERING: Final = frozenset({">", ">=", "<", "<="})
_COMPARE: Final[dict[str, Callable[[Decimal | int, Decimal | int], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ERROR_CODE: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")

SCORE_FACTS: Final = ("bot_score", "scalper_score")
"""The detector scores; a decision's ``score`` is the largest of those present."""


class Decision(enum.Enum):
    """The spec's ``fraud_checks.decision``."""

    APPROVE = "approve"
    REVIEW = "review"
    CHALLENGE = "challenge"
    DECLINE = "decline"


class RuleKind(enum.Enum):
    """What a matching rule does; the members are listed in evaluation order."""

    ALLOW = "allow"
    BLOCK = "block"
    CHALLENGE = "challenge"
    REVIEW = "review"

    @property
    def decision(self) -> Decision:
        return _DECISION_OF[self]


_DECISION_OF: Final = {
    RuleKind.ALLOW: Decision.APPROVE,
    RuleKind.BLOCK: Decision.DECLINE,
    RuleKind.CHALLENGE: Decision.CHALLENGE,
    RuleKind.REVIEW: Decision.REVIEW,
}


def _invalid(rule: str, field: str, message: str) -> FraudInputError:
    return FraudInputError(
        f"rule {rule!r}: {field} {message}", details=[(f"rules.{rule}.{field}", message)]
    )


def _is_number(value: object) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.frozen(kw_only=True)
class Rule:
    """``<kind> when <signal> <op> <value>``; a block rule names the error code to raise.

    Ordering operators take a number (int or finite Decimal, never float); ``==`` takes a
    string, int or bool; ``is`` takes true, false or null.
    """

    name: str
    kind: RuleKind
    signal: str
    op: Operator
    value: RuleValue
    error_code: str | None = None

    def __attrs_post_init__(self) -> None:
        name = self.name if isinstance(self.name, str) else repr(self.name)
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise _invalid(name, "name", "must be snake_case, 1..63 characters")
        if not isinstance(self.kind, RuleKind):
            raise _invalid(name, "kind", "must be allow, block, challenge or review")
        if not isinstance(self.signal, str) or not _NAME.match(self.signal):
            raise _invalid(name, "signal", "must be a snake_case fact name")
        if self.op not in get_args(Operator):
            raise _invalid(name, "op", "must be one of > >= < <= == is")
        if self.op in _ORDERING and not _is_number(self.value):
            raise _invalid(name, "value", f"must be a number for {self.op}")
        if self.op == "==" and (self.value is None or isinstance(self.value, Decimal)):
            raise _invalid(name, "value", "must be a string, integer or boolean for ==")
        if self.op == "is" and not (self.value is None or isinstance(self.value, bool)):
            raise _invalid(name, "value", "must be true, false or null for is")
        if self.error_code is not None and not (
            isinstance(self.error_code, str) and _ERROR_CODE.match(self.error_code)
        ):
            raise _invalid(name, "errorCode", "must be an UPPER_SNAKE error code")

    def matches(self, facts: Mapping[str, object]) -> bool:
        """Whether the fact named by ``signal`` satisfies the rule; missing facts do not."""
        if self.signal not in facts:
            return False
        fact = facts[self.signal]
        if self.op == "is":
            return (fact is None or isinstance(fact, bool)) and fact is self.value
        if self.op == "==":
            return type(fact) is type(self.value) and fact == self.value
        if not _is_number(fact):
            return False
        assert isinstance(fact, int | Decimal)
        assert isinstance(self.value, int | Decimal)
        return _COMPARE[self.op](fact, self.value)

    def to_json(self) -> dict[str, object]:
        """Decimals are written as strings so no float ever holds a threshold."""
        value = str(self.value) if isinstance(self.value, Decimal) else self.value
        return {
            "name": self.name,
            "kind": self.kind.value,
            "signal": self.signal,
            "op": self.op,
            "value": value,
            "errorCode": self.error_code,
        }

    @classmethod
    def from_json(cls, obj: object) -> Rule:
        """Read what ``to_json`` wrote; a bad rule raises ``FraudInputError`` naming it."""
        if not isinstance(obj, Mapping):
            raise FraudInputError(
                "a rule must be an object", details=[("rules", "must be objects")]
            )
        name = obj.get("name")
        label = name if isinstance(name, str) else "?"
        try:
            kind = RuleKind(obj.get("kind"))
        except ValueError:
            raise _invalid(label, "kind", "must be allow, block, challenge or review") from None
        op = obj.get("op")
        value = obj.get("value")
        if op in _ORDERING:
            value = _number(label, value)
        if isinstance(value, float):
            raise _invalid(label, "value", "must not be a float; write decimals as strings")
        if value is not None and not isinstance(value, str | int | bool | Decimal):
            raise _invalid(label, "value", "must be a number, string, boolean or null")
        return cls(
            name=name,  # type: ignore[arg-type]  # checked in __attrs_post_init__
            kind=kind,
            signal=obj.get("signal"),  # type: ignore[arg-type]
            op=op,  # type: ignore[arg-type]
            value=value,
            error_code=obj.get("errorCode"),
        )


def _number(rule: str, value: object) -> Decimal | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if number.is_finite():
            return number
    raise _invalid(rule, "value", "must be an integer or a decimal string")


def rules_to_json(rules: Iterable[Rule]) -> dict[str, object]:
    """``{"rules": [...]}``: what a tenant's stored rule set looks like."""
    return {"rules": [rule.to_json() for rule in rules]}


def rules_from_json(obj: object) -> tuple[Rule, ...]:
    """Read ``rules_to_json``'s output; names must be unique."""
    raw = obj.get("rules") if isinstance(obj, Mapping) else None
    if not isinstance(raw, list):
        raise FraudInputError(
            "a rule set must be an object with a rules array",
            details=[("rules", "must be an array")],
        )
    return _unique(tuple(Rule.from_json(item) for item in raw))


def _unique(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise _invalid(rule.name, "name", "is used by two rules")
        seen.add(rule.name)
    return tuple(rules)


DEFAULT_RULES: Final = (
    Rule(
        name="block_bot",
        kind=RuleKind.BLOCK,
        signal="bot_score",
        op=">",
        value=Decimal("0.70"),
        error_code="BOT_DETECTED",
    ),
    Rule(
        name="block_scalper",
        kind=RuleKind.BLOCK,
        signal="scalper_score",
        op=">",
        value=Decimal("0.70"),
        error_code="FRAUD_DETECTED",
    ),
    Rule(
        name="block_known_scalper",
        kind=RuleKind.BLOCK,
        signal="is_known_scalper",
        op="is",
        value=True,
        error_code="FRAUD_DETECTED",
    ),
    Rule(
        name="challenge_scalper",
        kind=RuleKind.CHALLENGE,
        signal="scalper_score",
        op=">",
        value=Decimal("0.50"),
        error_code=None,
    ),
    Rule(
        name="challenge_bot",
        kind=RuleKind.CHALLENGE,
        signal="bot_score",
        op=">",
        value=Decimal("0.50"),
        error_code=None,
    ),
    Rule(
        name="challenge_blind_high_demand",
        kind=RuleKind.CHALLENGE,
        signal="high_demand_without_session",
        op="is",
        value=True,
        error_code=None,
    ),
    Rule(
        name="review_scalper",
        kind=RuleKind.REVIEW,
        signal="scalper_score",
        op=">",
        value=Decimal("0.30"),
        error_code=None,
    ),
    Rule(
        name="review_shared_device",
        kind=RuleKind.REVIEW,
        signal="accounts_on_device",
        op=">=",
        value=3,
        error_code=None,
    ),
)
"""The spec's thresholds: > 0.7 is a bot / scalper; the softer steps are ours."""


@attrs.frozen(kw_only=True)
class FraudDecision:
    """The outcome: decision, score (the largest detector score), the evidence, and the
    rule that decided (``None`` when nothing matched and the payment is approved)."""

    decision: Decision
    score: Decimal
    signals: tuple[Signal, ...]
    rule: str | None
    error_code: str | None

    def error(self) -> FraudError | None:
        """The error to raise for a decline (``BotDetectedError`` for BOT_DETECTED, else
        ``FraudDetectedError`` with the rule's code), or ``None`` when not declined."""
        if self.decision is not Decision.DECLINE:
            return None
        message = f"payment declined by fraud rule {self.rule}"
        if self.error_code == BotDetectedError.default_code:
            return BotDetectedError(message)
        return FraudDetectedError(message, code=self.error_code)


@attrs.frozen
class DecisionEngine:
    """Evaluates rules in kind order (allow, block, challenge, review), then list order."""

    rules: tuple[Rule, ...] = attrs.field(default=DEFAULT_RULES, converter=_unique)

    def decide(self, facts: Mapping[str, object], signals: Iterable[Signal] = ()) -> FraudDecision:
        """Decide on ``facts``; ``signals`` are carried into the decision for the record.

        ``score`` is the maximum of the detector scores in ``facts`` (``SCORE_FACTS``),
        0.00 when none is given: one strong detector is enough to be suspicious, and
        averaging would let a clean bot score hide a scalper. Pure.
        """
        evidence = tuple(signals)
        scores = [facts[name] for name in SCORE_FACTS if isinstance(facts.get(name), Decimal)]
        score = quantize_score(
            max((s for s in scores if isinstance(s, Decimal)), default=Decimal(0))
        )
        for kind in RuleKind:
            for rule in self.rules:
                if rule.kind is kind and rule.matches(facts):
                    code = rule.error_code
                    if kind is RuleKind.BLOCK and code is None:
                        code = FraudDetectedError.default_code
                    return FraudDecision(
                        decision=kind.decision,
                        score=score,
                        signals=evidence,
                        rule=rule.name,
                        error_code=code,
                    )
        return FraudDecision(
            decision=Decision.APPROVE, score=score, signals=evidence, rule=None, error_code=None
        )
