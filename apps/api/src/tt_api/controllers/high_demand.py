"""The waiting room of a high-demand event, and the admin route that sets one up."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody

from tt_api.auth import principal_of
from tt_api.dependencies import HighDemandDep
from tt_api.params import parse_id
from tt_api.schemas.high_demand import (
    FairnessBody,
    HighDemandBody,
    HighDemandResponse,
    LeaveResponse,
    PurchaseLimitsBody,
    PutHighDemandRequest,
    QueueStatusBody,
)
from tt_high_demand import HighDemandConfig, PurchaseLimits, QueueStatus
from tt_payments.high_demand.service import HighDemandChange


class AdminHighDemandController(Controller):
    path = "/api/v1/admin/events"
    tags = ["admin", "high-demand"]

    @put(
        "/{event_id:str}/high-demand",
        operation_id="putHighDemand",
        summary="Make an event a high-demand event (waiting room, purchase limits)",
        opt={"body": PutHighDemandRequest},
    )
    async def put_high_demand(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        data: JSONBody[PutHighDemandRequest],
        high_demand: HighDemandDep,
    ) -> Response[HighDemandResponse]:
        limits = data.purchase_limits
        config, created = await high_demand.configure(
            principal_of(request),
            parse_id(event_id, "eventId"),
            HighDemandChange(
                enabled=data.enabled,
                on_sale_at=data.on_sale_at.astimezone(dt.UTC),
                active_slots=data.active_slots,
                token_ttl=dt.timedelta(seconds=data.token_ttl_seconds),
                heartbeat=dt.timedelta(seconds=data.heartbeat_seconds),
                limits=PurchaseLimits(
                    per_user=limits.per_user,
                    per_payment_method=limits.per_payment_method,
                    per_address=limits.per_address,
                    per_order=limits.per_order,
                ),
            ),
        )
        return Response(
            HighDemandResponse(
                high_demand=high_demand_body(config, now=high_demand.clock()),
                created=created,
            ),
            status_code=201 if created else 200,
        )

    @get(
        "/{event_id:str}/high-demand",
        operation_id="getHighDemand",
        summary="An event's high-demand settings",
    )
    async def get_high_demand(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> HighDemandResponse:
        config = await high_demand.settings_of(principal_of(request), parse_id(event_id, "eventId"))
        return HighDemandResponse(high_demand=high_demand_body(config, now=high_demand.clock()))

    @delete(
        "/{event_id:str}/waiting-room/{user_id:str}",
        operation_id="removeFromWaitingRoom",
        summary="Take a buyer out of the waiting room; their access token stops working",
        status_code=200,
    )
    async def remove_from_room(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        user_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> LeaveResponse:
        await high_demand.remove(
            principal_of(request), parse_id(event_id, "eventId"), parse_id(user_id, "userId")
        )
        return LeaveResponse(success=True)


class WaitingRoomController(Controller):
    path = "/api/v1/waiting-room"
    tags = ["waiting-room"]

    @post(
        "/{event_id:str}/join",
        operation_id="joinWaitingRoom",
        summary="Join an event's waiting room (joining again keeps the place)",
        status_code=200,
    )
    async def join(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> QueueStatusBody:
        event = parse_id(event_id, "eventId")
        status, heartbeat = await high_demand.join(principal_of(request), event)
        return queue_status_body(event, status, int(heartbeat.total_seconds()))

    @get(
        "/{event_id:str}/status",
        operation_id="waitingRoomStatus",
        summary="Place in line, estimated wait, and once admitted the access token",
    )
    async def status(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> QueueStatusBody:
        event = parse_id(event_id, "eventId")
        status, heartbeat = await high_demand.status(principal_of(request), event)
        return queue_status_body(event, status, int(heartbeat.total_seconds()))

    @post(
        "/{event_id:str}/leave",
        operation_id="leaveWaitingRoom",
        summary="Give up one's place (and any unused access token)",
        status_code=200,
    )
    async def leave(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> LeaveResponse:
        await high_demand.leave(principal_of(request), parse_id(event_id, "eventId"))
        return LeaveResponse(success=True)

    @get(
        "/{event_id:str}/fairness",
        operation_id="waitingRoomFairness",
        summary="The draw's seed commitment; after the on-sale, the seed and the order",
    )
    async def fairness(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        high_demand: HighDemandDep,
    ) -> FairnessBody:
        event = parse_id(event_id, "eventId")
        config, report = await high_demand.fairness(principal_of(request), event)
        return FairnessBody(
            event_id=event,
            on_sale_at=config.on_sale_at,
            seed_commitment=report.commitment,
            seed=report.seed,
            presale_order=list(report.presale_queue_ids),
        )


def high_demand_body(config: HighDemandConfig, *, now: dt.datetime) -> HighDemandBody:
    return HighDemandBody(
        event_id=config.event_id,
        enabled=config.enabled,
        on_sale_at=config.on_sale_at,
        active_slots=config.active_slots,
        token_ttl_seconds=int(config.token_ttl.total_seconds()),
        heartbeat_seconds=int(config.heartbeat_timeout.total_seconds()),
        purchase_limits=PurchaseLimitsBody(
            per_user=config.limits.per_user,
            per_payment_method=config.limits.per_payment_method,
            per_address=config.limits.per_address,
            per_order=config.limits.per_order,
        ),
        seed_commitment=config.seed_commitment,
        seed=config.published_seed(now),
    )


def queue_status_body(
    event_id: uuid.UUID, status: QueueStatus, heartbeat_seconds: int
) -> QueueStatusBody:
    return QueueStatusBody(
        event_id=event_id,
        queue_id=status.queue_id,
        state=status.state,
        position=status.position,
        estimated_wait_seconds=status.estimated_wait_seconds,
        access_token=status.access_token,
        token_expires_at=status.token_expires_at,
        seed_commitment=status.seed_commitment,
        poll_within_seconds=heartbeat_seconds,
    )
