"""Venue payouts (issue 6, part 2): a venue withdraws what it is owed, never more.

``request`` (POST /venues/{venueId}/payout; ``run_due``, behind ``tt payouts run``, for
every venue above its threshold):

1. in ONE transaction under the lock of the venue's available account: the payable
   balance and the day's payouts (in flight included) are read, the rules checked
   (at least $100, at most payable, at most $50,000 a day), the payout recorded
   ``pending`` and its ``payout.requested`` entry posted (available -> in transit, the
   1 % instant fee -> platform revenue), with a ``payout.requested`` event;
2. the provider is asked to pay, under a key derived from the payout id;
3. its answer moves the payout along tt_ledger's payout state machine: in transit, paid
   (in transit -> processor clearing), or failed (everything back to available, fee
   included).

Concurrent requests for one venue serialise on the lock, so together they never take
more than payable. A provider that does not answer leaves the payout pending: ``sync``
(the periodic job, ``tt payouts run``) asks again under the same key, which never pays
twice, and polls payouts in transit until they are paid or fail.

The service sees storage only through its ports (``PayoutsTransaction`` in one
``UnitOfWork``), so it runs against PostgreSQL in production and in-memory fakes in its
unit tests.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

import attrs

from tt_ledger import (
    PAYOUT_CANCELED_KIND,
    PAYOUT_FAILED_KIND,
    AccountKind,
    AccountRef,
    PayoutAmounts,
    PayoutMethod,
    PayoutRules,
    PayoutStatus,
    VenueAccounts,
    check_payout,
    estimate_arrival,
    payout_amounts,
    payout_paid_entry,
    payout_requested_entry,
    payout_returned_entry,
    payout_states,
)
from tt_money import Currency, Money
from tt_money.errors import ConflictError, NotFoundError, TicketTokenError
from tt_payments.auth.identity import ForbiddenError, Principal, Role
from tt_payments.catalog import VenueNotFoundError
from tt_payments.catalog.ports import Catalog
from tt_payments.clock import Clock, utcnow
from tt_payments.ledger.ports import LedgerAccounts
from tt_payments.payouts.ports import PayoutsTransaction
from tt_payments.payouts.records import PayoutRecord, PayoutSettings, RunReport
from tt_payments.providers.payouts import PayoutRequest, PayoutResult
from tt_payments.providers.ports import PayoutProvider
from tt_payments.providers.types import (
    ProviderRejectedError,
    ProviderUnavailableError,
    provider_idempotency_key,
)
from tt_payments.unit_of_work import UnitOfWork
from tt_payments.webhooks import ProviderEvent

__all__ = ["PROVIDER_KEY_WINDOW", "PayoutAccountMissingError", "PayoutService", "VenueProgress"]

_log = logging.getLogger(__name__)
PROVIDER_KEY_WINDOW = dt.timedelta(hours=23)
"""Stripe keeps idempotency keys about a day: a payout is only sent again within it."""

VenueProgress = Callable[[int, int, uuid.UUID, "PayoutRecord | TicketTokenError"], None]
"""``run_due``'s report after each venue: (done, of, venue, its payout or the refusal)."""


class PayoutAccountMissingError(ConflictError):
    """The venue has no payout destination (``tt payouts destination``)."""

    default_code = "PAYOUT_ACCOUNT_MISSING"


@attrs.frozen(kw_only=True)
class PayoutService:
    """Venue payouts. Immutable: ``attrs.evolve(service, rules=..., clock=...)`` gives one
    with other rules over the same storage and provider."""

    uow: UnitOfWork[PayoutsTransaction]
    accounts: LedgerAccounts
    catalog: Catalog
    provider: PayoutProvider
    rules: PayoutRules = attrs.field(factory=PayoutRules)
    default_destination: Callable[[uuid.UUID], str] | None = None
    """Where a venue with no payout settings is paid (the simulated provider's accounts);
    None: such a venue is refused with ``PAYOUT_ACCOUNT_MISSING``."""
    clock: Clock = utcnow

    async def request(
        self,
        principal: Principal,
        venue_id: uuid.UUID,
        amount_minor: int,
        *,
        instant: bool,
        idempotency_key: uuid.UUID | None,
    ) -> PayoutRecord:
        """Pay ``amount_minor`` of the venue's payable balance out (see the module
        docstring). Idempotent per requester and key: a retry gets the same payout."""
        if not principal.can_manage_venue(venue_id):
            raise ForbiddenError("only this venue's managers and admins request its payouts")
        venue = await self.catalog.get_venue(principal.tenant_id, venue_id)
        if venue is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        if idempotency_key is not None:
            existing = await self._by_key(principal, idempotency_key)
            if existing is not None:
                return existing
        destination = await self._destination(principal.tenant_id, venue_id)
        method = PayoutMethod.from_instant(instant)
        amount = Money(amount_minor, venue.currency)
        await self.accounts.ensure_accounts(
            _payout_accounts(principal.tenant_id, venue_id, venue.currency)
        )
        record = await self._record(
            principal,
            venue_id,
            amount,
            method,
            destination=destination,
            idempotency_key=idempotency_key,
        )
        if record is None:
            # A concurrent request under the same key recorded it first: that is the payout.
            assert idempotency_key is not None
            twin = await self._by_key(principal, idempotency_key)
            if twin is None:  # pragma: no cover - the conflict implies the row
                raise RuntimeError("payout insert conflicted but no payout has that key")
            return twin
        return await self._submit(record)

    async def _record(
        self,
        principal: Principal,
        venue_id: uuid.UUID,
        amount: Money,
        method: PayoutMethod,
        *,
        destination: str,
        idempotency_key: uuid.UUID | None,
    ) -> PayoutRecord | None:
        """Step 1: checks, the pending row, its entry and its event, in one transaction
        under the lock of the venue's available account. None: the requester's key
        already names a payout."""
        now = self.clock()
        arrival = estimate_arrival(method, now)
        accounts = VenueAccounts.of(principal.tenant_id, venue_id, amount.currency)
        currency = amount.currency
        async with self.uow() as tx:
            available = await tx.ledger.balance(accounts.available, lock=True)
            payable = Money(max(-available.minor, 0), currency)
            today = await tx.payouts.total_since(
                principal.tenant_id, venue_id, _day_start(now), payout_states.COUNTED_STATUSES
            )
            check_payout(amount, payable, Money(today, currency), method, self.rules)
            amounts = payout_amounts(amount, method, self.rules)
            record = PayoutRecord(
                tenant_id=principal.tenant_id,
                id=uuid.uuid4(),
                venue_id=venue_id,
                amount=amounts.amount,
                fee=amounts.fee,
                net=amounts.net,
                method=method,
                status=PayoutStatus.PENDING,
                provider=self.provider.name,
                provider_payout_id=None,
                destination=destination,
                requested_by=principal.user_id,
                idempotency_key=idempotency_key,
                arrival_earliest=arrival.earliest,
                arrival_latest=arrival.latest,
                failure_code=None,
                failure_message=None,
                created_at=now,
                paid_at=None,
            )
            if not await tx.payouts.insert(record):
                return None
            await tx.ledger.post(
                payout_requested_entry(
                    tenant_id=record.tenant_id,
                    payout_id=record.id,
                    venue_id=venue_id,
                    amounts=amounts,
                )
            )
            await _announce(tx, record, "payout.requested")
        return record

    async def run_due(
        self,
        principal: Principal,
        *,
        instant: bool = False,
        progress: VenueProgress | None = None,
    ) -> RunReport:
        """Admin only: request a payout for every venue of the tenant whose payable balance
        is at least its threshold (what today's limit still allows), then bring the
        tenant's open payouts up to date (``sync``). Safe to rerun: a venue paid out has
        nothing payable left, and a payout is never sent twice. A venue refused (no payout
        account, say) is reported and the others go on."""
        due, below = await self.venues_to_pay(principal)
        requested: list[PayoutRecord] = []
        refused: list[tuple[uuid.UUID, str, str]] = []
        for done, (venue_id, amount) in enumerate(due, start=1):
            outcome: PayoutRecord | TicketTokenError
            try:
                outcome = await self.request(
                    principal, venue_id, amount, instant=instant, idempotency_key=None
                )
            except TicketTokenError as error:
                refused.append((venue_id, error.code, error.message))
                outcome = error
            else:
                requested.append(outcome)
            if progress is not None:
                progress(done, len(due), venue_id, outcome)
        synced = await self.sync(tenant_id=principal.tenant_id)
        return RunReport(
            requested=tuple(requested),
            refused=tuple(refused),
            below_threshold=below,
            synced=synced,
        )

    async def sync(self, *, tenant_id: uuid.UUID | None = None) -> int:
        """Pending payouts submitted again (same key: never paid twice); payouts in transit
        asked for their state. Returns how many changed state."""
        changed = 0
        async with self.uow() as tx:
            open_payouts = await tx.payouts.recent(
                tenant_id=tenant_id,
                statuses=payout_states.OPEN_STATUSES,
                limit=1000,
                oldest_first=True,
            )
        for payout in open_payouts:
            try:
                after = await self._sync_one(payout)
            except Exception:
                # One payout's trouble must not stop the others being brought up to date.
                _log.exception("payout %s could not be synced", payout.id)
                continue
            changed += after.status is not payout.status
        return changed

    async def _sync_one(self, payout: PayoutRecord) -> PayoutRecord:
        if payout.status is PayoutStatus.PENDING:
            if self.clock() - payout.created_at > PROVIDER_KEY_WINDOW:
                # The provider may have forgotten our key by now: sending it again could
                # pay twice. A person checks the provider's dashboard and settles it.
                _log.error("payout %s pending for over a day: not sent again", payout.id)
                return payout
            return await self._submit(payout)
        try:
            result = await self.provider.retrieve_payout(
                payout.provider_payout_id or "", destination=payout.destination
            )
        except ProviderUnavailableError:
            return payout
        except ProviderRejectedError as error:
            # The provider does not know it (the simulated one forgets on restart): it
            # stays in transit for a person to look at; the others go on.
            _log.warning("payout %s: the provider refused to say: %s", payout.id, error)
            return payout
        return await self.apply(payout, result)

    async def apply(self, payout: PayoutRecord, result: PayoutResult) -> PayoutRecord:
        """Record what the provider says about ``payout`` (its answer, a poll, a webhook).
        Only a move the payout state machine allows is made; each posts its entry once,
        and a late or repeated answer changes nothing."""
        now = self.clock()
        amounts = PayoutAmounts(amount=payout.amount, fee=payout.fee, method=payout.method)
        await self.accounts.ensure_accounts(
            _payout_accounts(payout.tenant_id, payout.venue_id, payout.amount.currency)
        )
        target = result.status
        if target is PayoutStatus.PENDING:
            return payout  # nothing the provider did yet; providers report in transit
        event = payout_states.event_reaching(target)
        returned = target in payout_states.RETURNED_STATUSES
        provider_id = payout.provider_payout_id or result.provider_payout_id
        if returned and provider_id and payout_states.classify(payout.status, event) == "apply":
            # The money reached the venue's account at the provider: take it back first,
            # or the venue would have it twice. Not done yet (unknown, refused): the
            # payout stays as it is, and the next poll or delivery tries again.
            try:
                await self.provider.reclaim(
                    provider_id,
                    destination=payout.destination,
                    idempotency_key=provider_idempotency_key(payout.tenant_id, payout.id, "payout"),
                )
            except (ProviderUnavailableError, ProviderRejectedError) as error:
                _log.error("payout %s failed but its money is not back yet: %s", payout.id, error)
                return payout
        async with self.uow() as tx:
            # The row's own state, locked: two answers at once (a webhook and a poll) are
            # decided one after the other, each from what the other left.
            current = await tx.payouts.lock_status(payout.tenant_id, payout.id)
            if current is None:
                return payout
            if payout_states.classify(current, event) != "apply":
                return attrs.evolve(payout, status=current)
            moved = await tx.payouts.move(
                payout,
                current,
                payout_states.transition(current, event),
                now=now,
                provider_payout_id=result.provider_payout_id or None,
                failure_code=result.failure_code if returned else None,
                failure_message=result.failure_message if returned else None,
            )
            if not moved:  # pragma: no cover - the row is locked and in ``current``
                raise RuntimeError(f"payout {payout.id} left {current.value} under its lock")
            if target is PayoutStatus.PAID:
                await tx.ledger.post(
                    payout_paid_entry(
                        tenant_id=payout.tenant_id,
                        payout_id=payout.id,
                        venue_id=payout.venue_id,
                        amounts=amounts,
                    )
                )
            elif returned:
                # The money comes back to available, the fee too.
                await tx.ledger.post(
                    payout_returned_entry(
                        tenant_id=payout.tenant_id,
                        payout_id=payout.id,
                        venue_id=payout.venue_id,
                        amounts=amounts,
                        kind=PAYOUT_FAILED_KIND
                        if target is PayoutStatus.FAILED
                        else PAYOUT_CANCELED_KIND,
                        after_paid=current is PayoutStatus.PAID,
                    )
                )
            if target is not PayoutStatus.IN_TRANSIT:
                await _announce(tx, payout, f"payout.{target.value}")
            stored = await tx.payouts.get(payout.tenant_id, payout.id)
        return stored if stored is not None else payout

    async def on_provider_event(self, event: ProviderEvent) -> str:
        """A payout webhook (Stripe Connect ``payout.*``): the payout named in its metadata
        moves as the provider says, through ``apply`` (once; late news changes nothing).
        Returns the inbox outcome."""
        if event.payout is None or event.payout_id is None or event.tenant_id is None:
            return "unmatched"
        async with self.uow() as tx:
            payout = await tx.payouts.get(event.tenant_id, event.payout_id)
        if payout is None:
            return "unmatched"
        result = event.payout
        account = event.payload.get("account")
        if (
            (account is not None and account != payout.destination)
            or result.amount != payout.net
            or (
                payout.provider_payout_id is not None
                and result.provider_payout_id != payout.provider_payout_id
            )
        ):
            # Metadata is written by whoever creates a payout (a connected account can
            # create its own): only the payout we sent, to its account, for its amount,
            # may move ours.
            _log.warning("payout event %s does not match payout %s", event.event_id, payout.id)
            return "mismatch"
        after = await self.apply(payout, result)
        return "applied" if after.status is not payout.status else "ignored"

    async def visible(self, principal: Principal, payout_id: uuid.UUID) -> PayoutRecord:
        async with self.uow() as tx:
            payout = await tx.payouts.get(principal.tenant_id, payout_id)
        if payout is None or not principal.can_manage_venue(payout.venue_id):
            raise NotFoundError(f"payout {payout_id} was not found", code="PAYOUT_NOT_FOUND")
        return payout

    async def recent(
        self, principal: Principal, *, venue_id: uuid.UUID | None = None, limit: int = 100
    ) -> list[PayoutRecord]:
        if venue_id is None:
            principal.require_role(Role.ADMIN)
        elif not principal.can_manage_venue(venue_id):
            raise ForbiddenError("only this venue's managers and admins see its payouts")
        async with self.uow() as tx:
            return await tx.payouts.recent(
                tenant_id=principal.tenant_id, venue_id=venue_id, limit=limit
            )

    async def venues_to_pay(self, principal: Principal) -> tuple[list[tuple[uuid.UUID, int]], int]:
        """Admin only: (venue, amount) of every venue whose payable balance is at least its
        threshold (default: the payout minimum), and how many venues were below it."""
        principal.require_role(Role.ADMIN)
        due: list[tuple[uuid.UUID, int]] = []
        skipped = 0
        day_start = _day_start(self.clock())
        async with self.uow() as tx:
            for venue_id, payable in await tx.payouts.payable_balances(principal.tenant_id):
                settings = await tx.payouts.settings(principal.tenant_id, venue_id)
                threshold = max(
                    settings.threshold_minor if settings is not None else 0,
                    self.rules.minimum.minor,
                )
                today = await tx.payouts.total_since(
                    principal.tenant_id, venue_id, day_start, payout_states.COUNTED_STATUSES
                )
                # What today's limit still allows: a venue paid earlier today gets the rest.
                amount = min(payable, self.rules.daily_limit.minor - today)
                if payable >= threshold and amount >= self.rules.minimum.minor:
                    due.append((venue_id, amount))
                else:
                    skipped += 1
        return due, skipped

    async def set_destination(
        self, principal: Principal, venue_id: uuid.UUID, settings: PayoutSettings
    ) -> None:
        principal.require_role(Role.ADMIN)
        if await self.catalog.get_venue(principal.tenant_id, venue_id) is None:
            raise VenueNotFoundError(f"venue {venue_id} does not exist")
        async with self.uow() as tx:
            await tx.payouts.put_settings(principal.tenant_id, venue_id, settings, now=self.clock())

    async def _by_key(self, principal: Principal, key: uuid.UUID) -> PayoutRecord | None:
        async with self.uow() as tx:
            return await tx.payouts.by_key(principal.tenant_id, principal.user_id, key)

    async def _destination(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> str:
        async with self.uow() as tx:
            settings = await tx.payouts.settings(tenant_id, venue_id)
        if settings is not None:
            return settings.destination
        if self.default_destination is not None:
            return self.default_destination(venue_id)
        raise PayoutAccountMissingError(
            f"venue {venue_id} has no payout account; set one with `tt payouts destination`"
        )

    async def _submit(self, payout: PayoutRecord) -> PayoutRecord:
        request = PayoutRequest(
            payout_id=payout.id,
            tenant_id=payout.tenant_id,
            venue_id=payout.venue_id,
            destination=payout.destination,
            amount=payout.net,
            method=payout.method,
            idempotency_key=provider_idempotency_key(payout.tenant_id, payout.id, "payout"),
            metadata={
                "payoutId": str(payout.id),
                "tenantId": str(payout.tenant_id),
                "venueId": str(payout.venue_id),
            },
        )
        try:
            result = await self.provider.create_payout(request)
        except ProviderUnavailableError:
            return payout  # pending: sync asks again under the same key
        except ProviderRejectedError as error:
            result = PayoutResult(
                provider=self.provider.name,
                provider_payout_id="",
                status=PayoutStatus.FAILED,
                amount=payout.net,
                failure_code="rejected",
                failure_message=error.message,
            )
        return await self.apply(payout, result)


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _payout_accounts(
    tenant_id: uuid.UUID, venue_id: uuid.UUID, currency: Currency
) -> list[AccountRef]:
    """Every account a payout's entries may post to (known before any transaction)."""
    accounts = VenueAccounts.of(tenant_id, venue_id, currency)
    return [
        accounts.available,
        accounts.in_transit,
        AccountRef.platform(tenant_id, AccountKind.PLATFORM_REVENUE, currency),
        AccountRef.platform(tenant_id, AccountKind.PROCESSOR_CLEARING, currency),
    ]


async def _announce(tx: PayoutsTransaction, payout: PayoutRecord, event_type: str) -> None:
    await tx.outbox.append(
        tenant_id=payout.tenant_id,
        event_type=event_type,
        aggregate_type="payout",
        aggregate_id=payout.id,
        data={
            "payoutId": str(payout.id),
            "venueId": str(payout.venue_id),
            "amount": payout.amount.minor,
            "fee": payout.fee.minor,
            "net": payout.net.minor,
            "currency": payout.amount.currency.code,
            "method": payout.method.value,
        },
    )
