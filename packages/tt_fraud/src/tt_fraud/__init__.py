"""tt_fraud: bot, scalper and velocity detection with explainable decisions.

Detectors are pure (session or purchase history in, assessment out); velocity counting
sits behind the ``VelocityCounter`` port (``tt_fraud.adapters.RedisVelocityCounter``);
``DecisionEngine`` turns detector scores and other facts into approve / review /
challenge / decline by rules that are data. Imports only the standard library, attrs and
tt_money.
"""

from tt_fraud.bot import BOT_INDICATORS, DEFAULT_BOT_WEIGHTS, BotAssessment, BotDetector
from tt_fraud.decision import (
    DEFAULT_RULES,
    SCORE_FACTS,
    Decision,
    DecisionEngine,
    FraudDecision,
    Operator,
    Rule,
    RuleKind,
    RuleValue,
    rules_from_json,
    rules_to_json,
)
from tt_fraud.errors import (
    BotDetectedError,
    FraudDetectedError,
    FraudError,
    FraudInputError,
    VelocityLimitExceededError,
    VelocityUnavailableError,
)
from tt_fraud.ports import VelocityCounter
from tt_fraud.scalper import (
    DEFAULT_SCALPER_WEIGHTS,
    SCALPER_INDICATORS,
    PastPurchase,
    PastResale,
    PurchaseHistory,
    ScalperAssessment,
    ScalperDetector,
    ScalperFeatures,
    markup_bps,
    scalper_features,
)
from tt_fraud.session import MAX_ACTIONS, SessionAction, SessionData
from tt_fraud.signals import SCORE_QUANTUM, Signal, combine_weights, quantize_score
from tt_fraud.simulation import LabelledHistory, LabelledSession, Traffic, generate_traffic
from tt_fraud.velocity import (
    VelocityDimension,
    VelocityLimit,
    VelocityPolicy,
    VelocitySubjects,
    VelocityVerdict,
)

__all__ = [
    "BOT_INDICATORS",
    "DEFAULT_BOT_WEIGHTS",
    "DEFAULT_RULES",
    "DEFAULT_SCALPER_WEIGHTS",
    "MAX_ACTIONS",
    "SCALPER_INDICATORS",
    "SCORE_FACTS",
    "SCORE_QUANTUM",
    "BotAssessment",
    "BotDetectedError",
    "BotDetector",
    "Decision",
    "DecisionEngine",
    "FraudDecision",
    "FraudDetectedError",
    "FraudError",
    "FraudInputError",
    "LabelledHistory",
    "LabelledSession",
    "Operator",
    "PastPurchase",
    "PastResale",
    "PurchaseHistory",
    "Rule",
    "RuleKind",
    "RuleValue",
    "ScalperAssessment",
    "ScalperDetector",
    "ScalperFeatures",
    "SessionAction",
    "SessionData",
    "Signal",
    "Traffic",
    "VelocityCounter",
    "VelocityDimension",
    "VelocityLimit",
    "VelocityLimitExceededError",
    "VelocityPolicy",
    "VelocitySubjects",
    "VelocityUnavailableError",
    "VelocityVerdict",
    "combine_weights",
    "generate_traffic",
    "markup_bps",
    "quantize_score",
    "rules_from_json",
    "rules_to_json",
    "scalper_features",
]
