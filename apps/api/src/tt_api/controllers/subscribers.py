"""Admin routes of the event subscribers: add, list, remove; deliveries and redrive."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from tt_api.auth import principal_of
from tt_api.dependencies import SubscribersDep
from tt_api.params import parse_id
from tt_api.schemas.subscribers import (
    AddSubscriberRequest,
    AddSubscriberResponse,
    DeliveriesResponse,
    DeliveryBody,
    RedriveRequest,
    RedriveResponse,
    SubscriberBody,
    SubscribersResponse,
)
from tt_money.errors import InvalidInputError
from tt_payments.subscribers.records import DeliveryStatus, Subscriber


class AdminSubscribersController(Controller):
    path = "/api/v1/admin/webhooks"
    tags = ["admin"]

    @post(
        "/subscribers",
        operation_id="addSubscriber",
        summary="Deliver the tenant's events (or some types of them) to a URL, signed",
        status_code=201,
        opt={"body": AddSubscriberRequest},
    )
    async def add(
        self,
        request: Request[object, object, object],
        data: JSONBody[AddSubscriberRequest],
        subscribers: SubscribersDep,
    ) -> AddSubscriberResponse:
        added = await subscribers.add(
            principal_of(request), url=data.url, event_types=data.event_types, secret=data.secret
        )
        return AddSubscriberResponse(subscriber=_body(added), secret=added.secret)

    @get("/subscribers", operation_id="listSubscribers", summary="The tenant's subscribers")
    async def list_subscribers(
        self, request: Request[object, object, object], subscribers: SubscribersDep
    ) -> SubscribersResponse:
        found = await subscribers.of_tenant(principal_of(request))
        return SubscribersResponse(subscribers=[_body(row) for row in found])

    @delete(
        "/subscribers/{subscriber_id:str}",
        operation_id="removeSubscriber",
        summary="Remove a subscriber and its undelivered events",
        status_code=204,
    )
    async def remove(
        self,
        request: Request[object, object, object],
        subscriber_id: FromPath[str],
        subscribers: SubscribersDep,
    ) -> Response[None]:
        await subscribers.remove(principal_of(request), parse_id(subscriber_id, "subscriberId"))
        return Response(None, status_code=204)

    @get(
        "/deliveries",
        operation_id="listDeliveries",
        summary="The newest deliveries of events to subscribers",
    )
    async def deliveries(
        self,
        request: Request[object, object, object],
        subscribers: SubscribersDep,
        status: Annotated[str | None, QueryParameter(name="status")] = None,
        subscriber_id: Annotated[str | None, QueryParameter(name="subscriberId")] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=1000)] = 100,
    ) -> DeliveriesResponse:
        try:
            wanted = None if status is None else DeliveryStatus(status)
        except ValueError:
            raise InvalidInputError(
                "Validation failed", details=(("status", "must be pending, delivered or dead"),)
            ) from None
        rows = await subscribers.deliveries(
            principal_of(request),
            status=wanted,
            subscriber_id=None
            if subscriber_id is None
            else parse_id(subscriber_id, "subscriberId"),
            limit=limit,
        )
        return DeliveriesResponse(
            deliveries=[
                DeliveryBody(
                    id=row.id,
                    subscriber_id=str(row.subscriber_id),
                    event_id=str(row.event_id),
                    event_type=row.event_type,
                    ordering_key=str(row.ordering_key),
                    status=row.status.value,
                    attempts=row.attempts,
                    last_status=row.last_status,
                    last_error=row.last_error,
                    next_attempt_at=row.next_attempt_at,
                    delivered_at=row.delivered_at,
                )
                for row in rows
            ]
        )

    @post(
        "/deliveries/redrive",
        operation_id="redriveDeliveries",
        summary="Try dead deliveries again now, in their order",
        status_code=200,
        opt={"body": RedriveRequest},
    )
    async def redrive(
        self,
        request: Request[object, object, object],
        data: JSONBody[RedriveRequest],
        subscribers: SubscribersDep,
    ) -> RedriveResponse:
        moved = await subscribers.redrive(
            principal_of(request), ids=data.ids, subscriber_id=data.subscriber_id
        )
        return RedriveResponse(redriven=moved)


def _body(subscriber: Subscriber) -> SubscriberBody:
    return SubscriberBody(
        id=str(subscriber.id),
        url=subscriber.url,
        event_types=list(subscriber.event_types),
        created_at=subscriber.created_at,
    )
