"""The fraud check before a payment, and the admin's view of fraud decisions.

Steps (spec "Security Checks" 4-6), for each payment attempt:

1. bot detection on the request's ``sessionData`` (actions, browser features);
2. scalper scoring on the buyer's and the device's last 30 days (PostgreSQL) and the
   known-scalper list;
3. the decision engine (rules as data, per tenant or event) decides approve, review,
   challenge or decline;
4. unless declined, the velocity limits (Redis, one round trip) count the attempt; one
   exceeded is a 429 with Retry-After;
5. the decision, the bot detection and the device's activity are written in one commit.

Decline raises 403 ``BOT_DETECTED`` / ``FRAUD_DETECTED``; challenge asks the processor
for 3-D Secure; review lets the payment through flagged (its metadata says why).

Redis down: velocity cannot be counted, so the attempt is not refused for it but
challenged with 3-D Secure and flagged for review (``velocity_unavailable``): a card
holder can still buy, a stolen card cannot without its owner's bank.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal

import attrs
from cachetools import TTLCache

from tt_fraud import (
    BotAssessment,
    BotDetector,
    Decision,
    DecisionEngine,
    FraudDecision,
    PastPurchase,
    ScalperDetector,
    SessionData,
    Signal,
    VelocityCounter,
    VelocityLimitExceededError,
    VelocityPolicy,
    VelocitySubjects,
    VelocityUnavailableError,
    VelocityVerdict,
    rules_from_json,
    scalper_features,
)
from tt_money.errors import TicketTokenError
from tt_payments.auth.identity import Principal, Role
from tt_payments.checks import CheckResult, PaymentAttempt
from tt_payments.clock import utcnow
from tt_payments.fraud.ports import FraudRecords
from tt_payments.fraud.records import BotDetectionRow, FraudCheckRow, KnownScalperRow

HISTORY_WINDOW = dt.timedelta(days=30)
_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class FraudPolicy:
    velocity: VelocityPolicy
    engine: DecisionEngine


class FraudCheck:
    """A ``PrePaymentCheck``: see the module docstring for its steps."""

    def __init__(
        self,
        *,
        records: FraudRecords,
        velocity: VelocityCounter,
        bots: BotDetector | None = None,
        scalpers: ScalperDetector | None = None,
        policy_cache_seconds: int = 5,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._records = records
        self._velocity = velocity
        self._bots = bots or BotDetector()
        self._scalpers = scalpers or ScalperDetector()
        self._clock = clock
        self._default = FraudPolicy(velocity=VelocityPolicy.spec_default(), engine=DecisionEngine())
        self._policies: TTLCache[tuple[uuid.UUID, uuid.UUID], FraudPolicy] | None = (
            TTLCache(maxsize=10_000, ttl=policy_cache_seconds) if policy_cache_seconds else None
        )

    async def __call__(self, attempt: PaymentAttempt) -> CheckResult:
        request = attempt.request
        now = self._clock()
        session = SessionData.from_json(attempt.session_data)
        bot = self._bots.assess(session)
        policy = await self.policy(request.tenant_id, request.event_id)
        seen = await self._records.history(
            request.tenant_id,
            request.user_id,
            request.device_fingerprint,
            since=now - HISTORY_WINDOW,
        )
        # The attempt itself is part of the pattern (the sixth purchase in an hour).
        history = attrs.evolve(
            seen.purchases,
            purchases=(*seen.purchases.purchases, _this_purchase(attempt, now)),
        )
        scalper = self._scalpers.assess(scalper_features(str(request.user_id), history, now))
        facts: dict[str, object] = {
            "bot_score": bot.score,
            "scalper_score": scalper.score,
            "is_known_scalper": history.known_scalper,
            "accounts_on_device": history.accounts_on_device,
            "devices_of_user": seen.devices_of_user,
            "high_demand": attempt.high_demand,
            # A high-demand purchase with no browser behaviour to judge: the one way to
            # skip bot detection, so the default rules challenge it.
            "high_demand_without_session": attempt.high_demand and not session.actions,
            "user_role": attempt.principal.role.value,
        }
        decision = policy.engine.decide(facts, (*bot.signals, *scalper.signals))
        refusal: TicketTokenError | None = decision.error()
        # Every attempt counts against the velocity limits, declined ones too: probing the
        # detectors with variations must cost the prober.
        velocity = await self._count(attempt, policy, now)
        if velocity is None:
            decision = _with_signal(
                decision,
                Signal(name="velocity_unavailable", weight=Decimal(0), detail="Redis down"),
                Decision.CHALLENGE if refusal is None else decision.decision,
            )
        elif refusal is None and not velocity.allowed and velocity.exceeded is not None:
            limit = velocity.exceeded
            refusal = VelocityLimitExceededError(
                f"too many payment attempts: {limit.key} allows {limit.limit}",
                limit=limit,
                retry_after_seconds=velocity.retry_after_seconds,
            )
            decision = attrs.evolve(
                _with_signal(
                    decision,
                    Signal(
                        name=f"velocity_{limit.key}", weight=Decimal(1), detail=str(limit.limit)
                    ),
                    Decision.DECLINE,
                ),
                rule=f"velocity_{limit.key}",
            )
        await self._record(attempt, now, session, bot, decision)
        if refusal is not None:
            raise refusal
        flagged = decision.decision in (Decision.CHALLENGE, Decision.REVIEW)
        reasons = [decision.rule] if decision.rule and flagged else []
        if velocity is None:
            reasons.append("velocity_unavailable")
        return CheckResult(
            require_three_d_secure=decision.decision is Decision.CHALLENGE,
            flag_for_review=decision.decision is Decision.REVIEW or velocity is None,
            reasons=tuple(reasons),
        )

    async def _count(
        self, attempt: PaymentAttempt, policy: FraudPolicy, now: dt.datetime
    ) -> VelocityVerdict | None:
        """Count the attempt in its velocity windows; None when Redis cannot be reached."""
        request = attempt.request
        try:
            return await self._velocity.check_and_record(
                VelocitySubjects(
                    tenant_id=str(request.tenant_id),
                    user_id=str(request.user_id),
                    ip=attempt.ip_address,
                    card=request.payment_method_id,
                ),
                policy.velocity,
                # Keys are unique per buyer only: the IP and card windows are shared, so
                # the member names the buyer too (a retry under one key still counts once).
                attempt_id=f"{request.user_id}:{request.idempotency_key}",
                now_ms=int(now.timestamp() * 1000),
            )
        except VelocityUnavailableError:
            _log.warning("velocity limits unavailable; challenging the payment attempt")
            return None

    async def policy(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> FraudPolicy:
        """The event's velocity limits and rules, else the tenant's, else the spec's."""
        key = (tenant_id, event_id)
        if self._policies is not None and key in self._policies:
            return self._policies[key]
        velocity, rules = await self._records.policy(tenant_id, event_id)
        policy = FraudPolicy(
            velocity=self._default.velocity
            if velocity is None
            else VelocityPolicy.from_json(velocity),
            engine=self._default.engine
            if rules is None
            else DecisionEngine(rules_from_json(rules)),
        )
        if self._policies is not None:
            self._policies[key] = policy
        return policy

    def forget_policies(self) -> None:
        if self._policies is not None:
            self._policies.clear()

    async def _record(
        self,
        attempt: PaymentAttempt,
        now: dt.datetime,
        session: SessionData,
        bot: BotAssessment,
        decision: FraudDecision,
    ) -> None:
        request = attempt.request
        session_id = _session_id(attempt.session_data) or str(request.idempotency_key)
        await self._records.record(
            request.tenant_id,
            FraudCheckRow(
                id=uuid.uuid4(),
                user_id=request.user_id,
                event_id=request.event_id,
                device_fingerprint=request.device_fingerprint,
                ip_address=attempt.ip_address if _is_ip(attempt.ip_address) else None,
                score=decision.score,
                signals=[signal.to_json() for signal in decision.signals],
                decision=decision.decision.value,
                rule=decision.rule,
                timestamp=now,
                idempotency_key=request.idempotency_key,
            ),
            bot=None
            if attempt.session_data is None
            else BotDetectionRow(
                session_id=session_id,
                is_bot=bot.is_bot,
                confidence=bot.score,
                indicators=bot.indicators,
                user_agent=session.user_agent,
            ),
        )


def _this_purchase(attempt: PaymentAttempt, now: dt.datetime) -> PastPurchase:
    request = attempt.request
    return PastPurchase(
        user_id=str(request.user_id),
        event_id=str(request.event_id),
        device_fingerprint=request.device_fingerprint,
        payment_method=request.payment_method_id,
        address=request.address_fingerprint,
        tickets=request.ticket_count,
        high_demand=attempt.high_demand,
        at=now,
    )


def _with_signal(decision: FraudDecision, signal: Signal, outcome: Decision) -> FraudDecision:
    return attrs.evolve(decision, decision=outcome, signals=(*decision.signals, signal))


def _session_id(session_data: Mapping[str, object] | None) -> str | None:
    if session_data is None:
        return None
    value = session_data.get("sessionId")
    return value[:128] if isinstance(value, str) and value else None


def _is_ip(value: str | None) -> bool:
    if value is None:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class FraudAdmin:
    """Admin only: fraud decisions, the known-scalper list, and fraud policies."""

    def __init__(self, records: FraudRecords, check: FraudCheck) -> None:
        self._records = records
        self._check = check

    async def checks(
        self,
        principal: Principal,
        *,
        user_id: uuid.UUID | None = None,
        decision: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 50,
    ) -> list[FraudCheckRow]:
        principal.require_role(Role.ADMIN)
        return await self._records.checks(
            principal.tenant_id, user_id=user_id, decision=decision, since=since, limit=limit
        )

    async def add_scalper(
        self,
        principal: Principal,
        *,
        user_id: uuid.UUID | None,
        device_fingerprint: str | None,
        reason: str,
        confidence: Decimal,
    ) -> tuple[KnownScalperRow, bool]:
        principal.require_role(Role.ADMIN)
        return await self._records.add_scalper(
            principal.tenant_id,
            user_id=user_id,
            device_fingerprint=device_fingerprint,
            reason=reason,
            confidence=confidence,
            added_by=principal.user_id,
        )

    async def remove_scalper(self, principal: Principal, scalper_id: uuid.UUID) -> bool:
        principal.require_role(Role.ADMIN)
        return await self._records.remove_scalper(principal.tenant_id, scalper_id)

    async def scalpers(self, principal: Principal) -> list[KnownScalperRow]:
        principal.require_role(Role.ADMIN)
        return await self._records.scalpers(principal.tenant_id)

    async def policy(self, principal: Principal, event_id: uuid.UUID | None) -> FraudPolicy:
        """The policy in force for the tenant (or one event)."""
        principal.require_role(Role.ADMIN)
        return await self._check.policy(principal.tenant_id, event_id or uuid.UUID(int=0))

    async def set_policy(
        self,
        principal: Principal,
        event_id: uuid.UUID | None,
        *,
        velocity: object | None,
        rules: object | None,
    ) -> FraudPolicy:
        """Set the tenant's (or one event's) velocity limits and rules, validated first:
        a bad limit or rule is a 422 naming it, and nothing is stored."""
        principal.require_role(Role.ADMIN)
        if velocity is not None:
            VelocityPolicy.from_json(velocity)
        if rules is not None:
            rules_from_json(rules)
        await self._records.put_policy(
            principal.tenant_id, event_id, velocity=velocity, rules=rules
        )
        self._check.forget_policies()
        return await self._check.policy(principal.tenant_id, event_id or uuid.UUID(int=0))
